/**
 * What to do with a due job, pure: which fire times start a run, which are recorded as skipped,
 * and the job's next fire time. Catch-up and overlap policies live here (docs/scheduler.md).
 *
 * A fire is *on time* when the scheduler sees it within `graceMs` of its time (it sleeps until the
 * next fire, so only downtime, a suspended machine or a blocked process make it late). Late fires
 * were missed, and the job's `catch_up` policy decides: `none` drops them, `one` runs the latest once,
 * `all` runs each (the newest `catchUpLimit`). With `overlap: skip`, an on-time fire that finds the
 * previous run still active is recorded `skipped`; missed fires under `all` queue instead and run one
 * after another, each when the previous run ends.
 */
import type { CronSchedule } from './cron.ts'

export const CATCH_UP_POLICIES = ['none', 'one', 'all'] as const
export type CatchUpPolicy = (typeof CATCH_UP_POLICIES)[number]
export const OVERLAP_POLICIES = ['skip', 'allow'] as const
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number]

export type FireKind = 'cron' | 'catch_up' | 'manual'

export interface PlanInput {
  /** The job's pending fire time (≤ now when the job is due). */
  nextRunAt: number
  now: number
  catchUp: CatchUpPolicy
  overlap: OverlapPolicy
  /** A previous run of the job has not ended yet. */
  active: boolean
  /** How late a fire may be seen and still count as on time, ms. */
  graceMs: number
  /** Most missed fires run by `catch_up: all` (the newest ones). */
  catchUpLimit: number
}

export interface FirePlan {
  /** Fire times that start a run, oldest first. */
  fires: Array<{ at: number; kind: FireKind }>
  /** Fire times recorded as skipped because the previous run is still active. */
  skipped: number[]
  /** True when missed fires were dropped (catch-up `none`, or beyond the limit of `all`). */
  dropped: boolean
  /** The job's new `next_run_at` (undefined: the expression never fires again). */
  next: number | undefined
  /** Leave the job untouched: missed fires are queued behind the active run. */
  wait: boolean
}

export function planFires(cron: CronSchedule, input: PlanInput): FirePlan {
  const { nextRunAt, now, graceMs } = input
  const prev = cron.previous(now)
  // nextRunAt is due even if it is not a fire time of the current expression (edited by hand).
  const latest = prev === undefined || prev < nextRunAt ? nextRunAt : prev
  const nextAfterNow = cron.next(now)
  const blocked = input.active && input.overlap === 'skip'

  const onTime = (at: number, dropped: boolean): FirePlan =>
    blocked
      ? { fires: [], skipped: [at], dropped, next: nextAfterNow, wait: false }
      : { fires: [{ at, kind: 'cron' }], skipped: [], dropped, next: nextAfterNow, wait: false }

  // On time: fires that fell due together (a late wake-up within the grace) collapse into the latest.
  if (now - nextRunAt <= graceMs) return onTime(latest, false)

  switch (input.catchUp) {
    case 'none':
      if (now - latest <= graceMs) return onTime(latest, true)
      return { fires: [], skipped: [], dropped: true, next: nextAfterNow, wait: false }
    case 'one':
      if (blocked)
        return { fires: [], skipped: [latest], dropped: true, next: nextAfterNow, wait: false }
      return {
        fires: [{ at: latest, kind: 'catch_up' }],
        skipped: [],
        dropped: latest !== nextRunAt,
        next: nextAfterNow,
        wait: false,
      }
    case 'all': {
      const missed = cron.latest(nextRunAt, now, input.catchUpLimit)
      // nextRunAt itself is due even when the expression would not list it (edited by hand).
      if (missed[0] !== nextRunAt && missed.length < input.catchUpLimit) missed.unshift(nextRunAt)
      const dropped = missed[0] !== nextRunAt
      if (input.overlap === 'allow') {
        return {
          fires: missed.map((at) => ({ at, kind: 'catch_up' as const })),
          skipped: [],
          dropped,
          next: nextAfterNow,
          wait: false,
        }
      }
      if (input.active)
        return { fires: [], skipped: [], dropped: false, next: nextRunAt, wait: true }
      const first = missed[0] as number
      const second = missed[1]
      return {
        fires: [{ at: first, kind: 'catch_up' }],
        skipped: [],
        dropped,
        next: second ?? nextAfterNow,
        wait: false,
      }
    }
  }
}
