/**
 * The real Clock and Ids ports: wall time, setTimeout-based timers (delays beyond setTimeout's
 * 32-bit range are chained), time-ordered UUIDs.
 */
import type { Clock, Ids, TimerHandle } from '../engine/ports.ts'

const MAX_DELAY = 2_147_483_647

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(delayMs: number, fn: () => void): TimerHandle {
    let handle: ReturnType<typeof setTimeout> | undefined
    let cancelled = false
    const target = Date.now() + Math.max(0, delayMs)
    const arm = (): void => {
      const left = target - Date.now()
      handle = setTimeout(
        () => {
          if (cancelled) return
          if (target - Date.now() > 0 && left > MAX_DELAY) arm()
          else fn()
        },
        Math.min(Math.max(0, left), MAX_DELAY),
      )
    }
    arm()
    return {
      cancel() {
        cancelled = true
        if (handle !== undefined) clearTimeout(handle)
      },
    }
  },
}

/**
 * Workflow and event ids are UUIDv7: time-ordered, so new rows land at the right edge of every
 * B-tree keyed by them (a random v4 key touches a random page per row and multiplies the pages a
 * commit writes). Still 36-char RFC 9562 UUIDs on the wire.
 */
export const systemIds: Ids = { uuid: () => Bun.randomUUIDv7() }
