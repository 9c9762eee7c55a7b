/**
 * Read models for `opcode.status`, `opcode.query`, the HTTP API and the panel: workflows, step
 * states, events and decisions in their wire form (spec server.md §3), with uniform filters,
 * limits and offsets (server.md §4.5 Ours).
 */
import { AppError } from '../errors.ts'
import type { WorkflowEvent } from '../schema/event.ts'
import type { PendingDecision, StepState, WorkflowRecord } from '../schema/run.ts'
import { iso, parseTime } from '../schema/time.ts'
import { type EventRow, toStoredEvent } from './event-log.ts'
import { parseJson } from './json.ts'
import { limitOf } from './records.ts'
import {
  type DecisionDbRow,
  type SqliteStore,
  toDecisionRow,
  toWorkflowRow,
  WORKFLOW_SELECT,
  type WorkflowDbRow,
} from './sqlite.ts'

export function workflowWire(r: WorkflowDbRow, withDefinition = true): WorkflowRecord {
  const row = toWorkflowRow(r, withDefinition ? undefined : null)
  const w: WorkflowRecord = {
    id: row.id,
    definition: withDefinition ? row.definition : undefined,
    status: row.status,
    agent_id: row.agent_id,
    input_params: row.input_params,
    created_at: iso(row.created_at) as string,
    updated_at: iso(row.updated_at) as string,
  }
  if (!withDefinition) delete w.definition
  if (row.name !== undefined) w.name = row.name
  if (row.template_name !== undefined) w.template_name = row.template_name
  if (row.template_version !== undefined) w.template_version = row.template_version
  if (row.parent_workflow_id !== undefined) w.parent_workflow_id = row.parent_workflow_id
  if (row.output !== undefined) w.output = row.output
  if (row.error !== undefined) w.error = row.error as WorkflowRecord['error']
  if (row.started_at !== undefined) w.started_at = iso(row.started_at) as string
  if (row.completed_at !== undefined) w.completed_at = iso(row.completed_at) as string
  return w
}

/** One workflow in wire form, or NOT_FOUND. */
export function getWorkflowRecord(store: SqliteStore, id: string): WorkflowRecord {
  const r = store.db.query(`${WORKFLOW_SELECT} WHERE w.id = ?`).get(id) as WorkflowDbRow | null
  if (r === null)
    throw new AppError('NOT_FOUND', `workflow "${id}" not found`, { details: { workflow_id: id } })
  return workflowWire(r)
}

export interface WorkflowFilter {
  status?: string
  agent_id?: string
  template_name?: string
  parent_workflow_id?: string
  /** RFC 3339: created at or after. */
  since?: string
  /** RFC 3339: created before. */
  until?: string
  limit?: number
  offset?: number
  /** Leave out definitions (lists in the panel). */
  include_definition?: boolean
}

export function listWorkflows(store: SqliteStore, f: WorkflowFilter = {}): WorkflowRecord[] {
  const { where, args } = workflowWhere(f)
  // Workflow ids are time-ordered: the primary key is the creation order.
  const select = f.include_definition === false ? 'SELECT w.* FROM workflows w' : WORKFLOW_SELECT
  const sql = `${select}${where} ORDER BY w.id DESC LIMIT ? OFFSET ?`
  const rows = store.db
    .query(sql)
    .all(...args, limitOf(f.limit, 50), Math.max(0, f.offset ?? 0)) as WorkflowDbRow[]
  return rows.map((r) => workflowWire(r, f.include_definition !== false))
}

export function countWorkflows(store: SqliteStore, f: WorkflowFilter = {}): number {
  const { where, args } = workflowWhere(f)
  return (
    store.db.query(`SELECT COUNT(*) AS n FROM workflows w${where}`).get(...args) as { n: number }
  ).n
}

function workflowWhere(f: WorkflowFilter): { where: string; args: Array<string | number> } {
  const clauses: string[] = []
  const args: Array<string | number> = []
  const eq = (col: string, v: string | undefined): void => {
    if (v !== undefined && v !== '') {
      clauses.push(`w.${col} = ?`)
      args.push(v)
    }
  }
  eq('status', f.status)
  eq('agent_id', f.agent_id)
  eq('template_name', f.template_name)
  eq('parent_workflow_id', f.parent_workflow_id)
  const since = f.since === undefined ? undefined : parseTime(f.since)
  if (since !== undefined) {
    clauses.push('w.created_at >= ?')
    args.push(since)
  }
  const until = f.until === undefined ? undefined : parseTime(f.until)
  if (until !== undefined) {
    clauses.push('w.created_at < ?')
    args.push(until)
  }
  return { where: clauses.length > 0 ? ` WHERE ${clauses.join(' AND ')}` : '', args }
}

/** Counts by status, for dashboards and health. */
export function workflowCounts(store: SqliteStore): Record<string, number> {
  const rows = store.db
    .query('SELECT status, COUNT(*) AS n FROM workflows GROUP BY status')
    .all() as Array<{
    status: string
    n: number
  }>
  const out: Record<string, number> = {}
  for (const r of rows) out[r.status] = r.n
  return out
}

// ---------------------------------------------------------------------------------------------

interface StepDbRow {
  workflow_id: string
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

/**
 * Step states of a workflow keyed by step key (nested keys included). `nested` leaves out the
 * repeated `workflow_id` of each item (when the caller reports it once, as `opcode.status` does).
 */
export function stepStates(
  store: SqliteStore,
  workflowId: string,
  options: { nested?: boolean } = {},
): Record<string, StepState> {
  const rows = store.db
    .query('SELECT * FROM step_state WHERE workflow_id = ?')
    .all(workflowId) as StepDbRow[]
  const out: Record<string, StepState> = {}
  for (const r of rows) {
    const s: StepState = {
      workflow_id: r.workflow_id,
      step_id: r.step_id,
      status: r.status,
      retry_count: r.retry_count,
    }
    if (options.nested === true) delete (s as Partial<StepState>).workflow_id
    if (r.input !== null) s.input = parseJson(r.input)
    if (r.output !== null) s.output = parseJson(r.output)
    if (r.error !== null) s.error = parseJson(r.error) as StepState['error']
    if (r.started_at !== null) s.started_at = iso(r.started_at) as string
    if (r.completed_at !== null) s.completed_at = iso(r.completed_at) as string
    if (r.duration_ms !== null) s.duration_ms = r.duration_ms
    out[r.step_id] = s
  }
  return out
}

// ---------------------------------------------------------------------------------------------

export function eventWire(r: EventRow, nested = false): WorkflowEvent {
  const ev = toStoredEvent(r)
  const w: WorkflowEvent = {
    id: ev.id as number,
    workflow_id: ev.workflow_id,
    event_type: ev.event_type,
    timestamp: iso(ev.timestamp) as string,
    sequence: ev.sequence,
  }
  if (ev.step_id !== undefined) w.step_id = ev.step_id
  if (ev.payload !== undefined) w.payload = ev.payload
  if (ev.agent_id !== undefined) w.agent_id = ev.agent_id
  if (nested) delete (w as Partial<WorkflowEvent>).workflow_id
  return w
}

export interface EventFilter {
  workflow_id?: string
  event_type?: string
  step_id?: string
  /** RFC 3339: at or after. */
  since?: string
  /** Events with a global id greater than this (live tails). */
  after_id?: number
  limit?: number
  offset?: number
  /** `asc`: sequence order (default with workflow_id); `desc`: newest first (default otherwise). */
  order?: 'asc' | 'desc'
}

/** Events matching every given filter (server.md §4.5 Ours: filters honoured uniformly). */
export function queryEvents(store: SqliteStore, f: EventFilter = {}): WorkflowEvent[] {
  const clauses: string[] = []
  const args: Array<string | number> = []
  if (f.workflow_id !== undefined) {
    clauses.push('workflow_id = ?')
    args.push(f.workflow_id)
  }
  if (f.event_type !== undefined) {
    clauses.push('event_type = ?')
    args.push(f.event_type)
  }
  if (f.step_id !== undefined) {
    clauses.push('step_id = ?')
    args.push(f.step_id)
  }
  const since = f.since === undefined ? undefined : parseTime(f.since)
  if (since !== undefined) {
    clauses.push('timestamp >= ?')
    args.push(since)
  }
  if (f.after_id !== undefined) {
    clauses.push('id > ?')
    args.push(f.after_id)
  }
  const order = f.order ?? (f.workflow_id !== undefined ? 'asc' : 'desc')
  const orderBy =
    f.workflow_id !== undefined ? `sequence ${order.toUpperCase()}` : `id ${order.toUpperCase()}`
  const where = clauses.length > 0 ? ` WHERE ${clauses.join(' AND ')}` : ''
  const sql = `SELECT * FROM events${where} ORDER BY ${orderBy} LIMIT ? OFFSET ?`
  const rows = store.db
    .query(sql)
    .all(...args, limitOf(f.limit, 100), Math.max(0, f.offset ?? 0)) as EventRow[]
  return rows.map((r) => eventWire(r))
}

export function countEvents(store: SqliteStore, workflowId: string): number {
  return (
    store.db.query('SELECT COUNT(*) AS n FROM events WHERE workflow_id = ?').get(workflowId) as {
      n: number
    }
  ).n
}

/** The latest `n` events of a workflow, in sequence order. */
/** The latest `n` events of a workflow (all when `n` ≤ 0), in sequence order. */
export function latestEvents(
  store: SqliteStore,
  workflowId: string,
  n: number,
  nested = false,
): WorkflowEvent[] {
  const rows = store.db
    .query(
      'SELECT * FROM (SELECT * FROM events WHERE workflow_id = ? ORDER BY sequence DESC LIMIT ?) ORDER BY sequence',
    )
    .all(workflowId, n > 0 ? n : -1) as EventRow[]
  return rows.map((r) => eventWire(r, nested))
}

// ---------------------------------------------------------------------------------------------

export function decisionWire(r: DecisionDbRow): PendingDecision {
  const d = toDecisionRow(r)
  const w: PendingDecision = {
    id: d.id,
    workflow_id: d.workflow_id,
    step_id: d.step_id,
    context: d.context,
    options: d.options,
    status: d.status,
    created_at: iso(d.created_at) as string,
  }
  if (d.agent_id !== undefined) w.agent_id = d.agent_id
  if (d.target_agent_id !== undefined) w.target_agent_id = d.target_agent_id
  if (d.timeout_at !== undefined) w.timeout_at = iso(d.timeout_at) as string
  if (d.fallback !== undefined) w.fallback = d.fallback
  if (d.resolution !== undefined) w.resolution = d.resolution as PendingDecision['resolution']
  if (d.resolved_by !== undefined) w.resolved_by = d.resolved_by
  if (d.resolved_at !== undefined) w.resolved_at = iso(d.resolved_at) as string
  return w
}

export interface DecisionFilter {
  workflow_id?: string
  status?: string
  target_agent_id?: string
  agent_id?: string
  limit?: number
  offset?: number
}

/** Decisions newest first. */
export function listDecisions(store: SqliteStore, f: DecisionFilter = {}): PendingDecision[] {
  const clauses: string[] = []
  const args: Array<string | number> = []
  for (const col of ['workflow_id', 'status', 'target_agent_id', 'agent_id'] as const) {
    const v = f[col]
    if (v !== undefined && v !== '') {
      clauses.push(`${col} = ?`)
      args.push(v)
    }
  }
  const where = clauses.length > 0 ? ` WHERE ${clauses.join(' AND ')}` : ''
  const rows = store.db
    .query(
      `SELECT * FROM pending_decisions${where} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`,
    )
    .all(...args, limitOf(f.limit, 100), Math.max(0, f.offset ?? 0)) as DecisionDbRow[]
  return rows.map(decisionWire)
}
