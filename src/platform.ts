/**
 * Wires the platform services into a runtime (decisions.md D10, D17, D18, D21): the vault (sealed
 * secrets in the database, `${{secrets.X}}`, redaction of every resolved value from outputs,
 * events, logs and notifications), the detected process isolator with the settings' `limits`, and
 * the path policy of `paths` (always denying the data directory and the database) for `shell.exec`
 * and `fs.*`. Used by `serve`; the vault storage is the store's `secrets` and `vault_meta` tables.
 */
import { fsActions } from './actions/fs.ts'
import { shellAction } from './actions/shell.ts'
import type { Config } from './config/index.ts'
import type { Redact } from './engine/core.ts'
import type { Action, Logger, SecretResolver } from './engine/ports.ts'
import {
  createPathPolicy,
  detectIsolator,
  parseIsolationSettings,
  parseLimitSettings,
  pathRulesFromSettings,
} from './isolation/index.ts'
import type { SqliteStore } from './store/sqlite.ts'
import {
  createRedactor,
  openVault,
  type Redactor,
  uninitializedResolver,
  type Vault,
  type VaultMeta,
  type VaultStorage,
} from './vault/index.ts'

/** The vault's storage on the store's `secrets` and `vault_meta` tables. */
export function sqliteVaultStorage(store: SqliteStore): VaultStorage {
  const db = store.db
  return {
    getMeta() {
      const r = db.query('SELECT meta FROM vault_meta WHERE id = 1').get() as {
        meta: string
      } | null
      return r === null ? undefined : (JSON.parse(r.meta) as VaultMeta)
    },
    putMeta(meta) {
      db.query(
        'INSERT INTO vault_meta (id, meta, created_at) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET meta = excluded.meta',
      ).run(JSON.stringify(meta), Date.now())
    },
    get(name) {
      const r = db.query('SELECT value FROM secrets WHERE key = ?').get(name) as {
        value: Uint8Array
      } | null
      return r === null ? undefined : new Uint8Array(r.value)
    },
    put(name, blob) {
      const now = Date.now()
      db.query(
        'INSERT INTO secrets (key, value, created_at, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
      ).run(name, blob, now, now)
    },
    delete(name) {
      return db.query('DELETE FROM secrets WHERE key = ?').run(name).changes > 0
    },
    list() {
      return (db.query('SELECT key FROM secrets ORDER BY key').all() as Array<{ key: string }>).map(
        (r) => r.key,
      )
    },
  }
}

/**
 * The engine's Redact port over the vault's redactor: one redactor per set of secret values a run
 * resolved (rebuilt only when the set grows).
 */
export function engineRedact(): Redact {
  const cache = new WeakMap<ReadonlySet<string>, { size: number; redactor: Redactor }>()
  return (value, secrets) => {
    let hit = cache.get(secrets)
    if (hit === undefined || hit.size !== secrets.size) {
      hit = { size: secrets.size, redactor: createRedactor(secrets) }
      cache.set(secrets, hit)
    }
    return hit.redactor.redact(value)
  }
}

/** A SecretResolver whose target is set once the vault is open (the engine is built before). */
export class DeferredSecrets implements SecretResolver {
  private target: SecretResolver = uninitializedResolver()
  set(target: SecretResolver): void {
    this.target = target
  }
  resolve(name: string): string {
    return this.target.resolve(name)
  }
}

export interface Platform {
  vault?: Vault
  /** shell.exec and fs.* with the isolator and path policy. */
  actions: Action[]
  /** e.g. `cgroups-v1+pidns` or `fallback`. */
  isolator: string
  close(): void
}

/**
 * Opens the vault (when a key is given; a wrong key is VAULT_ERROR at start-up) and builds the
 * isolated actions. Warnings (weaker isolation, key file permissions) go to the log.
 */
export async function openPlatform(options: {
  store: SqliteStore
  config: Config
  vaultKey?: string
  secrets: DeferredSecrets
  logger: Logger
}): Promise<Platform> {
  const { store, config, logger } = options
  let vault: Vault | undefined
  if (options.vaultKey !== undefined) {
    vault = openVault(sqliteVaultStorage(store), options.vaultKey)
    options.secrets.set(vault.resolver())
    logger.info('vault initialized', { secrets: vault.list().length })
  }
  const settings = config.settings
  const detected = await detectIsolator({
    ...parseIsolationSettings(settings.isolation),
    warn: (m) => logger.warn(m),
  })
  for (const w of detected.warnings) logger.warn(w)
  const paths = createPathPolicy(
    pathRulesFromSettings(settings.paths, { dataDir: config.dataDir, dbPath: config.dbPath }),
  )
  const actions = [
    shellAction({
      isolator: detected.isolator,
      paths,
      defaults: { limits: parseLimitSettings(settings.limits) },
    }),
    ...fsActions({ paths }),
  ]
  logger.info('isolation ready', { isolator: detected.name })
  return {
    ...(vault === undefined ? {} : { vault }),
    actions,
    isolator: detected.name,
    close() {
      vault?.close()
    },
  }
}
