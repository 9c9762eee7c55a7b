import { describe, expect, test } from 'bun:test'
import { AppError } from '../errors.ts'
import { compileCron, isValidCron } from './cron.ts'

const at = (s: string): number => Date.parse(s)
const isoList = (ms: number[]): string[] => ms.map((t) => new Date(t).toISOString())

function invalid(expression: unknown, timezone?: string): AppError {
  try {
    compileCron(expression, timezone)
  } catch (err) {
    expect(err).toBeInstanceOf(AppError)
    const e = err as AppError
    expect(e.code).toBe('VALIDATION_ERROR')
    expect(e.issues?.[0]?.path).toBe('/cron_expression')
    return e
  }
  throw new Error(`expected ${String(expression)} to be rejected`)
}

describe('compileCron syntax (decisions.md D19)', () => {
  test('five fields fire on the minute, in UTC by default', () => {
    const c = compileCron('*/15 9-17 * * MON-FRI')
    expect(c.timezone).toBe('UTC')
    expect(c.seconds).toBe(false)
    expect(isoList(c.upcoming(at('2026-01-02T16:50:00Z'), 3))).toEqual([
      '2026-01-02T17:00:00.000Z',
      '2026-01-02T17:15:00.000Z',
      '2026-01-02T17:30:00.000Z',
    ])
    // Friday 17:45 is the last one of the week; Monday 09:00 follows.
    expect(isoList(c.upcoming(at('2026-01-02T17:45:00Z'), 1))).toEqual(['2026-01-05T09:00:00.000Z'])
  })

  test('six fields put seconds first', () => {
    const c = compileCron('*/20 * * * * *')
    expect(c.seconds).toBe(true)
    expect(isoList(c.upcoming(at('2026-01-01T00:00:00Z'), 3))).toEqual([
      '2026-01-01T00:00:20.000Z',
      '2026-01-01T00:00:40.000Z',
      '2026-01-01T00:01:00.000Z',
    ])
  })

  test('descriptors are accepted, case-insensitively', () => {
    expect(isoList(compileCron('@hourly').upcoming(at('2026-01-01T10:30:00Z'), 1))).toEqual([
      '2026-01-01T11:00:00.000Z',
    ])
    expect(isoList(compileCron('@DAILY').upcoming(at('2026-01-01T10:30:00Z'), 1))).toEqual([
      '2026-01-02T00:00:00.000Z',
    ])
    expect(isoList(compileCron('@weekly').upcoming(at('2026-01-01T10:30:00Z'), 1))).toEqual([
      '2026-01-04T00:00:00.000Z', // a Sunday
    ])
    expect(compileCron('@yearly').pattern).toBe('@yearly')
    for (const d of ['@annually', '@monthly', '@midnight']) expect(isValidCron(d)).toBe(true)
  })

  test('TZ= and CRON_TZ= prefixes set the zone', () => {
    const a = compileCron('TZ=Europe/Paris 0 9 * * *')
    expect(a.timezone).toBe('Europe/Paris')
    expect(a.pattern).toBe('0 9 * * *')
    expect(a.expression).toBe('TZ=Europe/Paris 0 9 * * *')
    expect(isoList(a.upcoming(at('2026-01-10T00:00:00Z'), 1))).toEqual(['2026-01-10T08:00:00.000Z'])
    const b = compileCron('CRON_TZ=America/New_York @daily')
    expect(isoList(b.upcoming(at('2026-07-01T12:00:00Z'), 1))).toEqual(['2026-07-02T04:00:00.000Z'])
    // The same zone given twice is fine; a different one is a conflict.
    expect(compileCron('TZ=Europe/Paris 0 9 * * *', 'Europe/Paris').timezone).toBe('Europe/Paris')
    expect(invalid('TZ=Europe/Paris 0 9 * * *', 'Asia/Tokyo').message).toContain('Asia/Tokyo')
  })

  test('the timezone argument applies when there is no prefix', () => {
    const c = compileCron('0 9 * * *', 'Asia/Tokyo')
    expect(isoList(c.upcoming(at('2026-01-10T00:00:00Z'), 1))).toEqual(['2026-01-11T00:00:00.000Z'])
  })

  test('when day-of-month and day-of-week are both restricted, either matches', () => {
    const c = compileCron('0 0 13 * FRI')
    expect(isoList(c.upcoming(at('2026-02-01T00:00:00Z'), 3))).toEqual([
      '2026-02-06T00:00:00.000Z', // a Friday
      '2026-02-13T00:00:00.000Z', // the 13th (also a Friday)
      '2026-02-20T00:00:00.000Z',
    ])
  })

  test('? is the same as *, names of months and days work', () => {
    const c = compileCron('0 12 ? JAN,JUL SUN')
    expect(isoList(c.upcoming(at('2026-01-01T00:00:00Z'), 1))).toEqual(['2026-01-04T12:00:00.000Z'])
  })
})

describe('compileCron rejects what would not fire on a real schedule', () => {
  test.each([
    ['', 'empty'],
    ['   ', 'empty'],
    ['* * * *', 'expected 5 fields'],
    ['0 0 1 1 * 2030', ''],
    ['* * * * * * *', 'expected 5 fields'],
    ['61 * * * *', 'minute'],
    ['* 24 * * *', 'hour'],
    ['* * * 13 *', 'month'],
    ['*/0 * * * *', 'stepping'],
    ['5-1 * * * *', 'larger'],
    ['x y z w v', ''],
    ['@every 5m', 'unknown descriptor'],
    ['@reboot', 'unknown descriptor'],
    ['0 0 30 2 *', 'never fires'],
    ['0 0 31 4 *', 'never fires'],
    ['TZ= 0 9 * * *', 'no time zone'],
  ])('%p', (expression, words) => {
    const e = invalid(expression)
    expect(e.message).toContain(`invalid cron expression`)
    expect(e.message.toLowerCase()).toContain(words.toLowerCase())
  })

  test('an unknown time zone, as prefix or argument', () => {
    expect(invalid('TZ=Mars/Olympus 0 9 * * *').message).toContain(
      'unknown time zone "Mars/Olympus"',
    )
    expect(invalid('0 9 * * *', 'Nowhere/City').message).toContain('unknown time zone')
  })

  test('values that are not strings', () => {
    invalid(undefined)
    invalid(42)
    invalid(null)
    expect(isValidCron({})).toBe(false)
  })
})

describe('daylight saving time', () => {
  test('Europe/Paris spring forward: a fixed time in the gap fires once, right after the gap', () => {
    // 2026-03-29: 02:00 CET jumps to 03:00 CEST; 02:30 does not exist that day.
    const c = compileCron('30 2 * * *', 'Europe/Paris')
    expect(isoList(c.upcoming(at('2026-03-27T12:00:00Z'), 4))).toEqual([
      '2026-03-28T01:30:00.000Z', // 02:30 CET
      '2026-03-29T01:00:00.000Z', // 03:00 CEST, the first instant after the gap
      '2026-03-30T00:30:00.000Z', // 02:30 CEST
      '2026-03-31T00:30:00.000Z',
    ])
  })

  test('Europe/Paris spring forward: an interval job skips the missing times', () => {
    const c = compileCron('*/30 * * * *', 'Europe/Paris')
    expect(isoList(c.upcoming(at('2026-03-29T00:00:00Z'), 3))).toEqual([
      '2026-03-29T00:30:00.000Z', // 01:30 CET
      '2026-03-29T01:00:00.000Z', // 03:00 CEST (02:00 and 02:30 never happen)
      '2026-03-29T01:30:00.000Z',
    ])
  })

  test('Europe/Paris fall back: a fixed time in the repeated hour fires once', () => {
    // 2026-10-25: 03:00 CEST goes back to 02:00 CET; 02:30 happens twice.
    const c = compileCron('30 2 * * *', 'Europe/Paris')
    expect(isoList(c.upcoming(at('2026-10-24T12:00:00Z'), 2))).toEqual([
      '2026-10-25T00:30:00.000Z', // the first 02:30 (CEST)
      '2026-10-26T01:30:00.000Z', // next day, 02:30 CET
    ])
  })

  test('Europe/Paris fall back: an interval job fires on both passes (distinct instants)', () => {
    const c = compileCron('0 * * * *', 'Europe/Paris')
    expect(isoList(c.upcoming(at('2026-10-24T23:30:00Z'), 4))).toEqual([
      '2026-10-25T00:00:00.000Z', // 02:00 CEST
      '2026-10-25T01:00:00.000Z', // 02:00 CET (the clock went back)
      '2026-10-25T02:00:00.000Z', // 03:00 CET
      '2026-10-25T03:00:00.000Z',
    ])
  })

  test('America/New_York: 09:00 stays 09:00 local across both changes', () => {
    const c = compileCron('0 9 * * *', 'America/New_York')
    expect(isoList(c.upcoming(at('2026-03-07T20:00:00Z'), 2))).toEqual([
      '2026-03-08T13:00:00.000Z', // EDT from 2026-03-08
      '2026-03-09T13:00:00.000Z',
    ])
    expect(isoList(c.upcoming(at('2026-10-31T20:00:00Z'), 2))).toEqual([
      '2026-11-01T14:00:00.000Z', // EST from 2026-11-01
      '2026-11-02T14:00:00.000Z',
    ])
  })

  test('America/New_York spring forward: 02:30 fires at 03:00 EDT on the day of the gap', () => {
    const c = compileCron('30 2 * * *', 'America/New_York')
    expect(isoList(c.upcoming(at('2026-03-07T12:00:00Z'), 2))).toEqual([
      '2026-03-08T07:00:00.000Z', // 03:00 EDT
      '2026-03-09T06:30:00.000Z', // 02:30 EDT
    ])
  })

  test('America/New_York fall back: 01:30 fires once on the day the hour repeats', () => {
    const c = compileCron('30 1 * * *', 'America/New_York')
    expect(isoList(c.upcoming(at('2026-10-31T12:00:00Z'), 2))).toEqual([
      '2026-11-01T05:30:00.000Z', // the first 01:30 (EDT)
      '2026-11-02T06:30:00.000Z', // 01:30 EST
    ])
  })

  test('previous and latest agree with next across a DST change', () => {
    const c = compileCron('30 2 * * *', 'Europe/Paris')
    const fires = c.upcoming(at('2026-03-26T00:00:00Z'), 6)
    const last = fires.at(-1) as number
    expect(c.previous(last)).toBe(last)
    expect(c.previous(last - 1)).toBe(fires.at(-2))
    expect(c.latest(fires[0] as number, last, 100)).toEqual(fires)
    expect(c.latest(fires[0] as number, last, 2)).toEqual(fires.slice(-2))
    expect(c.latest(last + 1, last, 10)).toEqual([])
  })
})

describe('next', () => {
  test('is strictly after its argument, to the millisecond', () => {
    const c = compileCron('0 * * * *')
    expect(c.next(at('2026-01-01T10:00:00Z'))).toBe(at('2026-01-01T11:00:00Z'))
    expect(c.next(at('2026-01-01T09:59:59.999Z'))).toBe(at('2026-01-01T10:00:00Z'))
    expect(c.previous(at('2026-01-01T10:00:00Z'))).toBe(at('2026-01-01T10:00:00Z'))
    expect(c.previous(at('2026-01-01T09:59:59.999Z'))).toBe(at('2026-01-01T09:00:00Z'))
  })
})
