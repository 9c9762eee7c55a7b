/**
 * The embedded store: SQLite through bun:sqlite and Drizzle. Implements the engine's RunStore
 * (hot path on prepared statements, see event-log.ts) plus the records the operations layer reads
 * and writes: templates, agents, workflows, decisions, contexts, audit.
 */
import type { Database, Statement } from 'bun:sqlite'
import type { BunSQLiteDatabase } from 'drizzle-orm/bun-sqlite'
import { drizzle } from 'drizzle-orm/bun-sqlite'
import type {
  CommitBatch,
  ContextRow,
  DecisionRow,
  RunStore,
  StoredEvent,
  TemplateRow,
  WorkflowRow,
} from '../engine/ports.ts'
import { AppError } from '../errors.ts'
import { EventLog } from './event-log.ts'
import { parseJson } from './json.ts'
import { closeDatabase, type OpenedDb, type OpenOptions, openDatabase } from './open.ts'
import * as schema from './tables.ts'

export type Drizzle = BunSQLiteDatabase<typeof schema>

export interface WorkflowDbRow {
  id: string
  name: string | null
  template_name: string | null
  template_version: string | null
  definition_id: string
  /** Joined from `definitions` by the queries that need it. */
  definition?: string
  status: string
  agent_id: string
  parent_workflow_id: string | null
  parent_step_id: string | null
  depth: number
  input_params: string
  output: string | null
  error: string | null
  wake_at: number | null
  created_at: number
  started_at: number | null
  completed_at: number | null
  updated_at: number
}

export interface DecisionDbRow {
  id: string
  workflow_id: string
  step_id: string
  agent_id: string | null
  target_agent_id: string | null
  context: string
  options: string
  timeout_at: number | null
  fallback: string | null
  resolution: string | null
  resolved_by: string | null
  resolved_at: number | null
  status: string
  created_at: number
}

export interface TemplateDbRow {
  name: string
  version: string
  version_num: number
  description: string | null
  definition: string
  input_schema: string | null
  output_schema: string | null
  triggers: string | null
  permissions: string | null
  agent_id: string
  created_at: number
  updated_at: number
}

interface Statements {
  workflow: Statement
  workflowIds: Statement
  children: Statement
  templateLatest: Statement
  templateVersion: Statement
  context: Statement
  decisions: Statement
  signal: Statement
  wakeups: Statement
  deadlines: Statement
}

export class SqliteStore implements RunStore {
  readonly db: Database
  readonly orm: Drizzle
  readonly path: string
  readonly readonly: boolean
  private readonly opened: OpenedDb
  private readonly log: EventLog | undefined
  private readonly stmt: Statements
  /** Parsed template definitions by `name\0version` (versions are immutable). */
  private readonly definitions = new Map<string, unknown>()
  private readonly parsedDefinitions = new Map<string, unknown>()
  private closed = false

  constructor(opened: OpenedDb, readonly_: boolean) {
    this.opened = opened
    this.db = opened.db
    this.path = opened.path
    this.readonly = readonly_
    this.orm = drizzle(opened.db, { schema })
    this.log = readonly_ ? undefined : new EventLog(opened.db)
    const db = opened.db
    this.stmt = {
      workflow: db.prepare(`${WORKFLOW_SELECT} WHERE w.id = ?`),
      workflowIds: db.prepare('SELECT id FROM workflows WHERE status = ? ORDER BY id'),
      children: db.prepare(`${WORKFLOW_SELECT} WHERE w.parent_workflow_id = ? ORDER BY w.id`),
      templateLatest: db.prepare(
        'SELECT * FROM workflow_templates WHERE name = ? ORDER BY version_num DESC LIMIT 1',
      ),
      templateVersion: db.prepare(
        'SELECT * FROM workflow_templates WHERE name = ? AND version = ?',
      ),
      context: db.prepare('SELECT * FROM workflow_context WHERE workflow_id = ?'),
      decisions: db.prepare(
        'SELECT * FROM pending_decisions WHERE workflow_id = ? ORDER BY created_at DESC',
      ),
      signal: db.prepare(
        'SELECT result FROM signal_results WHERE workflow_id = ? AND signal_id = ?',
      ),
      wakeups: db.prepare(
        "SELECT id, wake_at FROM workflows WHERE status = 'suspended' AND wake_at IS NOT NULL",
      ),
      deadlines: db.prepare(
        "SELECT workflow_id, step_id, timeout_at FROM pending_decisions WHERE status = 'pending' AND timeout_at IS NOT NULL",
      ),
    }
  }

  // -------------------------------------------------------------------------------------------
  // RunStore

  commit(batch: CommitBatch): void {
    if (this.log === undefined) throw new AppError('STORE_ERROR', 'the store is open read-only')
    this.log.commit(batch)
  }

  async getWorkflow(id: string): Promise<WorkflowRow | undefined> {
    return this.workflowRow(id)
  }

  /** Synchronous form of getWorkflow, for the operations layer. */
  workflowRow(id: string): WorkflowRow | undefined {
    const r = this.stmt.workflow.get(id) as WorkflowDbRow | null
    return r === null ? undefined : this.toRow(r)
  }

  /** A workflow row with its definition parsed once per distinct definition. */
  toRow(r: WorkflowDbRow): WorkflowRow {
    return toWorkflowRow(r, this.parsedDefinition(r.definition_id, r.definition))
  }

  /** Parsed definitions by id: runs of one definition share one object (and one engine plan). */
  parsedDefinition(id: string, json?: string): unknown {
    let def = this.parsedDefinitions.get(id)
    if (def === undefined) {
      const text =
        json ??
        (
          this.db.query('SELECT json FROM definitions WHERE id = ?').get(id) as {
            json: string
          } | null
        )?.json
      def = text === undefined ? null : JSON.parse(text)
      if (this.parsedDefinitions.size > 1000) this.parsedDefinitions.clear()
      this.parsedDefinitions.set(id, def)
    }
    return def
  }

  async listEvents(workflowId: string, afterSequence = 0): Promise<StoredEvent[]> {
    return this.events(workflowId, afterSequence)
  }

  events(workflowId: string, afterSequence = 0): StoredEvent[] {
    if (this.log !== undefined) return this.log.read(workflowId, afterSequence)
    return new EventLog(this.db).read(workflowId, afterSequence)
  }

  async listWorkflowIds(status: string): Promise<string[]> {
    return (this.stmt.workflowIds.all(status) as Array<{ id: string }>).map((r) => r.id)
  }

  async getTemplate(name: string, version?: string): Promise<TemplateRow | undefined> {
    const r = this.templateDbRow(name, version)
    if (r === undefined) return undefined
    return {
      name: r.name,
      version: r.version,
      definition: this.definitionOf(r),
      input_schema: parseJson(r.input_schema),
      agent_id: r.agent_id,
    }
  }

  templateDbRow(name: string, version?: string): TemplateDbRow | undefined {
    const r =
      version === undefined || version === ''
        ? (this.stmt.templateLatest.get(name) as TemplateDbRow | null)
        : (this.stmt.templateVersion.get(name, version) as TemplateDbRow | null)
    return r ?? undefined
  }

  /** The parsed definition of a template version, one object per version (engine plans cache on it). */
  definitionOf(r: { name: string; version: string; definition: string }): unknown {
    const key = `${r.name}\u0000${r.version}`
    let def = this.definitions.get(key)
    if (def === undefined) {
      def = JSON.parse(r.definition)
      this.definitions.set(key, def)
    }
    return def
  }

  async getContext(workflowId: string): Promise<ContextRow | undefined> {
    const r = this.stmt.context.get(workflowId) as {
      workflow_id: string
      agent_id: string
      original_intent: string
      decisions_log: string
      accumulated_data: string
      agent_notes: string | null
      created_at: number
      updated_at: number
    } | null
    if (r === null || r === undefined) return undefined
    const row: ContextRow = {
      workflow_id: r.workflow_id,
      agent_id: r.agent_id,
      original_intent: r.original_intent,
      decisions_log: (parseJson(r.decisions_log) as unknown[]) ?? [],
      accumulated_data: (parseJson(r.accumulated_data) as Record<string, unknown>) ?? {},
      created_at: r.created_at,
      updated_at: r.updated_at,
    }
    if (r.agent_notes !== null) row.agent_notes = r.agent_notes
    return row
  }

  async getDecisions(workflowId: string): Promise<DecisionRow[]> {
    return (this.stmt.decisions.all(workflowId) as DecisionDbRow[]).map(toDecisionRow)
  }

  async getSignalResult(workflowId: string, signalId: string): Promise<unknown | undefined> {
    const r = this.stmt.signal.get(workflowId, signalId) as { result: string } | null
    return r === null || r === undefined ? undefined : parseJson(r.result)
  }

  async listChildren(parentId: string): Promise<WorkflowRow[]> {
    return (this.stmt.children.all(parentId) as WorkflowDbRow[]).map((r) => this.toRow(r))
  }

  async listTimers(): Promise<{
    wakeups: Array<{ workflow_id: string; wake_at: number }>
    decisions: Array<{ workflow_id: string; step_id: string; timeout_at: number }>
  }> {
    const wakeups = (this.stmt.wakeups.all() as Array<{ id: string; wake_at: number }>).map(
      (r) => ({
        workflow_id: r.id,
        wake_at: r.wake_at,
      }),
    )
    const decisions = this.stmt.deadlines.all() as Array<{
      workflow_id: string
      step_id: string
      timeout_at: number
    }>
    return { wakeups, decisions }
  }

  // -------------------------------------------------------------------------------------------

  /** Global id of the latest committed event, without scanning the log (it has no index on id). */
  lastEventId(): number {
    if (this.log !== undefined) return this.log.lastEventId
    const r = this.db.query('SELECT MAX(id) AS id FROM events').get() as {
      id: number | null
    } | null
    return r?.id ?? 0
  }

  /** Runs `fn` in one write transaction (synchronous: no await inside). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate()
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    closeDatabase(this.opened)
  }
}

/** Workflow columns with the definition text joined in. */
export const WORKFLOW_SELECT =
  'SELECT w.*, d.json AS definition FROM workflows w LEFT JOIN definitions d ON d.id = w.definition_id'

export function toWorkflowRow(r: WorkflowDbRow, definition?: unknown): WorkflowRow {
  const row: WorkflowRow = {
    id: r.id,
    definition:
      definition !== undefined
        ? definition
        : r.definition === undefined
          ? null
          : JSON.parse(r.definition),
    status: r.status,
    agent_id: r.agent_id,
    depth: r.depth,
    input_params: (parseJson(r.input_params) as Record<string, unknown>) ?? {},
    created_at: r.created_at,
    updated_at: r.updated_at,
  }
  if (r.name !== null) row.name = r.name
  if (r.template_name !== null) row.template_name = r.template_name
  if (r.template_version !== null) row.template_version = r.template_version
  if (r.parent_workflow_id !== null) row.parent_workflow_id = r.parent_workflow_id
  if (r.parent_step_id !== null) row.parent_step_id = r.parent_step_id
  if (r.output !== null) row.output = parseJson(r.output)
  if (r.error !== null) row.error = parseJson(r.error)
  if (r.started_at !== null) row.started_at = r.started_at
  if (r.completed_at !== null) row.completed_at = r.completed_at
  if (r.wake_at !== null) row.wake_at = r.wake_at
  return row
}

export function toDecisionRow(r: DecisionDbRow): DecisionRow {
  const d: DecisionRow = {
    id: r.id,
    workflow_id: r.workflow_id,
    step_id: r.step_id,
    context: parseJson(r.context),
    options: (parseJson(r.options) as DecisionRow['options']) ?? [],
    status: r.status as DecisionRow['status'],
    created_at: r.created_at,
  }
  if (r.agent_id !== null) d.agent_id = r.agent_id
  if (r.target_agent_id !== null) d.target_agent_id = r.target_agent_id
  if (r.timeout_at !== null) d.timeout_at = r.timeout_at
  if (r.fallback !== null) d.fallback = r.fallback
  if (r.resolution !== null) d.resolution = parseJson(r.resolution) as DecisionRow['resolution']
  if (r.resolved_by !== null) d.resolved_by = r.resolved_by
  if (r.resolved_at !== null) d.resolved_at = r.resolved_at
  return d
}

/**
 * Opens (creating if needed) a database file and applies migrations. `:memory:` gives a private
 * in-memory database (local runs without --db-path). A second writer on the same file is refused
 * (decisions.md D13) with CONFLICT.
 */
export function openStore(path: string, options: OpenOptions = {}): SqliteStore {
  return new SqliteStore(openDatabase(path, options), options.readonly === true)
}
