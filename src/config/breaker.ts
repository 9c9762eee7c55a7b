/**
 * settings.json `circuit_breaker {failure_threshold, open_for, half_open_probes}` (decisions.md
 * D21) → the engine's breaker settings, with the reference's values as defaults (5 failures, 30 s,
 * 1 probe). Bad values are refused at start-up with the JSON path of the problem.
 */
import { type BreakerSettings, DEFAULT_BREAKER } from '../engine/breaker.ts'
import { AppError } from '../errors.ts'
import { parseDuration } from '../schema/duration.ts'

export function breakerSettings(raw: unknown): BreakerSettings {
  if (raw === undefined || raw === null) return { ...DEFAULT_BREAKER }
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw bad(
      '/circuit_breaker',
      'must be an object {failure_threshold, open_for, half_open_probes}',
    )
  }
  const r = raw as Record<string, unknown>
  const out: BreakerSettings = { ...DEFAULT_BREAKER }
  if (r.failure_threshold !== undefined) {
    if (!Number.isInteger(r.failure_threshold) || (r.failure_threshold as number) < 1) {
      throw bad(
        '/circuit_breaker/failure_threshold',
        'must be an integer ≥ 1 (consecutive failures that open the breaker)',
      )
    }
    out.failureThreshold = r.failure_threshold as number
  }
  if (r.open_for !== undefined) {
    const ms = typeof r.open_for === 'string' ? parseDuration(r.open_for) : undefined
    if (ms === undefined || ms < 0)
      throw bad('/circuit_breaker/open_for', "must be a Go duration such as '30s'")
    out.openForMs = ms
  }
  if (r.half_open_probes !== undefined) {
    if (!Number.isInteger(r.half_open_probes) || (r.half_open_probes as number) < 1) {
      throw bad(
        '/circuit_breaker/half_open_probes',
        'must be an integer ≥ 1 (calls let through while half-open)',
      )
    }
    out.halfOpenProbes = r.half_open_probes as number
  }
  return out
}

function bad(path: string, message: string): AppError {
  return new AppError('VALIDATION_ERROR', `settings ${path}: ${message}`, {
    issues: [{ path, code: 'VALIDATION_ERROR', message, severity: 'error' }],
  })
}
