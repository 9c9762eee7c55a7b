/**
 * One plugin: an MCP server child spoken to with the SDK's real Client over stdio. It is started,
 * initialized, its tools listed; its exit is watched and it is restarted with a capped exponential
 * backoff (1 s, 2 s, 4 s … 60 s; the count resets after 60 s of health). Calls made while it is
 * (re)starting wait for it, up to the call's own time budget, then fail ACTION_UNAVAILABLE.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import type { Clock, Logger, TimerHandle } from '../engine/ports.ts'
import { AppError } from '../errors.ts'
import type { PluginRowStatus, StoredTool } from '../store/plugins.ts'
import { childEnvironment, type PluginSpec } from './config.ts'
import { callError, formatMs, type ToolResult, toolOutput } from './output.ts'

export type PluginStatus = PluginRowStatus

export interface PluginHostOptions {
  /** Budget of the handshake (initialize) and of tools/list, ms (default 10 000). */
  startTimeoutMs: number
  /** Per-call timeout when the plugin sets none, ms (default 60 000). */
  callTimeoutMs: number
  /** First restart delay, ms (default 1 000); doubles per failure. */
  backoffInitialMs: number
  /** Largest restart delay, ms (default 60 000). */
  backoffMaxMs: number
  /** Healthy time after which the failure count resets, ms (default 60 000). */
  healthyResetMs: number
  /** `clientInfo.version` sent at initialize. */
  clientVersion: string
  /** The server environment PATH, HOME and LANG come from (default process.env). */
  parentEnv: Record<string, string | undefined>
}

export const DEFAULT_PLUGIN_OPTIONS: PluginHostOptions = {
  startTimeoutMs: 10_000,
  callTimeoutMs: 60_000,
  backoffInitialMs: 1_000,
  backoffMaxMs: 60_000,
  healthyResetMs: 60_000,
  clientVersion: '1.0.0',
  parentEnv: process.env,
}

/** Delay before restart number `failures` (1-based): initial × 2^(failures−1), capped. */
export function restartDelay(failures: number, initialMs: number, maxMs: number): number {
  if (failures <= 1) return Math.min(initialMs, maxMs)
  return Math.min(maxMs, initialMs * 2 ** Math.min(failures - 1, 30))
}

export interface HostEvents {
  status(status: PluginStatus, error: string | null): void
  tools(tools: StoredTool[]): void
}

interface Waiter {
  deadline: number
  resolve(client: Client): void
  reject(err: AppError): void
}

const MAX_TOOLS = 1000
const STDERR_TAIL = 20
const STDERR_LINE = 2000
/** Stderr lines logged per minute per plugin; the rest are counted and reported. */
const STDERR_RATE = 300

export class PluginHost {
  status: PluginStatus = 'inactive'
  lastError: string | null = null
  tools: StoredTool[] = []
  pid: number | undefined
  /** Restarts after an exit (not counting manual restarts). */
  restarts = 0
  /** When the current process became active (epoch ms). */
  activeSince: number | undefined
  /** When the next start attempt is due while waiting out a backoff. */
  nextAttemptAt: number | undefined

  private client: Client | undefined
  private transport: ChildTransport | undefined
  private generation = 0
  private failures = 0
  private everActive = false
  private stopped = true
  private timer: TimerHandle | undefined
  private readonly waiters = new Set<Waiter>()
  private readonly stderrTail: string[] = []
  private stderrPartial = ''
  private stderrWindow = { start: 0, count: 0, dropped: 0 }

  constructor(
    readonly spec: PluginSpec,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: PluginHostOptions,
    private readonly events: HostEvents,
  ) {}

  /** Starts the plugin (no-op when it is already running or starting). */
  start(): void {
    if (!this.stopped) return
    this.stopped = false
    this.launch()
  }

  /** Stops the child (stdin closed, then SIGTERM, then SIGKILL) and fails waiting calls. */
  async stop(): Promise<void> {
    this.stopped = true
    this.generation++
    this.timer?.cancel()
    this.timer = undefined
    this.nextAttemptAt = undefined
    this.failWaiters(() => unavailable(this.spec.name, 'was stopped'))
    const client = this.client
    const transport = this.transport
    this.client = undefined
    this.transport = undefined
    this.pid = undefined
    this.activeSince = undefined
    this.setStatus('inactive', null)
    await dispose(client, transport)
  }

  /** Stops the child and starts a fresh one at once (failure count reset). */
  async restart(): Promise<void> {
    this.generation++
    this.timer?.cancel()
    this.timer = undefined
    this.nextAttemptAt = undefined
    const client = this.client
    const transport = this.transport
    this.client = undefined
    this.transport = undefined
    this.pid = undefined
    this.activeSince = undefined
    this.failures = 0
    this.setStatus('restarting', this.lastError)
    await dispose(client, transport)
    this.stopped = false
    this.launch()
  }

  /** Calls a tool; waits for a (re)starting plugin up to the call's timeout. */
  async call(tool: string, args: Record<string, unknown>, signal: AbortSignal): Promise<unknown> {
    const timeoutMs = this.spec.timeoutMs ?? this.options.callTimeoutMs
    const started = this.clock.now()
    const client = await this.ready(signal, timeoutMs)
    const left = Math.max(1, timeoutMs - (this.clock.now() - started))
    let result: ToolResult
    try {
      result = (await client.callTool({ name: tool, arguments: args }, undefined, {
        signal,
        timeout: left,
      })) as ToolResult
    } catch (err) {
      if (signal.aborted) throw signal.reason ?? err
      throw callError(this.spec.name, tool, err, { timeoutMs: left, stderr: this.stderrSummary() })
    }
    return toolOutput(this.spec.name, tool, result)
  }

  /** Resolves with the client once active; rejects ACTION_UNAVAILABLE when it cannot be in time. */
  private ready(signal: AbortSignal, waitMs: number): Promise<Client> {
    if (this.status === 'active' && this.client !== undefined) return Promise.resolve(this.client)
    if (this.stopped) return Promise.reject(unavailable(this.spec.name, 'is not running'))
    const deadline = this.clock.now() + waitMs
    if (this.nextAttemptAt !== undefined && this.nextAttemptAt > deadline) {
      return Promise.reject(this.notInTime(waitMs))
    }
    if (signal.aborted) return Promise.reject(signal.reason)
    return new Promise<Client>((resolve, reject) => {
      let timer: TimerHandle | undefined
      const onAbort = (): void => done(() => reject(signal.reason))
      const done = (fn: () => void): void => {
        this.waiters.delete(waiter)
        timer?.cancel()
        signal.removeEventListener('abort', onAbort)
        fn()
      }
      const waiter: Waiter = {
        deadline,
        resolve: (client) => done(() => resolve(client)),
        reject: (err) => done(() => reject(err)),
      }
      this.waiters.add(waiter)
      timer = this.clock.setTimer(waitMs, () => waiter.reject(this.notInTime(waitMs)))
      signal.addEventListener('abort', onAbort, { once: true })
    })
  }

  private notInTime(waitMs: number): AppError {
    const why = this.lastError === null ? '' : ` (last error: ${this.lastError})`
    const next =
      this.nextAttemptAt === undefined
        ? ''
        : `; next start attempt in ${formatMs(Math.max(0, this.nextAttemptAt - this.clock.now()))}`
    return unavailable(
      this.spec.name,
      `is ${this.status} and was not back within ${formatMs(waitMs)}${next}${why}`,
    )
  }

  private failWaiters(make: () => AppError): void {
    for (const w of [...this.waiters]) w.reject(make())
  }

  // -------------------------------------------------------------------------------------------

  /** Starts an attempt in the background; it reports through status and events. */
  private launch(): void {
    this.attempt().catch((err: unknown) => {
      this.logger.error('plugin start failed unexpectedly', {
        plugin: this.spec.name,
        error: String(err),
      })
    })
  }

  private async attempt(): Promise<void> {
    const gen = ++this.generation
    const { spec, options } = this
    this.nextAttemptAt = undefined
    this.setStatus(this.everActive ? 'restarting' : 'starting', this.lastError)
    const { env, dropped } = childEnvironment(spec, options.parentEnv)
    if (dropped.length > 0) {
      this.logger.warn('plugin env variables dropped: never passed to a plugin', {
        plugin: spec.name,
        dropped,
      })
    }
    let transport: ChildTransport
    try {
      transport = new ChildTransport({
        command: spec.command,
        args: spec.args,
        env,
        stderr: 'pipe',
        ...(spec.cwd === undefined ? {} : { cwd: spec.cwd }),
      })
    } catch (err) {
      this.failedStart(gen, undefined, err)
      return
    }
    transport.stderr?.on('data', (chunk: Buffer | string) => this.onStderr(chunk))
    const client = new Client(
      { name: 'opcode', version: options.clientVersion },
      {
        capabilities: {},
        listChanged: {
          tools: { autoRefresh: false, debounceMs: 100, onChanged: () => this.onToolsChanged(gen) },
        },
      },
    )
    client.onclose = () => this.onClosed(gen)
    client.onerror = (err) => {
      this.logger.debug('plugin transport error', { plugin: spec.name, error: String(err) })
    }
    this.client = client
    this.transport = transport
    try {
      await client.connect(transport, { timeout: options.startTimeoutMs })
      if (gen !== this.generation) return
      this.pid = transport.spawnedPid
      const tools = await this.listTools(client)
      if (gen !== this.generation) return
      this.everActive = true
      this.activeSince = this.clock.now()
      this.lastError = null
      this.tools = tools
      this.events.tools(tools)
      this.setStatus('active', null)
      this.logger.info('plugin started', { plugin: spec.name, pid: this.pid, tools: tools.length })
      for (const w of [...this.waiters]) w.resolve(client)
    } catch (err) {
      this.failedStart(gen, transport, err)
    }
  }

  private failedStart(gen: number, transport: ChildTransport | undefined, err: unknown): void {
    if (gen !== this.generation) return
    const raw = err instanceof Error ? err.message : String(err)
    const code = (err as { code?: unknown })?.code
    let why = raw.replace(/^MCP error -?\d+:\s*/, '')
    if (code === -32001)
      why = `did not answer initialize within ${formatMs(this.options.startTimeoutMs)}`
    else if (code === 'ENOENT') why = `command not found: ${this.spec.command}`
    const tail = this.stderrSummary()
    const message = `${why}${tail === '' ? '' : ` (stderr: ${tail})`}`
    // A child that did not start properly gets no grace: SIGKILL, then reap it.
    // The SDK forgets the child as soon as it starts closing: the pid was kept at spawn.
    const pid = transport?.spawnedPid
    if (pid !== undefined) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
    void dispose(this.client, transport) // releases the pipes; the child is already killed
    this.client = undefined
    this.transport = undefined
    this.pid = undefined
    this.failures++
    this.lastError = message
    this.logger.error('plugin could not start', {
      plugin: this.spec.name,
      error: message,
      attempt: this.failures,
    })
    this.scheduleRetry('error', message)
  }

  private onClosed(gen: number): void {
    if (gen !== this.generation || this.stopped || this.status !== 'active') return
    const now = this.clock.now()
    if (this.activeSince !== undefined && now - this.activeSince >= this.options.healthyResetMs) {
      this.failures = 0
    }
    this.failures++
    this.restarts++
    const tail = this.stderrSummary()
    const message = `the plugin process exited${tail === '' ? '' : ` (stderr: ${tail})`}`
    this.lastError = message
    this.client = undefined
    this.transport = undefined
    this.pid = undefined
    this.activeSince = undefined
    this.logger.warn('plugin exited; restarting', { plugin: this.spec.name, error: message })
    this.scheduleRetry('restarting', message)
  }

  private scheduleRetry(status: PluginStatus, message: string): void {
    const delay = restartDelay(
      this.failures,
      this.options.backoffInitialMs,
      this.options.backoffMaxMs,
    )
    const at = this.clock.now() + delay
    this.nextAttemptAt = at
    this.setStatus(status, message)
    // Calls that cannot be served before their deadline fail now rather than at it.
    for (const w of [...this.waiters]) {
      if (w.deadline < at) w.reject(this.notInTime(Math.max(0, w.deadline - this.clock.now())))
    }
    this.timer?.cancel()
    this.timer = this.clock.setTimer(delay, () => {
      this.timer = undefined
      if (!this.stopped) this.launch()
    })
  }

  private async listTools(client: Client): Promise<StoredTool[]> {
    const out: StoredTool[] = []
    let cursor: string | undefined
    for (let page = 0; page < 100 && out.length < MAX_TOOLS; page++) {
      const r = await client.listTools(cursor === undefined ? undefined : { cursor }, {
        timeout: this.options.startTimeoutMs,
      })
      for (const t of r.tools) {
        if (out.length >= MAX_TOOLS) break
        const tool: StoredTool = {
          name: t.name,
          inputSchema: (t.inputSchema as Record<string, unknown> | undefined) ?? { type: 'object' },
        }
        if (t.description !== undefined) tool.description = t.description
        out.push(tool)
      }
      cursor = r.nextCursor
      if (cursor === undefined) break
    }
    return out
  }

  private onToolsChanged(gen: number): void {
    const client = this.client
    if (gen !== this.generation || this.status !== 'active' || client === undefined) return
    this.listTools(client).then(
      (tools) => {
        if (gen !== this.generation) return
        this.tools = tools
        this.events.tools(tools)
        this.logger.info('plugin tools changed', { plugin: this.spec.name, tools: tools.length })
      },
      (err: unknown) => {
        this.logger.warn('plugin tools could not be listed again', {
          plugin: this.spec.name,
          error: String(err),
        })
      },
    )
  }

  private setStatus(status: PluginStatus, error: string | null): void {
    this.status = status
    this.events.status(status, error)
  }

  // -------------------------------------------------------------------------------------------
  // stderr: logged line by line (rate-limited), the last lines kept for error messages

  private onStderr(chunk: Buffer | string): void {
    const text = this.stderrPartial + (typeof chunk === 'string' ? chunk : chunk.toString('utf8'))
    const lines = text.split('\n')
    this.stderrPartial = (lines.pop() ?? '').slice(0, STDERR_LINE)
    for (const raw of lines) {
      const line = raw.replace(/\r$/, '').slice(0, STDERR_LINE)
      if (line.trim() === '') continue
      this.stderrTail.push(line)
      if (this.stderrTail.length > STDERR_TAIL) this.stderrTail.shift()
      this.logStderr(line)
    }
  }

  private logStderr(line: string): void {
    const now = this.clock.now()
    const w = this.stderrWindow
    if (now - w.start >= 60_000) {
      if (w.dropped > 0) {
        this.logger.warn('plugin stderr lines dropped (rate limit)', {
          plugin: this.spec.name,
          dropped: w.dropped,
        })
      }
      this.stderrWindow = { start: now, count: 0, dropped: 0 }
    }
    if (this.stderrWindow.count >= STDERR_RATE) {
      this.stderrWindow.dropped++
      return
    }
    this.stderrWindow.count++
    this.logger.info('plugin stderr', { plugin: this.spec.name, line })
  }

  /** The last stderr lines, for error messages. */
  stderrSummary(lines = 3): string {
    return this.stderrTail.slice(-lines).join(' | ')
  }
}

/** The SDK's stdio transport, remembering the child's pid (the SDK drops it when closing). */
class ChildTransport extends StdioClientTransport {
  spawnedPid: number | undefined

  override async start(): Promise<void> {
    await super.start()
    this.spawnedPid = this.pid ?? undefined
  }
}

function unavailable(plugin: string, what: string): AppError {
  return new AppError('ACTION_UNAVAILABLE', `plugin "${plugin}" ${what}`, {
    details: { plugin },
  })
}

/** Closes a client and its transport; the SDK ends the child (stdin, SIGTERM, SIGKILL). */
async function dispose(
  client: Client | undefined,
  transport: StdioClientTransport | undefined,
): Promise<void> {
  try {
    if (client !== undefined) await client.close()
    else if (transport !== undefined) await transport.close()
  } catch {
    // closing a transport that already failed: nothing left to release
  }
}
