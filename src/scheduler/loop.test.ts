import { afterEach, describe, expect, test } from 'bun:test'
import { FakeClock } from '../../test/support/fake-clock.ts'
import { SchedulerEnv } from '../../test/support/scheduler-env.ts'
import { AppError } from '../errors.ts'
import { defineTemplate } from '../store/records.ts'
import { openStore } from '../store/sqlite.ts'

const MIN = 60_000
const HOUR = 60 * MIN
const DAY = 24 * HOUR

let env: SchedulerEnv | undefined
afterEach(async () => {
  await env?.close()
  env = undefined
})

async function setup(start = Date.UTC(2026, 0, 1), options = {}): Promise<SchedulerEnv> {
  env = new SchedulerEnv(new FakeClock(start), options)
  env.defineTemplates()
  await env.start()
  return env
}

function thrown(fn: () => unknown): AppError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(AppError)
    return err as AppError
  }
  throw new Error('expected an error')
}

describe('creating jobs', () => {
  test('computes next_run_at at creation and registers the agent', async () => {
    const e = await setup()
    const job = e.schedules.add({
      template_name: 'ping',
      cron_expression: '0 6 * * *',
      agent_id: 'ops-bot',
    })
    expect(job.next_run_at).toBe('2026-01-01T06:00:00.000Z')
    expect(job).toMatchObject({
      enabled: true,
      timezone: 'UTC',
      catch_up: 'one',
      overlap: 'skip',
      source: 'api',
      params: {},
    })
    const agent = e.rt.store.db
      .query('SELECT id, last_seen_at FROM agents WHERE id = ?')
      .get('ops-bot')
    expect(agent).toEqual({ id: 'ops-bot', last_seen_at: null })
    expect(e.schedules.get(job.id)).toEqual(job)
  })

  test('an invalid cron is a VALIDATION_ERROR and no job is created', async () => {
    const e = await setup()
    for (const cron of ['61 * * * *', '@every 1m', '', '0 0 30 2 *', 'TZ=Nowhere/X * * * * *']) {
      const err = thrown(() =>
        e.schedules.add({ template_name: 'ping', cron_expression: cron, agent_id: 'a' }),
      )
      expect(err.code).toBe('VALIDATION_ERROR')
    }
    expect(e.schedules.list()).toEqual([])
  })

  test('an unknown template or version is NOT_FOUND', async () => {
    const e = await setup()
    expect(
      thrown(() =>
        e.schedules.add({ template_name: 'nope', cron_expression: '@daily', agent_id: 'a' }),
      ).code,
    ).toBe('NOT_FOUND')
    const err = thrown(() =>
      e.schedules.add({
        template_name: 'ping',
        template_version: 'v9',
        cron_expression: '@daily',
        agent_id: 'a',
      }),
    )
    expect(err.message).toBe('template "ping:v9" not found')
  })

  test('bad fields are VALIDATION_ERRORs naming the field', async () => {
    const e = await setup()
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ params: [1, 2] }, '/params'],
      [{ catch_up: 'some' }, '/catch_up'],
      [{ overlap: 'queue' }, '/overlap'],
      [{ agent_id: '' }, '/agent_id'],
      [{ enabled: 'yes' }, '/enabled'],
    ]
    for (const [patch, path] of cases) {
      const err = thrown(() =>
        e.schedules.add({
          template_name: 'ping',
          cron_expression: '@daily',
          agent_id: 'a',
          ...patch,
        } as never),
      )
      expect(err.code).toBe('VALIDATION_ERROR')
      expect(err.issues?.[0]?.path).toBe(path)
    }
  })

  test('get/remove of an unknown id is NOT_FOUND with the spec message', async () => {
    const e = await setup()
    expect(thrown(() => e.schedules.get('x1')).message).toBe('scheduled_job "x1" not found')
    expect(thrown(() => e.schedules.remove('x1')).code).toBe('NOT_FOUND')
  })

  test('list filters and orders newest first', async () => {
    const e = await setup()
    const a = e.schedules.add({ template_name: 'ping', cron_expression: '@daily', agent_id: 'a' })
    await e.clock.advance(1000)
    const b = e.schedules.add({ template_name: 'boom', cron_expression: '@hourly', agent_id: 'b' })
    expect(e.schedules.list().map((s) => s.id)).toEqual([b.id, a.id])
    expect(e.schedules.list({ agent_id: 'a' }).map((s) => s.id)).toEqual([a.id])
    expect(e.schedules.list({ template_name: 'boom' }).map((s) => s.id)).toEqual([b.id])
    e.schedules.disable(a.id)
    expect(e.schedules.list({ enabled: true }).map((s) => s.id)).toEqual([b.id])
    expect(e.schedules.list({ limit: 1 }).map((s) => s.id)).toEqual([b.id])
  })

  test('update recomputes the next fire when the cron changes', async () => {
    const e = await setup()
    const job = e.schedules.add({
      template_name: 'ping',
      cron_expression: '0 6 * * *',
      agent_id: 'a',
    })
    const u = e.schedules.update(job.id, {
      cron_expression: 'TZ=Asia/Tokyo 0 9 * * *',
      params: { x: 1 },
    })
    expect(u.timezone).toBe('Asia/Tokyo')
    expect(u.next_run_at).toBe('2026-01-02T00:00:00.000Z') // 09:00 in Tokyo, strictly after now
    expect(u.params).toEqual({ x: 1 })
    expect(thrown(() => e.schedules.update(job.id, { cron_expression: 'nope' })).code).toBe(
      'VALIDATION_ERROR',
    )
    expect(e.schedules.get(job.id).cron_expression).toBe('TZ=Asia/Tokyo 0 9 * * *')
  })
})

describe('firing', () => {
  test('fires exactly at next_run_at, with one timer and no work while nothing is due', async () => {
    const e = await setup(Date.UTC(2026, 0, 1), { maxSleepMs: DAY })
    const job = e.schedules.add({
      template_name: 'ping',
      cron_expression: '0 6 * * *',
      agent_id: 'ops',
      params: { who: 'cron' },
    })
    expect(e.clock.pending).toBe(1) // the scheduler's single sleep
    await e.clock.advance(6 * HOUR - 1)
    expect(e.workflows()).toEqual([])
    await e.clock.advance(1)
    const wfs = e.workflows()
    expect(wfs).toHaveLength(1)
    expect(wfs[0]).toMatchObject({ status: 'completed', template_name: 'ping' })
    const row = e.rt.store.db
      .query('SELECT agent_id, template_version, input_params FROM workflows WHERE id = ?')
      .get(wfs[0]?.id as string)
    expect(row).toEqual({ agent_id: 'ops', template_version: 'v1', input_params: '{"who":"cron"}' })
    expect(e.runs(job.id)).toEqual([
      {
        scheduled_for: '2026-01-01T06:00:00.000Z',
        status: 'completed',
        kind: 'cron',
        workflow_id: wfs[0]?.id as string,
        error: null,
      },
    ])
    expect(e.schedules.get(job.id)).toMatchObject({
      next_run_at: '2026-01-02T06:00:00.000Z',
      last_run_at: '2026-01-01T06:00:00.000Z',
      last_run_status: 'completed',
      last_workflow_id: wfs[0]?.id,
    })
    expect(e.clock.pending).toBe(1)
    expect(e.effects.get('ping')).toBe(1)
  })

  test('with the default cap, the loop looks at the table at most once a minute while idle', async () => {
    const e = await setup()
    e.schedules.add({ template_name: 'ping', cron_expression: '0 6 * * *', agent_id: 'a' })
    await e.clock.advance(HOUR)
    expect(e.clock.pending).toBe(1)
    expect(e.workflows()).toEqual([])
  })

  test('a job added while the loop sleeps fires on time, not at the end of the sleep', async () => {
    const e = await setup(Date.UTC(2026, 0, 1), { maxSleepMs: DAY })
    await e.clock.advance(10 * MIN)
    e.schedules.add({ template_name: 'ping', cron_expression: '*/15 * * * *', agent_id: 'a' })
    await e.clock.advance(5 * MIN)
    expect(e.workflows()).toHaveLength(1)
  })

  test('a failed workflow is recorded failed with its error, not success', async () => {
    const e = await setup()
    const job = e.schedules.add({
      template_name: 'boom',
      cron_expression: '*/5 * * * *',
      agent_id: 'a',
    })
    await e.clock.advance(5 * MIN)
    const [run] = e.runs(job.id)
    expect(run?.status).toBe('failed')
    expect(JSON.parse(run?.error as string)).toEqual({
      code: 'STEP_FAILED',
      message: 'step fail: [EXECUTION_ERROR] kaput',
    })
    expect(e.schedules.get(job.id).last_run_status).toBe('failed')
    const [history] = e.schedules.runs(job.id)
    expect(history).toMatchObject({
      status: 'failed',
      kind: 'cron',
      error: { code: 'STEP_FAILED' },
    })
  })

  test('a six-field job fires every 20 seconds', async () => {
    const e = await setup()
    const job = e.schedules.add({
      template_name: 'ping',
      cron_expression: '*/20 * * * * *',
      agent_id: 'a',
    })
    await e.clock.advance(MIN)
    expect(e.runs(job.id).map((r) => r.scheduled_for)).toEqual([
      '2026-01-01T00:00:20.000Z',
      '2026-01-01T00:00:40.000Z',
      '2026-01-01T00:01:00.000Z',
    ])
  })

  test('disabled jobs do not fire; enabling starts from now without catching up', async () => {
    const e = await setup()
    const job = e.schedules.add({
      template_name: 'ping',
      cron_expression: '@hourly',
      agent_id: 'a',
    })
    const off = e.schedules.disable(job.id)
    expect(off.next_run_at).toBeNull()
    await e.clock.advance(5 * HOUR + 30 * MIN)
    expect(e.workflows()).toEqual([])
    const on = e.schedules.enable(job.id)
    expect(on.next_run_at).toBe('2026-01-01T06:00:00.000Z')
    await e.clock.advance(30 * MIN)
    expect(e.runs(job.id).map((r) => [r.scheduled_for, r.status])).toEqual([
      ['2026-01-01T06:00:00.000Z', 'completed'],
    ])
  })

  test('a job created disabled fires only once enabled', async () => {
    const e = await setup()
    const job = e.schedules.add({
      template_name: 'ping',
      cron_expression: '@hourly',
      agent_id: 'a',
      enabled: false,
    })
    await e.clock.advance(2 * HOUR)
    expect(e.runs(job.id)).toEqual([])
  })

  test('a deleted template is recorded as an error run; the loop and other jobs go on', async () => {
    const e = await setup()
    const bad = e.schedules.add({
      template_name: 'boom',
      cron_expression: '@hourly',
      agent_id: 'a',
    })
    const good = e.schedules.add({
      template_name: 'ping',
      cron_expression: '@hourly',
      agent_id: 'a',
    })
    e.rt.store.db.query("DELETE FROM workflow_templates WHERE name = 'boom'").run()
    await e.clock.advance(2 * HOUR)
    const runs = e.runs(bad.id)
    expect(runs.map((r) => r.status)).toEqual(['error', 'error'])
    expect(JSON.parse(runs[0]?.error as string)).toEqual({
      code: 'NOT_FOUND',
      message: 'template "boom" not found',
    })
    expect(e.schedules.get(bad.id)).toMatchObject({
      last_run_status: 'error',
      next_run_at: '2026-01-01T03:00:00.000Z',
    })
    expect(e.runs(good.id).map((r) => r.status)).toEqual(['completed', 'completed'])
    expect(
      e.logs.some((l) => l.level === 'warn' && l.msg === 'scheduled workflow could not start'),
    ).toBe(true)
  })

  test('params that break the input_schema are an error run (VALIDATION_ERROR)', async () => {
    const e = await setup()
    const bad = e.schedules.add({
      template_name: 'typed',
      cron_expression: '@hourly',
      agent_id: 'a',
      params: { n: 'seven' },
    })
    const good = e.schedules.add({
      template_name: 'typed',
      cron_expression: '@hourly',
      agent_id: 'a',
      params: { n: 7 },
    })
    await e.clock.advance(HOUR)
    const [r] = e.runs(bad.id)
    expect(r?.status).toBe('error')
    expect(JSON.parse(r?.error as string).code).toBe('VALIDATION_ERROR')
    expect(JSON.parse(r?.error as string).message).toContain('/params/n')
    expect(e.runs(good.id).map((x) => x.status)).toEqual(['completed'])
  })

  test('a job pinned to a version runs that version; unpinned runs the latest', async () => {
    const e = await setup()
    const pinned = e.schedules.add({
      template_name: 'ping',
      template_version: 'v1',
      cron_expression: '@hourly',
      agent_id: 'a',
    })
    const latest = e.schedules.add({
      template_name: 'ping',
      cron_expression: '@hourly',
      agent_id: 'a',
    })
    defineTemplate(e.rt.store, {
      name: 'ping',
      agent_id: 'definer',
      definition: { steps: [{ id: 'count', action: 'test.count', params: { key: 'ping2' } }] },
    })
    await e.clock.advance(HOUR)
    const version = (jobId: string) =>
      e.rt.store.db
        .query(
          'SELECT w.template_version AS v FROM job_runs r JOIN workflows w ON w.id = r.workflow_id WHERE r.job_id = ?',
        )
        .get(jobId)
    expect(version(pinned.id)).toEqual({ v: 'v1' })
    expect(version(latest.id)).toEqual({ v: 'v2' })
  })
})

describe('rows written by hand', () => {
  test('an invalid stored cron is parked with an error, never fired every tick', async () => {
    const e = await setup()
    const good = e.schedules.add({
      template_name: 'ping',
      cron_expression: '@hourly',
      agent_id: 'a',
    })
    const bad = e.schedules.add({
      template_name: 'ping',
      cron_expression: '@hourly',
      agent_id: 'a',
    })
    e.rt.store.db
      .query("UPDATE scheduled_jobs SET cron_expression = '99 * * * *' WHERE id = ?")
      .run(bad.id)
    await e.clock.advance(3 * HOUR)
    expect(e.runs(bad.id)).toEqual([])
    expect(e.schedules.get(bad.id)).toMatchObject({ next_run_at: null, last_run_status: 'error' })
    expect(e.runs(good.id)).toHaveLength(3)
    const parked = e.logs.filter((l) => l.msg.startsWith('scheduled job disabled'))
    expect(parked).toHaveLength(1)
    expect(String(parked[0]?.attrs?.error)).toContain('99 * * * *')
  })

  test('an enabled job without next_run_at gets one at start-up', async () => {
    const e = await setup(Date.UTC(2026, 0, 1), { maxSleepMs: DAY })
    const job = e.schedules.add({
      template_name: 'ping',
      cron_expression: '0 6 * * *',
      agent_id: 'a',
    })
    await e.down()
    const raw = openStore(e.db)
    raw.db.query('UPDATE scheduled_jobs SET next_run_at = NULL WHERE id = ?').run(job.id)
    raw.close()
    await e.up()
    expect(e.schedules.get(job.id).next_run_at).toBe('2026-01-01T06:00:00.000Z')
    await e.clock.advance(6 * HOUR)
    expect(e.runs(job.id).map((r) => r.status)).toEqual(['completed'])
  })
})

describe('overlap and concurrency', () => {
  test('overlap skip: fires while the previous run is active are recorded skipped', async () => {
    const e = await setup()
    // Runs take 2h30; fires every hour.
    const job = e.schedules.add({
      template_name: 'slow',
      cron_expression: '@hourly',
      agent_id: 'a',
    })
    await e.clock.advance(4 * HOUR)
    expect(e.runs(job.id).map((r) => [r.scheduled_for.slice(11, 16), r.status])).toEqual([
      ['01:00', 'completed'], // ended at 03:30
      ['02:00', 'skipped'],
      ['03:00', 'skipped'],
      ['04:00', 'running'],
    ])
    const skipped = e.runs(job.id)[1]
    expect(JSON.parse(skipped?.error as string).message).toContain('still active (overlap: skip)')
    expect(e.workflows('slow')).toHaveLength(2)
  })

  test('overlap allow: runs overlap', async () => {
    const e = await setup()
    const job = e.schedules.add({
      template_name: 'slow',
      cron_expression: '@hourly',
      agent_id: 'a',
      overlap: 'allow',
    })
    await e.clock.advance(3 * HOUR)
    expect(e.runs(job.id).map((r) => r.status)).toEqual(['running', 'running', 'running'])
    await e.clock.advance(HOUR)
    // 01:00 ended at 03:30; 02:00 ends at 04:30.
    expect(e.runs(job.id).map((r) => r.status)).toEqual([
      'completed',
      'running',
      'running',
      'running',
    ])
  })

  test('a slow workflow does not delay other jobs', async () => {
    const e = await setup()
    const slow = e.schedules.add({
      template_name: 'slow',
      cron_expression: '0 1 * * *',
      agent_id: 'a',
    })
    const quick = e.schedules.add({
      template_name: 'ping',
      cron_expression: '*/10 * * * *',
      agent_id: 'a',
    })
    await e.clock.advance(HOUR)
    await e.clock.advance(HOUR)
    expect(e.runs(slow.id).map((r) => r.status)).toEqual(['running'])
    const q = e.runs(quick.id)
    expect(q).toHaveLength(12)
    expect(q.every((r) => r.status === 'completed')).toBe(true)
    // Each quick run started at its own fire time, not after the slow one.
    const created = e.rt.store.db
      .query(
        'SELECT w.created_at - r.scheduled_for AS lag FROM job_runs r JOIN workflows w ON w.id = r.workflow_id WHERE r.job_id = ?',
      )
      .all(quick.id) as Array<{ lag: number }>
    expect(created.every((c) => c.lag === 0)).toBe(true)
  })
})

describe('run-now and history', () => {
  test('runNow starts a manual run, even of a disabled job', async () => {
    const e = await setup()
    const job = e.schedules.add({
      template_name: 'ping',
      cron_expression: '@daily',
      agent_id: 'a',
      enabled: false,
    })
    const r = await e.scheduler!.runNow(job.id)
    expect(r.job_id).toBe(job.id)
    expect(r.scheduled_for).toBe('2026-01-01T00:00:00.000Z')
    await e.clock.tick()
    expect(e.runs(job.id)).toEqual([
      {
        scheduled_for: r.scheduled_for,
        status: 'completed',
        kind: 'manual',
        workflow_id: r.workflow_id,
        error: null,
      },
    ])
    // A second run-now in the same millisecond gets its own fire time.
    const again = await e.scheduler!.runNow(job.id)
    expect(again.scheduled_for).toBe('2026-01-01T00:00:00.001Z')
  })

  test('runNow refuses while a run is active under overlap skip, allows under allow', async () => {
    const e = await setup()
    const job = e.schedules.add({ template_name: 'slow', cron_expression: '@daily', agent_id: 'a' })
    const first = await e.scheduler!.runNow(job.id)
    let err: unknown
    try {
      await e.scheduler!.runNow(job.id)
    } catch (x) {
      err = x
    }
    expect((err as AppError).code).toBe('CONFLICT')
    expect((err as AppError).message).toContain(first.workflow_id)
    e.schedules.update(job.id, { overlap: 'allow' })
    await e.scheduler!.runNow(job.id)
    expect(e.workflows('slow')).toHaveLength(2)
  })

  test('runNow of an unknown job is NOT_FOUND; of a broken one, the start error', async () => {
    const e = await setup()
    let err: unknown
    try {
      await e.scheduler!.runNow('missing')
    } catch (x) {
      err = x
    }
    expect((err as AppError).code).toBe('NOT_FOUND')
    const job = e.schedules.add({
      template_name: 'typed',
      cron_expression: '@daily',
      agent_id: 'a',
      params: {},
    })
    err = undefined
    try {
      await e.scheduler!.runNow(job.id)
    } catch (x) {
      err = x
    }
    expect((err as AppError).code).toBe('VALIDATION_ERROR')
    expect(e.runs(job.id).map((r) => r.status)).toEqual(['error'])
  })

  test('history is newest first and bounded', async () => {
    const e = await setup(Date.UTC(2026, 0, 1), { historyLimit: 3 })
    const job = e.schedules.add({
      template_name: 'ping',
      cron_expression: '*/5 * * * *',
      agent_id: 'a',
    })
    await e.clock.advance(30 * MIN)
    const h = e.schedules.runs(job.id)
    expect(h.map((r) => r.scheduled_for)).toEqual([
      '2026-01-01T00:30:00.000Z',
      '2026-01-01T00:25:00.000Z',
      '2026-01-01T00:20:00.000Z',
    ])
    expect(e.schedules.runs(job.id, { limit: 1 })).toHaveLength(1)
  })

  test('removing a job deletes it and its history; it never fires again', async () => {
    const e = await setup()
    const job = e.schedules.add({
      template_name: 'ping',
      cron_expression: '*/5 * * * *',
      agent_id: 'a',
    })
    await e.clock.advance(5 * MIN)
    e.schedules.remove(job.id)
    await e.clock.advance(HOUR)
    expect(e.workflows()).toHaveLength(1)
    expect(e.runs(job.id)).toEqual([])
  })
})

describe('daylight saving time in the loop', () => {
  test('Europe/Paris: 02:30 daily fires once on the spring-forward day (03:00 CEST) and once on the fall-back day', async () => {
    const e = await setup(Date.UTC(2026, 2, 27, 12), { maxSleepMs: 400 * DAY })
    const job = e.schedules.add({
      template_name: 'ping',
      cron_expression: 'TZ=Europe/Paris 30 2 * * *',
      agent_id: 'a',
    })
    await e.clock.advance(4 * DAY)
    expect(e.runs(job.id).map((r) => r.scheduled_for)).toEqual([
      '2026-03-28T01:30:00.000Z',
      '2026-03-29T01:00:00.000Z',
      '2026-03-30T00:30:00.000Z',
      '2026-03-31T00:30:00.000Z',
    ])
    // Jump to the autumn without firing every day in between.
    e.schedules.disable(job.id)
    await e.clock.advance(Date.UTC(2026, 9, 24, 12) - e.clock.now())
    e.schedules.enable(job.id)
    await e.clock.advance(2 * DAY)
    expect(
      e
        .runs(job.id)
        .slice(4)
        .map((r) => r.scheduled_for),
    ).toEqual([
      '2026-10-25T00:30:00.000Z', // the first 02:30 (CEST); the repeated one does not fire
      '2026-10-26T01:30:00.000Z',
    ])
  })

  test('America/New_York: an hourly job fires 23 times on the spring-forward day, 25 on the fall-back day', async () => {
    const e = await setup(Date.UTC(2026, 2, 8, 5), { maxSleepMs: 400 * DAY }) // 03-08 00:00 EST
    const job = e.schedules.add({
      template_name: 'ping',
      cron_expression: '0 * * * *',
      timezone: 'America/New_York',
      agent_id: 'a',
    })
    await e.clock.advance(24 * HOUR - 1) // until 2026-03-09 00:00 EDT (23 real hours later)
    const spring = e.runs(job.id).map((r) => r.scheduled_for)
    expect(spring).toHaveLength(23)
    expect(spring.slice(0, 3)).toEqual([
      '2026-03-08T06:00:00.000Z', // 01:00 EST
      '2026-03-08T07:00:00.000Z', // 03:00 EDT (02:00 does not exist)
      '2026-03-08T08:00:00.000Z',
    ])
    e.schedules.disable(job.id)
    await e.clock.advance(Date.UTC(2026, 10, 1, 4) - e.clock.now()) // 2026-11-01 00:00 EDT
    e.schedules.enable(job.id)
    await e.clock.advance(25 * HOUR) // until 2026-11-02 00:00 EST
    const autumn = e
      .runs(job.id)
      .slice(23)
      .map((r) => r.scheduled_for)
    expect(autumn).toHaveLength(25)
    expect(autumn.slice(0, 3)).toEqual([
      '2026-11-01T05:00:00.000Z', // 01:00 EDT
      '2026-11-01T06:00:00.000Z', // 01:00 EST (the hour repeats)
      '2026-11-01T07:00:00.000Z', // 02:00 EST
    ])
  })
})

describe('template triggers (decisions.md D19)', () => {
  test('define with triggers.cron creates the schedule; re-define replaces it; without triggers removes it', async () => {
    const e = await setup()
    for (let i = 0; i < 2; i++) {
      defineTemplate(e.rt.store, { name: 'ping', agent_id: 'definer', definition: { steps: [] } })
    }
    const s = e.schedules.syncTriggers({
      name: 'ping',
      version: 'v1',
      agent_id: 'definer',
      triggers: { cron: { expression: '0 6 * * *', params: { a: 1 }, catch_up: 'all' } },
    })
    expect(s).toMatchObject({
      source: 'trigger',
      template_version: 'v1',
      agent_id: 'definer',
      params: { a: 1 },
      catch_up: 'all',
      next_run_at: '2026-01-01T06:00:00.000Z',
    })
    e.schedules.disable(s?.id as string) // an operator's pause survives a re-define
    const r = e.schedules.syncTriggers({
      name: 'ping',
      version: 'v2',
      agent_id: 'definer',
      triggers: { cron: { expression: 'TZ=Europe/Paris 0 7 * * *', agent_id: 'reporter' } },
    })
    expect(r?.id).toBe(s?.id)
    expect(r).toMatchObject({
      template_version: 'v2',
      cron_expression: 'TZ=Europe/Paris 0 7 * * *',
      timezone: 'Europe/Paris',
      agent_id: 'reporter',
      params: {},
      catch_up: 'one',
      enabled: false,
    })
    expect(e.schedules.list({ template_name: 'ping' })).toHaveLength(1)
    // A schedule added by hand is not the trigger's: it stays.
    e.schedules.add({ template_name: 'ping', cron_expression: '@daily', agent_id: 'x' })
    expect(
      e.schedules.syncTriggers({ name: 'ping', version: 'v3', agent_id: 'definer' }),
    ).toBeUndefined()
    expect(e.schedules.list({ template_name: 'ping' }).map((j) => j.source)).toEqual(['api'])
  })

  test('a trigger-created schedule fires its template', async () => {
    const e = await setup()
    const s = e.schedules.syncTriggers({
      name: 'ping',
      version: 'v1',
      agent_id: 'definer',
      triggers: { cron: { expression: '*/30 * * * *' } },
    })
    await e.clock.advance(HOUR)
    expect(e.runs(s?.id as string).map((r) => r.status)).toEqual(['completed', 'completed'])
  })

  test('an invalid trigger is a VALIDATION_ERROR pointing into triggers', async () => {
    const e = await setup()
    const cases: Array<[unknown, string]> = [
      [{ cron: { expression: '99 * * * *' } }, '/triggers/cron/expression'],
      [{ cron: { expression: '@daily', catch_up: 'maybe' } }, '/triggers/cron/catch_up'],
      [{ cron: {} }, '/triggers/cron/expression'],
      ['daily', '/triggers'],
    ]
    for (const [triggers, path] of cases) {
      const err = thrown(() =>
        e.schedules.syncTriggers({ name: 'ping', version: 'v1', agent_id: 'd', triggers }),
      )
      expect(err.code).toBe('VALIDATION_ERROR')
      expect(err.issues?.[0]?.path).toBe(path)
    }
    expect(e.schedules.list()).toEqual([])
  })
})
