/**
 * The hot path: committing a flush batch (events + projection rows) in one synchronous
 * transaction with prepared multi-row statements, and reading a workflow's log back. No `await`
 * inside the transaction (bun:sqlite would commit at the first one).
 */
import type { Database, Statement } from 'bun:sqlite'
import type { CommitBatch, StoredEvent } from '../engine/ports.ts'
import { jsonOrNull, parseJson } from './json.ts'

/** Largest rows per multi-row INSERT: amortises the per-statement cost (measured best at 32–64). */
const CHUNK = 32

/** Prepared multi-row statements by row count (powers of two up to CHUNK), made on first use. */
type Chunked = (rows: number) => Statement

/**
 * Writes `n` rows with as few statements as possible: chunks of 32, then 16, 8, 4, 2, 1 (12 rows
 * = 8 + 4, two statements instead of twelve).
 */
function writeChunked(
  n: number,
  width: number,
  make: Chunked,
  fill: (args: Array<string | number | null>, offset: number, row: number) => void,
): void {
  let i = 0
  for (let size = CHUNK; size >= 1; size >>= 1) {
    if (n - i < size) continue
    const stmt = cachedStatement(make, size)
    const args: Array<string | number | null> = new Array(size * width)
    while (n - i >= size) {
      for (let j = 0; j < size; j++) fill(args, j * width, i + j)
      stmt.run(...args)
      i += size
    }
  }
}

const statementCache = new WeakMap<Chunked, Map<number, Statement>>()

function cachedStatement(make: Chunked, size: number): Statement {
  let bySize = statementCache.get(make)
  if (bySize === undefined) {
    bySize = new Map()
    statementCache.set(make, bySize)
  }
  let stmt = bySize.get(size)
  if (stmt === undefined) {
    stmt = make(size)
    bySize.set(size, stmt)
  }
  return stmt
}

const EVENT_COLS = 8
const STEP_COLS = 9

export class EventLog {
  private readonly eventStatements: Chunked
  private readonly stepStatements: Chunked
  private readonly insertWorkflow: Statement
  private readonly insertDefinition: Statement
  /** Definition ids already written by this process (their rows never change). */
  private readonly storedDefinitions = new Set<string>()
  private readonly updateWorkflow: Statement
  private readonly upsertDecision: Statement
  private readonly upsertContext: Statement
  private readonly insertSignal: Statement
  private readonly selectEvents: Statement
  private lastId: number
  private readonly commitTx: (batch: CommitBatch) => void

  constructor(db: Database) {
    const ev = '(?, ?, ?, ?, ?, ?, ?, ?, ?)'
    const evSql =
      'INSERT INTO events (id, workflow_id, sequence, step_id, event_type, payload, agent_id, timestamp, v) VALUES '
    this.eventStatements = (n) => db.prepare(evSql + Array.from({ length: n }, () => ev).join(', '))
    const st = '(?, ?, ?, ?, ?, ?, ?, ?, ?)'
    const stSql =
      'INSERT INTO step_state (workflow_id, step_id, status, output, error, retry_count, started_at, completed_at, duration_ms) VALUES '
    const stConflict =
      ' ON CONFLICT (workflow_id, step_id) DO UPDATE SET status = excluded.status, output = excluded.output, error = excluded.error, retry_count = excluded.retry_count, started_at = excluded.started_at, completed_at = excluded.completed_at, duration_ms = excluded.duration_ms'
    this.stepStatements = (n) =>
      db.prepare(stSql + Array.from({ length: n }, () => st).join(', ') + stConflict)

    this.insertDefinition = db.prepare(
      'INSERT OR IGNORE INTO definitions (id, json, created_at) VALUES (?, ?, ?)',
    )
    this.insertWorkflow = db.prepare(
      'INSERT INTO workflows (id, name, template_name, template_version, definition_id, status, agent_id, parent_workflow_id, parent_step_id, depth, input_params, output, error, started_at, completed_at, wake_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    )
    this.updateWorkflow = db.prepare(
      'UPDATE workflows SET status = ?, output = ?, error = ?, started_at = ?, completed_at = ?, updated_at = ?, wake_at = ? WHERE id = ?',
    )
    this.upsertDecision = db.prepare(
      'INSERT INTO pending_decisions (id, workflow_id, step_id, agent_id, target_agent_id, context, options, timeout_at, fallback, resolution, resolved_by, resolved_at, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET resolution = excluded.resolution, resolved_by = excluded.resolved_by, resolved_at = excluded.resolved_at, status = excluded.status',
    )
    this.upsertContext = db.prepare(
      'INSERT INTO workflow_context (workflow_id, agent_id, original_intent, decisions_log, accumulated_data, agent_notes, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (workflow_id) DO UPDATE SET agent_id = excluded.agent_id, original_intent = excluded.original_intent, decisions_log = excluded.decisions_log, accumulated_data = excluded.accumulated_data, agent_notes = excluded.agent_notes, updated_at = excluded.updated_at',
    )
    this.insertSignal = db.prepare(
      'INSERT OR IGNORE INTO signal_results (workflow_id, signal_id, result, created_at) VALUES (?, ?, ?, ?)',
    )
    this.selectEvents = db.prepare(
      'SELECT id, workflow_id, sequence, step_id, event_type, payload, agent_id, timestamp, v FROM events WHERE workflow_id = ? AND sequence > ? ORDER BY sequence',
    )
    const row = db.query('SELECT MAX(id) AS id FROM events').get() as { id: number | null } | null
    this.lastId = row?.id ?? 0
    this.commitTx = db.transaction((batch: CommitBatch) => this.write(batch))
  }

  /** Writes a whole batch atomically; assigns event ids. Throws (and writes nothing) on failure. */
  commit(batch: CommitBatch): void {
    const before = this.lastId
    try {
      this.commitTx(batch)
    } catch (err) {
      this.lastId = before
      for (const ev of batch.events) ev.id = undefined
      throw err
    }
  }

  private write(batch: CommitBatch): void {
    // A workflow created and changed in the same flush is inserted once, in its latest state.
    let patches: Map<string, CommitBatch['workflows'][number]> | undefined
    if (batch.newWorkflows.length > 0 && batch.workflows.length > 0) {
      patches = new Map()
      for (const p of batch.workflows) patches.set(p.id, p)
    }
    for (const w of batch.newWorkflows) {
      const p = patches?.get(w.id)
      if (p !== undefined) patches?.delete(w.id)
      this.insertWorkflow.run(
        w.id,
        w.name ?? null,
        w.template_name ?? null,
        w.template_version ?? null,
        this.definitionId(w.definition, w.created_at),
        p?.status ?? w.status,
        w.agent_id,
        w.parent_workflow_id ?? null,
        w.parent_step_id ?? null,
        w.depth,
        JSON.stringify(w.input_params ?? {}),
        jsonOrNull(p?.output),
        jsonOrNull(p?.error),
        p?.started_at ?? null,
        p?.completed_at ?? null,
        p?.wake_at ?? null,
        w.created_at,
        p?.updated_at ?? w.updated_at,
      )
    }
    this.writeEvents(batch.events)
    for (const p of patches === undefined ? batch.workflows : patches.values()) {
      this.updateWorkflow.run(
        p.status,
        jsonOrNull(p.output),
        jsonOrNull(p.error),
        p.started_at ?? null,
        p.completed_at ?? null,
        p.updated_at,
        p.wake_at ?? null,
        p.id,
      )
    }
    this.writeSteps(batch)
    for (const d of batch.decisions) {
      this.upsertDecision.run(
        d.id,
        d.workflow_id,
        d.step_id,
        d.agent_id ?? null,
        d.target_agent_id ?? null,
        JSON.stringify(d.context ?? {}),
        JSON.stringify(d.options ?? []),
        d.timeout_at ?? null,
        d.fallback ?? null,
        jsonOrNull(d.resolution),
        d.resolved_by ?? null,
        d.resolved_at ?? null,
        d.status,
        d.created_at,
      )
    }
    for (const c of batch.contexts) {
      this.upsertContext.run(
        c.workflow_id,
        c.agent_id,
        c.original_intent,
        JSON.stringify(c.decisions_log ?? []),
        JSON.stringify(c.accumulated_data ?? {}),
        c.agent_notes ?? null,
        c.created_at,
        c.updated_at,
      )
    }
    for (const s of batch.signals) {
      this.insertSignal.run(s.workflow_id, s.signal_id, JSON.stringify(s.result), s.created_at)
    }
  }

  private writeEvents(events: StoredEvent[]): void {
    const width = EVENT_COLS + 1
    writeChunked(events.length, width, this.eventStatements, (args, o, k) =>
      this.fillEvent(args, o, events[k] as StoredEvent),
    )
  }

  private fillEvent(args: Array<string | number | null>, o: number, ev: StoredEvent): void {
    const id = ++this.lastId
    ev.id = id
    args[o] = id
    args[o + 1] = ev.workflow_id
    args[o + 2] = ev.sequence
    args[o + 3] = ev.step_id ?? null
    args[o + 4] = ev.event_type
    args[o + 5] = ev.payload_json ?? (ev.payload === undefined ? null : JSON.stringify(ev.payload))
    args[o + 6] = ev.agent_id ?? null
    args[o + 7] = ev.timestamp
    args[o + 8] = ev.v
  }

  private writeSteps(batch: CommitBatch): void {
    const rows = batch.steps
    writeChunked(rows.length, STEP_COLS, this.stepStatements, (args, o, k) =>
      fillStep(args, o, rows[k] as CommitBatch['steps'][number]),
    )
  }

  /** The content id of a definition, writing its text once per distinct definition. */
  private definitionId(def: unknown, now: number): string {
    const { id, json } = definitionOf(def)
    if (!this.storedDefinitions.has(id)) {
      this.insertDefinition.run(id, json, now)
      this.storedDefinitions.add(id)
    }
    return id
  }

  /** Global id of the latest committed event (0 when the log is empty). */
  get lastEventId(): number {
    return this.lastId
  }

  /** A workflow's events in sequence order, after `afterSequence`. */
  read(workflowId: string, afterSequence = 0): StoredEvent[] {
    const rows = this.selectEvents.all(workflowId, afterSequence) as EventRow[]
    return rows.map(toStoredEvent)
  }
}

const definitionTexts = new WeakMap<object, { id: string; json: string }>()

/**
 * A definition's JSON text and content id (sha256), computed once per definition object: the runs
 * of one template version share one object, so they hash nothing.
 */
export function definitionOf(def: unknown): { id: string; json: string } {
  const cached = def !== null && typeof def === 'object' ? definitionTexts.get(def) : undefined
  if (cached !== undefined) return cached
  const json = JSON.stringify(def) ?? 'null'
  const out = { id: new Bun.CryptoHasher('sha256').update(json).digest('hex'), json }
  if (def !== null && typeof def === 'object') definitionTexts.set(def, out)
  return out
}

export interface EventRow {
  id: number
  workflow_id: string
  sequence: number
  step_id: string | null
  event_type: string
  payload: string | null
  agent_id: string | null
  timestamp: number
  v: number
}

export function toStoredEvent(r: EventRow): StoredEvent {
  const ev: StoredEvent = {
    id: r.id,
    workflow_id: r.workflow_id,
    sequence: r.sequence,
    event_type: r.event_type,
    timestamp: r.timestamp,
    v: r.v,
  }
  if (r.step_id !== null) ev.step_id = r.step_id
  if (r.payload !== null) ev.payload = parseJson(r.payload)
  if (r.agent_id !== null) ev.agent_id = r.agent_id
  return ev
}

function fillStep(
  args: Array<string | number | null>,
  o: number,
  s: CommitBatch['steps'][number],
): void {
  args[o] = s.workflow_id
  args[o + 1] = s.step_id
  args[o + 2] = s.status
  args[o + 3] = s.output_json ?? (s.output === undefined ? null : JSON.stringify(s.output))
  args[o + 4] = jsonOrNull(s.error)
  args[o + 5] = s.retry_count
  args[o + 6] = s.started_at ?? null
  args[o + 7] = s.completed_at ?? null
  args[o + 8] = s.duration_ms ?? null
}
