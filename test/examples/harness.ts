/**
 * Runs the examples the way an agent does: a real opcode server on loopback (port 0, temporary
 * database) and the MCP SDK's `Client` over Streamable HTTP calling `opcode.define`, `opcode.run`,
 * `opcode.signal` and `opcode.status`. This is the only file that knows how examples reach opcode.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js'
import { resolveConfig } from '../../src/config/index.ts'
import type { Logger } from '../../src/engine/ports.ts'
import { sqliteVaultStorage } from '../../src/platform.ts'
import { type RunningServer, startServer } from '../../src/server.ts'
import { openStore } from '../../src/store/sqlite.ts'
import { openVault } from '../../src/vault/index.ts'

export const EXAMPLES_DIR = join(import.meta.dir, '..', '..', 'examples')

/** The agent id the examples run as. */
export const AGENT = 'examples-agent'

export interface LogLine {
  level: string
  msg: string
  attrs?: Record<string, unknown>
}

export interface ToolError {
  code: string
  message: string
  details?: unknown
}

/** A result of a tool call: the structured content, or the error the tool returned. */
export type ToolResult = Record<string, unknown> & { isError?: true; error?: ToolError }

export interface Notification {
  message: string
  workflow_id: string
  step_id: string
  data?: unknown
}

export interface ExampleHost {
  /** Base URL of the server (`http://127.0.0.1:<port>`). */
  url: string
  /** Lines the server logged (`workflow.log` lands here). */
  logs: LogLine[]
  /** `workflow.notify` messages received by this client. */
  notifications: Notification[]
  /**
   * Defines the example's templates: templates/*.json first (named after the file, without a
   * numeric order prefix), then workflow.json as `<name>` with triggers.json as its triggers.
   */
  defineExample(name: string): Promise<void>
  call(tool: string, args: Record<string, unknown>): Promise<ToolResult>
  run(name: string, params?: Record<string, unknown>): Promise<RunResult>
  signal(args: {
    workflow_id: string
    signal_type: string
    step_id?: string
    payload?: Record<string, unknown>
    agent_id?: string
    reasoning?: string
  }): Promise<ToolResult>
  status(workflowId: string): Promise<StatusResult>
  /**
   * Subscribes to the server's live event stream (`/api/v1/events/stream`) for these event types;
   * `events` fills as they arrive (`workflow.emit` events included).
   */
  subscribe(eventTypes: string[]): Promise<{ events: Array<Record<string, any>>; close(): void }>
  /** Polls opcode.status until `done(status)` holds (default: a terminal status) or 10 s pass. */
  waitFor(workflowId: string, done?: (s: StatusResult) => boolean): Promise<StatusResult>
  close(): Promise<void>
}

export interface StepResult {
  step_id: string
  status: string
  output?: any
  error?: { code: string; message: string }
}

export interface PendingDecision {
  id: string
  step_id: string
  context: Record<string, unknown>
  options: Array<{ id: string; description?: string }>
  target_agent_id?: string
  fallback?: string
}

export interface RunResult {
  workflow_id: string
  status: string
  output?: Record<string, unknown>
  error?: { code: string; message: string }
  steps: Record<string, StepResult>
  pending_decisions?: PendingDecision[]
  wake_at?: string
}

export interface StatusResult {
  workflow_id: string
  status: string
  output?: Record<string, unknown>
  error?: { code: string; message: string }
  steps: Record<string, StepResult & { retry_count: number }>
  pending_decisions: PendingDecision[]
  children: Array<{ workflow_id: string; status: string; pending_decisions: PendingDecision[] }>
  context?: Record<string, unknown>
  events: Array<{ event_type: string; step_id?: string; payload?: unknown }>
}

const TERMINAL = new Set(['completed', 'failed', 'cancelled'])

/** The vault passphrase of the example servers. */
const VAULT_KEY = 'examples vault passphrase'

/**
 * Starts a server on 127.0.0.1:0 with a fresh database and connects an MCP client to `/mcp`.
 * `secrets` are sealed into the database's vault first, as `opcode secret set` does; the server
 * opens the vault with its key, resolves `${{secrets.NAME}}` and redacts the values.
 */
export async function startExampleHost(
  options: { secrets?: Record<string, string> } = {},
): Promise<ExampleHost> {
  const dir = mkdtempSync(join(tmpdir(), 'opcode-examples-'))
  const dbPath = join(dir, 'opcode.db')
  if (options.secrets !== undefined) {
    const store = openStore(dbPath)
    try {
      // Few KDF iterations: the test needs no protection, only the real code path.
      const vault = openVault(sqliteVaultStorage(store), VAULT_KEY, { iterations: 1000 })
      for (const [name, value] of Object.entries(options.secrets)) vault.set(name, value)
      vault.close()
    } finally {
      store.close()
    }
  }
  const logs: LogLine[] = []
  const push =
    (level: string) =>
    (msg: string, attrs?: Record<string, unknown>): void => {
      logs.push(attrs === undefined ? { level, msg } : { level, msg, attrs })
    }
  const logger: Logger = {
    debug: push('debug'),
    info: push('info'),
    warn: push('warn'),
    error: push('error'),
  }
  const config = resolveConfig({
    env: {},
    flags: { listenAddr: '127.0.0.1:0', dbPath },
    settings: {},
    home: dir,
    dataDir: join(dir, '.opcode'),
    settingsPath: join(dir, '.opcode', 'settings.json'),
    cwd: dir,
  })
  let server: RunningServer
  try {
    server = await startServer({ config, logger, version: 'examples', vaultKey: VAULT_KEY })
  } catch (err) {
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
  const client = new Client({ name: 'opcode-examples', version: '1.0.0' })
  const notifications: Notification[] = []
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    const data = n.params.data as Notification | undefined
    if (data !== undefined && typeof data === 'object') notifications.push(data)
  })
  await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`)))

  const call = async (tool: string, args: Record<string, unknown>): Promise<ToolResult> => {
    const r = await client.callTool({ name: tool, arguments: args }, undefined, {
      timeout: 30_000,
    })
    const sc = (r.structuredContent ?? {}) as Record<string, unknown>
    if (r.isError === true) return { isError: true, error: sc as unknown as ToolError }
    return sc
  }
  const ok = async <T>(tool: string, args: Record<string, unknown>): Promise<T> => {
    const r = await call(tool, args)
    if (r.isError === true) {
      throw new Error(`${tool} failed: [${r.error?.code}] ${r.error?.message}`)
    }
    return r as unknown as T
  }
  const define = async (name: string, file: string, triggers?: unknown): Promise<void> => {
    const definition = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
    const r = await call('opcode.define', {
      name,
      agent_id: AGENT,
      definition,
      ...(triggers === undefined ? {} : { triggers }),
    })
    if (r.isError === true) {
      throw new Error(`opcode.define ${name}: [${r.error?.code}] ${r.error?.message}`)
    }
  }
  const status = (workflowId: string): Promise<StatusResult> =>
    ok<StatusResult>('opcode.status', { workflow_id: workflowId })

  return {
    url: server.url,
    logs,
    notifications,
    async defineExample(name) {
      const templates = join(EXAMPLES_DIR, name, 'templates')
      let files: string[] = []
      try {
        files = readdirSync(templates).filter((f) => f.endsWith('.json'))
      } catch {
        files = []
      }
      // Children before parents: a file may name its order with a numeric prefix (1-fraud.json).
      for (const f of files.sort()) {
        await define(basename(f, '.json').replace(/^\d+-/, ''), join(templates, f))
      }
      const triggersFile = join(EXAMPLES_DIR, name, 'triggers.json')
      const triggers = existsSync(triggersFile)
        ? (JSON.parse(readFileSync(triggersFile, 'utf8')) as unknown)
        : undefined
      await define(name, join(EXAMPLES_DIR, name, 'workflow.json'), triggers)
    },
    call,
    run: (name, params) =>
      ok<RunResult>('opcode.run', {
        template_name: name,
        agent_id: AGENT,
        ...(params === undefined ? {} : { params }),
      }),
    signal: (args) => call('opcode.signal', { agent_id: AGENT, ...args }),
    status,
    async subscribe(eventTypes) {
      const abort = new AbortController()
      const res = await fetch(
        `${server.url}/api/v1/events/stream?event_types=${eventTypes.join(',')}`,
        { signal: abort.signal },
      )
      const events: Array<Record<string, any>> = []
      const reader = res.body?.getReader()
      if (reader === undefined) throw new Error('event stream has no body')
      const decoder = new TextDecoder()
      let buffer = ''
      const pump = async (): Promise<void> => {
        try {
          for (;;) {
            const { done, value } = await reader.read()
            if (done) return
            buffer += decoder.decode(value, { stream: true })
            let cut = buffer.indexOf('\n\n')
            while (cut !== -1) {
              const frame = buffer.slice(0, cut)
              buffer = buffer.slice(cut + 2)
              for (const line of frame.split('\n'))
                if (line.startsWith('data:')) events.push(JSON.parse(line.slice(5)))
              cut = buffer.indexOf('\n\n')
            }
          }
        } catch {
          // aborted by close()
        }
      }
      void pump() // runs until close(); events are read from the array
      return { events, close: () => abort.abort() }
    },
    async waitFor(workflowId, done = (s) => TERMINAL.has(s.status)) {
      const deadline = Date.now() + 10_000
      for (;;) {
        const s = await status(workflowId)
        if (done(s)) return s
        if (Date.now() > deadline) {
          throw new Error(`workflow ${workflowId} still ${s.status} after 10 s`)
        }
        await Bun.sleep(20)
      }
    },
    async close() {
      try {
        await client.close()
      } finally {
        try {
          await server.stop(2000)
        } finally {
          rmSync(dir, { recursive: true, force: true })
        }
      }
    },
  }
}
