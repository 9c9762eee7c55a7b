/**
 * The dashboard in one call (panel.md §3.1 Ours): workflow counters by status plus those that
 * ended recently, a per-agent table (counts by status, last activity, last seen, connected over
 * MCP), the pending decisions and the newest events. Counting is one grouped pass over the
 * workflows table (≈12 ms at 10,000 workflows: listings walk the time-ordered primary key and only
 * open workflows are indexed, store/tables.ts); the activity comes from the in-memory ring.
 */
import { Type } from '@sinclair/typebox'
import type { WorkflowStatus } from '../schema/run.ts'
import { iso } from '../schema/time.ts'
import { listDecisions } from '../store/queries.ts'
import { listAgents } from '../store/records.ts'
import { recentEventsOf } from './activity.ts'
import { defineOp, type OpServices } from './op.ts'

export type StatusCounts = Record<(typeof WorkflowStatus)[number], number>

export interface AgentSummary {
  agent_id: string
  name?: string
  type?: string
  /** Registered agent (false: only seen as the owner of workflows). */
  registered: boolean
  /** An MCP session currently speaks for this agent. */
  connected: boolean
  counts: StatusCounts
  total: number
  /** Newest `updated_at` of its workflows. */
  last_activity_at?: string
  last_seen_at?: string
}

function zero(): StatusCounts {
  return { pending: 0, active: 0, suspended: 0, completed: 0, failed: 0, cancelled: 0 }
}

interface GroupRow {
  agent_id: string
  status: string
  n: number
  recent: number | null
  last: number | null
}

/** Counts by agent and status in one pass; `recent` = ended at or after `sinceMs`. */
function groupedCounts(svc: OpServices, sinceMs: number): GroupRow[] {
  return svc.store.db
    .query(
      'SELECT agent_id, status, COUNT(*) AS n, SUM(completed_at >= ?) AS recent, MAX(updated_at) AS last FROM workflows GROUP BY agent_id, status',
    )
    .all(sinceMs) as GroupRow[]
}

/** Every agent: registered ones and owners of workflows, busiest first. */
export function agentSummaries(svc: OpServices, rows: GroupRow[]): AgentSummary[] {
  const byAgent = new Map<string, AgentSummary & { lastMs: number }>()
  const get = (id: string) => {
    let a = byAgent.get(id)
    if (a === undefined) {
      a = {
        agent_id: id,
        registered: false,
        connected: svc.sessions.sessionsOf(id).length > 0,
        counts: zero(),
        total: 0,
        lastMs: 0,
      }
      byAgent.set(id, a)
    }
    return a
  }
  for (const r of rows) {
    const a = get(r.agent_id)
    if (r.status in a.counts) a.counts[r.status as keyof StatusCounts] += r.n
    a.total += r.n
    if (r.last !== null && r.last > a.lastMs) a.lastMs = r.last
  }
  for (const agent of listAgents(svc.store, 1000)) {
    const a = get(agent.id)
    a.registered = true
    a.name = agent.name
    a.type = agent.type
    if (agent.last_seen_at !== undefined) a.last_seen_at = agent.last_seen_at
  }
  const list = [...byAgent.values()]
  list.sort(
    (x, y) =>
      y.counts.active + y.counts.suspended - (x.counts.active + x.counts.suspended) ||
      y.lastMs - x.lastMs ||
      x.agent_id.localeCompare(y.agent_id),
  )
  return list.map(({ lastMs, ...a }) =>
    lastMs > 0 ? { ...a, last_activity_at: iso(lastMs) as string } : a,
  )
}

const WindowHours = Type.Optional(
  Type.Number({
    minimum: 0.01,
    maximum: 24 * 366,
    description: 'Window of the "recent" counters, in hours (default 24).',
  }),
)

export const dashboardOp = defineOp({
  name: 'dashboard.get',
  description:
    'Dashboard data: workflow counts by status (and completed/failed within the window), per-agent counts, pending decisions (newest 10 and total) and the newest events.',
  tool: false,
  readOnly: true,
  http: { method: 'GET', path: '/dashboard' },
  input: Type.Object({
    window_hours: WindowHours,
    events: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 200, description: 'Newest events (default 20).' }),
    ),
  }),
  handle(svc, input) {
    const hours = input.window_hours ?? 24
    const since = svc.now() - hours * 3_600_000
    const rows = groupedCounts(svc, since)
    const counts = zero()
    let total = 0
    let completedRecent = 0
    let failedRecent = 0
    for (const r of rows) {
      if (r.status in counts) counts[r.status as keyof StatusCounts] += r.n
      total += r.n
      if (r.status === 'completed') completedRecent += r.recent ?? 0
      if (r.status === 'failed') failedRecent += r.recent ?? 0
    }
    const pendingTotal = (
      svc.store.db
        .query("SELECT COUNT(*) AS n FROM pending_decisions WHERE status = 'pending'")
        .get() as { n: number }
    ).n
    return {
      counts: { ...counts, total },
      window_hours: hours,
      recent: { completed: completedRecent, failed: failedRecent },
      agents: agentSummaries(svc, rows),
      pending_decisions: {
        total: pendingTotal,
        items: listDecisions(svc.store, { status: 'pending', limit: 10 }),
      },
      events: recentEventsOf(svc).list({}, input.events ?? 20),
    }
  },
})

export const agentSummaryOp = defineOp({
  name: 'agents.summary',
  description:
    'Every agent (registered, or owning workflows) with its workflow counts by status, last activity, last seen and whether an MCP session is connected for it.',
  tool: false,
  readOnly: true,
  http: { method: 'GET', path: '/agents/summary' },
  input: Type.Object({}),
  handle(svc) {
    return { agents: agentSummaries(svc, groupedCounts(svc, svc.now())) }
  },
})
