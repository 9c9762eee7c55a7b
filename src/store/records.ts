/**
 * Templates, agents and audit rows: the records the operations layer writes outside runs.
 * Template versions are computed and inserted in one transaction, so two concurrent defines can
 * never get the same version or overwrite each other (the reference can).
 */
import { AppError } from '../errors.ts'
import type { Template } from '../schema/run.ts'
import { iso } from '../schema/time.ts'
import { jsonOrNull, parseJson } from './json.ts'
import type { SqliteStore, TemplateDbRow } from './sqlite.ts'

export interface DefineTemplateInput {
  name: string
  definition: unknown
  agent_id: string
  description?: string
  input_schema?: unknown
  output_schema?: unknown
  triggers?: unknown
  permissions?: unknown
}

/** Stores a new version `v<N+1>` of a template, atomically. */
export function defineTemplate(
  store: SqliteStore,
  input: DefineTemplateInput,
  now = Date.now(),
): { name: string; version: string } {
  const definition = JSON.stringify(input.definition)
  return store.transaction(() => {
    const row = store.db
      .query('SELECT COALESCE(MAX(version_num), 0) + 1 AS n FROM workflow_templates WHERE name = ?')
      .get(input.name) as { n: number }
    const version = `v${row.n}`
    store.db
      .query(
        'INSERT INTO workflow_templates (name, version, version_num, description, definition, input_schema, output_schema, triggers, permissions, agent_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        input.name,
        version,
        row.n,
        input.description ?? null,
        definition,
        jsonOrNull(input.input_schema),
        jsonOrNull(input.output_schema),
        jsonOrNull(input.triggers),
        jsonOrNull(input.permissions),
        input.agent_id,
        now,
        now,
      )
    return { name: input.name, version }
  })
}

export function templateWire(store: SqliteStore, r: TemplateDbRow): Template {
  const t: Template = {
    name: r.name,
    version: r.version,
    definition: store.definitionOf(r),
    agent_id: r.agent_id,
    created_at: iso(r.created_at) as string,
    updated_at: iso(r.updated_at) as string,
  }
  if (r.description !== null) t.description = r.description
  if (r.input_schema !== null) t.input_schema = parseJson(r.input_schema)
  if (r.output_schema !== null) t.output_schema = parseJson(r.output_schema)
  if (r.triggers !== null) t.triggers = parseJson(r.triggers)
  if (r.permissions !== null) t.permissions = parseJson(r.permissions)
  return t
}

/** A template version (latest when `version` is absent), or NOT_FOUND. */
export function getTemplateRecord(store: SqliteStore, name: string, version?: string): Template {
  const r = store.templateDbRow(name, version)
  if (r === undefined) {
    const label = version === undefined || version === '' ? name : `${name}:${version}`
    throw new AppError('NOT_FOUND', `template "${label}" not found`, {
      details: { name, version: version ?? null },
    })
  }
  return templateWire(store, r)
}

export interface TemplateFilter {
  name?: string
  agent_id?: string
  /** Only the latest version of each name. */
  latest?: boolean
  limit?: number
  offset?: number
}

/** Templates ordered by name, newest version first (numerically: v10 after v9). */
export function listTemplates(store: SqliteStore, f: TemplateFilter = {}): Template[] {
  const where: string[] = []
  const args: Array<string | number> = []
  if (f.name !== undefined) {
    where.push('t.name = ?')
    args.push(f.name)
  }
  if (f.agent_id !== undefined) {
    where.push('t.agent_id = ?')
    args.push(f.agent_id)
  }
  if (f.latest === true) {
    where.push(
      't.version_num = (SELECT MAX(version_num) FROM workflow_templates u WHERE u.name = t.name)',
    )
  }
  const sql = `SELECT * FROM workflow_templates t${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY t.name ASC, t.version_num DESC LIMIT ? OFFSET ?`
  args.push(limitOf(f.limit, 50), Math.max(0, f.offset ?? 0))
  return (store.db.query(sql).all(...args) as TemplateDbRow[]).map((r) => templateWire(store, r))
}

/** `limit` ≤ 0 means no limit (reference); otherwise capped at 1000 rows. */
export function limitOf(limit: number | undefined, fallback: number): number {
  if (limit === undefined || !Number.isFinite(limit)) return fallback
  if (limit <= 0) return -1
  return Math.min(Math.floor(limit), 1000)
}

// ---------------------------------------------------------------------------------------------
// Agents (spec server.md §6)

export type AgentType = 'llm' | 'system' | 'human' | 'service'

/** Registers an agent on first contact and marks it seen on every later one. */
export function ensureAgent(
  store: SqliteStore,
  id: string,
  type: AgentType = 'llm',
  now = Date.now(),
): void {
  store.db
    .query(
      'INSERT INTO agents (id, name, type, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET last_seen_at = excluded.last_seen_at',
    )
    .run(id, id, type, now, now)
}

export interface AgentRecord {
  id: string
  name: string
  type: string
  metadata: unknown
  created_at: string
  last_seen_at?: string
}

export function listAgents(store: SqliteStore, limit = 200): AgentRecord[] {
  const rows = store.db
    .query('SELECT * FROM agents ORDER BY last_seen_at IS NULL, last_seen_at DESC LIMIT ?')
    .all(limitOf(limit, 200)) as Array<{
    id: string
    name: string
    type: string
    metadata: string
    created_at: number
    last_seen_at: number | null
  }>
  return rows.map((r) => {
    const a: AgentRecord = {
      id: r.id,
      name: r.name,
      type: r.type,
      metadata: parseJson(r.metadata) ?? {},
      created_at: iso(r.created_at) as string,
    }
    if (r.last_seen_at !== null) a.last_seen_at = iso(r.last_seen_at) as string
    return a
  })
}

// ---------------------------------------------------------------------------------------------
// Audit (spec server.md §10.3 Ours; decisions.md D20)

export interface AuditEntry {
  agent_id: string
  action: string
  resource_type: string
  resource_id?: string
  details?: unknown
}

export function writeAudit(store: SqliteStore, e: AuditEntry, now = Date.now()): void {
  store.db
    .query(
      'INSERT INTO audit_log (agent_id, action, resource_type, resource_id, details, timestamp) VALUES (?, ?, ?, ?, ?, ?)',
    )
    .run(e.agent_id, e.action, e.resource_type, e.resource_id ?? null, jsonOrNull(e.details), now)
}

export function listAudit(
  store: SqliteStore,
  f: { agent_id?: string; limit?: number } = {},
): Array<AuditEntry & { id: number; timestamp: string }> {
  const rows = (
    f.agent_id === undefined
      ? store.db
          .query('SELECT * FROM audit_log ORDER BY id DESC LIMIT ?')
          .all(limitOf(f.limit, 100))
      : store.db
          .query('SELECT * FROM audit_log WHERE agent_id = ? ORDER BY id DESC LIMIT ?')
          .all(f.agent_id, limitOf(f.limit, 100))
  ) as Array<{
    id: number
    agent_id: string
    action: string
    resource_type: string
    resource_id: string | null
    details: string | null
    timestamp: number
  }>
  return rows.map((r) => ({
    id: r.id,
    agent_id: r.agent_id,
    action: r.action,
    resource_type: r.resource_type,
    ...(r.resource_id === null ? {} : { resource_id: r.resource_id }),
    ...(r.details === null ? {} : { details: parseJson(r.details) }),
    timestamp: iso(r.timestamp) as string,
  }))
}
