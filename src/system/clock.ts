/**
 * The real Clock and Ids ports: wall time, setTimeout-based timers (delays beyond setTimeout's
 * 32-bit range are chained), crypto UUIDs.
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

export const systemIds: Ids = { uuid: () => crypto.randomUUID() }
