/**
 * Configuration (spec server.md §8 with its Ours notes; decisions.md D1, D10, D17, D18, D21):
 * built-in defaults < `~/.opcode/settings.json` < environment < command-line flags. The file is
 * JSON, mode 0600; `install` merges into it (only the keys its flags name change, everything else —
 * token, limits, paths, plugins, circuit breaker — is kept). The vault key is never in it.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import type { LogLevel } from '../engine/ports.ts'
import { AppError } from '../errors.ts'
import { deriveBaseUrl, type ListenAddress, parseListenAddr } from './listen.ts'

/** What settings.json may hold. Unknown keys are kept as they are when the file is rewritten. */
export interface SettingsFile {
  listen_addr?: string
  base_url?: string
  db_path?: string
  log_level?: string
  pool_size?: number
  panel?: boolean
  /** Bearer token of the HTTP surfaces (decisions.md D21). */
  auth_token?: string
  /** Default `--agent-id` of client commands. */
  agent_id?: string
  /** D6: `auto` (default) resumes interrupted workflows at start-up; `manual` leaves them suspended. */
  recovery?: 'auto' | 'manual'
  http?: HttpSettings
  limits?: Record<string, unknown>
  paths?: Record<string, unknown>
  plugins?: unknown[]
  circuit_breaker?: Record<string, unknown>
  [key: string]: unknown
}

export interface HttpSettings {
  /** Largest request body accepted, bytes (default 16 MiB + 64 KiB: the largest valid definition). */
  max_body_bytes?: number
  /** Sustained tool calls per second per MCP session (default 100). */
  rate_per_second?: number
  /** Burst of tool calls per MCP session above the sustained rate (default 200). */
  rate_burst?: number
  /** Extra origins allowed on /mcp, /sse, /message and /api (besides the server's own). */
  allowed_origins?: string[]
  /** Seconds between keep-alive comments on SSE streams (default 15). */
  keep_alive_seconds?: number
}

/** Resolved configuration of a server or a client command. */
export interface Config {
  home: string
  /** `~/.opcode` (or `$HOME/.opcode`). */
  dataDir: string
  settingsPath: string
  listenAddr: string
  listen: ListenAddress
  baseUrl: string
  /** True when base_url was configured (flag, env or settings) rather than derived. */
  baseUrlExplicit: boolean
  dbPath: string
  logLevel: LogLevel
  poolSize: number
  panel: boolean
  authToken?: string
  agentId: string
  recovery: 'auto' | 'manual'
  http: Required<Omit<HttpSettings, 'allowed_origins'>> & { allowed_origins: string[] }
  settings: SettingsFile
}

/** Flags of `serve`/`install` that override everything else (absent = not given). */
export interface ConfigFlags {
  listenAddr?: string
  dbPath?: string
  baseUrl?: string
  logLevel?: string
  poolSize?: string
  panel?: boolean
  agentId?: string
}

export const DEFAULT_LISTEN = ':4100'
export const DEFAULT_HTTP = {
  max_body_bytes: 16 * 1024 * 1024 + 64 * 1024,
  rate_per_second: 100,
  rate_burst: 200,
  keep_alive_seconds: 15,
} as const

export function homeOf(env: Record<string, string | undefined>): string {
  const h = env.HOME
  if (h !== undefined && h !== '') return h
  try {
    return homedir()
  } catch {
    return '.'
  }
}

export function dataDirOf(env: Record<string, string | undefined>): string {
  return join(homeOf(env), '.opcode')
}

/** Reads settings.json; a missing file is `{}`, a malformed one is an error naming the file. */
export function readSettings(path: string): SettingsFile {
  if (!existsSync(path)) return {}
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new AppError('VALIDATION_ERROR', `cannot read ${path}: ${(err as Error).message}`)
  }
  if (text.trim() === '') return {}
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    throw new AppError('VALIDATION_ERROR', `${path} is not valid JSON: ${(err as Error).message}`)
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new AppError('VALIDATION_ERROR', `${path} must hold a JSON object`)
  return parsed as SettingsFile
}

/**
 * Merges `patch` into the settings file (keys set to undefined are left alone) and writes it
 * atomically with mode 0600. Never writes a vault key.
 */
export function mergeSettings(path: string, patch: SettingsFile): SettingsFile {
  const current = readSettings(path)
  const next: SettingsFile = { ...current }
  for (const [k, v] of Object.entries(patch)) if (v !== undefined) next[k] = v
  delete next.vault_key
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 })
  chmodSync(tmp, 0o600)
  renameSync(tmp, path)
  return next
}

const LEVELS: Record<string, LogLevel> = {
  debug: 'debug',
  info: 'info',
  warn: 'warn',
  warning: 'warn',
  error: 'error',
}

/** Case-insensitive; `warning` = `warn`; unknown → `info` (server.md §8). */
export function parseLogLevel(text: string | undefined): LogLevel {
  return LEVELS[(text ?? '').trim().toLowerCase()] ?? 'info'
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v
}

function boolEnv(v: string | undefined): boolean | undefined {
  if (v === undefined || v === '') return undefined
  return v === 'true' || v === '1'
}

function intOf(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v)
  return undefined
}

/**
 * Resolves the configuration: flags > env > settings.json > defaults. Throws VALIDATION_ERROR for a
 * malformed listen address, a malformed settings file, or an exposed address without a token.
 */
export function loadConfig(
  env: Record<string, string | undefined>,
  flags: ConfigFlags = {},
  cwd = process.cwd(),
): Config {
  const home = homeOf(env)
  const dataDir = join(home, '.opcode')
  const settingsPath = join(dataDir, 'settings.json')
  const settings = readSettings(settingsPath)
  return resolveConfig({ env, flags, settings, home, dataDir, settingsPath, cwd })
}

export function resolveConfig(input: {
  env: Record<string, string | undefined>
  flags: ConfigFlags
  settings: SettingsFile
  home: string
  dataDir: string
  settingsPath: string
  cwd: string
}): Config {
  const { env, flags, settings } = input
  const str = (v: unknown): string | undefined =>
    typeof v === 'string' && v !== '' ? v : undefined
  const listenAddr =
    nonEmpty(flags.listenAddr) ??
    nonEmpty(env.OPCODE_LISTEN_ADDR) ??
    str(settings.listen_addr) ??
    DEFAULT_LISTEN
  const listen = parseListenAddr(listenAddr)
  const configuredBase =
    nonEmpty(flags.baseUrl) ?? nonEmpty(env.OPCODE_BASE_URL) ?? str(settings.base_url)
  const baseUrl = deriveBaseUrl(configuredBase, listen)
  const dbRaw =
    nonEmpty(flags.dbPath) ?? nonEmpty(env.OPCODE_DB_PATH) ?? str(settings.db_path) ?? undefined
  const dbPath =
    dbRaw === undefined
      ? join(input.dataDir, 'opcode.db')
      : dbRaw === ':memory:'
        ? dbRaw
        : resolve(input.cwd, dbRaw.replace(/^~(?=\/|$)/, input.home))
  const logLevel = parseLogLevel(
    nonEmpty(flags.logLevel) ?? nonEmpty(env.OPCODE_LOG_LEVEL) ?? str(settings.log_level),
  )
  let poolSize =
    intOf(flags.poolSize) ?? intOf(nonEmpty(env.OPCODE_POOL_SIZE)) ?? intOf(settings.pool_size)
  if (flags.poolSize !== undefined && intOf(flags.poolSize) === undefined)
    throw new AppError('VALIDATION_ERROR', `--pool-size must be an integer, got ${flags.poolSize}`)
  if (poolSize === undefined || poolSize <= 0) poolSize = 10
  // D17: the panel is on by default when only this machine can reach it.
  const panel =
    flags.panel ??
    boolEnv(env.OPCODE_PANEL) ??
    (typeof settings.panel === 'boolean' ? settings.panel : listen.loopback)
  const authToken = nonEmpty(env.OPCODE_TOKEN) ?? str(settings.auth_token)
  const agentId =
    nonEmpty(flags.agentId) ?? nonEmpty(env.OPCODE_AGENT_ID) ?? str(settings.agent_id) ?? 'cli'
  const recovery = settings.recovery === 'manual' ? 'manual' : 'auto'
  const h = (settings.http ?? {}) as HttpSettings
  const positive = (v: unknown, d: number): number =>
    typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : d
  const http = {
    max_body_bytes: positive(h.max_body_bytes, DEFAULT_HTTP.max_body_bytes),
    rate_per_second: positive(h.rate_per_second, DEFAULT_HTTP.rate_per_second),
    rate_burst: positive(h.rate_burst, DEFAULT_HTTP.rate_burst),
    keep_alive_seconds: positive(h.keep_alive_seconds, DEFAULT_HTTP.keep_alive_seconds),
    allowed_origins: Array.isArray(h.allowed_origins)
      ? h.allowed_origins.filter((o): o is string => typeof o === 'string')
      : [],
  }
  const config: Config = {
    home: input.home,
    dataDir: input.dataDir,
    settingsPath: input.settingsPath,
    listenAddr,
    listen,
    baseUrl,
    baseUrlExplicit: configuredBase !== undefined && baseUrl === configuredBase.replace(/\/+$/, ''),
    dbPath,
    logLevel,
    poolSize,
    panel,
    agentId,
    recovery,
    http,
    settings,
  }
  if (authToken !== undefined) config.authToken = authToken
  return config
}

/** D21: a server reachable from other machines needs the token. Throws VALIDATION_ERROR. */
export function assertExposureAllowed(config: Config): void {
  if (!config.listen.loopback && config.authToken === undefined) {
    throw new AppError(
      'VALIDATION_ERROR',
      `listening on ${config.listenAddr} exposes the server beyond this machine and needs a token: set OPCODE_TOKEN or auth_token in ${config.settingsPath} (opcode install generates one), or listen on :PORT / 127.0.0.1:PORT`,
    )
  }
}

/** A fresh bearer token: 32 random bytes, base64url. */
export function generateToken(): string {
  const bytes = new Uint8Array(32)
  crypto.getRandomValues(bytes)
  return Buffer.from(bytes).toString('base64url')
}

/** Pidfile and log file of the background server started by `install`. */
export function pidfilePath(config: { dataDir: string }): string {
  return join(config.dataDir, 'opcode.pid')
}

export function logfilePath(config: { dataDir: string }): string {
  return join(config.dataDir, 'opcode.log')
}
