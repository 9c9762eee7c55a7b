/**
 * Domain errors as MCP tool results (decisions.md D2): `isError: true`, one text item
 * `[CODE] message` (the reference's form) and `structuredContent` `{code, message, details?,
 * step_id?, issues?}`. Protocol problems (unknown tool, malformed request) stay JSON-RPC errors.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { type AppError, toAppError } from '../errors.ts'

export function toolError(err: unknown): CallToolResult {
  const e: AppError = toAppError(err, 'INTERNAL_ERROR')
  return {
    isError: true,
    content: [{ type: 'text', text: e.toString() }],
    structuredContent: e.toJSON() as unknown as Record<string, unknown>,
  }
}
