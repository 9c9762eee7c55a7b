/**
 * The fallback isolator's rlimits (spec server.md §14 Ours): without cgroups, memory_mb bounds
 * each process's data segment and cpu_quota × timeout bounds its CPU time.
 */
import { expect, test } from 'bun:test'
import { createFallbackIsolator } from './plain.ts'
import { rlimitArgs } from './runner.ts'
import { spec } from './test-support.ts'

const isolator = createFallbackIsolator({ drainGraceMs: 500 })

test('memory_mb bounds the data segment: a memory hog fails to allocate instead of growing', async () => {
  const r = await isolator.run(
    spec(['/usr/bin/tail', '/dev/zero'], { memoryMb: 32, timeoutMs: 5000 }),
  )
  expect(r.killed).toBe(false)
  expect(r.exitCode).not.toBe(0)
  expect(r.stderr).toMatch(/memory exhausted|Cannot allocate/i)
})

test('cpu_quota × timeout is a CPU-time budget: a busy loop is stopped by SIGXCPU', async () => {
  // 0.1 core over a 10 s timeout = 1 s of CPU
  const r = await isolator.run(
    spec(['/bin/sh', '-c', 'while :; do :; done'], { cpuQuota: 0.1, timeoutMs: 10_000 }),
  )
  expect(r.killed).toBe(false)
  expect(r.signal === 'SIGXCPU' || r.signal === 'SIGKILL').toBe(true)
})

test('rlimitArgs: only what the cgroups do not enforce', () => {
  const fallbackCaps = createFallbackIsolator().capabilities
  expect(rlimitArgs({ memoryMb: 64, cpuQuota: 0.5, timeoutMs: 3000 }, fallbackCaps)).toEqual([
    '-d',
    '65536',
    '-t',
    '2',
  ])
  expect(rlimitArgs({ timeoutMs: 3000 }, fallbackCaps)).toEqual([])
  expect(
    rlimitArgs(
      { memoryMb: 64, cpuQuota: 1, timeoutMs: 1000 },
      { ...fallbackCaps, memory: 'cgroup', cpu: 'cgroup' },
    ),
  ).toEqual([])
})
