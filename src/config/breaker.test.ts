import { describe, expect, test } from 'bun:test'
import { breakerSettings } from './breaker.ts'

describe('circuit_breaker settings (D21)', () => {
  test('defaults are the reference values', () => {
    expect(breakerSettings(undefined)).toEqual({
      failureThreshold: 5,
      openForMs: 30_000,
      halfOpenProbes: 1,
    })
  })

  test('each field can be set', () => {
    expect(
      breakerSettings({ failure_threshold: 3, open_for: '1m30s', half_open_probes: 2 }),
    ).toEqual({
      failureThreshold: 3,
      openForMs: 90_000,
      halfOpenProbes: 2,
    })
  })

  test('bad values are refused with their path', () => {
    expect(() => breakerSettings({ failure_threshold: 0 })).toThrow(
      '/circuit_breaker/failure_threshold',
    )
    expect(() => breakerSettings({ open_for: 30 })).toThrow('/circuit_breaker/open_for')
    expect(() => breakerSettings({ half_open_probes: 1.5 })).toThrow(
      '/circuit_breaker/half_open_probes',
    )
    expect(() => breakerSettings([])).toThrow('/circuit_breaker')
  })
})
