import { describe, expect, test } from 'bun:test'
import { compileCron } from './cron.ts'
import { type PlanInput, planFires } from './plan.ts'

const at = (s: string): number => Date.parse(s)
const daily = compileCron('0 6 * * *')
const base: Omit<PlanInput, 'nextRunAt' | 'now'> = {
  catchUp: 'one',
  overlap: 'skip',
  active: false,
  graceMs: 60_000,
  catchUpLimit: 100,
}
const iso = (ms: number | undefined): string | undefined =>
  ms === undefined ? undefined : new Date(ms).toISOString()

describe('planFires, on time', () => {
  test('a due fire seen at its time starts one run and moves to the next fire', () => {
    const p = planFires(daily, {
      ...base,
      nextRunAt: at('2026-01-02T06:00:00Z'),
      now: at('2026-01-02T06:00:00.004Z'),
    })
    expect(p.fires).toEqual([{ at: at('2026-01-02T06:00:00Z'), kind: 'cron' }])
    expect(p.skipped).toEqual([])
    expect(p.dropped).toBe(false)
    expect(iso(p.next)).toBe('2026-01-03T06:00:00.000Z')
    expect(p.wait).toBe(false)
  })

  test('overlap skip: the fire is recorded skipped while the previous run is active', () => {
    const p = planFires(daily, {
      ...base,
      active: true,
      nextRunAt: at('2026-01-02T06:00:00Z'),
      now: at('2026-01-02T06:00:00Z'),
    })
    expect(p.fires).toEqual([])
    expect(p.skipped).toEqual([at('2026-01-02T06:00:00Z')])
    expect(iso(p.next)).toBe('2026-01-03T06:00:00.000Z')
  })

  test('overlap allow: the fire runs beside the active one', () => {
    const p = planFires(daily, {
      ...base,
      overlap: 'allow',
      active: true,
      nextRunAt: at('2026-01-02T06:00:00Z'),
      now: at('2026-01-02T06:00:00Z'),
    })
    expect(p.fires).toHaveLength(1)
  })

  test('fires that fell due together within the grace collapse into the latest', () => {
    const everySecond = compileCron('* * * * * *')
    const p = planFires(everySecond, {
      ...base,
      nextRunAt: at('2026-01-02T06:00:00Z'),
      now: at('2026-01-02T06:00:03.500Z'),
    })
    expect(p.fires).toEqual([{ at: at('2026-01-02T06:00:03Z'), kind: 'cron' }])
    expect(iso(p.next)).toBe('2026-01-02T06:00:04.000Z')
  })
})

describe('planFires after a 3-day downtime (daily job, down from Jan 1 12:00 to Jan 4 12:00)', () => {
  const down = { nextRunAt: at('2026-01-02T06:00:00Z'), now: at('2026-01-04T12:00:00Z') }

  test('catch_up none drops the three missed fires', () => {
    const p = planFires(daily, { ...base, ...down, catchUp: 'none' })
    expect(p.fires).toEqual([])
    expect(p.dropped).toBe(true)
    expect(iso(p.next)).toBe('2026-01-05T06:00:00.000Z')
  })

  test('catch_up none still runs a fire that is within the grace', () => {
    const p = planFires(daily, {
      ...base,
      catchUp: 'none',
      nextRunAt: at('2026-01-02T06:00:00Z'),
      now: at('2026-01-04T06:00:30Z'),
    })
    expect(p.fires).toEqual([{ at: at('2026-01-04T06:00:00Z'), kind: 'cron' }])
    expect(p.dropped).toBe(true)
  })

  test('catch_up one runs the latest missed fire once', () => {
    const p = planFires(daily, { ...base, ...down, catchUp: 'one' })
    expect(p.fires).toEqual([{ at: at('2026-01-04T06:00:00Z'), kind: 'catch_up' }])
    expect(p.dropped).toBe(true)
    expect(iso(p.next)).toBe('2026-01-05T06:00:00.000Z')
  })

  test('catch_up one with a previous run still active records the fire as skipped', () => {
    const p = planFires(daily, { ...base, ...down, catchUp: 'one', active: true })
    expect(p.fires).toEqual([])
    expect(p.skipped).toEqual([at('2026-01-04T06:00:00Z')])
  })

  test('catch_up all with overlap allow runs every missed fire at once', () => {
    const p = planFires(daily, { ...base, ...down, catchUp: 'all', overlap: 'allow' })
    expect(p.fires.map((f) => iso(f.at))).toEqual([
      '2026-01-02T06:00:00.000Z',
      '2026-01-03T06:00:00.000Z',
      '2026-01-04T06:00:00.000Z',
    ])
    expect(p.fires.every((f) => f.kind === 'catch_up')).toBe(true)
    expect(p.dropped).toBe(false)
    expect(iso(p.next)).toBe('2026-01-05T06:00:00.000Z')
  })

  test('catch_up all with overlap skip runs them one after another', () => {
    const first = planFires(daily, { ...base, ...down, catchUp: 'all' })
    expect(first.fires.map((f) => iso(f.at))).toEqual(['2026-01-02T06:00:00.000Z'])
    expect(iso(first.next)).toBe('2026-01-03T06:00:00.000Z') // still due: the queue
    const blocked = planFires(daily, {
      ...base,
      catchUp: 'all',
      active: true,
      nextRunAt: first.next as number,
      now: down.now,
    })
    expect(blocked.wait).toBe(true)
    expect(blocked.fires).toEqual([])
    const second = planFires(daily, {
      ...base,
      catchUp: 'all',
      nextRunAt: first.next as number,
      now: down.now,
    })
    expect(second.fires.map((f) => iso(f.at))).toEqual(['2026-01-03T06:00:00.000Z'])
    const third = planFires(daily, {
      ...base,
      catchUp: 'all',
      nextRunAt: second.next as number,
      now: down.now,
    })
    expect(third.fires.map((f) => iso(f.at))).toEqual(['2026-01-04T06:00:00.000Z'])
    expect(iso(third.next)).toBe('2026-01-05T06:00:00.000Z')
  })

  test('catch_up all keeps only the newest fires beyond its limit', () => {
    const hourly = compileCron('0 * * * *')
    const p = planFires(hourly, {
      ...base,
      ...down,
      catchUp: 'all',
      overlap: 'allow',
      catchUpLimit: 5,
    })
    expect(p.fires.map((f) => iso(f.at))).toEqual([
      '2026-01-04T08:00:00.000Z',
      '2026-01-04T09:00:00.000Z',
      '2026-01-04T10:00:00.000Z',
      '2026-01-04T11:00:00.000Z',
      '2026-01-04T12:00:00.000Z',
    ])
    expect(p.dropped).toBe(true)
  })

  test('a next_run_at that is not a fire time of the expression still fires', () => {
    const p = planFires(daily, {
      ...base,
      catchUp: 'all',
      overlap: 'allow',
      nextRunAt: at('2026-01-03T07:13:00Z'),
      now: down.now,
    })
    expect(p.fires.map((f) => iso(f.at))).toEqual([
      '2026-01-03T07:13:00.000Z',
      '2026-01-04T06:00:00.000Z',
    ])
  })
})
