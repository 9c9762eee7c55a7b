/**
 * `opcode.status` (spec server.md §4.3; decisions.md D20, D21): the workflow's status, step states,
 * pending decisions, context, the latest 20 events plus `events_total` (all with `verbose`), and its
 * children with their pending decisions so an agent finds a sub-workflow's question.
 */
import { Type } from '@sinclair/typebox'
import { contextWire } from '../engine/engine.ts'
import { AppError } from '../errors.ts'
import { iso } from '../schema/time.ts'
import { countEvents, latestEvents, listDecisions, stepStates } from '../store/queries.ts'
import type { WorkflowDbRow } from '../store/sqlite.ts'
import { defineOp, type OpServices } from './op.ts'
import { WorkflowIdParam } from './params.ts'

/** Events shown without `verbose` (D20). */
export const STATUS_EVENTS = 20

export const statusOp = defineOp({
  name: 'opcode.status',
  description:
    'Current state of a workflow: status, each step (status, output, error, retry_count, duration), pending_decisions to answer with opcode.signal, context, children (sub-workflows and their pending decisions), and the latest 20 events with events_total. Set verbose=true for every event.',
  tool: true,
  readOnly: true,
  http: { method: 'GET', path: '/workflows/:workflow_id/status' },
  input: Type.Object({
    workflow_id: WorkflowIdParam,
    verbose: Type.Optional(
      Type.Boolean({ description: 'Return every event instead of the latest 20 (default false).' }),
    ),
  }),
  async handle(svc, input) {
    return workflowStatus(svc, input.workflow_id, input.verbose === true)
  },
})

interface ChildSummary {
  workflow_id: string
  status: string
  template_name?: string
  pending_decisions: unknown[]
}

/**
 * The status of a workflow. Nested step states and events leave out `workflow_id`: it is the
 * top-level one, and repeating a 36-character id on every item was a quarter of the payload.
 */
export async function workflowStatus(
  svc: Pick<OpServices, 'store'>,
  workflowId: string,
  verbose: boolean,
): Promise<Record<string, unknown>> {
  const db = svc.store.db
  const row = db
    .query(
      'SELECT id, status, output, error, wake_at, started_at, completed_at FROM workflows WHERE id = ?',
    )
    .get(workflowId) as Pick<
    WorkflowDbRow,
    'id' | 'status' | 'output' | 'error' | 'wake_at' | 'started_at' | 'completed_at'
  > | null
  if (row === null) {
    throw new AppError('NOT_FOUND', `workflow "${workflowId}" not found`, {
      details: { workflow_id: workflowId },
    })
  }
  const out: Record<string, unknown> = { workflow_id: row.id, status: row.status }
  if (row.output !== null) out.output = JSON.parse(row.output)
  if (row.error !== null) out.error = JSON.parse(row.error)
  if (row.started_at !== null) out.started_at = iso(row.started_at)
  if (row.completed_at !== null) out.completed_at = iso(row.completed_at)
  if (row.wake_at !== null && row.status === 'suspended') out.wake_at = iso(row.wake_at)
  out.steps = stepStates(svc.store, workflowId, { nested: true })
  out.pending_decisions = pendingOf(svc, workflowId)
  const ctx = await svc.store.getContext(workflowId)
  if (ctx !== undefined) out.context = contextWire(ctx)
  const children = db
    .query('SELECT id, status, template_name FROM workflows WHERE parent_workflow_id = ?')
    .all(workflowId) as Array<{ id: string; status: string; template_name: string | null }>
  out.children = children.map((c) => {
    const s: ChildSummary = {
      workflow_id: c.id,
      status: c.status,
      pending_decisions: c.status === 'suspended' ? pendingOf(svc, c.id) : [],
    }
    if (c.template_name !== null) s.template_name = c.template_name
    return s
  })
  const total = countEvents(svc.store, workflowId)
  out.events = latestEvents(svc.store, workflowId, verbose ? 0 : STATUS_EVENTS, true)
  out.events_total = total
  return out
}

function pendingOf(svc: Pick<OpServices, 'store'>, workflowId: string): unknown[] {
  return listDecisions(svc.store, { workflow_id: workflowId, status: 'pending', limit: 0 })
}
