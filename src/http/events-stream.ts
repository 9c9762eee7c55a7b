/**
 * `GET /api/v1/events/stream`: hub events as Server-Sent Events (spec server.md §16 Ours). Stored
 * events carry `id: <workflow_id>:<sequence>`; a client reconnecting with `Last-Event-ID` first gets
 * what it missed from the event log, then live events, without gaps or repeats. Custom
 * `workflow.emit` events are live only (no id). Heartbeat comments keep idle connections open. The
 * stream is pulled: a client that reads slowly makes the hub buffer overflow, and the stream then
 * catches up from the log instead of growing memory.
 */
import type { EventHub, HubEvent, Subscription } from '../hub/index.ts'
import { iso } from '../schema/time.ts'
import type { SqliteStore } from '../store/sqlite.ts'

const encoder = new TextEncoder()

export interface EventStreamOptions {
  workflowId?: string
  eventTypes?: string[]
  /** Include `workflow.emit` events (default true). */
  includeCustom: boolean
  /** `<workflow_id>:<sequence>` of the last event the client saw. */
  lastEventId?: string
  heartbeatMs: number
}

interface StoredRow {
  id: number
  workflow_id: string
  sequence: number
  step_id: string | null
  event_type: string
  payload: string | null
  agent_id: string | null
  timestamp: number
}

const BATCH = 500

export function openEventStream(
  store: SqliteStore,
  hub: EventHub,
  options: EventStreamOptions,
): ReadableStream<Uint8Array> {
  const types = options.eventTypes?.filter((t) => t !== '') ?? []
  let sub: Subscription | undefined
  let lastId = resumePoint(store, options.lastEventId)
  const backlog: string[] = []
  let catchingUp = lastId !== undefined
  let closed = false

  const matches = (r: { workflow_id: string; event_type: string }): boolean =>
    (options.workflowId === undefined || r.workflow_id === options.workflowId) &&
    (types.length === 0 || types.includes(r.event_type))

  /** Reads what was missed after `lastId` (one batch); false when nothing is left. */
  const catchUp = (): boolean => {
    // Across workflows, the hub's window of recent events says what was missed without scanning
    // the log; each event is then read by its primary key (the window keeps no payloads).
    if (options.workflowId === undefined) {
      const recent = hub.recentSince(lastId ?? 0, matches)
      if (recent !== undefined) {
        const byKey = store.db.query('SELECT * FROM events WHERE workflow_id = ? AND sequence = ?')
        for (const e of recent.slice(0, BATCH)) {
          const r = byKey.get(e.workflow_id, e.sequence) as StoredRow | null
          if (r !== null) backlog.push(frameOfRow(r))
          lastId = e.id
        }
        return recent.length > BATCH
      }
    }
    const clauses = ['id > ?']
    const args: Array<string | number> = [lastId ?? 0]
    if (options.workflowId !== undefined) {
      clauses.push('workflow_id = ?')
      args.push(options.workflowId)
    }
    if (types.length > 0) {
      clauses.push(`event_type IN (${types.map(() => '?').join(', ')})`)
      args.push(...types)
    }
    const rows = store.db
      .query(`SELECT * FROM events WHERE ${clauses.join(' AND ')} ORDER BY id LIMIT ${BATCH}`)
      .all(...args) as StoredRow[]
    for (const r of rows) {
      backlog.push(frameOfRow(r))
      lastId = r.id
    }
    return rows.length === BATCH
  }

  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        // Subscribe before reading the log, so nothing committed meanwhile is missed.
        const filter: { workflow_id?: string; event_types?: string[]; stored_only?: boolean } = {}
        if (options.workflowId !== undefined) filter.workflow_id = options.workflowId
        if (types.length > 0) filter.event_types = types
        if (!options.includeCustom) filter.stored_only = true
        sub = hub.subscribe(filter)
        controller.enqueue(encoder.encode(`retry: 2000\n: connected\n\n`))
        if (lastId === undefined) lastId = store.lastEventId()
      },
      async pull(controller) {
        if (closed || sub === undefined) return
        if (catchingUp) catchingUp = catchUp()
        if (backlog.length > 0) {
          controller.enqueue(encoder.encode(backlog.splice(0, backlog.length).join('')))
          return
        }
        const wait = new AbortController()
        const timer = setTimeout(() => wait.abort(), options.heartbeatMs)
        const ev = await sub.next(wait.signal)
        clearTimeout(timer)
        if (ev === undefined) {
          if (wait.signal.aborted && !closed) {
            controller.enqueue(encoder.encode(': heartbeat\n\n'))
            return
          }
          closed = true
          controller.close()
          return
        }
        if (sub.overflowed) {
          // Live copies were dropped: drop the rest too and re-read the log from where we are.
          sub.resetOverflow()
          sub.drain()
          catchingUp = true
          if (ev.kind === 'custom') controller.enqueue(encoder.encode(frameOfHub(ev)))
          return
        }
        const frames: string[] = []
        for (const e of [ev, ...sub.drain()]) {
          if (e.kind === 'stored') {
            if (e.id !== undefined && lastId !== undefined && e.id <= lastId) continue
            if (!matches(e)) continue
            if (e.id !== undefined) lastId = e.id
          }
          frames.push(frameOfHub(e))
        }
        if (frames.length > 0) controller.enqueue(encoder.encode(frames.join('')))
        else controller.enqueue(encoder.encode(''))
      },
      cancel() {
        closed = true
        sub?.close()
      },
    },
    { highWaterMark: 0 },
  )
}

/** The global id after which to resume, from `<workflow_id>:<sequence>`; undefined = live only. */
function resumePoint(store: SqliteStore, lastEventId: string | undefined): number | undefined {
  if (lastEventId === undefined || lastEventId === '') return undefined
  const colon = lastEventId.lastIndexOf(':')
  if (colon <= 0) return undefined
  const seq = Number(lastEventId.slice(colon + 1))
  if (!Number.isInteger(seq)) return undefined
  const r = store.db
    .query('SELECT id FROM events WHERE workflow_id = ? AND sequence = ?')
    .get(lastEventId.slice(0, colon), seq) as { id: number } | null
  return r?.id
}

function frameOfRow(r: StoredRow): string {
  const data: Record<string, unknown> = {
    kind: 'stored',
    id: r.id,
    workflow_id: r.workflow_id,
    sequence: r.sequence,
    event_type: r.event_type,
    timestamp: iso(r.timestamp),
  }
  if (r.step_id !== null) data.step_id = r.step_id
  if (r.payload !== null) data.payload = JSON.parse(r.payload)
  if (r.agent_id !== null) data.agent_id = r.agent_id
  return `id: ${r.workflow_id}:${r.sequence}\ndata: ${JSON.stringify(data)}\n\n`
}

function frameOfHub(e: HubEvent): string {
  const data: Record<string, unknown> = {
    kind: e.kind,
    ...(e.id === undefined ? {} : { id: e.id }),
    workflow_id: e.workflow_id,
    ...(e.sequence === undefined ? {} : { sequence: e.sequence }),
    event_type: e.event_type,
    timestamp: iso(e.timestamp),
  }
  if (e.step_id !== undefined) data.step_id = e.step_id
  if (e.payload !== undefined) data.payload = e.payload
  if (e.agent_id !== undefined) data.agent_id = e.agent_id
  const id =
    e.kind === 'stored' && e.sequence !== undefined ? `id: ${e.workflow_id}:${e.sequence}\n` : ''
  return `${id}data: ${JSON.stringify(data)}\n\n`
}
