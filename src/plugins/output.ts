/**
 * What a plugin tool call becomes in a workflow (docs/plugins.md), pure:
 *
 * - `structuredContent` present → that object is the step output;
 * - otherwise, text-only content → the text parsed as JSON when it is JSON (one item, or the items
 *   joined by newlines), else `{text}`;
 * - otherwise (images, audio, resources…) → `{text?, content}` with the raw content items.
 *
 * A result with `isError: true` fails the step with EXECUTION_ERROR carrying the tool's text.
 */
import { AppError, type ErrorCode } from '../errors.ts'

interface ContentItem {
  type?: unknown
  text?: unknown
  [key: string]: unknown
}

export interface ToolResult {
  content?: unknown
  structuredContent?: unknown
  isError?: unknown
  [key: string]: unknown
}

/** The step output of a successful tool result; throws EXECUTION_ERROR for `isError: true`. */
export function toolOutput(plugin: string, tool: string, result: ToolResult): unknown {
  const items = Array.isArray(result.content) ? (result.content as ContentItem[]) : []
  const texts = items.filter((c) => c?.type === 'text' && typeof c.text === 'string')
  const joined = texts.map((c) => c.text as string).join('\n')
  if (result.isError === true) {
    const message = joined.trim() === '' ? 'the tool reported an error without text' : joined
    throw new AppError('EXECUTION_ERROR', `${plugin}.${tool}: ${truncate(message, 4000)}`, {
      details: { plugin, tool, ...(texts.length === items.length ? {} : { content: items }) },
    })
  }
  const structured = result.structuredContent
  if (structured !== undefined && structured !== null) return structured
  if (items.length > 0 && texts.length === items.length) {
    const parsed = parseJsonText(joined)
    return parsed.ok ? parsed.value : { text: joined }
  }
  if (items.length === 0) return {}
  return texts.length === 0 ? { content: items } : { text: joined, content: items }
}

function parseJsonText(text: string): { ok: true; value: unknown } | { ok: false } {
  const t = text.trim()
  if (t === '') return { ok: false }
  try {
    return { ok: true, value: JSON.parse(t) }
  } catch {
    return { ok: false }
  }
}

/** JSON-RPC error codes of the MCP SDK (McpError.code). */
const CONNECTION_CLOSED = -32000
const REQUEST_TIMEOUT = -32001
const METHOD_NOT_FOUND = -32601
const INVALID_PARAMS = -32602

/**
 * Maps a failed `tools/call` (an McpError or a transport error) to an AppError. A child that died
 * mid-call is EXECUTION_ERROR (retryable: the plugin restarts, a retry can succeed).
 */
export function callError(
  plugin: string,
  tool: string,
  err: unknown,
  context: { timeoutMs: number; stderr?: string },
): AppError {
  if (err instanceof AppError) return err
  const code = (err as { code?: unknown })?.code
  const raw = err instanceof Error ? err.message : String(err)
  const message = raw.replace(/^MCP error -?\d+:\s*/, '')
  const tail =
    context.stderr === undefined || context.stderr === ''
      ? ''
      : ` (stderr: ${truncate(context.stderr, 500)})`
  let appCode: ErrorCode = 'EXECUTION_ERROR'
  let text = `${plugin}.${tool}: ${message}`
  if (code === CONNECTION_CLOSED) {
    text = `plugin "${plugin}" exited during the call to ${tool}${tail}`
  } else if (code === REQUEST_TIMEOUT) {
    appCode = 'TIMEOUT_ERROR'
    text = `plugin "${plugin}" did not answer ${tool} within ${formatMs(context.timeoutMs)}`
  } else if (code === INVALID_PARAMS) {
    appCode = 'VALIDATION_ERROR'
    text = `plugin "${plugin}" rejected the arguments of ${tool}: ${message}`
  } else if (code === METHOD_NOT_FOUND) {
    appCode = 'ACTION_UNAVAILABLE'
    text = `plugin "${plugin}" does not support tools/call: ${message}`
  } else if (err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError')) {
    appCode = err.name === 'AbortError' ? 'CANCELLED' : 'TIMEOUT_ERROR'
  }
  return new AppError(appCode, text, {
    details: { plugin, tool, ...(typeof code === 'number' ? { rpc_code: code } : {}) },
    cause: err,
  })
}

export function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max)}…`
}
