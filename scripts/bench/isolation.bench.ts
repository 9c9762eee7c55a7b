/**
 * Spawn overhead of each isolator this machine can build: `/bin/true` run to completion through
 * the trampoline, with the cgroup created, joined, read and removed, and (+pidns) a PID namespace
 * with its own /proc. The plain Bun.spawn row is the floor. No reference figures exist.
 */
import {
  createCgroupV1Driver,
  createFallbackIsolator,
  createIsolator,
  detectCgroupV1,
  type Isolator,
  probePidNamespace,
} from '../../src/isolation/index.ts'
import type { BenchCase, BenchSuite } from './lib.ts'

const limits = { memoryMb: 256, cpuQuota: 1, maxPids: 64, timeoutMs: 10_000 }

function runCase(scenario: string, isolator: Isolator): BenchCase {
  return {
    scenario,
    reference_ns: null,
    warmup: 5,
    iterations: 60,
    run: async () => {
      const r = await isolator.run({
        argv: ['/bin/true'],
        cwd: '/tmp',
        env: { PATH: '/usr/bin:/bin' },
        limits,
        maxOutputBytes: 65536,
      })
      if (r.exitCode !== 0) throw new Error(`${scenario}: exit ${r.exitCode} ${r.stderr}`)
    },
  }
}

export const suite: BenchSuite = {
  name: 'isolation',
  cases(): BenchCase[] {
    const cases: BenchCase[] = [
      {
        scenario: 'Bun.spawn /bin/true (floor)',
        reference_ns: null,
        warmup: 5,
        iterations: 60,
        run: async () => {
          await Bun.spawn({ cmd: ['/bin/true'], stdout: 'pipe', stderr: 'pipe' }).exited
        },
      },
      runCase('fallback', createFallbackIsolator()),
    ]
    const pidns = probePidNamespace().prefix
    if (pidns !== undefined)
      cases.push(runCase('fallback+pidns', createFallbackIsolator({ pidNamespace: pidns })))
    const v1 = detectCgroupV1().parents
    if (v1.memory !== undefined || v1.cpu !== undefined || v1.pids !== undefined) {
      cases.push(
        runCase('cgroups-v1', createIsolator({ cgroups: createCgroupV1Driver(v1), rlimits: true })),
      )
      if (pidns !== undefined) {
        cases.push(
          runCase(
            'cgroups-v1+pidns',
            createIsolator({
              cgroups: createCgroupV1Driver(v1),
              pidNamespace: pidns,
              rlimits: true,
            }),
          ),
        )
      }
    }
    return cases
  },
}
