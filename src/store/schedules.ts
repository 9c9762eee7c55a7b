/**
 * Scheduled jobs and their run history (spec server.md §10.3/§11 with its Ours notes; decisions.md
 * D13, D19). Jobs are validated here, at creation: a bad cron is a VALIDATION_ERROR, an unknown
 * template NOT_FOUND, and `next_run_at` is computed at once.
 *
 * Firing is claimed in SQL: one write transaction re-reads the job, checks that `next_run_at` is
 * still the value the claimer saw (`UPDATE … WHERE id = ? AND next_run_at = ?`), moves it forward
 * and inserts the `job_runs` rows of the fire, each with its workflow id chosen up front. Two
 * schedulers on one database therefore never both claim a fire, and a restart between the claim
 * and the start finds the claimed run and starts that same workflow id (never a second one).
 */
import { randomUUID } from 'node:crypto'
import { AppError, type ErrorObject } from '../errors.ts'
import { compileCron } from '../scheduler/cron.ts'
import {
  CATCH_UP_POLICIES,
  type CatchUpPolicy,
  type FireKind,
  type FirePlan,
  OVERLAP_POLICIES,
  type OverlapPolicy,
} from '../scheduler/plan.ts'
import type {
  JobRun,
  RunStatus,
  Schedule,
  ScheduleInput,
  SchedulePatch,
  ScheduleSource,
} from '../scheduler/schema.ts'
import { cronTriggerOf } from '../scheduler/triggers.ts'
import { iso } from '../schema/time.ts'
import { parseJson } from './json.ts'
import { limitOf } from './records.ts'
import type { SqliteStore } from './sqlite.ts'

interface JobDbRow {
  id: string
  template_name: string
  template_version: string | null
  cron_expression: string
  timezone: string
  params: string
  agent_id: string
  enabled: number
  catch_up: string
  overlap: string
  source: string
  last_run_at: number | null
  next_run_at: number | null
  last_run_status: string | null
  last_workflow_id: string | null
  created_at: number
  updated_at: number
}

interface RunDbRow {
  id: number
  job_id: string
  scheduled_for: number
  workflow_id: string | null
  status: string
  error: string | null
  started_at: number
  finished_at: number | null
  kind: string
}

/** A job as the scheduler sees it (times in epoch ms). */
export interface JobRecord {
  id: string
  template_name: string
  template_version?: string
  cron_expression: string
  timezone: string
  params: Record<string, unknown>
  agent_id: string
  enabled: boolean
  catch_up: CatchUpPolicy
  overlap: OverlapPolicy
  source: ScheduleSource
  next_run_at: number | null
  last_workflow_id?: string
}

/** A fire claimed by a scheduler: start `workflow_id` for it (idempotently). */
export interface ClaimedFire {
  run_id: number
  job_id: string
  scheduled_for: number
  workflow_id: string
  kind: FireKind
}

/** Statuses of runs still in flight. */
export const ACTIVE_RUN_STATUSES = ['claimed', 'running', 'suspended'] as const
const ACTIVE_SQL = "('claimed', 'running', 'suspended')"

export interface ScheduleFilter {
  enabled?: boolean
  agent_id?: string
  template_name?: string
  source?: ScheduleSource
  limit?: number
  offset?: number
}

export interface ScheduleStoreOptions {
  /** Current time, epoch ms (default Date.now; the scheduler passes its Clock). */
  now?: () => number
  /** New job ids (default random UUIDs). */
  newId?: () => string
}

/** CRUD of scheduled jobs (CLI, HTTP, MCP and template triggers all come through here). */
export interface ScheduleStore {
  readonly store: SqliteStore
  /** Creates a job; VALIDATION_ERROR for a bad cron or field, NOT_FOUND for an unknown template. */
  add(input: ScheduleInput, source?: ScheduleSource): Schedule
  /** NOT_FOUND `scheduled_job "<id>" not found`. */
  get(id: string): Schedule
  /** Newest first. */
  list(filter?: ScheduleFilter): Schedule[]
  /** Changes fields; the next fire is recomputed when the cron or the zone changes. */
  update(id: string, patch: SchedulePatch): Schedule
  /** Deletes the job and its history (a run in flight continues unrecorded). */
  remove(id: string): void
  /** Enables a job; its next fire is computed from now (nothing missed while disabled runs). */
  enable(id: string): Schedule
  disable(id: string): Schedule
  /** History, newest fire first (default 20, at most 1000). */
  runs(jobId: string, options?: { limit?: number }): JobRun[]
  /**
   * decisions.md D19: makes the template's `triggers.cron` the one schedule of source `trigger` for
   * that template (updated in place, keeping its id, history and enabled flag), or removes it when
   * the new version has no cron trigger. Returns the schedule, or undefined.
   */
  syncTriggers(template: {
    name: string
    version: string
    agent_id: string
    triggers?: unknown
  }): Schedule | undefined
  /** Removes the trigger-created schedules of a template; returns how many. */
  removeForTemplate(name: string): number
  /** Calls `fn` after every change (the scheduler re-arms its timer). */
  onChange(fn: () => void): () => void
}

export function createScheduleStore(
  store: SqliteStore,
  options: ScheduleStoreOptions = {},
): ScheduleStore {
  const now = options.now ?? Date.now
  const newId = options.newId ?? randomUUID
  const listeners = new Set<() => void>()
  const changed = (): void => {
    for (const fn of listeners) {
      try {
        fn()
      } catch {
        // a listener's failure is its own; the change is committed
      }
    }
  }
  const db = store.db

  const row = (id: string): JobDbRow => {
    const r = db.query('SELECT * FROM scheduled_jobs WHERE id = ?').get(id) as JobDbRow | null
    if (r === null) {
      throw new AppError('NOT_FOUND', `scheduled_job "${id}" not found`, { details: { id } })
    }
    return r
  }

  const insert = (input: ScheduleInput, source: ScheduleSource): Schedule => {
    const v = checkInput(input)
    requireTemplate(store, v.template_name, v.template_version)
    const t = now()
    const id = newId()
    const next = v.enabled ? (compileCron(v.cron_expression, v.timezone).next(t) ?? null) : null
    store.transaction(() => {
      registerAgent(store, v.agent_id, t)
      db.query(
        'INSERT INTO scheduled_jobs (id, template_name, template_version, cron_expression, timezone, params, agent_id, enabled, catch_up, overlap, source, next_run_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(
        id,
        v.template_name,
        v.template_version ?? null,
        v.cron_expression,
        v.timezone,
        JSON.stringify(v.params),
        v.agent_id,
        v.enabled ? 1 : 0,
        v.catch_up,
        v.overlap,
        source,
        next,
        t,
        t,
      )
    })
    changed()
    return wire(row(id))
  }

  const apply = (id: string, patch: SchedulePatch): Schedule => {
    const cur = row(id)
    const merged: ScheduleInput = {
      template_name: patch.template_name ?? cur.template_name,
      cron_expression: patch.cron_expression ?? cur.cron_expression,
      timezone: patch.timezone ?? cur.timezone,
      params: patch.params ?? (parseJson(cur.params) as Record<string, unknown>),
      agent_id: patch.agent_id ?? cur.agent_id,
      enabled: patch.enabled ?? cur.enabled === 1,
      catch_up: patch.catch_up ?? (cur.catch_up as CatchUpPolicy),
      overlap: patch.overlap ?? (cur.overlap as OverlapPolicy),
    }
    const version = patch.template_version ?? cur.template_version ?? undefined
    if (version !== undefined && version !== '') merged.template_version = version
    // A TZ= prefix in a new expression wins over the stored zone (which came from the old one).
    if (patch.cron_expression !== undefined && patch.timezone === undefined) delete merged.timezone
    const v = checkInput(merged)
    if (patch.template_name !== undefined || patch.template_version !== undefined) {
      requireTemplate(store, v.template_name, v.template_version)
    }
    const t = now()
    const timing =
      v.cron_expression !== cur.cron_expression ||
      v.timezone !== cur.timezone ||
      v.enabled !== (cur.enabled === 1)
    let next = cur.next_run_at
    if (!v.enabled) next = null
    else if (timing || next === null)
      next = compileCron(v.cron_expression, v.timezone).next(t) ?? null
    store.transaction(() => {
      registerAgent(store, v.agent_id, t)
      db.query(
        'UPDATE scheduled_jobs SET template_name = ?, template_version = ?, cron_expression = ?, timezone = ?, params = ?, agent_id = ?, enabled = ?, catch_up = ?, overlap = ?, next_run_at = ?, updated_at = ? WHERE id = ?',
      ).run(
        v.template_name,
        v.template_version ?? null,
        v.cron_expression,
        v.timezone,
        JSON.stringify(v.params),
        v.agent_id,
        v.enabled ? 1 : 0,
        v.catch_up,
        v.overlap,
        next,
        t,
        id,
      )
    })
    changed()
    return wire(row(id))
  }

  const removeIds = (ids: string[]): void => {
    store.transaction(() => {
      for (const id of ids) {
        db.query('DELETE FROM job_runs WHERE job_id = ?').run(id)
        db.query('DELETE FROM scheduled_jobs WHERE id = ?').run(id)
      }
    })
  }

  return {
    store,
    add: (input, source = 'api') => insert(input, source),
    get: (id) => wire(row(id)),
    list(filter = {}) {
      const where: string[] = []
      const args: Array<string | number> = []
      if (filter.enabled !== undefined) {
        where.push('enabled = ?')
        args.push(filter.enabled ? 1 : 0)
      }
      for (const key of ['agent_id', 'template_name', 'source'] as const) {
        const value = filter[key]
        if (value !== undefined) {
          where.push(`${key} = ?`)
          args.push(value)
        }
      }
      args.push(limitOf(filter.limit, 100), Math.max(0, filter.offset ?? 0))
      const sql = `SELECT * FROM scheduled_jobs${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`
      return (db.query(sql).all(...args) as JobDbRow[]).map(wire)
    },
    update: apply,
    remove(id) {
      row(id)
      removeIds([id])
      changed()
    },
    enable: (id) => apply(id, { enabled: true }),
    disable: (id) => apply(id, { enabled: false }),
    runs(jobId, opts = {}) {
      row(jobId)
      const rows = db
        .query(
          'SELECT * FROM job_runs WHERE job_id = ? ORDER BY scheduled_for DESC, id DESC LIMIT ?',
        )
        .all(jobId, limitOf(opts.limit, 20)) as RunDbRow[]
      return rows.map(runWire)
    },
    syncTriggers(template) {
      const trigger = cronTriggerOf(template.triggers)
      const existing = db
        .query(
          "SELECT id FROM scheduled_jobs WHERE template_name = ? AND source = 'trigger' ORDER BY created_at",
        )
        .all(template.name) as Array<{ id: string }>
      if (trigger === undefined) {
        if (existing.length > 0) {
          removeIds(existing.map((e) => e.id))
          changed()
        }
        return undefined
      }
      const input: ScheduleInput = {
        template_name: template.name,
        template_version: template.version,
        cron_expression: trigger.expression,
        params: trigger.params ?? {},
        agent_id: trigger.agent_id ?? template.agent_id,
        catch_up: trigger.catch_up ?? 'one',
        overlap: trigger.overlap ?? 'skip',
      }
      if (trigger.timezone !== undefined) input.timezone = trigger.timezone
      const [keep, ...extra] = existing
      if (extra.length > 0) removeIds(extra.map((e) => e.id))
      if (keep === undefined) return insert(input, 'trigger')
      const cur = row(keep.id)
      return apply(keep.id, {
        ...input,
        // the schedule's own zone is replaced too (absent in the trigger = UTC or the TZ= prefix)
        timezone: trigger.timezone ?? zoneOf(trigger.expression),
        enabled: cur.enabled === 1,
      })
    },
    removeForTemplate(name) {
      const ids = (
        db
          .query("SELECT id FROM scheduled_jobs WHERE template_name = ? AND source = 'trigger'")
          .all(name) as Array<{ id: string }>
      ).map((r) => r.id)
      if (ids.length > 0) {
        removeIds(ids)
        changed()
      }
      return ids.length
    },
    onChange(fn) {
      listeners.add(fn)
      return () => listeners.delete(fn)
    },
  }
}

// ---------------------------------------------------------------------------------------------
// Validation

interface CheckedInput {
  template_name: string
  template_version?: string
  cron_expression: string
  timezone: string
  params: Record<string, unknown>
  agent_id: string
  enabled: boolean
  catch_up: CatchUpPolicy
  overlap: OverlapPolicy
}

const MAX_PARAMS_BYTES = 1024 * 1024

function checkInput(input: ScheduleInput): CheckedInput {
  if (input === null || typeof input !== 'object') {
    throw bad('', 'a schedule must be an object')
  }
  const name = input.template_name
  if (typeof name !== 'string' || name.trim() === '') {
    throw bad('/template_name', 'template_name is required')
  }
  const version = input.template_version
  if (version !== undefined && version !== null && typeof version !== 'string') {
    throw bad('/template_version', 'template_version must be a string such as "v2"')
  }
  const agent = input.agent_id
  if (typeof agent !== 'string' || agent.trim() === '' || agent.length > 256) {
    throw bad('/agent_id', 'agent_id must be a non-empty string (at most 256 characters)')
  }
  const params = input.params ?? {}
  if (params === null || typeof params !== 'object' || Array.isArray(params)) {
    throw bad('/params', 'params must be a JSON object')
  }
  let paramsText: string
  try {
    paramsText = JSON.stringify(params)
  } catch {
    throw bad('/params', 'params must be plain JSON')
  }
  if (paramsText.length > MAX_PARAMS_BYTES) {
    throw bad('/params', `params are ${paramsText.length} bytes; the limit is 1 MiB`)
  }
  const catchUp = input.catch_up ?? 'one'
  if (!(CATCH_UP_POLICIES as readonly string[]).includes(catchUp)) {
    throw bad('/catch_up', `catch_up must be one of ${CATCH_UP_POLICIES.join(', ')}`)
  }
  const overlap = input.overlap ?? 'skip'
  if (!(OVERLAP_POLICIES as readonly string[]).includes(overlap)) {
    throw bad('/overlap', `overlap must be one of ${OVERLAP_POLICIES.join(', ')}`)
  }
  if (input.enabled !== undefined && typeof input.enabled !== 'boolean') {
    throw bad('/enabled', 'enabled must be true or false')
  }
  if (input.timezone !== undefined && typeof input.timezone !== 'string') {
    throw bad('/timezone', 'timezone must be an IANA name such as Europe/Paris')
  }
  const cron = compileCron(input.cron_expression, input.timezone)
  const out: CheckedInput = {
    template_name: name.trim(),
    cron_expression: cron.expression,
    timezone: cron.timezone,
    params: params as Record<string, unknown>,
    agent_id: agent,
    enabled: input.enabled ?? true,
    catch_up: catchUp,
    overlap,
  }
  if (typeof version === 'string' && version !== '') out.template_version = version
  return out
}

function zoneOf(expression: string): string {
  return compileCron(expression).timezone
}

function requireTemplate(store: SqliteStore, name: string, version: string | undefined): void {
  if (store.templateDbRow(name, version) !== undefined) return
  const label = version === undefined ? name : `${name}:${version}`
  throw new AppError('NOT_FOUND', `template "${label}" not found`, {
    details: { template_name: name, version: version ?? null },
  })
}

function bad(path: string, message: string): AppError {
  return new AppError('VALIDATION_ERROR', message, {
    issues: [{ path, code: 'VALIDATION_ERROR', message, severity: 'error' }],
  })
}

/**
 * Registers a job's agent if it is unknown (spec server.md §6: workflows need a known agent), without
 * marking it seen: a scheduled fire is not the agent acting.
 */
export function registerAgent(store: SqliteStore, agentId: string, now: number): void {
  store.db
    .query(
      "INSERT INTO agents (id, name, type, created_at) VALUES (?, ?, 'llm', ?) ON CONFLICT (id) DO NOTHING",
    )
    .run(agentId, agentId, now)
}

// ---------------------------------------------------------------------------------------------
// Wire forms

function wire(r: JobDbRow): Schedule {
  const s: Schedule = {
    id: r.id,
    template_name: r.template_name,
    cron_expression: r.cron_expression,
    timezone: r.timezone,
    params: (parseJson(r.params) as Record<string, unknown>) ?? {},
    agent_id: r.agent_id,
    enabled: r.enabled === 1,
    catch_up: r.catch_up as CatchUpPolicy,
    overlap: r.overlap as OverlapPolicy,
    source: r.source as ScheduleSource,
    next_run_at: iso(r.next_run_at) ?? null,
    created_at: iso(r.created_at) as string,
    updated_at: iso(r.updated_at) as string,
  }
  if (r.template_version !== null) s.template_version = r.template_version
  if (r.last_run_at !== null) s.last_run_at = iso(r.last_run_at) as string
  if (r.last_run_status !== null) s.last_run_status = r.last_run_status as RunStatus
  if (r.last_workflow_id !== null) s.last_workflow_id = r.last_workflow_id
  return s
}

function runWire(r: RunDbRow): JobRun {
  const out: JobRun = {
    id: r.id,
    job_id: r.job_id,
    scheduled_for: iso(r.scheduled_for) as string,
    kind: r.kind as FireKind,
    status: r.status as RunStatus,
    started_at: iso(r.started_at) as string,
  }
  if (r.workflow_id !== null) out.workflow_id = r.workflow_id
  if (r.error !== null) out.error = parseJson(r.error) as JobRun['error'] & object
  if (r.finished_at !== null) out.finished_at = iso(r.finished_at) as string
  return out
}

function record(r: JobDbRow): JobRecord {
  const j: JobRecord = {
    id: r.id,
    template_name: r.template_name,
    cron_expression: r.cron_expression,
    timezone: r.timezone,
    params: (parseJson(r.params) as Record<string, unknown>) ?? {},
    agent_id: r.agent_id,
    enabled: r.enabled === 1,
    catch_up: r.catch_up as CatchUpPolicy,
    overlap: r.overlap as OverlapPolicy,
    source: r.source as ScheduleSource,
    next_run_at: r.next_run_at,
  }
  if (r.template_version !== null) j.template_version = r.template_version
  if (r.last_workflow_id !== null) j.last_workflow_id = r.last_workflow_id
  return j
}

// ---------------------------------------------------------------------------------------------
// The scheduler's SQL

/** Enabled jobs due at `now`, oldest fire first. */
export function dueJobs(
  store: SqliteStore,
  now: number,
  limit = 500,
): Array<{ id: string; next_run_at: number }> {
  return store.db
    .query(
      'SELECT id, next_run_at FROM scheduled_jobs WHERE enabled = 1 AND next_run_at <= ? ORDER BY next_run_at LIMIT ?',
    )
    .all(now, limit) as Array<{ id: string; next_run_at: number }>
}

/** The earliest pending fire among enabled jobs, leaving out the jobs in `except`. */
export function earliestFire(
  store: SqliteStore,
  except: Iterable<string> = [],
): number | undefined {
  const r = store.db
    .query(
      'SELECT MIN(next_run_at) AS t FROM scheduled_jobs WHERE enabled = 1 AND next_run_at IS NOT NULL AND id NOT IN (SELECT value FROM json_each(?))',
    )
    .get(JSON.stringify([...except])) as { t: number | null } | null
  return r?.t ?? undefined
}

/** A claimed run whose workflow is now created: `running` (unless it already moved on). */
export function markRunStarted(store: SqliteStore, runId: number): void {
  store.transaction(() => {
    const r = store.db
      .query(
        "UPDATE job_runs SET status = 'running' WHERE id = ? AND status = 'claimed' RETURNING job_id, workflow_id",
      )
      .get(runId) as { job_id: string; workflow_id: string } | null
    if (r === null) return
    store.db
      .query(
        "UPDATE scheduled_jobs SET last_run_status = 'running' WHERE id = ? AND last_workflow_id = ? AND last_run_status = 'claimed'",
      )
      .run(r.job_id, r.workflow_id)
  })
}

export type ClaimOutcome =
  | { claimed: true; fires: ClaimedFire[]; plan: FirePlan; job: JobRecord }
  /** Someone else moved the job (claimed it, edited, disabled or removed it) since it was read. */
  | { claimed: false }

/**
 * Claims the due fire `expectedNext` of a job, atomically: inside one write transaction the job is
 * re-read, `decide` plans the fire (given whether a previous run is still active), `next_run_at`
 * moves forward with a compare-and-set, and the runs are inserted. A plan that waits changes nothing.
 */
export function claimJob(
  store: SqliteStore,
  jobId: string,
  expectedNext: number,
  now: number,
  decide: (job: JobRecord, active: boolean) => FirePlan,
  newWorkflowId: () => string,
): ClaimOutcome {
  const db = store.db
  return store.transaction((): ClaimOutcome => {
    const r = db
      .query('SELECT * FROM scheduled_jobs WHERE id = ? AND enabled = 1 AND next_run_at = ?')
      .get(jobId, expectedNext) as JobDbRow | null
    if (r === null) return { claimed: false }
    const job = record(r)
    const active = activeRun(store, jobId)
    const plan = decide(job, active !== undefined)
    if (plan.wait) return { claimed: true, fires: [], plan, job }
    const moved = db
      .query(
        'UPDATE scheduled_jobs SET next_run_at = ?, updated_at = ? WHERE id = ? AND next_run_at = ?',
      )
      .run(plan.next ?? null, now, jobId, expectedNext)
    if (moved.changes !== 1) return { claimed: false }
    const fires: ClaimedFire[] = []
    const insert = db.query(
      'INSERT INTO job_runs (job_id, scheduled_for, workflow_id, status, error, started_at, kind) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (job_id, scheduled_for) DO NOTHING RETURNING id',
    )
    for (const f of plan.fires) {
      const workflowId = newWorkflowId()
      const got = insert.get(jobId, f.at, workflowId, 'claimed', null, now, f.kind) as {
        id: number
      } | null
      // A run already recorded for that fire time was claimed before: never a second workflow.
      if (got !== null) {
        fires.push({
          run_id: got.id,
          job_id: jobId,
          scheduled_for: f.at,
          workflow_id: workflowId,
          kind: f.kind,
        })
      }
    }
    const activeId = active?.workflow_id ?? null
    for (const at of plan.skipped) {
      insert.get(
        jobId,
        at,
        null,
        'skipped',
        JSON.stringify({
          code: 'CONFLICT',
          message: `the previous run${activeId === null ? '' : ` (${activeId})`} is still active (overlap: skip)`,
        }),
        now,
        'cron',
      )
    }
    const lastFire = fires.at(-1)
    if (lastFire !== undefined) {
      db.query(
        "UPDATE scheduled_jobs SET last_run_at = ?, last_run_status = 'claimed', last_workflow_id = ? WHERE id = ?",
      ).run(lastFire.scheduled_for, lastFire.workflow_id, jobId)
    } else if (plan.skipped.length > 0) {
      db.query(
        "UPDATE scheduled_jobs SET last_run_at = ?, last_run_status = 'skipped' WHERE id = ?",
      ).run(plan.skipped.at(-1) as number, jobId)
    }
    return { claimed: true, fires, plan, job }
  })
}

/**
 * Claims a manual fire (run-now) at `now`. NOT_FOUND for an unknown job; CONFLICT when its overlap
 * policy is `skip` and a previous run is still active.
 */
export function claimManual(
  store: SqliteStore,
  jobId: string,
  now: number,
  newWorkflowId: () => string,
): { fire: ClaimedFire; job: JobRecord } {
  const db = store.db
  return store.transaction(() => {
    const r = db.query('SELECT * FROM scheduled_jobs WHERE id = ?').get(jobId) as JobDbRow | null
    if (r === null) {
      throw new AppError('NOT_FOUND', `scheduled_job "${jobId}" not found`, {
        details: { id: jobId },
      })
    }
    const job = record(r)
    if (job.overlap === 'skip') {
      const active = activeRun(store, jobId)
      if (active !== undefined) {
        throw new AppError(
          'CONFLICT',
          `the previous run of scheduled_job "${jobId}"${active.workflow_id === null ? '' : ` (workflow ${active.workflow_id})`} is still active and its overlap policy is skip`,
          { details: { id: jobId, workflow_id: active.workflow_id } },
        )
      }
    }
    // One run per (job, fire time): a manual fire in the same millisecond as another moves on by 1 ms.
    let at = now
    while (
      db.query('SELECT 1 FROM job_runs WHERE job_id = ? AND scheduled_for = ?').get(jobId, at) !==
      null
    ) {
      at++
    }
    const workflowId = newWorkflowId()
    const got = db
      .query(
        "INSERT INTO job_runs (job_id, scheduled_for, workflow_id, status, started_at, kind) VALUES (?, ?, ?, 'claimed', ?, 'manual') RETURNING id",
      )
      .get(jobId, at, workflowId, now) as { id: number }
    db.query(
      "UPDATE scheduled_jobs SET last_run_at = ?, last_run_status = 'claimed', last_workflow_id = ?, updated_at = ? WHERE id = ?",
    ).run(at, workflowId, now, jobId)
    return {
      fire: {
        run_id: got.id,
        job_id: jobId,
        scheduled_for: at,
        workflow_id: workflowId,
        kind: 'manual',
      },
      job,
    }
  })
}

/** The latest run of a job still in flight, if any. */
function activeRun(store: SqliteStore, jobId: string): { workflow_id: string | null } | undefined {
  const r = store.db
    .query(
      `SELECT workflow_id FROM job_runs WHERE job_id = ? AND status IN ${ACTIVE_SQL} ORDER BY id DESC LIMIT 1`,
    )
    .get(jobId) as { workflow_id: string | null } | null
  return r ?? undefined
}

/** The job a claimed run belongs to (undefined when it was removed since). */
export function jobOf(store: SqliteStore, jobId: string): JobRecord | undefined {
  const r = store.db
    .query('SELECT * FROM scheduled_jobs WHERE id = ?')
    .get(jobId) as JobDbRow | null
  return r === null ? undefined : record(r)
}

/**
 * Records a run's progress: `running`/`suspended` while its workflow lives, then its end. Only runs
 * still in flight change (a late or repeated report is ignored). The job's `last_run_status`
 * follows when the run is its latest.
 */
export function setRunStatus(
  store: SqliteStore,
  workflowId: string,
  status: RunStatus,
  now: number,
  error?: ErrorObject | { code: string; message: string },
): void {
  const terminal = !(ACTIVE_RUN_STATUSES as readonly string[]).includes(status)
  store.transaction(() => {
    const r = store.db
      .query(
        `SELECT id, job_id, status FROM job_runs WHERE workflow_id = ? AND status IN ${ACTIVE_SQL}`,
      )
      .get(workflowId) as { id: number; job_id: string; status: string } | null
    if (r === null || r.status === status) return
    store.db
      .query('UPDATE job_runs SET status = ?, error = ?, finished_at = ? WHERE id = ?')
      .run(status, error === undefined ? null : JSON.stringify(error), terminal ? now : null, r.id)
    store.db
      .query('UPDATE scheduled_jobs SET last_run_status = ? WHERE id = ? AND last_workflow_id = ?')
      .run(status, r.job_id, workflowId)
  })
}

/** A claimed run that could not start (template missing, bad params…): recorded `error`. */
export function failRun(
  store: SqliteStore,
  runId: number,
  error: { code: string; message: string },
  now: number,
): void {
  store.transaction(() => {
    const r = store.db
      .query('SELECT job_id, workflow_id FROM job_runs WHERE id = ?')
      .get(runId) as {
      job_id: string
      workflow_id: string | null
    } | null
    if (r === null) return
    store.db
      .query(
        `UPDATE job_runs SET status = 'error', error = ?, finished_at = ? WHERE id = ? AND status IN ${ACTIVE_SQL}`,
      )
      .run(JSON.stringify(error), now, runId)
    store.db
      .query(
        "UPDATE scheduled_jobs SET last_run_status = 'error' WHERE id = ? AND last_workflow_id IS ?",
      )
      .run(r.job_id, r.workflow_id)
  })
}

/** Runs still in flight, with the status of their workflow (null: the workflow was never created). */
export function inflightRuns(store: SqliteStore): Array<{
  run_id: number
  job_id: string
  workflow_id: string | null
  status: string
  scheduled_for: number
  kind: FireKind
  workflow_status: string | null
  workflow_error: string | null
}> {
  return store.db
    .query(
      `SELECT r.id AS run_id, r.job_id, r.workflow_id, r.status, r.scheduled_for, r.kind, w.status AS workflow_status, w.error AS workflow_error FROM job_runs r LEFT JOIN workflows w ON w.id = r.workflow_id WHERE r.status IN ${ACTIVE_SQL} ORDER BY r.id`,
    )
    .all() as ReturnType<typeof inflightRuns>
}

/** Keeps the newest `keep` finished runs of a job (history is bounded). */
export function pruneRuns(store: SqliteStore, jobId: string, keep: number): void {
  store.db
    .query(
      `DELETE FROM job_runs WHERE job_id = ? AND status NOT IN ${ACTIVE_SQL} AND id NOT IN (SELECT id FROM job_runs WHERE job_id = ? ORDER BY scheduled_for DESC, id DESC LIMIT ?)`,
    )
    .run(jobId, jobId, keep)
}

/** A job whose schedule cannot be computed any more stops firing (next_run_at NULL) with an error. */
export function breakJob(store: SqliteStore, jobId: string, now: number): void {
  store.db
    .query(
      "UPDATE scheduled_jobs SET next_run_at = NULL, last_run_status = 'error', updated_at = ? WHERE id = ?",
    )
    .run(now, jobId)
}

/** Gives a next fire time to enabled jobs that have none (rows written by hand or by older versions). */
export function jobsWithoutNext(store: SqliteStore): JobRecord[] {
  return (
    store.db
      .query('SELECT * FROM scheduled_jobs WHERE enabled = 1 AND next_run_at IS NULL')
      .all() as JobDbRow[]
  ).map(record)
}

export function setNextRun(store: SqliteStore, jobId: string, next: number, now: number): void {
  store.db
    .query(
      'UPDATE scheduled_jobs SET next_run_at = ?, updated_at = ? WHERE id = ? AND next_run_at IS NULL',
    )
    .run(next, now, jobId)
}
