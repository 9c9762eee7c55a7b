/**
 * Hosts MCP sessions over both HTTP transports: Streamable HTTP at `/mcp` (the SDK's
 * WebStandardStreamableHTTPServerTransport, one per session, fed the body the HTTP layer already
 * parsed) and the legacy SSE pair `/sse` + `/message`. Bounds the number of sessions (the least
 * recently used Streamable session is closed to make room) and closes sessions idle for too long.
 */
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'
import {
  isInitializeRequest,
  type JSONRPCMessage,
  JSONRPCMessageSchema,
} from '@modelcontextprotocol/sdk/types.js'
import type { Op, OpServices } from '../ops/index.ts'
import { createMcpSession, type McpSession } from './server.ts'
import { SseServerTransport } from './sse-transport.ts'

export interface McpHostOptions {
  ratePerSecond: number
  rateBurst: number
  /** Keep-alive comment interval on SSE streams, ms. */
  keepAliveMs: number
  /** Most sessions at once (default 1000). */
  maxSessions?: number
  /** A Streamable session unused this long is closed, ms (default 6 h). */
  idleMs?: number
  /** URL prefix announced in the SSE `endpoint` frame (`<base_url>/message`). */
  messageEndpoint: string
}

interface StreamableEntry {
  transport: WebStandardStreamableHTTPServerTransport
  session: McpSession
  lastSeen: number
}

interface SseEntry {
  transport: SseServerTransport
  session: McpSession
}

export class McpHost {
  private readonly streamable = new Map<string, StreamableEntry>()
  private readonly sse = new Map<string, SseEntry>()
  private readonly sweeper: ReturnType<typeof setInterval>
  private closing = false

  constructor(
    private readonly svc: OpServices,
    private readonly ops: Op[],
    private readonly options: McpHostOptions,
  ) {
    const idle = options.idleMs ?? 6 * 3600_000
    this.sweeper = setInterval(() => this.sweep(idle), Math.min(idle, 60_000))
    this.sweeper.unref?.()
  }

  get sessionCount(): number {
    return this.streamable.size + this.sse.size
  }

  // -------------------------------------------------------------------------------------------
  // Streamable HTTP

  async handleStreamable(request: Request, parsedBody: unknown): Promise<Response> {
    if (this.closing) return rpcError(503, -32000, 'server is shutting down')
    const sid = request.headers.get('mcp-session-id')
    if (sid !== null && sid !== '') {
      const entry = this.streamable.get(sid)
      if (entry === undefined) return rpcError(404, -32001, 'Session not found')
      entry.lastSeen = Date.now()
      return entry.transport.handleRequest(
        request,
        parsedBody === undefined ? undefined : { parsedBody },
      )
    }
    if (request.method !== 'POST' || !isInitializeRequest(parsedBody)) {
      return rpcError(
        400,
        -32000,
        'Bad Request: no valid mcp-session-id header; start with an initialize request',
      )
    }
    this.makeRoom()
    const session = this.newSession()
    const entry: StreamableEntry = {
      session,
      lastSeen: Date.now(),
      transport: new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: () => crypto.randomUUID(),
        keepAliveMs: this.options.keepAliveMs,
        onsessioninitialized: (id) => {
          this.streamable.set(id, entry)
          session.attach(id)
        },
      }),
    }
    entry.transport.onclose = () => {
      const id = entry.transport.sessionId
      if (id !== undefined) this.streamable.delete(id)
      void session.close().catch(() => {}) // already closing
    }
    await session.connect(entry.transport)
    return entry.transport.handleRequest(request, { parsedBody })
  }

  // -------------------------------------------------------------------------------------------
  // Legacy SSE

  /** `GET /sse`: a new session and its event stream. */
  async openSse(): Promise<Response> {
    if (this.closing) return new Response('server is shutting down', { status: 503 })
    this.makeRoom()
    const transport = new SseServerTransport({
      endpoint: this.options.messageEndpoint,
      keepAliveMs: this.options.keepAliveMs,
    })
    const session = this.newSession()
    const entry: SseEntry = { transport, session }
    this.sse.set(transport.sessionId, entry)
    session.attach(transport.sessionId)
    transport.onclose = () => {
      this.sse.delete(transport.sessionId)
      void session.close().catch(() => {}) // already closing
    }
    await session.connect(transport)
    return new Response(transport.stream, {
      headers: {
        'Content-Type': 'text/event-stream',
        'Cache-Control': 'no-cache, no-transform',
        Connection: 'keep-alive',
        'X-Accel-Buffering': 'no',
      },
    })
  }

  /** `POST /message?sessionId=…`: one JSON-RPC message for an SSE session (spec server.md §2.4). */
  postSseMessage(sessionId: string | null, body: unknown, parseFailed: boolean): Response {
    if (sessionId === null || sessionId === '') return rpcError(400, -32602, 'Missing sessionId')
    const entry = this.sse.get(sessionId)
    if (entry === undefined || entry.transport.isClosed)
      return rpcError(400, -32602, 'Invalid session ID')
    if (parseFailed) return rpcError(400, -32700, 'Parse error')
    const parsed = JSONRPCMessageSchema.safeParse(body)
    if (!parsed.success) return rpcError(400, -32600, 'Invalid Request: not a JSON-RPC 2.0 message')
    entry.transport.receive(parsed.data as JSONRPCMessage)
    return new Response(null, { status: 202 })
  }

  // -------------------------------------------------------------------------------------------

  private newSession(): McpSession {
    return createMcpSession(this.svc, this.ops, {
      ratePerSecond: this.options.ratePerSecond,
      rateBurst: this.options.rateBurst,
    })
  }

  private makeRoom(): void {
    const max = this.options.maxSessions ?? 1000
    while (this.sessionCount >= max && this.streamable.size > 0) {
      let oldest: [string, StreamableEntry] | undefined
      for (const e of this.streamable)
        if (oldest === undefined || e[1].lastSeen < oldest[1].lastSeen) oldest = e
      if (oldest === undefined) break
      this.streamable.delete(oldest[0])
      void oldest[1].transport.close().catch(() => {}) // evicted: nothing to report
    }
  }

  private sweep(idleMs: number): void {
    const cutoff = Date.now() - idleMs
    for (const [id, e] of this.streamable) {
      if (e.lastSeen < cutoff) {
        this.streamable.delete(id)
        void e.transport.close().catch(() => {}) // idle session: nothing to report
      }
    }
  }

  /** Closes every session (shutdown). */
  async close(): Promise<void> {
    this.closing = true
    clearInterval(this.sweeper)
    const all = [
      ...[...this.streamable.values()].map((e) => e.transport.close()),
      ...[...this.sse.values()].map((e) => e.transport.close()),
    ]
    this.streamable.clear()
    this.sse.clear()
    await Promise.allSettled(all)
  }
}

function rpcError(status: number, code: number, message: string): Response {
  return new Response(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }), {
    status,
    headers: { 'Content-Type': 'application/json' },
  })
}
