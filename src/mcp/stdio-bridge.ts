/**
 * `opcode stdio` (decisions.md D1/D21): relays MCP between standard input/output (for stdio-only
 * clients) and the running server's Streamable HTTP endpoint, message by message, with the bearer
 * token. Ends when either side closes.
 */
import type { Readable, Writable } from 'node:stream'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js'

export interface BridgeOptions {
  /** Server base URL, e.g. http://127.0.0.1:4100. */
  baseUrl: string
  token?: string
  stdin: Readable
  stdout: Writable
  /** Problems worth telling the user (stderr). */
  onError?: (message: string) => void
}

export async function bridgeStdio(options: BridgeOptions): Promise<void> {
  const headers: Record<string, string> = {}
  if (options.token !== undefined) headers.Authorization = `Bearer ${options.token}`
  const remote = new StreamableHTTPClientTransport(new URL(`${options.baseUrl}/mcp`), {
    requestInit: { headers },
  })
  const local = new StdioServerTransport(options.stdin, options.stdout)
  const initIds = new Set<string | number>()
  let done: () => void = () => {}
  const finished = new Promise<void>((resolve) => {
    done = resolve
  })
  let closing = false
  const closeBoth = (): void => {
    if (closing) return
    closing = true
    void Promise.allSettled([remote.close(), local.close()]).then(() => done())
  }
  local.onmessage = (message: JSONRPCMessage) => {
    if ('method' in message && message.method === 'initialize' && 'id' in message)
      initIds.add(message.id)
    remote.send(message).catch((err: unknown) => {
      options.onError?.(`opcode stdio: ${(err as Error).message}`)
      if ('id' in message && 'method' in message) {
        void local
          .send({
            jsonrpc: '2.0',
            id: message.id,
            error: {
              code: -32603,
              message: `opcode server unreachable: ${(err as Error).message}`,
            },
          })
          .catch(() => {}) // stdout closed: nothing more to tell
      }
    })
  }
  remote.onmessage = (message: JSONRPCMessage) => {
    if ('id' in message && 'result' in message && initIds.has(message.id)) {
      initIds.delete(message.id)
      const version = (message.result as { protocolVersion?: unknown }).protocolVersion
      if (typeof version === 'string') remote.setProtocolVersion(version)
    }
    void local.send(message).catch(() => closeBoth()) // stdout closed
  }
  remote.onerror = (err) => options.onError?.(`opcode stdio: ${err.message}`)
  local.onclose = closeBoth
  remote.onclose = closeBoth
  options.stdin.once('end', closeBoth)
  await remote.start()
  await local.start()
  await finished
}
