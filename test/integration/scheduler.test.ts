/**
 * The scheduler across restarts and beside a second scheduler on the same database (decisions.md
 * D13): catch-up after downtime, a crash between a claim and its start, atomic claims.
 */
import { afterEach, describe, expect, test } from 'bun:test'
import { createActionRegistry } from '../../src/actions/registry.ts'
import { Engine } from '../../src/engine/engine.ts'
import { createExpressions } from '../../src/expressions/index.ts'
import { compileCron } from '../../src/scheduler/cron.ts'
import { type Scheduler, startScheduler } from '../../src/scheduler/loop.ts'
import { planFires } from '../../src/scheduler/plan.ts'
import { claimJob, createScheduleStore, dueJobs } from '../../src/store/schedules.ts'
import { openStore, type SqliteStore } from '../../src/store/sqlite.ts'
import { systemIds } from '../../src/system/clock.ts'
import { type Effects, testActions } from '../support/engine.ts'
import { FakeClock } from '../support/fake-clock.ts'
import { SchedulerEnv } from '../support/scheduler-env.ts'

const MIN = 60_000
const HOUR = 60 * MIN
const DAY = 24 * HOUR

let env: SchedulerEnv | undefined
const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn()
  await env?.close()
  env = undefined
})

describe('catch-up after a 3-day downtime', () => {
  async function downtime(policy: 'none' | 'one' | 'all', overlap: 'skip' | 'allow' = 'skip') {
    env = new SchedulerEnv(new FakeClock(Date.UTC(2026, 0, 1, 12)), { maxSleepMs: DAY })
    env.defineTemplates()
    await env.start()
    const job = env.schedules.add({
      template_name: 'ping',
      cron_expression: '0 6 * * *',
      agent_id: 'a',
      catch_up: policy,
      overlap,
    })
    await env.down()
    await env.clock.advance(3 * DAY) // Jan 1 12:00 → Jan 4 12:00: fires of Jan 2, 3 and 4 missed
    await env.up()
    for (let i = 0; i < 10; i++) await env.clock.tick() // queued catch-ups run one after another
    return { e: env, job }
  }

  test('none: nothing runs; the next fire is the next regular one', async () => {
    const { e, job } = await downtime('none')
    expect(e.runs(job.id)).toEqual([])
    expect(e.schedules.get(job.id).next_run_at).toBe('2026-01-05T06:00:00.000Z')
    expect(e.logs.some((l) => l.msg.startsWith('missed scheduled fires dropped'))).toBe(true)
  })

  test('one: the latest missed fire runs once', async () => {
    const { e, job } = await downtime('one')
    expect(e.runs(job.id).map((r) => [r.scheduled_for, r.kind, r.status])).toEqual([
      ['2026-01-04T06:00:00.000Z', 'catch_up', 'completed'],
    ])
    expect(e.schedules.get(job.id).next_run_at).toBe('2026-01-05T06:00:00.000Z')
  })

  test('all (overlap skip): every missed fire runs, one after another', async () => {
    const { e, job } = await downtime('all')
    expect(e.runs(job.id).map((r) => [r.scheduled_for, r.kind, r.status])).toEqual([
      ['2026-01-02T06:00:00.000Z', 'catch_up', 'completed'],
      ['2026-01-03T06:00:00.000Z', 'catch_up', 'completed'],
      ['2026-01-04T06:00:00.000Z', 'catch_up', 'completed'],
    ])
    expect(e.schedules.get(job.id).next_run_at).toBe('2026-01-05T06:00:00.000Z')
  })

  test('all (overlap allow): every missed fire runs at once', async () => {
    const { e, job } = await downtime('all', 'allow')
    expect(e.runs(job.id).map((r) => r.status)).toEqual(['completed', 'completed', 'completed'])
    expect(e.workflows('ping')).toHaveLength(3)
  })

  test('all with slow runs: each queued fire waits for the previous run to end', async () => {
    env = new SchedulerEnv(new FakeClock(Date.UTC(2026, 0, 1, 12)), { maxSleepMs: DAY })
    env.defineTemplates()
    await env.start()
    const job = env.schedules.add({
      template_name: 'slow', // 2h30 per run
      cron_expression: '0 6 * * *',
      agent_id: 'a',
      catch_up: 'all',
    })
    await env.down()
    await env.clock.advance(3 * DAY)
    await env.up()
    expect(env.runs(job.id).map((r) => r.status)).toEqual(['running'])
    await env.clock.advance(150 * MIN)
    expect(env.runs(job.id).map((r) => r.status)).toEqual(['completed', 'running'])
    await env.clock.advance(150 * MIN)
    expect(env.runs(job.id).map((r) => r.status)).toEqual(['completed', 'completed', 'running'])
    await env.clock.advance(150 * MIN)
    expect(env.runs(job.id).map((r) => [r.scheduled_for, r.status])).toEqual([
      ['2026-01-02T06:00:00.000Z', 'completed'],
      ['2026-01-03T06:00:00.000Z', 'completed'],
      ['2026-01-04T06:00:00.000Z', 'completed'],
    ])
  })
})

describe('a restart between claim and start', () => {
  async function claimThenCrash(e: SchedulerEnv, jobId: string) {
    // What a scheduler does first at a fire: the claim transaction. Then the process dies.
    const [due] = dueJobs(e.rt.store, e.clock.now())
    expect(due?.id).toBe(jobId)
    const outcome = claimJob(
      e.rt.store,
      jobId,
      due?.next_run_at as number,
      e.clock.now(),
      (job, active) =>
        planFires(compileCron(job.cron_expression, job.timezone), {
          nextRunAt: due?.next_run_at as number,
          now: e.clock.now(),
          catchUp: job.catch_up,
          overlap: job.overlap,
          active,
          graceMs: MIN,
          catchUpLimit: 100,
        }),
      () => systemIds.uuid(),
    )
    expect(outcome.claimed).toBe(true)
    return outcome.claimed ? outcome.fires : []
  }

  test('the claimed fire starts after the restart with its workflow id, once', async () => {
    env = new SchedulerEnv(new FakeClock(Date.UTC(2026, 0, 1)), { maxSleepMs: DAY })
    env.defineTemplates()
    const job = env.schedules.add({
      template_name: 'ping',
      cron_expression: '0 6 * * *',
      agent_id: 'a',
    })
    await env.clock.advance(6 * HOUR) // no scheduler running: nothing fires on its own
    const [fire] = await claimThenCrash(env, job.id)
    expect(env.runs(job.id).map((r) => r.status)).toEqual(['claimed'])
    await env.down()
    await env.up()
    await env.clock.tick()
    expect(env.runs(job.id)).toEqual([
      {
        scheduled_for: '2026-01-01T06:00:00.000Z',
        status: 'completed',
        kind: 'cron',
        workflow_id: fire?.workflow_id as string,
        error: null,
      },
    ])
    expect(env.workflows().map((w) => w.id)).toEqual([fire?.workflow_id as string])
    expect(env.effects.get('ping')).toBe(1)
    // The claim had moved the schedule on: no second run for 06:00.
    expect(env.schedules.get(job.id).next_run_at).toBe('2026-01-02T06:00:00.000Z')
  })

  test('a fire whose workflow was created before the crash is followed, not started again', async () => {
    env = new SchedulerEnv(new FakeClock(Date.UTC(2026, 0, 1)), { maxSleepMs: DAY })
    env.defineTemplates()
    const job = env.schedules.add({
      template_name: 'slow',
      cron_expression: '0 6 * * *',
      agent_id: 'a',
    })
    await env.clock.advance(6 * HOUR)
    const [fire] = await claimThenCrash(env, job.id)
    const tpl = await env.rt.store.getTemplate('slow')
    env.rt.engine.start({
      workflowId: fire?.workflow_id as string,
      definition: tpl?.definition as never,
      agentId: 'a',
      templateName: 'slow',
      templateVersion: 'v1',
    })
    await env.rt.engine.flush() // the workflow row is durable; the run is still 'claimed'
    await env.down()
    await env.up() // the engine's recovery resumes the workflow; the scheduler follows it
    expect(env.workflows('slow').map((w) => w.id)).toEqual([fire?.workflow_id as string])
    expect(env.runs(job.id).map((r) => r.status)).toEqual(['running'])
    await env.clock.advance(3 * HOUR)
    expect(env.runs(job.id).map((r) => [r.status, r.workflow_id as string])).toEqual([
      ['completed', fire?.workflow_id as string],
    ])
    expect(env.workflows('slow')).toHaveLength(1)
  })

  test('a run that ended while the scheduler was stopped is recorded at the next start', async () => {
    env = new SchedulerEnv(new FakeClock(Date.UTC(2026, 0, 1)), { maxSleepMs: DAY })
    env.defineTemplates()
    await env.start()
    const job = env.schedules.add({
      template_name: 'slow',
      cron_expression: '0 6 * * *',
      agent_id: 'a',
    })
    await env.clock.advance(6 * HOUR)
    expect(env.runs(job.id).map((r) => r.status)).toEqual(['running'])
    await env.scheduler?.stop() // the engine keeps running the workflow
    await env.clock.advance(3 * HOUR)
    expect(env.runs(job.id).map((r) => r.status)).toEqual(['running'])
    await env.start()
    expect(env.runs(job.id).map((r) => r.status)).toEqual(['completed'])
  })
})

describe('two schedulers on one database (decisions.md D13)', () => {
  interface Node {
    store: SqliteStore
    engine: Engine
    scheduler: Scheduler
  }

  async function node(
    db: string,
    clock: FakeClock,
    effects: Effects,
    lock: boolean,
  ): Promise<Node> {
    const store = openStore(db, { lock })
    const actions = createActionRegistry(testActions(effects, clock))
    const engine = new Engine({
      store,
      actions,
      expressions: createExpressions(),
      clock,
      ids: systemIds,
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    })
    const scheduler = await startScheduler({
      store,
      engine,
      clock,
      logger: { debug() {}, info() {}, warn() {}, error() {} },
      options: { maxSleepMs: HOUR },
    })
    cleanups.push(async () => {
      await scheduler.stop()
      await engine.close()
      store.close()
    })
    return { store, engine, scheduler }
  }

  test('every fire runs exactly once when both look at the table at the same instants', async () => {
    env = new SchedulerEnv(new FakeClock(Date.UTC(2026, 0, 1)), { maxSleepMs: DAY })
    env.defineTemplates()
    const jobs = ['*/5 * * * *', '*/10 * * * *', '0 * * * *', '*/7 * * * *'].map((cron) =>
      env?.schedules.add({
        template_name: 'ping',
        cron_expression: cron,
        agent_id: 'a',
        overlap: 'allow',
      }),
    )
    const a = await node(env.db, env.clock, env.effects, false)
    const b = await node(env.db, env.clock, env.effects, false)
    for (let i = 0; i < 12; i++) {
      // Both wake at every fire; the ticks are also forced in both orders.
      await Promise.all([a.scheduler.tick(), b.scheduler.tick()])
      await env.clock.advance(5 * MIN)
      await Promise.all([b.scheduler.tick(), a.scheduler.tick()])
    }
    await env.clock.tick()
    const perFire = a.store.db
      .query(
        'SELECT job_id, scheduled_for, COUNT(*) AS n FROM job_runs GROUP BY job_id, scheduled_for HAVING n > 1',
      )
      .all()
    expect(perFire).toEqual([])
    const total = (a.store.db.query('SELECT COUNT(*) AS n FROM workflows').get() as { n: number }).n
    // In one hour: 12 + 6 + 1 + 9 fires (minute 0, 7, …, 56 of the hour; 0 of the next one).
    const expected = [12, 6, 1, 9].reduce((x, y) => x + y, 0)
    expect(total).toBe(expected)
    expect(env.effects.get('ping')).toBe(expected)
    const byScheduler = a.store.db
      .query("SELECT COUNT(*) AS n FROM job_runs WHERE status = 'completed'")
      .get() as { n: number }
    expect(byScheduler.n).toBe(expected)
    expect(jobs).toHaveLength(4)
  })

  test('a claim made from a stale read fails: the other scheduler already moved next_run_at', async () => {
    env = new SchedulerEnv(new FakeClock(Date.UTC(2026, 0, 1)), { maxSleepMs: DAY })
    env.defineTemplates()
    const job = env.schedules.add({
      template_name: 'ping',
      cron_expression: '0 6 * * *',
      agent_id: 'a',
    })
    await env.clock.advance(6 * HOUR)
    const second = openStore(env.db, { lock: false })
    cleanups.push(() => second.close())
    // Both read the due job before either claims.
    const seenByA = dueJobs(env.rt.store, env.clock.now())
    const seenByB = dueJobs(second, env.clock.now())
    expect(seenByA).toEqual(seenByB)
    const plan =
      (nextRunAt: number) => (j: { cron_expression: string; timezone: string }, active: boolean) =>
        planFires(compileCron(j.cron_expression, j.timezone), {
          nextRunAt,
          now: env?.clock.now() as number,
          catchUp: 'one',
          overlap: 'skip',
          active,
          graceMs: MIN,
          catchUpLimit: 100,
        })
    const t = seenByA[0]?.next_run_at as number
    const a = claimJob(env.rt.store, job.id, t, env.clock.now(), plan(t), () => 'wf-a')
    const b = claimJob(second, job.id, t, env.clock.now(), plan(t), () => 'wf-b')
    expect(a.claimed).toBe(true)
    expect(b.claimed).toBe(false)
    const runs = env.runs(job.id)
    expect(runs.map((r) => r.workflow_id)).toEqual(['wf-a'])
    expect(createScheduleStore(second).get(job.id).next_run_at).toBe('2026-01-02T06:00:00.000Z')
  })
})
