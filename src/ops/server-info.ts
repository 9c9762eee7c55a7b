/**
 * What a running server knows beyond the operation services — its configuration, bound port, vault
 * and isolator — attached by `startServer` so that the settings view and the secret operations
 * (and the panel) can read it. `settings.get` shows the effective configuration read-only, with
 * every secret masked: the token is reported as configured or not, never shown.
 */
import { Type } from '@sinclair/typebox'
import type { Config } from '../config/index.ts'
import { AppError } from '../errors.ts'
import type { Vault, VaultStorage } from '../vault/index.ts'
import { defineOp, type OpServices } from './op.ts'

export interface ServerInfo {
  config: Config
  /** Port actually bound (the config may say 0). */
  port: number
  /** Absent when the server started without a vault key. */
  vault?: Vault
  /** Where sealed secrets live: names can be listed and secrets deleted without the key. */
  vaultStorage?: VaultStorage
  /** Process isolator in use, e.g. `cgroups-v1+pidns` or `fallback`. */
  isolator?: string
}

const attached = new WeakMap<OpServices, ServerInfo>()

/** Called once by startServer (and by tests that build their own services). */
export function attachServerInfo(svc: OpServices, info: ServerInfo): void {
  attached.set(svc, info)
}

/** The attached server info, or undefined (services built without a server). */
export function serverInfoOf(svc: OpServices): ServerInfo | undefined {
  return attached.get(svc)
}

/** Replaces the configuration after a SIGHUP reload. */
export function updateServerConfig(svc: OpServices, config: Config): void {
  const info = attached.get(svc)
  if (info !== undefined) info.config = config
}

export function needServerInfo(svc: OpServices): ServerInfo {
  const info = attached.get(svc)
  if (info === undefined)
    throw new AppError('CONFLICT', 'this operation needs a running server (no server attached)')
  return info
}

const MASK = '••••••'
const SENSITIVE = /token|secret|password|passwd|key|credential|auth/i

/** A copy of a settings value with every value under a sensitive-looking key masked. */
export function maskSecrets(value: unknown, depth = 0): unknown {
  if (depth > 8) return MASK
  if (Array.isArray(value)) return value.map((v) => maskSecrets(v, depth + 1))
  if (value === null || typeof value !== 'object') return value
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (k === 'env' && v !== null && typeof v === 'object' && !Array.isArray(v)) {
      // Plugin environments: names are useful, values are often credentials.
      out[k] = Object.fromEntries(Object.keys(v as object).map((name) => [name, MASK]))
    } else if (SENSITIVE.test(k) && v !== null && typeof v !== 'object' && typeof v !== 'boolean') {
      out[k] = MASK
    } else {
      out[k] = maskSecrets(v, depth + 1)
    }
  }
  return out
}

/** The effective configuration as the settings page shows it. */
export function settingsView(svc: OpServices, info: ServerInfo): Record<string, unknown> {
  const c = info.config
  const known = new Set([
    'listen_addr',
    'base_url',
    'db_path',
    'log_level',
    'pool_size',
    'panel',
    'auth_token',
    'agent_id',
    'recovery',
    'http',
    'limits',
    'paths',
    'plugins',
    'circuit_breaker',
    'vault_key',
  ])
  const other: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(c.settings)) if (!known.has(k)) other[k] = v
  return {
    version: svc.version,
    listen_addr: c.listenAddr,
    bound_port: info.port,
    loopback: c.listen.loopback,
    base_url: c.baseUrl.replace(/:0$/, `:${info.port}`),
    db_path: c.dbPath,
    data_dir: c.dataDir,
    settings_path: c.settingsPath,
    log_level: c.logLevel,
    pool_size: c.poolSize,
    panel: c.panel,
    recovery: c.recovery,
    default_agent_id: c.agentId,
    token: { configured: c.authToken !== undefined, required: !c.listen.loopback },
    vault: { initialized: info.vault !== undefined },
    isolator: info.isolator ?? 'none',
    http: c.http,
    limits: maskSecrets(c.settings.limits ?? {}),
    paths: maskSecrets(c.settings.paths ?? {}),
    plugins: maskSecrets(Array.isArray(c.settings.plugins) ? c.settings.plugins : []),
    circuit_breaker: maskSecrets(c.settings.circuit_breaker ?? {}),
    other: maskSecrets(other),
  }
}

export const getSettingsOp = defineOp({
  name: 'settings.get',
  description:
    'The effective server configuration (flags > environment > settings.json > defaults), read-only; the token and every credential-like value are masked.',
  tool: false,
  readOnly: true,
  http: { method: 'GET', path: '/settings' },
  input: Type.Object({}),
  handle(svc) {
    return settingsView(svc, needServerInfo(svc))
  },
})
