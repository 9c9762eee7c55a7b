/**
 * The `plugins` table: a mirror of the plugins defined in settings.json (decisions.md D21) and of
 * their live status, for the panel and `opcode.query`. The row's `config` holds the command, its
 * arguments and the *names* of the plugin's environment variables, never their values.
 */
import { iso } from '../schema/time.ts'
import { parseJson } from './json.ts'
import type { SqliteStore } from './sqlite.ts'

export type PluginRowStatus = 'active' | 'inactive' | 'error' | 'starting' | 'restarting'

/** A tool as discovered (`tools/list`), kept so the actions exist again at the next start. */
export interface StoredTool {
  name: string
  description?: string
  inputSchema: Record<string, unknown>
}

interface PluginDbRow {
  id: string
  name: string
  type: string
  config: string
  status: string
  tools: string
  last_health_check: number | null
  error_message: string | null
  created_at: number
  updated_at: number
}

/** Wire form of a plugin row. */
export interface PluginRecord {
  name: string
  type: 'mcp'
  status: PluginRowStatus
  config: Record<string, unknown>
  /** Discovered tools, with the action name each one is registered under. */
  tools: Array<{ name: string; action: string; description?: string }>
  error?: string
  last_health_check?: string
  created_at: string
  updated_at: string
}

/** Inserts or refreshes a plugin's row (config and status); tools are kept unless given. */
export function upsertPluginRow(
  store: SqliteStore,
  row: {
    name: string
    config: Record<string, unknown>
    status: PluginRowStatus
    error?: string | null
    tools?: StoredTool[]
  },
  now: number,
): void {
  store.db
    .query(
      `INSERT INTO plugins (id, name, type, config, status, tools, last_health_check, error_message, created_at, updated_at)
       VALUES (?, ?, 'mcp', ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET config = excluded.config, status = excluded.status,
         tools = CASE WHEN ? THEN excluded.tools ELSE plugins.tools END,
         last_health_check = excluded.last_health_check, error_message = excluded.error_message,
         updated_at = excluded.updated_at`,
    )
    .run(
      row.name,
      row.name,
      JSON.stringify(row.config),
      row.status,
      JSON.stringify(row.tools ?? []),
      now,
      row.error ?? null,
      now,
      now,
      row.tools === undefined ? 0 : 1,
    )
}

/** Records a status change (and the last error, null to clear it). */
export function setPluginStatus(
  store: SqliteStore,
  name: string,
  status: PluginRowStatus,
  error: string | null,
  now: number,
): void {
  store.db
    .query(
      'UPDATE plugins SET status = ?, error_message = ?, last_health_check = ?, updated_at = ? WHERE id = ?',
    )
    .run(status, error, now, now, name)
}

export function setPluginTools(
  store: SqliteStore,
  name: string,
  tools: StoredTool[],
  now: number,
): void {
  store.db
    .query('UPDATE plugins SET tools = ?, updated_at = ? WHERE id = ?')
    .run(JSON.stringify(tools), now, name)
}

/** The stored tools and config of a plugin (undefined when it has no row). */
export function pluginRowState(
  store: SqliteStore,
  name: string,
): { config: Record<string, unknown>; tools: StoredTool[] } | undefined {
  const r = store.db.query('SELECT config, tools FROM plugins WHERE id = ?').get(name) as {
    config: string
    tools: string
  } | null
  if (r === null) return undefined
  const tools = parseJson(r.tools)
  return {
    config: (parseJson(r.config) as Record<string, unknown>) ?? {},
    tools: Array.isArray(tools) ? (tools as StoredTool[]) : [],
  }
}

export function deletePluginRow(store: SqliteStore, name: string): void {
  store.db.query('DELETE FROM plugins WHERE id = ?').run(name)
}

/** Every plugin row, by name. */
export function listPluginRecords(store: SqliteStore): PluginRecord[] {
  const rows = store.db.query('SELECT * FROM plugins ORDER BY name').all() as PluginDbRow[]
  return rows.map((r) => {
    const tools = parseJson(r.tools)
    const rec: PluginRecord = {
      name: r.name,
      type: 'mcp',
      status: r.status as PluginRowStatus,
      config: (parseJson(r.config) as Record<string, unknown>) ?? {},
      tools: (Array.isArray(tools) ? (tools as StoredTool[]) : []).map((t) => ({
        name: t.name,
        action: `${r.name}.${t.name}`,
        ...(t.description === undefined ? {} : { description: t.description }),
      })),
      created_at: iso(r.created_at) as string,
      updated_at: iso(r.updated_at) as string,
    }
    if (r.error_message !== null) rec.error = r.error_message
    if (r.last_health_check !== null) rec.last_health_check = iso(r.last_health_check) as string
    return rec
  })
}
