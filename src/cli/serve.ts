/**
 * `opcode` / `opcode serve` (spec server.md §7–9 with Ours; decisions.md D1, D6, D10, D17, D20,
 * D21): resolves the configuration (flags > env > settings.json > defaults), binds the port, opens
 * the database, recovers interrupted workflows, writes the pidfile, and serves until SIGTERM/SIGINT
 * (graceful, bounded to 10 s). SIGHUP reloads the log level, the panel setting and the plugins. A
 * taken port or a database held by another instance is one line on stderr and exit 1, with nothing
 * modified.
 */
import { mkdirSync } from 'node:fs'
import {
  assertExposureAllowed,
  type Config,
  type ConfigFlags,
  loadConfig,
  pidfilePath,
} from '../config/index.ts'
import { buildInfo } from '../config/version.ts'
import { isAppError } from '../errors.ts'
import { createJsonLogger } from '../log/index.ts'
import type { RunningServer, StartServerOptions } from '../server.ts'
import { bool, type FlagSpec, type ParsedArgs, parseArgs, str, UsageError } from './args.ts'
import { type Command, EXIT } from './command.ts'
import { livePid, removePidfile, writePidfile } from './daemon.ts'
import { readVaultKey, reexecWithoutKey, scrubKeyEnv } from './vault-key.ts'

export const SERVE_FLAGS: FlagSpec[] = [
  { name: 'listen-addr', type: 'string' },
  { name: 'db-path', type: 'string' },
  { name: 'base-url', type: 'string' },
  { name: 'log-level', type: 'string' },
  { name: 'pool-size', type: 'string' },
  { name: 'panel', type: 'boolean' },
]

const USAGE = `Usage:
  opcode [serve] [--listen-addr ADDR] [--db-path PATH] [--base-url URL] [--log-level L]
                 [--pool-size N] [--panel | --no-panel]

Serves MCP (Streamable HTTP at /mcp, SSE at /sse), the JSON API (/api/v1) and /healthz.

  --listen-addr ADDR  :PORT = 127.0.0.1:PORT (default :4100); 0.0.0.0:PORT exposes the server
                      and then requires a token (auth_token in settings.json or OPCODE_TOKEN)
  --db-path PATH      database file (default ~/.opcode/opcode.db)
  --base-url URL      public URL announced to SSE clients (default derived from the address)
  --log-level L       debug, info (default), warn, error
  --pool-size N       actions executing at once (default 10)
  --panel/--no-panel  web panel (default on when listening on loopback)

Environment: OPCODE_LISTEN_ADDR, OPCODE_DB_PATH, OPCODE_BASE_URL, OPCODE_LOG_LEVEL,
OPCODE_POOL_SIZE, OPCODE_PANEL, OPCODE_TOKEN, OPCODE_VAULT_KEY / OPCODE_VAULT_KEY_FILE.
Settings: ~/.opcode/settings.json (flags > environment > settings > defaults).
Signals: SIGTERM/SIGINT shut down gracefully; SIGHUP reloads log level, panel and plugins.
`

/** Extension points filled by other folders (the panel). */
export const serveHooks: {
  mount?: StartServerOptions['mount']
  onReload?: Array<(config: Config, server: RunningServer) => void>
} = {}

let panelInstalled = false

export function configFlags(args: ParsedArgs): ConfigFlags {
  const flags: ConfigFlags = {}
  const set = (k: keyof ConfigFlags, v: string | undefined): void => {
    if (v !== undefined) (flags as Record<string, unknown>)[k] = v
  }
  set('listenAddr', str(args, 'listen-addr'))
  set('dbPath', str(args, 'db-path'))
  set('baseUrl', str(args, 'base-url'))
  set('logLevel', str(args, 'log-level'))
  set('poolSize', str(args, 'pool-size'))
  const panel = bool(args, 'panel')
  if (panel !== undefined) flags.panel = panel
  return flags
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'run the server (MCP, JSON API, panel); the default command',
  usage: USAGE,
  async run(argv, io) {
    const args = parseArgs(argv, [...SERVE_FLAGS, { name: 'vault-key-stdin', type: 'boolean' }])
    if (args.positionals.length > 0)
      throw new UsageError(`unexpected argument ${JSON.stringify(args.positionals[0])}`)
    const flags = configFlags(args)
    let config: Config
    try {
      config = loadConfig(io.env, flags, io.cwd)
      assertExposureAllowed(config)
    } catch (err) {
      io.stderr(`opcode: ${isAppError(err) ? err.message : String(err)}\n`)
      return EXIT.usage
    }
    let vault: Awaited<ReturnType<typeof readVaultKey>>
    try {
      vault = await readVaultKey(io.env, bool(args, 'vault-key-stdin') === true, io.readStdin)
    } catch (err) {
      io.stderr(`opcode: ${isAppError(err) ? err.message : String(err)}\n`)
      return EXIT.failed
    }
    if (vault.from === 'env' && vault.key !== undefined && io.env === process.env) {
      // Never returns when the re-exec works.
      vault.warning = reexecWithoutKey(vault.key, process.argv.slice(1))
    }
    if (io.env === process.env) scrubKeyEnv(process.env)
    const info = buildInfo()
    const logger = createJsonLogger({ level: config.logLevel })
    if (config.authToken !== undefined) logger.addSecret(config.authToken)
    if (vault.key !== undefined) logger.addSecret(vault.key)
    logger.info('opcode starting', { version: info.version, commit: info.commit })
    if (vault.warning !== undefined) logger.warn(vault.warning)
    if (vault.key === undefined)
      logger.warn(
        'no vault key (OPCODE_VAULT_KEY / OPCODE_VAULT_KEY_FILE): secret interpolation disabled',
      )

    const pidfile = pidfilePath(config)
    // The web panel (mounted always, served only while `panel` is on; SIGHUP toggles it).
    if (!panelInstalled) {
      panelInstalled = true
      const { installPanel } = await import('../http/panel/index.ts')
      installPanel(serveHooks)
    }
    let server: RunningServer
    try {
      // Loaded here so that other commands do not pay for the HTTP and MCP stacks at start-up.
      const { startServer } = await import('../server.ts')
      server = await startServer({
        config,
        logger,
        version: info.version,
        ...(vault.key === undefined ? {} : { vaultKey: vault.key }),
        ...(serveHooks.mount === undefined ? {} : { mount: serveHooks.mount }),
      })
    } catch (err) {
      const message = isAppError(err) ? err.message : String((err as Error)?.message ?? err)
      io.stderr(`opcode: ${message}\n`)
      return EXIT.failed
    }
    // The port and the database lock are the real exclusion; the pidfile only serves `opcode stop`.
    const other = livePid(pidfile)
    let ownsPidfile = other === undefined || other === process.pid
    if (!ownsPidfile) {
      logger.warn('another opcode server owns the pidfile; opcode stop will stop that one', {
        pid: other,
        pidfile,
      })
    } else {
      try {
        mkdirSync(config.dataDir, { recursive: true, mode: 0o700 })
        writePidfile(pidfile)
      } catch (err) {
        ownsPidfile = false
        logger.warn('could not write the pidfile', { path: pidfile, error: String(err) })
      }
    }
    const dropPidfile = (): void => {
      if (ownsPidfile) removePidfile(pidfile)
    }

    let current = config
    let finish: (code: number) => void = () => {}
    const done = new Promise<number>((resolve) => {
      finish = resolve
    })
    let shuttingDown = false
    const shutdown = (signal: string): void => {
      if (shuttingDown) return
      shuttingDown = true
      logger.info('received signal, shutting down', { signal })
      // The whole shutdown is bounded: past 10 s the process exits anyway (D6 recovers the rest).
      setTimeout(() => {
        logger.error('shutdown took longer than 10 s; exiting')
        dropPidfile()
        process.exit(1)
      }, 10_000).unref()
      void server
        .stop(7_000)
        .catch((err: unknown) => logger.error('shutdown failed', { error: String(err) }))
        .finally(() => {
          dropPidfile()
          finish(EXIT.ok)
        })
    }
    const reload = (): void => {
      try {
        const next = loadConfig(process.env, flags, io.cwd)
        logger.setLevel(next.logLevel)
        const restartOnly = (['listenAddr', 'baseUrl', 'dbPath', 'poolSize'] as const).filter(
          (k) => next[k] !== current[k],
        )
        if (restartOnly.length > 0)
          logger.warn('config changes require restart', { keys: restartOnly })
        server.reloadPlugins(next.settings.plugins)
        for (const fn of serveHooks.onReload ?? []) fn(next, server)
        current = next
        logger.info('configuration reloaded', { log_level: next.logLevel, panel: next.panel })
      } catch (err) {
        logger.error('configuration reload failed; keeping the current one', {
          error: isAppError(err) ? err.message : String(err),
        })
      }
    }
    const onTerm = (): void => shutdown('SIGTERM')
    const onInt = (): void => shutdown('SIGINT')
    process.on('SIGTERM', onTerm)
    process.on('SIGINT', onInt)
    process.on('SIGHUP', reload)
    try {
      return await done
    } finally {
      process.off('SIGTERM', onTerm)
      process.off('SIGINT', onInt)
      process.off('SIGHUP', reload)
    }
  },
}
