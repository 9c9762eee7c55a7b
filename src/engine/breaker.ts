/**
 * Per-action circuit breakers (spec workflow.md §6.4, A16): closed → open after `failureThreshold`
 * consecutive failures, half-open after `openForMs`, closed again after a successful probe. Shared
 * by every workflow of one engine. Probes are released when the action is not executed.
 */
import { AppError } from '../errors.ts'

export interface BreakerSettings {
  /** Consecutive failures that open the breaker (default 5). */
  failureThreshold: number
  /** How long it stays open before letting a probe through, ms (default 30 000). */
  openForMs: number
  /** Concurrent probes allowed while half-open (default 1). */
  halfOpenProbes: number
}

export const DEFAULT_BREAKER: BreakerSettings = {
  failureThreshold: 5,
  openForMs: 30_000,
  halfOpenProbes: 1,
}

export type BreakerState = 'closed' | 'open' | 'half_open'

export interface BreakerStats {
  action: string
  state: BreakerState
  consecutive_failures: number
  failure_threshold: number
  cooldown: number
}

interface Breaker {
  state: BreakerState
  failures: number
  lastFailure: number
  probes: number
}

/** A state change worth an event: `circuit_breaker_open|half_open|closed`. */
export interface BreakerTransition {
  type: 'circuit_breaker_open' | 'circuit_breaker_half_open' | 'circuit_breaker_closed'
  stats: BreakerStats
}

export class Breakers {
  private readonly map = new Map<string, Breaker>()

  constructor(private readonly settings: BreakerSettings = DEFAULT_BREAKER) {}

  /** Admits a call or throws CIRCUIT_OPEN. Returns a transition when the call is a half-open probe. */
  admit(action: string, now: number): BreakerTransition | undefined {
    const b = this.map.get(action)
    if (b === undefined || b.state === 'closed') return undefined
    if (b.state === 'open') {
      const remaining = this.settings.openForMs - (now - b.lastFailure)
      if (remaining > 0) {
        throw new AppError('CIRCUIT_OPEN', `circuit breaker open for action ${action}`, {
          details: {
            action,
            consecutive_failures: b.failures,
            state: b.state,
            cooldown_remaining: remaining,
          },
        })
      }
      b.state = 'half_open'
      b.probes = 1
      return { type: 'circuit_breaker_half_open', stats: this.stats(action, b) }
    }
    if (b.probes >= this.settings.halfOpenProbes) {
      throw new AppError(
        'CIRCUIT_OPEN',
        `circuit breaker half-open for action ${action}: max test requests reached`,
        {
          details: { action, consecutive_failures: b.failures, state: b.state },
        },
      )
    }
    b.probes++
    return undefined
  }

  /** The admitted call did not run (lookup, params or interpolation failed): give the probe back. */
  release(action: string): void {
    const b = this.map.get(action)
    if (b !== undefined && b.state === 'half_open' && b.probes > 0) b.probes--
  }

  success(action: string): BreakerTransition | undefined {
    const b = this.map.get(action)
    if (b === undefined) return undefined
    const wasClosed = b.state === 'closed'
    b.failures = 0
    b.probes = 0
    b.state = 'closed'
    return wasClosed ? undefined : { type: 'circuit_breaker_closed', stats: this.stats(action, b) }
  }

  failure(action: string, now: number): BreakerTransition | undefined {
    let b = this.map.get(action)
    if (b === undefined) {
      b = { state: 'closed', failures: 0, lastFailure: 0, probes: 0 }
      this.map.set(action, b)
    }
    b.failures++
    b.lastFailure = now
    const before = b.state
    if (b.state === 'half_open') {
      b.state = 'open'
      b.probes = 0
    } else if (b.failures >= this.settings.failureThreshold) {
      b.state = 'open'
    }
    if (b.state === 'open' && before !== 'open')
      return { type: 'circuit_breaker_open', stats: this.stats(action, b) }
    return undefined
  }

  snapshot(): BreakerStats[] {
    return [...this.map.entries()].map(([action, b]) => this.stats(action, b))
  }

  private stats(action: string, b: Breaker): BreakerStats {
    return {
      action,
      state: b.state,
      consecutive_failures: b.failures,
      failure_threshold: this.settings.failureThreshold,
      cooldown: this.settings.openForMs,
    }
  }
}
