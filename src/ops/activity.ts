/**
 * The newest events across all workflows, for the dashboard's activity feed and the first page of
 * the events list. The events table has no index on its global id (store/tables.ts: it is
 * clustered by workflow and sequence for the write path), so "newest first" over the whole log is
 * a full scan (≈65 ms at 200,000 events). Instead the hub's window of the latest events (also
 * used by stream resumes) answers, seeded once, lazily, without scanning the log:
 *
 * - every open workflow (partial index) and the `SEED` most recently updated ones are candidates;
 * - each candidate's events are read newest first by primary key, stopping at the first one older
 *   than the `SEED` newest found so far (usually after one row).
 *
 * This finds the true newest events: an event of a finished workflow is older than that
 * workflow's terminal event, which set its `updated_at`; if `SEED` workflows were updated after
 * it, each of them appended at least one later event, so it cannot be among the newest `SEED`.
 * Ring entries carry no payload (outputs can be large); read it from the workflow's events.
 */
import { Type } from '@sinclair/typebox'
import { type EventHub, RECENT_EVENTS, type RecentEntry } from '../hub/index.ts'
import { iso } from '../schema/time.ts'
import type { SqliteStore } from '../store/sqlite.ts'
import { defineOp, type OpServices } from './op.ts'

/** Largest page of the recent window. */
export const RING_SIZE = 500
/** Events (and candidate workflows) read when seeding. */
const SEED = 100

export interface ActivityEvent {
  id: number
  workflow_id: string
  sequence: number
  event_type: string
  timestamp: string
  step_id?: string
  agent_id?: string
}

type Entry = RecentEntry

export interface ActivityFilter {
  workflow_id?: string
  event_type?: string
  step_id?: string
  agent_id?: string
}

/** The hub's window of recent events, seeded from the log on first use. */
export class RecentEvents {
  constructor(
    store: SqliteStore,
    private readonly hub: EventHub,
  ) {
    // Seeding is synchronous: nothing is published between the read and the merge.
    if (!hub.seeded) {
      const seed = seedRows(store)
      // Fewer than SEED found means every workflow was a candidate: the log is entirely here.
      hub.seed(seed, seed.length < SEED)
    }
  }

  /** True when the window holds every event of the log (so a filtered miss is a real miss). */
  get complete(): boolean {
    return this.hub.complete
  }

  /** Newest first, at most `limit`, skipping `offset` matches. */
  list(filter: ActivityFilter = {}, limit = 20, offset = 0): ActivityEvent[] {
    const match = (e: Entry): boolean =>
      (filter.workflow_id === undefined || e.workflow_id === filter.workflow_id) &&
      (filter.event_type === undefined || e.event_type === filter.event_type) &&
      (filter.step_id === undefined || e.step_id === filter.step_id) &&
      (filter.agent_id === undefined || e.agent_id === filter.agent_id)
    return this.hub.newest(match, limit, offset).map(wire)
  }

  /** How many events the window holds. */
  get size(): number {
    return this.hub.recentSize
  }
}

function wire(e: Entry): ActivityEvent {
  const w: ActivityEvent = {
    id: e.id,
    workflow_id: e.workflow_id,
    sequence: e.sequence,
    event_type: e.event_type,
    timestamp: iso(e.timestamp) as string,
  }
  if (e.step_id !== undefined) w.step_id = e.step_id
  if (e.agent_id !== undefined) w.agent_id = e.agent_id
  return w
}

/** The newest SEED events of the log, oldest first, without a scan of the events table. */
function seedRows(store: SqliteStore): Entry[] {
  const db = store.db
  const ids = new Set<string>()
  // Most recently updated first: they hold the newest events, which raises the bar early.
  for (const r of db
    .query('SELECT id FROM workflows ORDER BY updated_at DESC LIMIT ?')
    .all(SEED) as Array<{ id: string }>)
    ids.add(r.id)
  // Open workflows append step events without touching their row, so any of them may be recent.
  for (const r of db
    .query("SELECT id FROM workflows WHERE status IN ('pending', 'active', 'suspended')")
    .all() as Array<{ id: string }>)
    ids.add(r.id)
  const byWorkflow = db.query(
    'SELECT id, workflow_id, sequence, event_type, timestamp, step_id, agent_id FROM events WHERE workflow_id = ? ORDER BY sequence DESC',
  )
  /** The best SEED so far, newest first. */
  const best: Entry[] = []
  for (const id of ids) {
    // Within a workflow ids grow with the sequence: stop at the first one below the bar.
    for (const r of byWorkflow.iterate(id) as IterableIterator<SeedRow>) {
      const row = entryOf(r)
      if (best.length >= SEED && row.id <= (best[SEED - 1] as Entry).id) break
      let at = best.length
      while (at > 0 && (best[at - 1] as Entry).id < row.id) at--
      best.splice(at, 0, row)
      if (best.length > SEED) best.pop()
    }
  }
  return best.reverse()
}

interface SeedRow {
  id: number
  workflow_id: string
  sequence: number
  event_type: string
  timestamp: number
  step_id: string | null
  agent_id: string | null
}

function entryOf(r: SeedRow): Entry {
  const e: Entry = {
    id: r.id,
    workflow_id: r.workflow_id,
    sequence: r.sequence,
    event_type: r.event_type,
    timestamp: r.timestamp,
  }
  if (r.step_id !== null) e.step_id = r.step_id
  if (r.agent_id !== null) e.agent_id = r.agent_id
  return e
}

const rings = new WeakMap<OpServices, RecentEvents>()

/** The ring of a server's services, created (and seeded) on first use. */
export function recentEventsOf(svc: OpServices): RecentEvents {
  let r = rings.get(svc)
  if (r === undefined) {
    r = new RecentEvents(svc.store, svc.hub)
    rings.set(svc, r)
  }
  return r
}

export const recentEventsOp = defineOp({
  name: 'events.recent',
  description: `The newest events across all workflows (the latest ${RECENT_EVENTS} are kept in memory), newest first, without payloads; read a payload from /workflows/{id}/events. Filters apply to that window only (\`complete\`: the window is the whole log); use /events for older history.`,
  tool: false,
  readOnly: true,
  http: { method: 'GET', path: '/events/recent' },
  input: Type.Object({
    workflow_id: Type.Optional(Type.String()),
    event_type: Type.Optional(Type.String()),
    step_id: Type.Optional(Type.String()),
    agent_id: Type.Optional(Type.String()),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: RING_SIZE })),
    offset: Type.Optional(Type.Integer({ minimum: 0 })),
  }),
  handle(svc, input) {
    const { limit = 50, offset = 0, ...filter } = input
    const ring = recentEventsOf(svc)
    const events = ring.list(clean(filter), limit, offset)
    return { events, window: ring.size, complete: ring.complete }
  },
})

function clean(f: ActivityFilter): ActivityFilter {
  const out: ActivityFilter = {}
  for (const k of ['workflow_id', 'event_type', 'step_id', 'agent_id'] as const) {
    const v = f[k]
    if (v !== undefined && v !== '') out[k] = v
  }
  return out
}
