/**
 * The newest events across all workflows, for the dashboard's activity feed and the first page of
 * the events list. The events table has no index on its global id (store/tables.ts: it is
 * clustered by workflow and sequence for the write path), so "newest first" over the whole log is
 * a full scan (≈65 ms at 200,000 events). Instead a ring of the latest events is kept in memory,
 * fed by the hub (every committed event) and seeded once, lazily, without scanning the log:
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
import type { EventHub, HubEvent } from '../hub/index.ts'
import { iso } from '../schema/time.ts'
import type { SqliteStore } from '../store/sqlite.ts'
import { defineOp, type OpServices } from './op.ts'

/** Events kept in memory. */
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

interface Entry {
  id: number
  workflow_id: string
  sequence: number
  event_type: string
  timestamp: number
  step_id: string | null
  agent_id: string | null
}

export interface ActivityFilter {
  workflow_id?: string
  event_type?: string
  step_id?: string
  agent_id?: string
}

export class RecentEvents {
  private readonly ring: Array<Entry | undefined> = new Array(RING_SIZE)
  /** Next write position; `count` entries before it (wrapping) are valid. */
  private head = 0
  private count = 0
  private lastId = 0
  /** True while the ring holds the whole log (a small log, nothing evicted yet). */
  private whole: boolean
  private readonly stop: () => void

  constructor(store: SqliteStore, hub: EventHub) {
    // Listen first: seeding is synchronous, so nothing is published between the two.
    this.stop = hub.listen({ stored_only: true }, (ev) => this.onEvent(ev))
    const seed = seedRows(store)
    // Fewer than SEED found means every workflow was a candidate: the log is entirely here.
    this.whole = seed.length < SEED
    for (const e of seed) this.push(e)
  }

  private onEvent(ev: HubEvent): void {
    if (ev.id === undefined || ev.sequence === undefined) return
    this.push({
      id: ev.id,
      workflow_id: ev.workflow_id,
      sequence: ev.sequence,
      event_type: ev.event_type,
      timestamp: ev.timestamp,
      step_id: ev.step_id ?? null,
      agent_id: ev.agent_id ?? null,
    })
  }

  private push(e: Entry): void {
    if (e.id <= this.lastId) return
    this.lastId = e.id
    this.ring[this.head] = e
    this.head = (this.head + 1) % RING_SIZE
    if (this.count < RING_SIZE) this.count++
    else this.whole = false
  }

  /** True when the ring holds every event of the log (so a filtered miss is a real miss). */
  get complete(): boolean {
    return this.whole
  }

  /** Newest first, at most `limit`, skipping `offset` matches. */
  list(filter: ActivityFilter = {}, limit = 20, offset = 0): ActivityEvent[] {
    const out: ActivityEvent[] = []
    let skipped = 0
    for (let i = 1; i <= this.count && out.length < limit; i++) {
      const e = this.ring[(this.head - i + RING_SIZE) % RING_SIZE] as Entry
      if (filter.workflow_id !== undefined && e.workflow_id !== filter.workflow_id) continue
      if (filter.event_type !== undefined && e.event_type !== filter.event_type) continue
      if (filter.step_id !== undefined && e.step_id !== filter.step_id) continue
      if (filter.agent_id !== undefined && e.agent_id !== filter.agent_id) continue
      if (skipped < offset) {
        skipped++
        continue
      }
      out.push(wire(e))
    }
    return out
  }

  /** How many events the ring holds. */
  get size(): number {
    return this.count
  }

  close(): void {
    this.stop()
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
  if (e.step_id !== null) w.step_id = e.step_id
  if (e.agent_id !== null) w.agent_id = e.agent_id
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
    for (const row of byWorkflow.iterate(id) as IterableIterator<Entry>) {
      if (best.length >= SEED && row.id <= (best[SEED - 1] as Entry).id) break
      let at = best.length
      while (at > 0 && (best[at - 1] as Entry).id < row.id) at--
      best.splice(at, 0, row)
      if (best.length > SEED) best.pop()
    }
  }
  return best.reverse()
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
  description: `The newest events across all workflows (the latest ${RING_SIZE} are kept in memory), newest first, without payloads; read a payload from /workflows/{id}/events. Filters apply to that window only (\`complete\`: the window is the whole log); use /events for older history.`,
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
