/**
 * Calling an operation the same way from every transport: parse the input, run the handler inside a
 * log scope (tool, agent, workflow, session), write the audit row of a successful mutation, and turn
 * anything thrown into an AppError (INTERNAL_ERROR when it was not one: never a client-fault code).
 */
import { AppError, toAppError } from '../errors.ts'
import { withLogScope } from '../log/index.ts'
import { writeAudit } from '../store/records.ts'
import type { CallContext, Op, OpServices } from './op.ts'

export async function invokeOp(
  svc: OpServices,
  op: Op,
  raw: unknown,
  call: CallContext,
): Promise<unknown> {
  const input = op.parse(raw) as Record<string, unknown>
  const scope: Record<string, string> = { tool: op.name }
  if (typeof input.agent_id === 'string') scope.agent_id = input.agent_id
  if (typeof input.workflow_id === 'string') scope.workflow_id = input.workflow_id
  if (call.sessionId !== undefined) scope.session_id = call.sessionId
  return withLogScope(scope, async () => {
    let result: unknown
    try {
      result = await op.handle(svc, input as never, call)
    } catch (err) {
      const e = toAppError(err, 'INTERNAL_ERROR')
      if (!(err instanceof AppError))
        svc.logger.error('operation failed unexpectedly', { error: String(err), op: op.name })
      throw e
    }
    if (op.audit !== undefined) {
      try {
        const entry = op.audit(input as never, result)
        if (entry !== undefined)
          writeAudit(
            svc.store,
            { ...entry, details: { via: call.transport, ...asObject(entry.details) } },
            svc.now(),
          )
      } catch (err) {
        svc.logger.warn('could not write audit row', { error: String(err), op: op.name })
      }
    }
    return result
  })
}

function asObject(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : {}
}
