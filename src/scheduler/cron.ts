/**
 * Cron expressions (decisions.md D19), pure: parse once, then ask for fire times. Five fields
 * (`minute hour day-of-month month day-of-week`), six with a leading seconds field, the
 * `@yearly`-style descriptors, and a `TZ=<zone> ` or `CRON_TZ=<zone> ` prefix. When day-of-month
 * and day-of-week are both restricted, either may match (classic cron OR rule).
 *
 * Time zones and daylight saving follow croner (and Vixie cron): a fixed-time job (`30 2 * * *`)
 * whose time falls in a spring-forward gap fires at the first instant after the gap, and fires once
 * when a fall-back repeats its time; an interval job (`*\/15 * * * *`) skips the missing times and
 * fires on both passes of the repeated hour (they are distinct instants).
 */
import { Cron } from 'croner'
import { AppError } from '../errors.ts'

/** Descriptors accepted in place of the five fields. */
export const CRON_DESCRIPTORS = [
  '@yearly',
  '@annually',
  '@monthly',
  '@weekly',
  '@daily',
  '@midnight',
  '@hourly',
] as const

export interface CronSchedule {
  /** The expression as given (with its `TZ=` prefix, if any). */
  expression: string
  /** The fields without the prefix (a descriptor stays a descriptor). */
  pattern: string
  /** IANA time zone the fields are read in. */
  timezone: string
  /** True when the expression has a seconds field. */
  seconds: boolean
  /** First fire time strictly after `afterMs` (epoch ms), or undefined when it never fires again. */
  next(afterMs: number): number | undefined
  /** Latest fire time at or before `atMs`, or undefined when there is none. */
  previous(atMs: number): number | undefined
  /** The next `n` fire times strictly after `afterMs`, oldest first. */
  upcoming(afterMs: number, n: number): number[]
  /** The newest `limit` fire times in `[fromMs, toMs]`, oldest first. */
  latest(fromMs: number, toMs: number, limit: number): number[]
}

const PREFIX = /^(?:CRON_TZ|TZ)=(\S*)\s+/

/**
 * Parses a cron expression. `timezone` applies when the expression has no `TZ=` prefix (default
 * UTC); a prefix naming another zone than `timezone` is a conflict. Throws VALIDATION_ERROR with a
 * message that names the problem, for anything that would not fire on a real schedule (bad syntax,
 * unknown zone, a date that never comes such as `0 0 30 2 *`).
 */
export function compileCron(expression: unknown, timezone?: string): CronSchedule {
  if (typeof expression !== 'string' || expression.trim() === '') {
    throw invalid(String(expression ?? ''), 'the expression is empty')
  }
  const text = expression.trim()
  let pattern = text
  let zone = timezone === undefined || timezone === '' ? undefined : timezone
  const prefix = PREFIX.exec(text)
  if (prefix !== null) {
    const named = prefix[1] ?? ''
    if (named === '') throw invalid(text, 'the TZ= prefix names no time zone')
    if (zone !== undefined && !sameZone(zone, named)) {
      throw invalid(text, `the expression says TZ=${named} but the timezone is ${zone}`)
    }
    zone = named
    pattern = text.slice(prefix[0].length).trim()
  }
  zone = zone ?? 'UTC'
  checkZone(text, zone)
  if (pattern.startsWith('@')) {
    const d = pattern.toLowerCase()
    if (!(CRON_DESCRIPTORS as readonly string[]).includes(d)) {
      throw invalid(
        text,
        `unknown descriptor ${pattern}; use five fields, six with seconds, or one of ${CRON_DESCRIPTORS.join(', ')}`,
      )
    }
    pattern = d
  }
  const fields = pattern.startsWith('@') ? 5 : pattern.split(/\s+/).length
  if (fields !== 5 && fields !== 6) {
    throw invalid(
      text,
      `expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, got ${fields}`,
    )
  }
  let cron: Cron
  try {
    cron = new Cron(pattern, { timezone: zone, mode: '5-or-6-parts', paused: true })
  } catch (err) {
    throw invalid(text, cronMessage(err))
  }
  const next = (afterMs: number): number | undefined => {
    const d = cron.nextRun(new Date(afterMs))
    return d === null ? undefined : d.getTime()
  }
  // A pattern that names a date that never exists (30 February) has no next run at all.
  if (next(Date.UTC(2000, 0, 1)) === undefined) {
    throw invalid(text, 'it never fires (no date matches every field)')
  }
  return {
    expression: text,
    pattern,
    timezone: zone,
    seconds: fields === 6,
    next,
    // croner's previousRuns is strictly before its reference (to the millisecond), hence `+ 1`.
    previous: (atMs) => cron.previousRuns(1, new Date(atMs + 1))[0]?.getTime(),
    upcoming(afterMs, n) {
      const out: number[] = []
      let t = next(afterMs)
      while (t !== undefined && out.length < n) {
        out.push(t)
        t = next(t)
      }
      return out
    },
    latest(fromMs, toMs, limit) {
      if (limit <= 0 || toMs < fromMs) return []
      return cron
        .previousRuns(limit, new Date(toMs + 1))
        .map((d) => d.getTime())
        .filter((t) => t >= fromMs)
        .reverse()
    },
  }
}

/** True when `expression` (with `timezone`) is a valid, firing cron schedule. */
export function isValidCron(expression: unknown, timezone?: string): boolean {
  try {
    compileCron(expression, timezone)
    return true
  } catch {
    return false
  }
}

function checkZone(text: string, zone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone })
  } catch {
    throw invalid(text, `unknown time zone "${zone}" (use an IANA name such as Europe/Paris)`)
  }
}

function sameZone(a: string, b: string): boolean {
  if (a === b) return true
  try {
    const ra = new Intl.DateTimeFormat('en-US', { timeZone: a }).resolvedOptions().timeZone
    const rb = new Intl.DateTimeFormat('en-US', { timeZone: b }).resolvedOptions().timeZone
    return ra === rb
  } catch {
    return false
  }
}

/** croner's messages without its class-name prefix. */
function cronMessage(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err)
  return m.replace(/^Cron(Pattern|Options|Date)?:\s*/, '')
}

function invalid(expression: string, why: string): AppError {
  return new AppError('VALIDATION_ERROR', `invalid cron expression "${expression}": ${why}`, {
    details: { expression },
    issues: [
      { path: '/cron_expression', code: 'VALIDATION_ERROR', message: why, severity: 'error' },
    ],
  })
}
