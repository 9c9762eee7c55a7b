/**
 * Starts a whole opcode server from a configuration: binds the port first (so a taken port fails
 * before anything is touched), opens the database with the single-server lock, assembles the
 * runtime with the event hub and the MCP session directory (notifier), mounts MCP and the JSON API,
 * then recovers interrupted workflows (D6) and re-arms timers. `stop()` shuts down gracefully.
 * Used by `opcode serve` and by the integration tests (port 0, temp database).
 */
import type { Server } from 'bun'
import type { Elysia } from 'elysia'
import { breakerSettings } from './config/breaker.ts'
import type { Config } from './config/index.ts'
import { formatAddress } from './config/index.ts'
import type { Action, Logger } from './engine/ports.ts'
import { AppError, type Issue } from './errors.ts'
import { createHttpApp, RequestGuard } from './http/index.ts'
import { EventHub } from './hub/index.ts'
import { McpHost } from './mcp/index.ts'
import {
  ALL_OPS,
  attachServerInfo,
  type Op,
  type OpServices,
  openScheduling,
  SessionDirectory,
  TOOL_OPS,
} from './ops/index.ts'
import {
  DeferredSecrets,
  engineRedact,
  openPlatform,
  type Platform,
  sqliteVaultStorage,
} from './platform.ts'
import { openRuntime, type Runtime, type RuntimeOptions } from './runtime.ts'

export interface StartServerOptions {
  config: Config
  logger: Logger
  version: string
  /** Extra actions (tests, plugins). */
  actions?: Action[]
  /** Runtime options beyond the config (secrets, redact, engine tuning). */
  runtime?: Partial<Omit<RuntimeOptions, 'dbPath' | 'mode' | 'publisher' | 'notifier' | 'logger'>>
  /** Adds routes (the panel). */
  mount?: (app: Elysia, svc: OpServices) => void
  /** Skip recovery of interrupted workflows at start (tests of recovery itself call it). */
  skipRecovery?: boolean
  /** Vault passphrase (never from settings); absent = `[VAULT_ERROR] vault not initialized`. */
  vaultKey?: string
  /** Set false to leave out the vault, isolator and shell/fs actions (default true). */
  platform?: boolean
}

export interface RunningServer {
  /** `http://127.0.0.1:<port>` as bound. */
  url: string
  port: number
  address: string
  runtime: Runtime
  svc: OpServices
  hub: EventHub
  mcp: McpHost
  /** Stops accepting, lets running steps finish up to `graceMs` (default 8000), closes everything. */
  stop(graceMs?: number): Promise<void>
  /**
   * Applies a settings `plugins` list again (SIGHUP, decisions.md D21): new plugins start, removed
   * or disabled ones stop, changed ones restart. Returns the problems of entries left out.
   */
  reloadPlugins(plugins: unknown): Issue[]
}

/** Thrown when the port is taken: the message is the one line serve prints. */
export function portInUse(addr: string): AppError {
  return new AppError(
    'CONFLICT',
    `port ${addr} is already in use: stop the process holding it or choose another --listen-addr`,
  )
}

export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const { config, logger } = options
  const listen = config.listen
  let handler: (req: Request, server: Server<unknown>) => Response | Promise<Response> = () =>
    new Response('starting', { status: 503 })
  let bun: Server<unknown>
  try {
    bun = Bun.serve({
      hostname: listen.host,
      port: listen.port,
      // Twice the limit: bodies that declare their length get our JSON 413 from the app; Bun's own
      // bare 413 only stops chunked bodies far past the limit.
      maxRequestBodySize: config.http.max_body_bytes * 2,
      idleTimeout: 120,
      fetch: (req, server) => handler(req, server),
    })
  } catch (err) {
    const code = (err as { code?: string }).code
    if (code === 'EADDRINUSE' || /in use|EADDRINUSE/i.test(String((err as Error).message)))
      throw portInUse(config.listenAddr)
    throw new AppError(
      'EXECUTION_ERROR',
      `cannot listen on ${config.listenAddr}: ${(err as Error).message}`,
      { cause: err },
    )
  }
  const port = bun.port ?? listen.port
  const address = formatAddress({ host: listen.host, port })
  const url = `http://${formatAddress({ host: listen.host === '0.0.0.0' || listen.host === '::' ? '127.0.0.1' : listen.host, port })}`
  const hub = new EventHub()
  const sessions = new SessionDirectory()
  const secrets = new DeferredSecrets()
  let runtime: Runtime
  try {
    runtime = openRuntime({
      secrets,
      redact: engineRedact(),
      ...options.runtime,
      dbPath: config.dbPath,
      mode: 'server',
      address,
      logger,
      publisher: hub,
      notifier: sessions,
      ...(options.actions === undefined ? {} : { actions: options.actions }),
      engine: {
        poolSize: config.poolSize,
        recovery: config.recovery,
        breaker: breakerSettings(config.settings.circuit_breaker),
        ...options.runtime?.engine,
      },
    })
  } catch (err) {
    bun.stop(true)
    throw err
  }
  let platform: Platform | undefined
  if (options.platform !== false) {
    try {
      platform = await openPlatform({
        store: runtime.store,
        config,
        ...(options.vaultKey === undefined ? {} : { vaultKey: options.vaultKey }),
        secrets,
        logger,
      })
      for (const a of platform.actions)
        if (runtime.actions.get(a.name) === undefined) runtime.actions.register(a)
    } catch (err) {
      await runtime.close()
      bun.stop(true)
      throw err
    }
  }
  const svc: OpServices = {
    store: runtime.store,
    engine: runtime.engine,
    actions: runtime.actions,
    hub,
    sessions,
    logger,
    version: options.version,
    afterDefine: [],
    queryResources: new Map(),
    now: () => Date.now(),
  }
  // Configuration, port, vault and isolator for the settings view and the secret operations.
  attachServerInfo(svc, {
    config,
    port,
    vaultStorage: sqliteVaultStorage(runtime.store),
    ...(platform?.vault === undefined ? {} : { vault: platform.vault }),
    ...(platform === undefined ? {} : { isolator: platform.isolator }),
  })
  // Plugins start now (their known tools are registered at once, for recovered workflows); the
  // scheduler loop starts after recovery.
  const background = openScheduling(svc, {
    registry: runtime.actions,
    plugins: config.settings.plugins,
    settingsPath: config.settingsPath,
  })
  const baseUrl = config.baseUrl.replace(/:0$/, `:${port}`)
  const mcp = new McpHost(svc, TOOL_OPS, {
    ratePerSecond: config.http.rate_per_second,
    rateBurst: config.http.rate_burst,
    keepAliveMs: config.http.keep_alive_seconds * 1000,
    // A derived base URL may not be the name the client used: a relative endpoint resolves against it.
    messageEndpoint: config.baseUrlExplicit ? `${baseUrl}/message` : '/message',
  })
  const guard = new RequestGuard({
    ...(config.authToken === undefined ? {} : { token: config.authToken }),
    requireToken: !listen.loopback,
    loopback: listen.loopback,
    origins: [...config.http.allowed_origins, baseUrl],
    hosts: hostsOf(baseUrl),
  })
  guard.setPort(port)
  const app = createHttpApp({
    svc,
    ops: ALL_OPS as Op[],
    mcp,
    guard,
    logger,
    version: options.version,
    maxBodyBytes: config.http.max_body_bytes,
    heartbeatMs: config.http.keep_alive_seconds * 1000,
    ...(options.mount === undefined ? {} : { mount: (a: Elysia) => options.mount?.(a, svc) }),
  })
  const fetchApp = app.fetch
  handler = (req, server) => {
    // Streams and calls that wait for a workflow must not hit the idle timeout.
    const path = pathOf(req.url)
    if (
      path === '/sse' ||
      path === '/mcp' ||
      path === '/api/v1/events/stream' ||
      (req.method === 'POST' && path.startsWith('/api/v1/workflows'))
    ) {
      server.timeout(req, 0)
    }
    return fetchApp(req)
  }
  if (options.skipRecovery !== true) {
    try {
      await runtime.engine.recover()
    } catch (err) {
      logger.error('recovery failed', { error: String(err) })
    }
  }
  try {
    await background.startScheduler()
  } catch (err) {
    logger.error('the scheduler could not start', { error: String(err) })
  }
  logger.info('opcode server listening', {
    addr: address,
    url,
    version: options.version,
    db_path: config.dbPath,
    token_required: !listen.loopback,
  })

  let stopping: Promise<void> | undefined
  const stop = (graceMs = 8000): Promise<void> => {
    if (stopping !== undefined) return stopping
    stopping = (async () => {
      handler = () => new Response('shutting down', { status: 503 })
      void bun.stop(false) // stop accepting connections; in-flight requests continue
      await mcp.close()
      hub.close()
      await background.stopScheduler()
      const deadline = Date.now() + graceMs
      while (runtime.engine.stats().live > 0 && Date.now() < deadline) await Bun.sleep(25)
      const left = runtime.engine.stats().live
      if (left > 0)
        logger.warn('stopping with workflows still running; they resume at next start', {
          live: left,
        })
      await background.stopPlugins()
      await runtime.close()
      platform?.close()
      bun.stop(true)
      logger.info('opcode shutdown complete')
    })()
    return stopping
  }
  const reloadPlugins = (plugins: unknown): Issue[] =>
    background.scheduling.plugins?.applySettings(plugins) ?? []
  return { url, port, address, runtime, svc, hub, mcp, stop, reloadPlugins }
}

function pathOf(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2)
  if (start === -1) return '/'
  const q = url.indexOf('?', start)
  return q === -1 ? url.slice(start) : url.slice(start, q)
}

function hostsOf(baseUrl: string): string[] {
  try {
    return [new URL(baseUrl).hostname.toLowerCase()]
  } catch {
    return []
  }
}
