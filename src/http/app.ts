/**
 * The HTTP surface on one Elysia app: `GET /healthz`, MCP Streamable HTTP at `/mcp`, the legacy MCP
 * SSE pair `/sse` + `/message`, and the JSON API under `/api/v1` generated from src/ops (plus the
 * SSE event stream). Every protected path goes through the request guard (Origin, Host, token) and
 * the body-size bound first. The panel mounts its routes through `mount`.
 */
import { Elysia } from 'elysia'
import type { Logger } from '../engine/ports.ts'
import { AppError, toAppError } from '../errors.ts'
import { withLogScope } from '../log/index.ts'
import type { McpHost } from '../mcp/index.ts'
import { invokeOp, type Op, type OpServices } from '../ops/index.ts'
import { errorResponse, jsonResponse } from './errors.ts'
import { openEventStream } from './events-stream.ts'
import type { RequestGuard } from './security.ts'

export const API_PREFIX = '/api/v1'

export interface HttpAppOptions {
  svc: OpServices
  ops: Op[]
  mcp: McpHost
  guard: RequestGuard
  logger: Logger
  version: string
  /** Largest accepted body, bytes. */
  maxBodyBytes: number
  /** Heartbeat interval of the event stream, ms. */
  heartbeatMs: number
  /** Most concurrent event-stream clients (default 200). */
  maxStreams?: number
  /** Adds more routes (the panel). Called after the API routes. */
  mount?: (app: Elysia) => void
}

const PROTECTED = ['/mcp', '/sse', '/message', '/api']

function isProtected(path: string): boolean {
  return PROTECTED.some((p) => path === p || path.startsWith(`${p}/`) || path.startsWith(`${p}?`))
}

export function createHttpApp(options: HttpAppOptions): Elysia {
  const { svc, mcp, guard, logger } = options
  let streams = 0
  const app = new Elysia({ aot: true })

  app.onRequest(({ request }) => {
    const url = new URL(request.url)
    if (!isProtected(url.pathname)) return undefined
    const length = Number(request.headers.get('content-length') ?? '0')
    if (length > options.maxBodyBytes) {
      return errorResponse(
        new AppError(
          'PAYLOAD_TOO_LARGE',
          `request body of ${length} bytes exceeds the limit of ${options.maxBodyBytes} bytes`,
        ),
      )
    }
    const refused = guard.check(request)
    if (refused !== undefined) {
      logger.warn('request refused', {
        path: url.pathname,
        code: refused.code,
        origin: request.headers.get('origin') ?? undefined,
      })
      return errorResponse(
        refused,
        refused.code === 'UNAUTHORIZED' ? { 'WWW-Authenticate': 'Bearer' } : undefined,
      )
    }
    return undefined
  })

  app.get('/healthz', () => jsonResponse({ status: 'ok', version: options.version }))

  // ---------------------------------------------------------------------------------------------
  // MCP: Streamable HTTP

  const tooLarge = (text: unknown): boolean =>
    typeof text === 'string' && text.length > options.maxBodyBytes
  const bodyTooLarge = (): Response =>
    errorResponse(
      new AppError(
        'PAYLOAD_TOO_LARGE',
        `request body exceeds the limit of ${options.maxBodyBytes} bytes`,
      ),
    )

  const mcpHandler = ({ request, body }: { request: Request; body: unknown }) => {
    let parsed: unknown
    if (request.method === 'POST') {
      if (tooLarge(body)) return bodyTooLarge()
      const text = typeof body === 'string' ? body : ''
      try {
        parsed = JSON.parse(text)
      } catch {
        return rpcError(400, -32700, 'Parse error: the body is not JSON')
      }
    }
    return mcp.handleStreamable(request, parsed)
  }
  app.post('/mcp', mcpHandler, { parse: 'text' })
  app.get('/mcp', mcpHandler)
  app.delete('/mcp', mcpHandler)

  // ---------------------------------------------------------------------------------------------
  // MCP: legacy SSE

  app.get('/sse', () => mcp.openSse())
  app.post(
    '/message',
    ({ request, body }) => {
      if (tooLarge(body)) return bodyTooLarge()
      const sessionId = new URL(request.url).searchParams.get('sessionId')
      let parsed: unknown
      let failed = false
      try {
        parsed = JSON.parse(typeof body === 'string' ? body : '')
      } catch {
        failed = true
      }
      return mcp.postSseMessage(sessionId, parsed, failed)
    },
    { parse: 'text' },
  )

  // ---------------------------------------------------------------------------------------------
  // JSON API

  app.get(`${API_PREFIX}/events/stream`, ({ request }) => {
    const max = options.maxStreams ?? 200
    if (streams >= max) {
      return errorResponse(
        new AppError('RATE_LIMITED', `too many event streams open (${max}); close one and retry`),
      )
    }
    const q = new URL(request.url).searchParams
    const types = q.get('event_types') ?? q.get('event_type')
    const workflowId = q.get('workflow_id')
    const last = request.headers.get('last-event-id') ?? q.get('last_event_id')
    const inner = openEventStream(svc.store, svc.hub, {
      ...(workflowId === null || workflowId === '' ? {} : { workflowId }),
      ...(types === null ? {} : { eventTypes: types.split(',').map((t) => t.trim()) }),
      includeCustom: q.get('include_custom') !== 'false',
      ...(last === null ? {} : { lastEventId: last }),
      heartbeatMs: options.heartbeatMs,
    })
    streams++
    let released = false
    const release = (): void => {
      if (!released) {
        released = true
        streams--
      }
    }
    // Count the stream until the client goes away or the hub closes it.
    const counted = inner.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({ flush: release }),
    )
    request.signal.addEventListener('abort', release, { once: true })
    return new Response(counted, {
      headers: {
        'Content-Type': 'text/event-stream',
        'Cache-Control': 'no-cache, no-transform',
        Connection: 'keep-alive',
        'X-Accel-Buffering': 'no',
      },
    })
  })

  for (const op of options.ops) {
    const path = `${API_PREFIX}${op.http.path}`
    const status = op.http.status ?? 200
    const handler = async ({
      request,
      body,
      params,
    }: {
      request: Request
      body: unknown
      params: Record<string, string>
    }) => {
      const requestId = request.headers.get('x-request-id') ?? crypto.randomUUID()
      return withLogScope({ request_id: requestId }, async () => {
        try {
          const input: Record<string, unknown> = {}
          const url = new URL(request.url)
          for (const [k, v] of url.searchParams) input[k] = v
          if (tooLarge(body)) return bodyTooLarge()
          if (typeof body === 'string' && body.trim() !== '') {
            let parsed: unknown
            try {
              parsed = JSON.parse(body)
            } catch (err) {
              throw new AppError(
                'VALIDATION_ERROR',
                `the request body is not valid JSON: ${(err as Error).message}`,
              )
            }
            if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
              throw new AppError('VALIDATION_ERROR', 'the request body must be a JSON object')
            Object.assign(input, parsed)
          }
          for (const [k, v] of Object.entries(params ?? {})) input[k] = decodeURIComponent(v)
          const result = await invokeOp(svc, op, input, {
            transport: 'http',
            signal: request.signal,
          })
          return jsonResponse(result, status, { 'X-Request-Id': requestId })
        } catch (err) {
          const e = toAppError(err, 'INTERNAL_ERROR')
          if (e.code === 'INTERNAL_ERROR') logger.error('api request failed', { error: e.message })
          return errorResponse(e, { 'X-Request-Id': requestId })
        }
      })
    }
    switch (op.http.method) {
      case 'GET':
        app.get(path, handler)
        break
      case 'POST':
        app.post(path, handler, { parse: 'text' })
        break
      case 'DELETE':
        app.delete(path, handler, { parse: 'text' })
        break
    }
  }

  options.mount?.(app as unknown as Elysia)

  app.onError(({ code, error, request }) => {
    const path = new URL(request.url).pathname
    if (code === 'NOT_FOUND') {
      return errorResponse(
        new AppError('NOT_FOUND', `no route ${request.method} ${path}`, {
          details: { method: request.method, path },
        }),
      )
    }
    if (code === 'PARSE') {
      if (path === '/mcp' || path === '/message') return rpcError(400, -32700, 'Parse error')
      return errorResponse(new AppError('VALIDATION_ERROR', 'the request body could not be read'))
    }
    const e = toAppError(error, 'INTERNAL_ERROR')
    if (e.code === 'INTERNAL_ERROR') logger.error('http handler failed', { path, error: e.message })
    return errorResponse(e)
  })

  return app as unknown as Elysia
}

function rpcError(status: number, code: number, message: string): Response {
  return jsonResponse({ jsonrpc: '2.0', error: { code, message }, id: null }, status)
}
