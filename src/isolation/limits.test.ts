import { describe, expect, test } from 'bun:test'
import { availableParallelism } from 'node:os'
import { defaultLimitSettings, limitsToWire, parseLimitSettings, resolveLimits } from './limits.ts'

describe('parseLimitSettings', () => {
  test('absent settings give the built-in defaults and ceilings', () => {
    expect(parseLimitSettings(undefined)).toEqual(defaultLimitSettings())
    expect(defaultLimitSettings()).toEqual({
      defaults: { memoryMb: 1024, cpuQuota: 1, maxPids: 512, timeoutMs: 30_000 },
      max: {
        memoryMb: 8192,
        cpuQuota: availableParallelism(),
        maxPids: 4096,
        timeoutMs: 3_600_000,
      },
    })
  })

  test('reads defaults at the top level and ceilings under max; 0 removes a limit', () => {
    const s = parseLimitSettings({
      memory_mb: 256,
      cpu_quota: 0.5,
      max_pids: 0,
      timeout: '1m',
      max: { memory_mb: 512, cpu_quota: 0, timeout: '10m' },
    })
    expect(s.defaults).toEqual({ memoryMb: 256, cpuQuota: 0.5, maxPids: 4096, timeoutMs: 60_000 })
    expect(s.max).toEqual({ memoryMb: 512, maxPids: 4096, timeoutMs: 600_000 })
  })

  test('a default above its ceiling is lowered to it', () => {
    const s = parseLimitSettings({ memory_mb: 4096, max: { memory_mb: 1024 } })
    expect(s.defaults.memoryMb).toBe(1024)
  })

  test('malformed values are VALIDATION_ERRORs naming the field', () => {
    expect(() => parseLimitSettings({ memory_mb: '1G' })).toThrow(
      'settings "limits.memory_mb" must be a number',
    )
    expect(() => parseLimitSettings({ max_pids: 1.5 })).toThrow(
      '"limits.max_pids" must be a whole number',
    )
    expect(() => parseLimitSettings({ timeout: 'soon' })).toThrow(
      '"limits.timeout" must be a Go duration',
    )
    expect(() => parseLimitSettings({ max: { cpu: 1 } })).toThrow('"limits.max.cpu" is unknown')
    expect(() => parseLimitSettings({ memory: 1 })).toThrow('"limits.memory" is unknown')
    expect(() => parseLimitSettings([])).toThrow('settings "limits" must be an object')
  })
})

describe('resolveLimits', () => {
  const settings = parseLimitSettings({
    memory_mb: 256,
    cpu_quota: 1,
    max_pids: 64,
    timeout: '30s',
    max: { memory_mb: 1024, cpu_quota: 2, max_pids: 128, timeout: '5m' },
  })

  test('without step limits the defaults apply', () => {
    expect(resolveLimits(undefined, settings)).toEqual({
      memoryMb: 256,
      cpuQuota: 1,
      maxPids: 64,
      timeoutMs: 30_000,
    })
  })

  test('step limits replace defaults field by field', () => {
    expect(resolveLimits({ memory_mb: 512, timeout: '2m' }, settings)).toEqual({
      memoryMb: 512,
      cpuQuota: 1,
      maxPids: 64,
      timeoutMs: 120_000,
    })
  })

  test('step limits above the ceilings are clamped, not refused', () => {
    expect(
      resolveLimits(
        { memory_mb: 99_999, cpu_quota: 16, max_pids: 100_000, timeout: '24h' },
        settings,
      ),
    ).toEqual({ memoryMb: 1024, cpuQuota: 2, maxPids: 128, timeoutMs: 300_000 })
  })

  test('0 in a step means as much as the ceiling allows', () => {
    expect(resolveLimits({ memory_mb: 0, max_pids: 0 }, settings)).toMatchObject({
      memoryMb: 1024,
      maxPids: 128,
    })
    const open = parseLimitSettings({ max: { memory_mb: 0 } })
    expect(resolveLimits({ memory_mb: 0 }, open).memoryMb).toBeUndefined()
  })

  test('an unparsable step timeout is ignored (the default applies)', () => {
    expect(resolveLimits({ timeout: 'later' }, settings).timeoutMs).toBe(30_000)
    expect(resolveLimits({ timeout: '-5s' }, settings).timeoutMs).toBe(30_000)
  })

  test('max_pids is a whole number', () => {
    expect(resolveLimits({ max_pids: 10.9 }, settings).maxPids).toBe(10)
  })
})

test('limitsToWire uses the settings field names', () => {
  expect(limitsToWire({ memoryMb: 64, cpuQuota: 0.5, maxPids: 8, timeoutMs: 1500 })).toEqual({
    memory_mb: 64,
    cpu_quota: 0.5,
    max_pids: 8,
    timeout: '1500ms',
  })
})
