import { describe, expect, test } from 'bun:test'
import { absTime, ago, badgeClass, between, duration, eventClass, shortId } from './format.ts'

const NOW = Date.parse('2026-03-01T12:00:00Z')

describe('format', () => {
  test('relative times, past and future (panel.md §2 Ours: "in 5m", never a negative age)', () => {
    expect(ago('2026-03-01T11:59:58Z', NOW)).toBe('just now')
    expect(ago('2026-03-01T11:59:18Z', NOW)).toBe('42s ago')
    expect(ago('2026-03-01T11:55:00Z', NOW)).toBe('5m ago')
    expect(ago('2026-03-01T09:00:00Z', NOW)).toBe('3h ago')
    expect(ago('2026-02-27T12:00:00Z', NOW)).toBe('2d ago')
    expect(ago('2026-03-01T12:05:00Z', NOW)).toBe('in 5m')
    expect(ago('2026-03-01T12:00:03Z', NOW)).toBe('in a moment')
    expect(ago(undefined, NOW)).toBe('—')
    expect(ago('not a time', NOW)).toBe('—')
  })

  test('absolute times are UTC text, identical on the server and in any browser', () => {
    expect(absTime('2026-03-01T12:00:00.123Z')).toBe('2026-03-01 12:00:00 UTC')
    expect(absTime(undefined)).toBe('')
  })

  test('durations', () => {
    expect(duration(850)).toBe('850 ms')
    expect(duration(1234)).toBe('1.2 s')
    expect(duration(42_000)).toBe('42 s')
    expect(duration(200_000)).toBe('3m 20s')
    expect(duration(7_500_000)).toBe('2h 5m')
    expect(duration(undefined)).toBe('—')
    expect(duration(-1)).toBe('—')
    expect(between('2026-03-01T12:00:00Z', '2026-03-01T12:00:01.5Z')).toBe(1500)
    expect(between(undefined, '2026-03-01T12:00:00Z')).toBeUndefined()
  })

  test('short ids keep the distinguishing tail of a UUIDv7', () => {
    expect(shortId('01a20f2b-9bdf-77db-9354-5d0293985749')).toBe('93985749')
    expect(shortId('short')).toBe('short')
  })

  test('status and event colours follow panel.md §2', () => {
    expect(badgeClass('completed')).toBe('ok')
    expect(badgeClass('failed')).toBe('bad')
    expect(badgeClass('active')).toBe('live')
    expect(badgeClass('running')).toBe('live')
    expect(badgeClass('suspended')).toBe('warn')
    expect(badgeClass('pending')).toBe('idle')
    expect(badgeClass('cancelled')).toBe('muted')
    expect(badgeClass('skipped')).toBe('muted')
    expect(badgeClass('whatever')).toBe('idle')
    expect(eventClass('step_failed')).toBe('bad')
    expect(eventClass('workflow_completed')).toBe('ok')
    expect(eventClass('decision_requested')).toBe('warn')
    expect(eventClass('step_started')).toBe('live')
    expect(eventClass('step_skipped')).toBe('muted')
  })
})
