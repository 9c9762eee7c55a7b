/**
 * The legacy HTTP+SSE transport ("2024-11-05", spec server.md §2) on web streams: `GET /sse`
 * opens a stream whose first frame (event `endpoint`, CRLF-terminated) names the message URL with
 * the session id; each `POST` there carries one JSON-RPC message, answered 202, whose response
 * travels back on the stream as `event: message`. Keep-alive comments hold idle connections open;
 * a client that stops reading past `maxQueued` frames is disconnected rather than buffered forever.
 */
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js'

const encoder = new TextEncoder()

export interface SseTransportOptions {
  /** URL (absolute or path) announced in the `endpoint` frame, without the sessionId. */
  endpoint: string
  /** Milliseconds between keep-alive comments (0 = none). */
  keepAliveMs: number
  /** Frames that may wait unread before the session is dropped (default 1000). */
  maxQueued?: number
}

export class SseServerTransport implements Transport {
  readonly sessionId: string
  onclose?: () => void
  onerror?: (error: Error) => void
  onmessage?: (message: JSONRPCMessage) => void
  private controller: ReadableStreamDefaultController<Uint8Array> | undefined
  private keepAlive: ReturnType<typeof setInterval> | undefined
  private closed = false
  readonly stream: ReadableStream<Uint8Array>

  constructor(private readonly options: SseTransportOptions) {
    this.sessionId = crypto.randomUUID()
    const sep = options.endpoint.includes('?') ? '&' : '?'
    const first = `event: endpoint\r\ndata: ${options.endpoint}${sep}sessionId=${this.sessionId}\r\n\r\n`
    const max = options.maxQueued ?? 1000
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.controller = controller
          controller.enqueue(encoder.encode(first))
        },
        cancel: () => {
          void this.close() // the client disconnected
        },
      },
      new CountQueuingStrategy({ highWaterMark: max }),
    )
  }

  /** The SDK calls this on connect. Keep-alive starts with the stream. */
  async start(): Promise<void> {
    if (this.options.keepAliveMs > 0 && this.keepAlive === undefined) {
      this.keepAlive = setInterval(() => this.write(': keep-alive\n\n'), this.options.keepAliveMs)
      this.keepAlive.unref?.()
    }
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.closed) throw new Error('SSE session is closed')
    this.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`)
  }

  /** Delivers one POSTed message to the server side. */
  receive(message: JSONRPCMessage): void {
    this.onmessage?.(message)
  }

  get isClosed(): boolean {
    return this.closed
  }

  private write(frame: string): void {
    const c = this.controller
    if (c === undefined || this.closed) return
    const room = c.desiredSize
    if (room !== null && room <= 0) {
      this.onerror?.(new Error('SSE client is not reading; session dropped'))
      void this.close()
      return
    }
    try {
      c.enqueue(encoder.encode(frame))
    } catch {
      void this.close()
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.keepAlive !== undefined) clearInterval(this.keepAlive)
    try {
      this.controller?.close()
    } catch {
      // already closed or cancelled by the client
    }
    this.onclose?.()
  }
}
