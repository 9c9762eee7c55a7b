/**
 * `opcode.status` (spec server.md §4.3; decisions.md D20, D21): the workflow's status, step states,
 * pending decisions, context, the latest 20 events plus `events_total` (all with `verbose`), and its
 * children with their pending decisions so an agent finds a sub-workflow's question.
 */
import { Type } from '@sinclair/typebox'
import { contextWire } from '../engine/engine.ts'
import { AppError } from '../errors.ts'
import { iso } from '../schema/time.ts'
import {
  countEvents,
  latestEvents,
  listDecisions,
  queryEvents,
  stepStates,
} from '../store/queries.ts'
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

export async function workflowStatus(
  svc: Pick<OpServices, 'store'>,
  workflowId: string,
  verbose: boolean,
): Promise<Record<string, unknown>> {
  const { store } = svc
  const row = store.db
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
  out.steps = stepStates(store, workflowId)
  out.pending_decisions = listDecisions(store, {
    workflow_id: workflowId,
    status: 'pending',
    limit: 0,
  })
  const ctx = await store.getContext(workflowId)
  if (ctx !== undefined) out.context = contextWire(ctx)
  const children = (await store.listChildren(workflowId)).map((c) => {
    const s: ChildSummary = {
      workflow_id: c.id,
      status: c.status,
      pending_decisions: listDecisions(store, { workflow_id: c.id, status: 'pending', limit: 0 }),
    }
    if (c.template_name !== undefined) s.template_name = c.template_name
    return s
  })
  out.children = children
  const total = countEvents(store, workflowId)
  out.events = verbose
    ? queryEvents(store, { workflow_id: workflowId, limit: 0 })
    : latestEvents(store, workflowId, STATUS_EVENTS)
  out.events_total = total
  return out
}
