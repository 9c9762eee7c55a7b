/**
 * A Clock whose time moves only when a test says so: hour-long waits and timeouts run instantly.
 * `advance` fires due timers in time order and lets promise continuations run after each.
 */
import type { Clock, TimerHandle } from '../../src/engine/ports.ts'

interface Timer {
  at: number
  seq: number
  fn: () => void
  cancelled: boolean
}

export class FakeClock implements Clock {
  private t: number
  private seq = 0
  private timers: Timer[] = []

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.t = start
  }

  now(): number {
    return this.t
  }

  setTimer(delayMs: number, fn: () => void): TimerHandle {
    const timer: Timer = {
      at: this.t + Math.max(0, delayMs),
      seq: this.seq++,
      fn,
      cancelled: false,
    }
    this.timers.push(timer)
    return {
      cancel: () => {
        timer.cancelled = true
      },
    }
  }

  /** Pending (not cancelled) timers. */
  get pending(): number {
    return this.timers.filter((t) => !t.cancelled).length
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms
    for (;;) {
      await settle()
      this.timers = this.timers.filter((t) => !t.cancelled)
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq)
      const next = this.timers[0]
      if (next === undefined || next.at > target) break
      this.timers.shift()
      this.t = Math.max(this.t, next.at)
      next.fn()
    }
    this.t = target
    await settle()
  }

  /** Fires timers due now (delay 0), e.g. the journal's flush timer. */
  async tick(): Promise<void> {
    await this.advance(0)
  }
}

/** Lets pending promise continuations run (several macrotask turns). */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((r) => setImmediate(r))
}
