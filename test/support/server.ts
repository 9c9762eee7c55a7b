/**
 * A real opcode server for tests: in-process on 127.0.0.1 port 0, a temp HOME and database, the
 * counting test actions, and helpers to connect the MCP SDK client over either transport.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { resolveConfig, type SettingsFile } from '../../src/config/index.ts'
import type { Action, Logger } from '../../src/engine/ports.ts'
import { type RunningServer, startServer } from '../../src/server.ts'
import { Effects, testActions } from './engine.ts'
import { tempDir } from './tmp.ts'

export const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} }

export interface TestServer {
  server: RunningServer
  url: string
  dir: string
  dbPath: string
  effects: Effects
  stop(): Promise<void>
}

export async function startTestServer(
  opts: {
    settings?: SettingsFile
    env?: Record<string, string>
    listenAddr?: string
    actions?: Action[]
    logger?: Logger
  } = {},
): Promise<TestServer> {
  const tmp = tempDir('opcode-srv-')
  const effects = new Effects()
  const dbPath = tmp.path('opcode.db')
  const config = resolveConfig({
    env: opts.env ?? {},
    flags: { listenAddr: opts.listenAddr ?? '127.0.0.1:0', dbPath },
    settings: opts.settings ?? {},
    home: tmp.dir,
    dataDir: tmp.path('.opcode'),
    settingsPath: tmp.path('.opcode/settings.json'),
    cwd: tmp.dir,
  })
  const server = await startServer({
    config,
    logger: opts.logger ?? quiet,
    version: 'test',
    actions: [...testActions(effects), ...(opts.actions ?? [])],
  })
  return {
    server,
    url: server.url,
    dir: tmp.dir,
    dbPath,
    effects,
    async stop() {
      try {
        await server.stop(2000)
      } finally {
        tmp.cleanup()
      }
    },
  }
}

export type TransportKind = 'streamable' | 'sse'

export async function connect(
  url: string,
  kind: TransportKind,
  headers: Record<string, string> = {},
): Promise<Client> {
  const client = new Client({ name: 'opcode-test', version: '1.0.0' })
  const transport =
    kind === 'sse'
      ? new SSEClientTransport(new URL(`${url}/sse`), {
          requestInit: { headers },
          eventSourceInit: {
            fetch: (u, init) =>
              fetch(u, {
                ...init,
                headers: { ...(init?.headers as Record<string, string>), ...headers },
              }),
          },
        })
      : new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers } })
  await client.connect(transport)
  return client
}

/** Calls a tool and returns its structured result (throws on a JSON-RPC error). */
export async function call(
  client: Client,
  name: string,
  args: Record<string, unknown>,
): Promise<{ result: CallToolResult; data: Record<string, unknown> }> {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult
  return { result, data: (result.structuredContent ?? {}) as Record<string, unknown> }
}

/** A linear chain of n `test.echo` steps. */
export function chain(n: number, action = 'test.echo'): Record<string, unknown> {
  return {
    steps: Array.from({ length: n }, (_, i) => ({
      id: `s${i}`,
      action,
      params: { i },
      ...(i === 0 ? {} : { depends_on: [`s${i - 1}`] }),
    })),
  }
}
