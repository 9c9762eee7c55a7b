import { describe, expect, test } from 'bun:test'
import { formatDuration, parseDuration } from './duration.ts'

describe('parseDuration', () => {
  test('reads every Go unit and compound durations', () => {
    expect(parseDuration('300ms')).toBe(300)
    expect(parseDuration('1.5s')).toBe(1500)
    expect(parseDuration('1h30m')).toBe(5_400_000)
    expect(parseDuration('2us')).toBe(0.002)
    expect(parseDuration('2µs')).toBe(0.002)
    expect(parseDuration('2μs')).toBe(0.002)
    expect(parseDuration('500ns')).toBe(0.0005)
    expect(parseDuration('0')).toBe(0)
    expect(parseDuration('-1s')).toBe(-1000)
    expect(parseDuration('.5s')).toBe(500)
  })

  test('rejects text that is not a duration', () => {
    for (const bad of ['', '10', '1d', 'ms', '1s2', 'abc', '1 s', '--1s']) {
      expect(parseDuration(bad)).toBeUndefined()
    }
  })

  test('formats milliseconds back to short Go text', () => {
    expect(formatDuration(250)).toBe('250ms')
    expect(formatDuration(1500)).toBe('1.5s')
    expect(formatDuration(5_400_000)).toBe('1h30m')
  })
})
