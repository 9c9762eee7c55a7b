/**
 * The database schema (spec server.md §10.3), in Drizzle. `drizzle-kit generate` turns it into the
 * SQL migrations of drizzle/, embedded in the program by scripts/embed-migrations.ts.
 *
 * Where we differ from the reference, for the hot path (decisions.md D3): times are integer epoch
 * milliseconds; events carry a `v` schema-version column; only indexes that queries use exist;
 * step_state and events are keyed for the writes of one flush. Templates get an integer
 * `version_num` so "latest" and the next version are resolved in SQL, atomically.
 *
 * Every B-tree a commit touches costs a page write (two syscalls) — measured ~8 µs a page here —
 * so the tables written by every run are clustered on time-ordered keys (UUIDv7 workflow ids):
 * `workflows`, `events` and `step_state` are WITHOUT ROWID tables whose new rows land on one
 * right-edge page each; definitions are stored once per distinct text (`definitions`), not per
 * run; the only workflow index on the hot path is partial (open workflows), so a run that starts
 * and ends within one flush never touches it. Drizzle cannot declare WITHOUT ROWID: the migrations
 * add it by hand (drizzle/0000 and 0002).
 */
import { sql } from 'drizzle-orm'
import {
  blob,
  check,
  index,
  integer,
  primaryKey,
  real,
  sqliteTable,
  text,
  uniqueIndex,
} from 'drizzle-orm/sqlite-core'

const now = sql`(CAST(unixepoch('subsec') * 1000 AS INTEGER))`

export const agents = sqliteTable(
  'agents',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    type: text('type').notNull().default('llm'),
    metadata: text('metadata').notNull().default('{}'),
    created_at: integer('created_at').notNull().default(now),
    last_seen_at: integer('last_seen_at'),
  },
  (t) => [check('agents_type', sql`${t.type} IN ('llm', 'system', 'human', 'service')`)],
)

/** Definition texts, content-addressed (sha256 of the JSON): one row per distinct definition. */
export const definitions = sqliteTable('definitions', {
  id: text('id').primaryKey(),
  json: text('json').notNull(),
  created_at: integer('created_at').notNull(),
})

export const workflows = sqliteTable(
  'workflows',
  {
    id: text('id').primaryKey(),
    name: text('name'),
    template_name: text('template_name'),
    template_version: text('template_version'),
    definition_id: text('definition_id').notNull(),
    status: text('status').notNull().default('pending'),
    agent_id: text('agent_id').notNull(),
    parent_workflow_id: text('parent_workflow_id'),
    parent_step_id: text('parent_step_id'),
    depth: integer('depth').notNull().default(0),
    input_params: text('input_params').notNull().default('{}'),
    output: text('output'),
    error: text('error'),
    wake_at: integer('wake_at'),
    created_at: integer('created_at').notNull(),
    started_at: integer('started_at'),
    completed_at: integer('completed_at'),
    updated_at: integer('updated_at').notNull(),
  },
  (t) => [
    check(
      'workflows_status',
      sql`${t.status} IN ('pending', 'active', 'suspended', 'completed', 'failed', 'cancelled')`,
    ),
    // Only open workflows are indexed by status (recovery, timers, "what is running");
    // listings walk the primary key, which is time-ordered.
    index('idx_workflows_open')
      .on(t.status, t.wake_at)
      .where(sql`${t.status} IN ('pending', 'active', 'suspended')`),
    index('idx_workflows_parent')
      .on(t.parent_workflow_id)
      .where(sql`${t.parent_workflow_id} IS NOT NULL`),
  ],
)

export const events = sqliteTable(
  'events',
  {
    /** Global, monotonic event number (assigned by the store; not indexed). */
    id: integer('id').notNull(),
    workflow_id: text('workflow_id').notNull(),
    sequence: integer('sequence').notNull(),
    step_id: text('step_id'),
    event_type: text('event_type').notNull(),
    payload: text('payload'),
    agent_id: text('agent_id'),
    timestamp: integer('timestamp').notNull(),
    v: integer('v').notNull().default(1),
  },
  // The unique index is also the replay index; no per-type index on the hot path (queries by type
  // scan newest-first, see store/queries.ts).
  // Clustered by (workflow, sequence): replay is one range read; no secondary index on the hot
  // path (queries by type or global recency scan, see store/queries.ts).
  (t) => [primaryKey({ columns: [t.workflow_id, t.sequence] })],
)

export const stepState = sqliteTable(
  'step_state',
  {
    workflow_id: text('workflow_id').notNull(),
    step_id: text('step_id').notNull(),
    status: text('status').notNull().default('pending'),
    input: text('input'),
    output: text('output'),
    error: text('error'),
    retry_count: integer('retry_count').notNull().default(0),
    started_at: integer('started_at'),
    completed_at: integer('completed_at'),
    duration_ms: real('duration_ms'),
  },
  (t) => [primaryKey({ columns: [t.workflow_id, t.step_id] })],
)

export const workflowContext = sqliteTable(
  'workflow_context',
  {
    workflow_id: text('workflow_id').primaryKey(),
    agent_id: text('agent_id').notNull(),
    original_intent: text('original_intent').notNull().default(''),
    decisions_log: text('decisions_log').notNull().default('[]'),
    accumulated_data: text('accumulated_data').notNull().default('{}'),
    agent_notes: text('agent_notes'),
    created_at: integer('created_at').notNull(),
    updated_at: integer('updated_at').notNull(),
  },
  (t) => [index('idx_context_agent').on(t.agent_id, t.updated_at)],
)

export const pendingDecisions = sqliteTable(
  'pending_decisions',
  {
    id: text('id').primaryKey(),
    workflow_id: text('workflow_id').notNull(),
    step_id: text('step_id').notNull(),
    agent_id: text('agent_id'),
    target_agent_id: text('target_agent_id'),
    context: text('context').notNull(),
    options: text('options').notNull(),
    timeout_at: integer('timeout_at'),
    fallback: text('fallback'),
    resolution: text('resolution'),
    resolved_by: text('resolved_by'),
    resolved_at: integer('resolved_at'),
    status: text('status').notNull().default('pending'),
    created_at: integer('created_at').notNull(),
  },
  (t) => [
    check(
      'decisions_status',
      sql`${t.status} IN ('pending', 'resolved', 'timed_out', 'cancelled')`,
    ),
    index('idx_decisions_pending').on(t.status, t.created_at),
    index('idx_decisions_workflow').on(t.workflow_id),
  ],
)

export const workflowTemplates = sqliteTable(
  'workflow_templates',
  {
    name: text('name').notNull(),
    version: text('version').notNull(),
    version_num: integer('version_num').notNull(),
    description: text('description'),
    definition: text('definition').notNull(),
    input_schema: text('input_schema'),
    output_schema: text('output_schema'),
    triggers: text('triggers'),
    permissions: text('permissions'),
    agent_id: text('agent_id').notNull(),
    created_at: integer('created_at').notNull(),
    updated_at: integer('updated_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.name, t.version_num] }),
    uniqueIndex('idx_templates_version').on(t.name, t.version),
  ],
)

export const plugins = sqliteTable(
  'plugins',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    type: text('type').notNull().default('mcp'),
    config: text('config').notNull(),
    status: text('status').notNull().default('inactive'),
    tools: text('tools').notNull().default('[]'),
    last_health_check: integer('last_health_check'),
    error_message: text('error_message'),
    created_at: integer('created_at').notNull(),
    updated_at: integer('updated_at').notNull(),
  },
  (t) => [
    check('plugins_type', sql`${t.type} IN ('mcp')`),
    check(
      'plugins_status',
      sql`${t.status} IN ('active', 'inactive', 'error', 'starting', 'restarting')`,
    ),
  ],
)

export const secrets = sqliteTable('secrets', {
  key: text('key').primaryKey(),
  value: blob('value', { mode: 'buffer' }).notNull(),
  created_at: integer('created_at').notNull(),
  updated_at: integer('updated_at').notNull(),
})

/** One row: the vault's KDF salt, iteration count and key-verification blob (server.md §13 Ours). */
export const vaultMeta = sqliteTable('vault_meta', {
  id: integer('id').primaryKey(),
  meta: text('meta').notNull(),
  created_at: integer('created_at').notNull(),
})

export const scheduledJobs = sqliteTable(
  'scheduled_jobs',
  {
    id: text('id').primaryKey(),
    template_name: text('template_name').notNull(),
    template_version: text('template_version'),
    cron_expression: text('cron_expression').notNull(),
    timezone: text('timezone').notNull().default('UTC'),
    params: text('params').notNull().default('{}'),
    agent_id: text('agent_id').notNull(),
    enabled: integer('enabled', { mode: 'boolean' }).notNull().default(true),
    catch_up: text('catch_up').notNull().default('one'),
    overlap: text('overlap').notNull().default('skip'),
    source: text('source').notNull().default('api'),
    last_run_at: integer('last_run_at'),
    next_run_at: integer('next_run_at'),
    last_run_status: text('last_run_status'),
    last_workflow_id: text('last_workflow_id'),
    created_at: integer('created_at').notNull(),
    updated_at: integer('updated_at').notNull(),
  },
  (t) => [
    index('idx_scheduled_next').on(t.next_run_at).where(sql`${t.enabled} = 1`),
    index('idx_scheduled_template').on(t.template_name),
  ],
)

/** History of scheduled fires: which workflow each fire started and how it ended. */
export const jobRuns = sqliteTable(
  'job_runs',
  {
    id: integer('id').primaryKey(),
    job_id: text('job_id').notNull(),
    scheduled_for: integer('scheduled_for').notNull(),
    workflow_id: text('workflow_id'),
    status: text('status').notNull(),
    error: text('error'),
    started_at: integer('started_at').notNull(),
    finished_at: integer('finished_at'),
    /** Why it fired: `cron` (on time), `catch_up` (missed while down) or `manual` (run-now). */
    kind: text('kind').notNull().default('cron'),
  },
  (t) => [
    uniqueIndex('idx_job_runs_fire').on(t.job_id, t.scheduled_for),
    index('idx_job_runs_workflow').on(t.workflow_id),
    // Runs still in flight, reconciled by the scheduler on every tick.
    index('idx_job_runs_active')
      .on(t.status)
      .where(sql`${t.status} IN ('claimed', 'running', 'suspended')`),
  ],
)

export const auditLog = sqliteTable(
  'audit_log',
  {
    id: integer('id').primaryKey(),
    agent_id: text('agent_id').notNull(),
    action: text('action').notNull(),
    resource_type: text('resource_type').notNull(),
    resource_id: text('resource_id'),
    details: text('details'),
    timestamp: integer('timestamp').notNull(),
  },
  (t) => [index('idx_audit_agent').on(t.agent_id, t.timestamp)],
)

/** Results of signals sent with a `signal_id` (decisions.md D4: a re-send returns the first result). */
export const signalResults = sqliteTable(
  'signal_results',
  {
    workflow_id: text('workflow_id').notNull(),
    signal_id: text('signal_id').notNull(),
    result: text('result').notNull(),
    created_at: integer('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.workflow_id, t.signal_id] })],
)

/** Who holds the database (decisions.md D13): the single-server policy of the SQLite store. */
export const instance = sqliteTable('instance', {
  id: integer('id').primaryKey(),
  pid: integer('pid').notNull(),
  address: text('address'),
  mode: text('mode').notNull(),
  started_at: integer('started_at').notNull(),
})
