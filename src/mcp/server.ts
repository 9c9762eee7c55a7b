/**
 * One MCP `Server` (the SDK's low-level API) per session, over any transport: the six tools from
 * src/ops, results as JSON text plus `structuredContent`, domain errors as `isError` results,
 * progress notifications for clients that send a progress token, a per-session bound on the rate of
 * tool calls, and the session's sink for `workflow.notify` (a logging notification, D20).
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js'
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'
import {
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode as JsonRpcError,
  ListToolsRequestSchema,
  McpError,
} from '@modelcontextprotocol/sdk/types.js'
import { AppError } from '../errors.ts'
import { withLogScope } from '../log/index.ts'
import { type DiagramResult, invokeOp, type Op, type OpServices } from '../ops/index.ts'
import { toolError } from './errors.ts'
import { RateLimiter } from './rate-limit.ts'
import { toolList } from './tools.ts'

/** serverInfo.version is the constant of the reference (server.md §2), not the build version. */
export const SERVER_INFO = { name: 'opcode', version: '1.0.0' } as const

export const INSTRUCTIONS =
  'opcode runs durable JSON workflows: opcode.define saves a workflow template, opcode.run runs it (waiting for the result), opcode.status shows a run, opcode.signal answers decisions and sends data/cancel/retry/skip, opcode.query lists workflows, events, templates, decisions and agents, opcode.diagram draws a template or a run.'

export interface McpOptions {
  /** Sustained tool calls per second per session. */
  ratePerSecond: number
  /** Burst of tool calls per session. */
  rateBurst: number
}

export interface McpSession {
  server: Server
  /** Connects the server to a transport (after its session id is known for SSE). */
  connect(transport: Transport): Promise<void>
  /** Registers the session for notifications once its id is known. */
  attach(sessionId: string): void
  close(): Promise<void>
}

export function createMcpSession(svc: OpServices, ops: Op[], options: McpOptions): McpSession {
  const byName = new Map(ops.map((op) => [op.name, op]))
  const tools = toolList(ops)
  const limiter = new RateLimiter(options.ratePerSecond, options.rateBurst)
  const server = new Server(SERVER_INFO, {
    capabilities: { tools: {}, logging: {} },
    instructions: INSTRUCTIONS,
  })
  let sessionId: string | undefined

  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools }))
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const name = request.params.name
    const op = byName.get(name)
    if (op === undefined) {
      throw new McpError(JsonRpcError.InvalidParams, `tool '${name}' not found: tool not found`)
    }
    if (!limiter.take(svc.now())) {
      return toolError(
        new AppError(
          'RATE_LIMITED',
          `too many tool calls in this session (more than ${options.ratePerSecond}/s); slow down and retry`,
        ),
      )
    }
    const token = request.params._meta?.progressToken
    // Progress must reach the client before the result (it drops progress after the response).
    const sent: Array<Promise<void>> = []
    const progress =
      token === undefined
        ? undefined
        : (p: { progress: number; total?: number; message?: string }) => {
            sent.push(
              extra
                .sendNotification({
                  method: 'notifications/progress',
                  params: { progressToken: token, ...p },
                })
                .catch(() => {}), // the client went away: progress is best effort
            )
          }
    const sid = sessionId ?? extra.sessionId
    return withLogScope(
      { request_id: String(extra.requestId), ...(sid === undefined ? {} : { session_id: sid }) },
      async (): Promise<CallToolResult> => {
        try {
          const result = await invokeOp(svc, op, request.params.arguments ?? {}, {
            transport: 'mcp',
            ...(sid === undefined ? {} : { sessionId: sid }),
            ...(progress === undefined ? {} : { progress }),
            signal: extra.signal,
          })
          await Promise.all(sent)
          // The SDK client handles notifications a microtask late but responses at once: a result in
          // the same network chunk as the last progress frames would make it drop them.
          if (sent.length > 0) await Bun.sleep(5)
          return toolResult(op, result)
        } catch (err) {
          await Promise.all(sent)
          return toolError(err)
        }
      },
    )
  })

  return {
    server,
    connect: (transport) => server.connect(transport),
    attach(id) {
      sessionId = id
      svc.sessions.attach({
        id,
        notify: async (message) => {
          try {
            await server.sendLoggingMessage({ level: 'info', logger: 'opcode', data: message }, id)
            return true
          } catch {
            return false
          }
        },
      })
    },
    async close() {
      if (sessionId !== undefined) svc.sessions.detach(sessionId)
      await server.close()
    },
  }
}

function toolResult(op: Op, result: unknown): CallToolResult {
  if (op.name === 'opcode.diagram') {
    const d = result as DiagramResult
    if (d.mime_type !== undefined) {
      return {
        content: [{ type: 'image', data: d.diagram, mimeType: d.mime_type }],
        structuredContent: {
          format: d.format,
          mime_type: d.mime_type,
          size_bytes: Math.floor((d.diagram.length * 3) / 4),
        },
      }
    }
  }
  return {
    content: [{ type: 'text', text: JSON.stringify(result) }],
    structuredContent: result as Record<string, unknown>,
  }
}
