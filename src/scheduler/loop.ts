/**
 * The scheduler loop (spec server.md §11 Ours; decisions.md D13, D19): sleeps until the earliest
 * `next_run_at` (capped, so jobs written by another process are seen), claims due fires atomically
 * in SQL (store/schedules.ts), starts each as a workflow without waiting for it, and records how it
 * ends. Time comes through the Clock port; nothing runs while nothing is due.
 *
 * Restart safety: a claim writes the run with its workflow id before anything starts. At start-up,
 * a claimed run whose workflow does not exist is started with that id; one whose workflow exists is
 * followed to its end (the engine's own recovery resumes it). So a crash between claim and start
 * neither loses nor duplicates the fire.
 */
import type { ValidateFunction } from 'ajv/dist/2020'
import { ajvProblems, compileJsonSchema } from '../actions/registry.ts'
import { type Engine, mergeInputs } from '../engine/engine.ts'
import type { ActionRegistry, Clock, Ids, Logger, TimerHandle } from '../engine/ports.ts'
import { AppError, toAppError } from '../errors.ts'
import type { ExecutionResult } from '../schema/run.ts'
import { iso } from '../schema/time.ts'
import type { WorkflowDefinition } from '../schema/workflow.ts'
import { parseJson } from '../store/json.ts'
import {
  breakJob,
  type ClaimedFire,
  claimJob,
  claimManual,
  createScheduleStore,
  dueJobs,
  earliestFire,
  failRun,
  inflightRuns,
  type JobRecord,
  jobOf,
  jobsWithoutNext,
  markRunStarted,
  pruneRuns,
  registerAgent,
  type ScheduleStore,
  setNextRun,
  setRunStatus,
} from '../store/schedules.ts'
import type { SqliteStore } from '../store/sqlite.ts'
import { toValidationError, validateDefinition } from '../validation/index.ts'
import { type CronSchedule, compileCron } from './cron.ts'
import { planFires } from './plan.ts'
import type { RunStatus } from './schema.ts'

export interface SchedulerOptions {
  /** Longest sleep between two looks at the table, ms (default 60 000). */
  maxSleepMs: number
  /** How late a fire may be seen and still count as on time, ms (default 60 000). */
  graceMs: number
  /** Missed fires run by `catch_up: all`, the newest ones (default 100). */
  catchUpLimit: number
  /** Finished runs kept per job (default 200). */
  historyLimit: number
  /** Due jobs claimed per pass (default 500; a full pass is followed by another at once). */
  batchSize: number
}

export const DEFAULT_SCHEDULER_OPTIONS: SchedulerOptions = {
  maxSleepMs: 60_000,
  graceMs: 60_000,
  catchUpLimit: 100,
  historyLimit: 200,
  batchSize: 500,
}

export interface SchedulerDeps {
  store: SqliteStore
  engine: Engine
  clock: Clock
  logger: Logger
  /** The job CRUD shared with the API (created on `store` when absent). */
  schedules?: ScheduleStore
  /** Workflow ids (default: the engine's). */
  ids?: Ids
  /** Actions a template's steps are checked against before a fire (default: the engine's). */
  actions?: ActionRegistry
  options?: Partial<SchedulerOptions>
}

export interface TickReport {
  /** Runs started. */
  started: number
  /** Fires recorded as skipped (overlap). */
  skipped: number
  /** Claimed fires that could not start (recorded as `error`). */
  errors: number
}

export interface ManualRun {
  job_id: string
  run_id: number
  workflow_id: string
  scheduled_for: string
}

export interface Scheduler {
  readonly schedules: ScheduleStore
  /** Looks at the table now: claims and starts every due fire. */
  tick(): Promise<TickReport>
  /**
   * Fires a job now, outside its schedule (even when disabled); NOT_FOUND, CONFLICT when its overlap
   * policy is skip and a run is active, or the error that kept the run from starting (recorded too).
   */
  runNow(jobId: string): Promise<ManualRun>
  /** Stops the loop (runs already started go on; their ends are recorded at the next start). */
  stop(): Promise<void>
}

/** Starts the loop: recovers runs claimed before a restart, runs a first tick, then sleeps. */
export async function startScheduler(deps: SchedulerDeps): Promise<Scheduler> {
  const loop = new SchedulerLoop(deps)
  await loop.start()
  return loop
}

interface Prepared {
  name: string
  version: string
  definition: WorkflowDefinition
  validateInputs?: ValidateFunction
}

const TERMINAL = new Set(['completed', 'failed', 'cancelled'])

class SchedulerLoop implements Scheduler {
  readonly schedules: ScheduleStore
  private readonly store: SqliteStore
  private readonly engine: Engine
  private readonly clock: Clock
  private readonly logger: Logger
  private readonly ids: Ids
  private readonly actions: ActionRegistry
  private readonly options: SchedulerOptions
  /** Scheduled workflows in flight: workflow id → job id. */
  private readonly inflight = new Map<string, string>()
  /** Jobs whose missed fires wait for their active run to end (catch_up all, overlap skip). */
  private readonly waiting = new Set<string>()
  private readonly crons = new Map<string, CronSchedule>()
  private readonly prepared = new Map<string, Prepared>()
  private timer: TimerHandle | undefined
  private ticking: Promise<TickReport> | undefined
  private again = false
  private stopped = false
  private readonly offSettle: () => void
  private readonly offChange: () => void

  constructor(deps: SchedulerDeps) {
    this.store = deps.store
    this.engine = deps.engine
    this.clock = deps.clock
    this.logger = deps.logger
    this.ids = deps.ids ?? deps.engine.core.deps.ids
    this.actions = deps.actions ?? deps.engine.core.deps.actions
    this.options = { ...DEFAULT_SCHEDULER_OPTIONS, ...(deps.options ?? {}) }
    if (this.options.catchUpLimit < 1) this.options.catchUpLimit = 1
    if (this.options.batchSize < 1) this.options.batchSize = 1
    this.schedules =
      deps.schedules ?? createScheduleStore(deps.store, { now: () => deps.clock.now() })
    this.offSettle = this.engine.onSettle((id, result) => this.onSettle(id, result))
    this.offChange = this.schedules.onChange(() => this.arm(false))
  }

  async start(): Promise<void> {
    const now = this.clock.now()
    for (const job of jobsWithoutNext(this.store)) {
      try {
        const next = this.cron(job).next(now)
        if (next !== undefined) setNextRun(this.store, job.id, next, now)
      } catch (err) {
        this.broken(job.id, err, now)
      }
    }
    await this.recover(now)
    await this.tick()
  }

  tick(): Promise<TickReport> {
    if (this.stopped) return Promise.resolve({ started: 0, skipped: 0, errors: 0 })
    if (this.ticking !== undefined) {
      this.again = true
      return this.ticking
    }
    const run = async (): Promise<TickReport> => {
      const total: TickReport = { started: 0, skipped: 0, errors: 0 }
      let full = false
      try {
        do {
          this.again = false
          const r = await this.pass()
          total.started += r.report.started
          total.skipped += r.report.skipped
          total.errors += r.report.errors
          full = r.full
        } while ((this.again || full) && !this.stopped)
      } finally {
        this.ticking = undefined
        this.arm(false)
      }
      return total
    }
    this.ticking = run()
    return this.ticking
  }

  async runNow(jobId: string): Promise<ManualRun> {
    if (this.stopped) throw new AppError('CONFLICT', 'the scheduler is stopped')
    const now = this.clock.now()
    const { fire, job } = claimManual(this.store, jobId, now, () => this.ids.uuid())
    const err = await this.fire(fire, job)
    if (err !== undefined) throw err
    return {
      job_id: jobId,
      run_id: fire.run_id,
      workflow_id: fire.workflow_id,
      scheduled_for: iso(fire.scheduled_for) as string,
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    this.timer?.cancel()
    this.timer = undefined
    this.offChange()
    try {
      await this.ticking
    } finally {
      this.offSettle()
    }
  }

  // -------------------------------------------------------------------------------------------

  /** One look at the table: reconcile runs in flight, then claim and start every due fire. */
  private async pass(): Promise<{ report: TickReport; full: boolean }> {
    const report: TickReport = { started: 0, skipped: 0, errors: 0 }
    const now = this.clock.now()
    this.reconcile(now)
    const due = dueJobs(this.store, now, this.options.batchSize)
    const starts: Array<Promise<AppError | undefined>> = []
    for (const d of due) {
      let outcome: ReturnType<typeof claimJob>
      try {
        outcome = claimJob(
          this.store,
          d.id,
          d.next_run_at,
          now,
          (job, active) =>
            planFires(this.cron(job), {
              nextRunAt: d.next_run_at,
              now,
              catchUp: job.catch_up,
              overlap: job.overlap,
              active,
              graceMs: this.options.graceMs,
              catchUpLimit: this.options.catchUpLimit,
            }),
          () => this.ids.uuid(),
        )
      } catch (err) {
        this.broken(d.id, err, now)
        report.errors++
        continue
      }
      if (!outcome.claimed) continue // another scheduler claimed it, or it changed meanwhile
      const { plan, job } = outcome
      if (plan.wait) {
        this.waiting.add(job.id)
        continue
      }
      this.waiting.delete(job.id)
      report.skipped += plan.skipped.length
      if (plan.skipped.length > 0) {
        this.logger.info('scheduled fire skipped: previous run still active', {
          job_id: job.id,
          template: job.template_name,
          skipped: plan.skipped.length,
        })
      }
      if (plan.dropped) {
        this.logger.info('missed scheduled fires dropped by the catch-up policy', {
          job_id: job.id,
          template: job.template_name,
          catch_up: job.catch_up,
          since: iso(d.next_run_at),
        })
      }
      if (plan.next === undefined) {
        this.logger.warn('scheduled job will never fire again', { job_id: job.id })
      }
      for (const f of outcome.fires) starts.push(this.fire(f, job))
    }
    for (const err of await Promise.all(starts)) {
      if (err === undefined) report.started++
      else report.errors++
    }
    return { report, full: due.length >= this.options.batchSize }
  }

  /** Starts the workflow of a claimed fire; returns the error that kept it from starting. */
  private async fire(f: ClaimedFire, job: JobRecord): Promise<AppError | undefined> {
    const now = this.clock.now()
    try {
      const t = this.prepare(job)
      registerAgent(this.store, job.agent_id, now)
      this.inflight.set(f.workflow_id, job.id)
      this.engine.start({
        workflowId: f.workflow_id,
        definition: t.definition,
        params: job.params,
        agentId: job.agent_id,
        templateName: t.name,
        templateVersion: t.version,
      })
      await this.engine.flush()
      markRunStarted(this.store, f.run_id)
      this.logger.info('scheduled workflow started', {
        job_id: job.id,
        template: job.template_name,
        workflow_id: f.workflow_id,
        scheduled_for: iso(f.scheduled_for),
        kind: f.kind,
      })
      return undefined
    } catch (err) {
      this.inflight.delete(f.workflow_id)
      const e = toAppError(err)
      try {
        failRun(this.store, f.run_id, { code: e.code, message: e.message }, this.clock.now())
      } catch (storeErr) {
        this.logger.error('could not record a failed scheduled run', {
          job_id: job.id,
          error: toAppError(storeErr).toString(),
        })
      }
      this.logger.warn('scheduled workflow could not start', {
        job_id: job.id,
        template: job.template_name,
        error: e.toString(),
      })
      return e
    }
  }

  /** The template of a job, checked and ready to run (cached per immutable version). */
  private prepare(job: JobRecord): Prepared {
    const row = this.store.templateDbRow(job.template_name, job.template_version)
    if (row === undefined) {
      const label =
        job.template_version === undefined
          ? job.template_name
          : `${job.template_name}:${job.template_version}`
      throw new AppError('NOT_FOUND', `template "${label}" not found`, {
        details: { template_name: job.template_name, version: job.template_version ?? null },
      })
    }
    const key = `${row.name}\u0000${row.version}`
    let t = this.prepared.get(key)
    if (t === undefined) {
      const checked = validateDefinition(this.store.definitionOf(row), {
        actions: { has: (name) => this.actions.get(name) !== undefined },
      })
      if (!checked.ok) {
        const err = toValidationError(checked)
        throw new AppError(
          'VALIDATION_ERROR',
          `template "${row.name}:${row.version}" is not a valid workflow: ${err.message}`,
          { issues: err.issues ?? [] },
        )
      }
      t = { name: row.name, version: row.version, definition: checked.definition }
      const schema = parseJson(row.input_schema)
      if (schema !== null && typeof schema === 'object') {
        try {
          t.validateInputs = compileJsonSchema(schema)
        } catch (err) {
          throw new AppError(
            'VALIDATION_ERROR',
            `input_schema of "${row.name}:${row.version}" is not a valid JSON Schema: ${(err as Error).message}`,
          )
        }
      }
      this.prepared.set(key, t)
    }
    if (t.validateInputs !== undefined) {
      const inputs = mergeInputs(t.definition, job.params)
      if (!t.validateInputs(inputs)) {
        const first = ajvProblems(t.validateInputs.errors)[0]
        throw new AppError(
          'VALIDATION_ERROR',
          `params do not match the input_schema of "${t.name}:${t.version}": ${first === undefined ? 'invalid' : `${first.path === '' ? 'params' : `/params${first.path}`}: ${first.message}`}`,
        )
      }
    }
    return t
  }

  private cron(job: JobRecord): CronSchedule {
    const key = `${job.cron_expression}\u0000${job.timezone}`
    let c = this.crons.get(key)
    if (c === undefined) {
      c = compileCron(job.cron_expression, job.timezone)
      if (this.crons.size >= 1000) this.crons.clear()
      this.crons.set(key, c)
    }
    return c
  }

  private broken(jobId: string, err: unknown, now: number): void {
    this.logger.error('scheduled job disabled: its schedule cannot be computed', {
      job_id: jobId,
      error: toAppError(err).toString(),
    })
    try {
      breakJob(this.store, jobId, now)
    } catch {
      // the job row is gone or the store is closing: nothing left to mark
    }
  }

  // -------------------------------------------------------------------------------------------
  // Runs in flight

  /** At start-up: start claimed fires whose workflow was never created; follow the others. */
  private async recover(now: number): Promise<void> {
    const starts: Array<Promise<AppError | undefined>> = []
    for (const r of inflightRuns(this.store)) {
      if (r.workflow_id === null) {
        failRun(
          this.store,
          r.run_id,
          { code: 'INTERNAL_ERROR', message: 'run without a workflow id' },
          now,
        )
        continue
      }
      if (r.workflow_status !== null) {
        this.follow(r.workflow_id, r.job_id, r.workflow_status, r.workflow_error, now)
        continue
      }
      const job = jobOf(this.store, r.job_id)
      if (job === undefined) {
        failRun(
          this.store,
          r.run_id,
          { code: 'NOT_FOUND', message: 'the scheduled job was removed' },
          now,
        )
        continue
      }
      this.logger.info('starting a scheduled fire claimed before a restart', {
        job_id: r.job_id,
        workflow_id: r.workflow_id,
        scheduled_for: iso(r.scheduled_for),
      })
      starts.push(
        this.fire(
          {
            run_id: r.run_id,
            job_id: r.job_id,
            workflow_id: r.workflow_id,
            scheduled_for: r.scheduled_for,
            kind: r.kind,
          },
          job,
        ),
      )
    }
    await Promise.all(starts)
  }

  /** Mirrors the workflows of runs in flight into job_runs (a safety net for missed settles). */
  private reconcile(now: number): void {
    for (const r of inflightRuns(this.store)) {
      if (r.workflow_id === null || r.workflow_status === null) continue // still being started
      this.follow(r.workflow_id, r.job_id, r.workflow_status, r.workflow_error, now)
    }
  }

  private follow(
    workflowId: string,
    jobId: string,
    status: string,
    errorJson: string | null,
    now: number,
  ): void {
    if (TERMINAL.has(status)) {
      this.finish(workflowId, jobId, status as RunStatus, errorOf(parseJson(errorJson)), now)
      return
    }
    this.inflight.set(workflowId, jobId)
    setRunStatus(this.store, workflowId, status === 'suspended' ? 'suspended' : 'running', now)
  }

  private onSettle(workflowId: string, result: ExecutionResult): void {
    const jobId = this.inflight.get(workflowId)
    if (jobId === undefined) return
    const now = this.clock.now()
    try {
      if (TERMINAL.has(result.status)) {
        this.finish(workflowId, jobId, result.status as RunStatus, errorOf(result.error), now)
      } else {
        setRunStatus(
          this.store,
          workflowId,
          result.status === 'suspended' ? 'suspended' : 'running',
          now,
        )
      }
    } catch (err) {
      this.logger.error('could not record the end of a scheduled run', {
        job_id: jobId,
        workflow_id: workflowId,
        error: toAppError(err).toString(),
      })
    }
  }

  private finish(
    workflowId: string,
    jobId: string,
    status: RunStatus,
    error: { code: string; message: string } | undefined,
    now: number,
  ): void {
    this.inflight.delete(workflowId)
    setRunStatus(this.store, workflowId, status, now, error)
    pruneRuns(this.store, jobId, this.options.historyLimit)
    // Missed fires queued behind this run (catch_up all, overlap skip) may go now.
    if (this.waiting.has(jobId) && !this.stopped) this.arm(true)
  }

  // -------------------------------------------------------------------------------------------

  /** Sleeps until the earliest fire (capped), or wakes at once. */
  private arm(now: boolean): void {
    if (this.stopped || this.ticking !== undefined) {
      if (now) this.again = true
      return
    }
    const t = this.clock.now()
    let delay = this.options.maxSleepMs
    if (now) delay = 0
    else {
      const next = earliestFire(this.store, this.waiting)
      if (next !== undefined) delay = Math.min(delay, Math.max(0, next - t))
    }
    this.timer?.cancel()
    this.timer = this.clock.setTimer(delay, () => {
      this.timer = undefined
      void this.tick().catch((err: unknown) => {
        // A tick never throws past its own handlers; this is the store failing under it.
        this.logger.error('scheduler tick failed', { error: toAppError(err).toString() })
      })
    })
  }
}

function errorOf(e: unknown): { code: string; message: string } | undefined {
  if (e === null || e === undefined || typeof e !== 'object') return undefined
  const o = e as Record<string, unknown>
  return {
    code: typeof o.code === 'string' ? o.code : 'EXECUTION_ERROR',
    message: typeof o.message === 'string' ? o.message : JSON.stringify(e),
  }
}
