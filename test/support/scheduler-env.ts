/**
 * A scheduler on a real SQLite file with a fake clock, the real engine and the counted test
 * actions; templates `ping` (counts), `slow` (sleeps on the clock), `boom` (fails) and `typed`
 * (input_schema requires an integer `n`). `reopen()` simulates a restart on the same file.
 */
import type { Logger } from '../../src/engine/ports.ts'
import { openRuntime, type Runtime } from '../../src/runtime.ts'
import { type Scheduler, type SchedulerOptions, startScheduler } from '../../src/scheduler/loop.ts'
import { defineTemplate } from '../../src/store/records.ts'
import { createScheduleStore, type ScheduleStore } from '../../src/store/schedules.ts'
import { Effects, testActions } from './engine.ts'
import { FakeClock } from './fake-clock.ts'
import { tempDir } from './tmp.ts'

export interface LogLine {
  level: string
  msg: string
  attrs?: Record<string, unknown>
}

export class SchedulerEnv {
  readonly tmp = tempDir('opcode-sched-')
  readonly db = this.tmp.path('sched.db')
  readonly effects = new Effects()
  readonly logs: LogLine[] = []
  readonly logger: Logger = {
    debug: (msg, attrs) => this.logs.push({ level: 'debug', msg, ...(attrs ? { attrs } : {}) }),
    info: (msg, attrs) => this.logs.push({ level: 'info', msg, ...(attrs ? { attrs } : {}) }),
    warn: (msg, attrs) => this.logs.push({ level: 'warn', msg, ...(attrs ? { attrs } : {}) }),
    error: (msg, attrs) => this.logs.push({ level: 'error', msg, ...(attrs ? { attrs } : {}) }),
  }
  rt!: Runtime
  schedules!: ScheduleStore
  scheduler: Scheduler | undefined

  constructor(
    readonly clock = new FakeClock(Date.UTC(2026, 0, 1)),
    readonly options: Partial<SchedulerOptions> = {},
  ) {
    this.open()
  }

  private open(): void {
    this.rt = openRuntime({
      dbPath: this.db,
      mode: 'local',
      clock: this.clock,
      logger: this.logger,
      actions: testActions(this.effects, this.clock),
    })
    this.schedules = createScheduleStore(this.rt.store, { now: () => this.clock.now() })
  }

  /** Defines the standard test templates (once per database). */
  defineTemplates(): void {
    const store = this.rt.store
    const at = this.clock.now()
    defineTemplate(
      store,
      {
        name: 'ping',
        agent_id: 'definer',
        definition: { steps: [{ id: 'count', action: 'test.count', params: { key: 'ping' } }] },
      },
      at,
    )
    defineTemplate(
      store,
      {
        name: 'slow',
        agent_id: 'definer',
        definition: {
          steps: [
            { id: 'nap', action: 'test.sleep', params: { ms: '${{inputs.ms}}', key: 'slow' } },
          ],
          inputs: { ms: 150 * 60_000 },
        },
      },
      at,
    )
    defineTemplate(
      store,
      {
        name: 'boom',
        agent_id: 'definer',
        definition: { steps: [{ id: 'fail', action: 'test.fail', params: { message: 'kaput' } }] },
      },
      at,
    )
    defineTemplate(
      store,
      {
        name: 'typed',
        agent_id: 'definer',
        definition: {
          steps: [{ id: 'echo', action: 'test.echo', params: { n: '${{inputs.n}}' } }],
        },
        input_schema: {
          type: 'object',
          properties: { n: { type: 'integer' } },
          required: ['n'],
        },
      },
      at,
    )
  }

  async start(): Promise<Scheduler> {
    this.scheduler = await startScheduler({
      store: this.rt.store,
      engine: this.rt.engine,
      clock: this.clock,
      logger: this.logger,
      schedules: this.schedules,
      options: this.options,
    })
    return this.scheduler
  }

  /** Stops the scheduler and closes the database (the process "goes down"). */
  async down(): Promise<void> {
    await this.scheduler?.stop()
    this.scheduler = undefined
    await this.rt.close()
  }

  /** Opens the same file again, recovers the engine and starts a new scheduler. */
  async up(): Promise<Scheduler> {
    this.open()
    await this.rt.engine.recover()
    return this.start()
  }

  async close(): Promise<void> {
    try {
      await this.down()
    } finally {
      this.tmp.cleanup()
    }
  }

  /** Workflows started by the scheduler, oldest first. */
  workflows(template?: string): Array<{ id: string; status: string; template_name: string }> {
    const sql =
      template === undefined
        ? 'SELECT id, status, template_name FROM workflows ORDER BY created_at, id'
        : 'SELECT id, status, template_name FROM workflows WHERE template_name = ? ORDER BY created_at, id'
    const q = this.rt.store.db.query(sql)
    return (template === undefined ? q.all() : q.all(template)) as Array<{
      id: string
      status: string
      template_name: string
    }>
  }

  /** job_runs rows of a job, oldest fire first, with readable times. */
  runs(jobId: string): Array<{
    scheduled_for: string
    status: string
    kind: string
    workflow_id: string | null
    error: string | null
  }> {
    return (
      this.rt.store.db
        .query(
          'SELECT scheduled_for, status, kind, workflow_id, error FROM job_runs WHERE job_id = ? ORDER BY scheduled_for, id',
        )
        .all(jobId) as Array<{
        scheduled_for: number
        status: string
        kind: string
        workflow_id: string | null
        error: string | null
      }>
    ).map((r) => ({ ...r, scheduled_for: new Date(r.scheduled_for).toISOString() }))
  }
}
