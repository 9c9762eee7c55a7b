/**
 * `opcode.status` (spec server.md §4.3; decisions.md D20, D21): the workflow's status, step states,
 * pending decisions, context, the latest 20 events plus `events_total` (all with `verbose`), and its
 * children with their pending decisions so an agent finds a sub-workflow's question.
 */
import { Type } from '@sinclair/typebox'
import { contextWire } from '../engine/engine.ts'
import { AppError } from '../errors.ts'
import { iso } from '../schema/time.ts'
import { listDecisions } from '../store/queries.ts'
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

interface StepDbRow {
  step_id: string
  status: string
  input: string | null
  output: string | null
  error: string | null
  retry_count: number
  started_at: number | null
  completed_at: number | null
  duration_ms: number | null
}

interface EventDbRow {
  id: number
  sequence: number
  step_id: string | null
  event_type: string
  payload: string | null
  agent_id: string | null
  timestamp: number
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
  const steps: Record<string, unknown> = {}
  for (const r of db
    .query(
      'SELECT step_id, status, input, output, error, retry_count, started_at, completed_at, duration_ms FROM step_state WHERE workflow_id = ?',
    )
    .all(workflowId) as StepDbRow[]) {
    const st: Record<string, unknown> = {
      step_id: r.step_id,
      status: r.status,
      retry_count: r.retry_count,
    }
    if (r.input !== null) st.input = JSON.parse(r.input)
    if (r.output !== null) st.output = JSON.parse(r.output)
    if (r.error !== null) st.error = JSON.parse(r.error)
    if (r.started_at !== null) st.started_at = iso(r.started_at)
    if (r.completed_at !== null) st.completed_at = iso(r.completed_at)
    if (r.duration_ms !== null) st.duration_ms = r.duration_ms
    steps[r.step_id] = st
  }
  out.steps = steps
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
  const total = (
    db.query('SELECT COUNT(*) AS n FROM events WHERE workflow_id = ?').get(workflowId) as {
      n: number
    }
  ).n
  const rows = (
    verbose
      ? db
          .query(
            'SELECT id, sequence, step_id, event_type, payload, agent_id, timestamp FROM events WHERE workflow_id = ? ORDER BY sequence',
          )
          .all(workflowId)
      : db
          .query(
            'SELECT id, sequence, step_id, event_type, payload, agent_id, timestamp FROM events WHERE workflow_id = ? AND sequence > ? ORDER BY sequence',
          )
          .all(workflowId, Math.max(0, total - STATUS_EVENTS))
  ) as EventDbRow[]
  out.events = rows.map((r) => {
    const e: Record<string, unknown> = {
      id: r.id,
      sequence: r.sequence,
      event_type: r.event_type,
      timestamp: iso(r.timestamp),
    }
    if (r.step_id !== null) e.step_id = r.step_id
    if (r.payload !== null) e.payload = JSON.parse(r.payload)
    if (r.agent_id !== null) e.agent_id = r.agent_id
    return e
  })
  out.events_total = total
  return out
}

function pendingOf(svc: Pick<OpServices, 'store'>, workflowId: string): unknown[] {
  return listDecisions(svc.store, { workflow_id: workflowId, status: 'pending', limit: 0 })
}
