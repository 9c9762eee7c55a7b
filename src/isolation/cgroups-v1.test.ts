/**
 * cgroups v1 limits really hit on this machine (decisions.md D9, D14, D21): a fork bomb stopped by
 * pids.max, a memory hog killed by the OOM killer, a CPU quota observed, a process that left the
 * process group killed with the rest of the cgroup. Run as root where the kernel allows; each
 * test says why when it skips.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { killMembers, readNumber } from './cgroup-fs.ts'
import { createCgroupV1Driver, detectCgroupV1, ownV1Cgroups } from './cgroups-v1.ts'
import { createIsolator } from './runner.ts'
import { killAll, marker, spec, survivors } from './test-support.ts'

const v1 = detectCgroupV1().parents
const hasV1 = v1.memory !== undefined && v1.cpu !== undefined && v1.pids !== undefined
const isRoot = process.getuid?.() === 0
const setpriv = Bun.which('setpriv')
const bash = Bun.which('bash')

/** Figures printed at the end for the report (fork bomb peak, memory peak, CPU used). */
const figures: Record<string, unknown> = {}
afterAll(() => {
  if (Object.keys(figures).length > 0) console.log('cgroups v1 figures:', JSON.stringify(figures))
})

describe.skipIf(!hasV1)(
  `cgroups v1 limits${hasV1 ? '' : ' (skipped: no writable cgroup v1 memory, cpu and pids hierarchies)'}`,
  () => {
    const isolator = hasV1
      ? createIsolator({ cgroups: createCgroupV1Driver(v1), drainGraceMs: 500 })
      : undefined

    test('a memory hog is killed at memory_mb and reported as limit_exceeded memory', async () => {
      const r = await isolator!.run(
        spec(['/usr/bin/tail', '/dev/zero'], { memoryMb: 32, timeoutMs: 20_000 }),
      )
      expect(r.exitCode).toBeNull()
      expect(r.signal).toBe('SIGKILL')
      expect(r.killed).toBe(false)
      expect(r.limitHit).toBe('memory')
      expect(r.usage?.oomKills).toBeGreaterThanOrEqual(1)
      expect(r.usage?.memoryPeakBytes).toBeLessThanOrEqual(32 * 1024 * 1024)
      expect(r.usage?.memoryPeakBytes).toBeGreaterThan(16 * 1024 * 1024)
      figures.memoryHogPeakMiB = Math.round((r.usage?.memoryPeakBytes ?? 0) / 1024 / 1024)
    })

    test('the memory limit covers the whole tree, not each process', async () => {
      // Two 20 MiB allocations in two processes: each fits alone, both together do not.
      const script =
        'head -c 20000000 /dev/zero | tail -c 20000000 >/dev/null & head -c 20000000 /dev/zero | tail -c 20000000 >/dev/null; wait'
      const r = await isolator!.run(
        spec(['/bin/sh', '-c', script], { memoryMb: 24, timeoutMs: 20_000 }),
      )
      expect(r.usage?.oomKills).toBeGreaterThanOrEqual(1)
      expect(r.limitHit).toBe('memory')
    })

    test('a CPU quota of a quarter core is observed', async () => {
      const r = await isolator!.run(
        spec(['/bin/sh', '-c', 'while :; do :; done'], { cpuQuota: 0.25, timeoutMs: 1000 }),
      )
      expect(r.killed).toBe(true)
      expect(r.usage?.cpuThrottledPeriods).toBeGreaterThan(0)
      // 0.25 core over ~1 s of wall time is ~250 ms of CPU; an unthrottled loop would use ~1000.
      expect(r.usage?.cpuMs).toBeLessThan(0.5 * r.durationMs)
      figures.cpuQuarterCoreMsPerSecond = Math.round(((r.usage?.cpuMs ?? 0) * 1000) / r.durationMs)
    })

    test('a process that started its own session is killed with the cgroup', async () => {
      const m = marker()
      try {
        const r = await isolator!.run(
          spec([
            '/bin/sh',
            '-c',
            `setsid sleep ${m} >/dev/null 2>&1 < /dev/null & sleep 0.3; echo ok`,
          ]),
        )
        expect(r.stdout).toBe('ok\n')
        expect(await survivors(m)).toEqual([])
      } finally {
        killAll(m)
      }
    })

    test('run cgroups are removed after the run, and stale ones of dead servers are swept', async () => {
      const pidsParent = v1.pids as string
      const before = readdirSync(pidsParent).filter((n) => n.startsWith(`run-${process.pid}-`))
      await isolator!.run(spec(['/bin/true']))
      expect(readdirSync(pidsParent).filter((n) => n.startsWith(`run-${process.pid}-`))).toEqual(
        before,
      )
      // A run cgroup left by a process that no longer exists (pid 2^22 + 1 is above pid_max).
      const stale = join(pidsParent, 'run-4194305-1-stale')
      mkdirSync(stale)
      const driver = createCgroupV1Driver({ pids: pidsParent })
      expect(await driver.sweep()).toEqual([])
      expect(existsSync(stale)).toBe(false)
    })
  },
)

// decisions.md D21: the bomb runs as an unprivileged user (RLIMIT_NPROC does not bind root) in a
// pids cgroup this test owns, whose own pids.max is the backstop, with a timeout.
const canBomb = hasV1 && isRoot && setpriv !== null && bash !== null
describe.skipIf(!canBomb)(
  `fork bomb${canBomb ? '' : ' (skipped: needs root, writable cgroup v1 pids, setpriv and bash to run it as nobody)'}`,
  () => {
    let owned = ''
    beforeAll(() => {
      owned = join(ownV1Cgroups().pids as string, `opcode-test-${process.pid}`)
      mkdirSync(owned, { recursive: true })
      writeFileSync(join(owned, 'pids.max'), '64') // backstop above the run's own limit
    })
    afterAll(async () => {
      if (owned === '' || !existsSync(owned)) return
      for (const name of readdirSync(owned, { withFileTypes: true })) {
        if (name.isDirectory()) {
          await killMembers([join(owned, name.name, 'cgroup.procs')], name.name)
          rmdirSync(join(owned, name.name))
        }
      }
      rmdirSync(owned)
    })

    test('is stopped by pids.max and killed as a whole at the timeout', async () => {
      const isolator = createIsolator({
        cgroups: createCgroupV1Driver({ pids: owned }),
        drainGraceMs: 500,
      })
      const m = `bomb-${marker()}`
      const bomb = 'ulimit -u 200; bomb() { bomb | bomb & }; bomb; sleep 30'
      const argv = [setpriv as string, '--reuid=65534', '--regid=65534', '--clear-groups', '--']
      try {
        const r = await isolator.run(
          spec([...argv, bash as string, '-c', bomb, m], { maxPids: 16, timeoutMs: 2000 }),
        )
        const peak = readNumber(join(owned, 'pids.peak'))
        expect(r.killed).toBe(true)
        expect(r.limitHit).toBe('pids')
        expect(r.usage?.pidsLimitHits).toBeGreaterThan(0)
        expect(peak).toBeLessThanOrEqual(16)
        // Every bomb process is dead and the run's cgroup is gone…
        expect(await survivors(m)).toEqual([])
        expect(readdirSync(owned, { withFileTypes: true }).filter((d) => d.isDirectory())).toEqual(
          [],
        )
        // …and once init has reaped the orphans, nothing is charged to the test's cgroup any more.
        for (let i = 0; i < 100 && readNumber(join(owned, 'pids.current')) !== 0; i++)
          await Bun.sleep(50)
        expect(readNumber(join(owned, 'pids.current'))).toBe(0)
        figures.forkBombPeakPids = peak
        figures.forkBombRefusedForks = r.usage?.pidsLimitHits
      } finally {
        killAll(m)
      }
    }, 15_000)
  },
)
