/**
 * One contract, every isolator this machine can build (STYLE.md "Contract suites"): the fallback,
 * cgroups v1 (real, where writable), cgroups v2 (against a fake cgroupfs: the limits are not
 * enforced there, everything else is), each with and without a PID namespace when `unshare` can
 * make one. Limit enforcement itself is tested in cgroups-v1.test.ts and pidns.test.ts.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../../test/support/tmp.ts'
import { AppError } from '../errors.ts'
import { createCgroupV1Driver, detectCgroupV1 } from './cgroups-v1.ts'
import { createCgroupV2Driver } from './cgroups-v2.ts'
import { probePidNamespace } from './pidns.ts'
import { createFallbackIsolator } from './plain.ts'
import { createIsolator } from './runner.ts'
import type { Isolator } from './sandbox.ts'
import { killAll, marker, processesWith, spec, survivors } from './test-support.ts'

const pidns = probePidNamespace().prefix
const v1 = detectCgroupV1().parents
const hasV1 = v1.memory !== undefined && v1.cpu !== undefined && v1.pids !== undefined
const fake = tempDir('opcode-fake-cgroup2-')
afterAll(() => fake.cleanup())

function fakeV2Root(): string {
  const root = join(fake.dir, `root-${Math.random().toString(36).slice(2)}`)
  mkdirSync(root)
  writeFileSync(join(root, 'cgroup.controllers'), 'cpuset cpu io memory hugetlb pids rdma misc\n')
  writeFileSync(join(root, 'cgroup.subtree_control'), '')
  writeFileSync(join(root, 'cgroup.procs'), '')
  return root
}

const backends: Array<[string, boolean, () => Isolator]> = [
  ['fallback', true, () => createFallbackIsolator({ drainGraceMs: 500 })],
  [
    'fallback+pidns',
    pidns !== undefined,
    () => createFallbackIsolator({ pidNamespace: pidns, drainGraceMs: 500 }),
  ],
  [
    'cgroups-v1',
    hasV1,
    () => createIsolator({ cgroups: createCgroupV1Driver(v1), rlimits: true, drainGraceMs: 500 }),
  ],
  [
    'cgroups-v1+pidns',
    hasV1 && pidns !== undefined,
    () =>
      createIsolator({
        cgroups: createCgroupV1Driver(v1),
        pidNamespace: pidns,
        rlimits: true,
        drainGraceMs: 500,
      }),
  ],
  [
    'cgroups-v2 (fake cgroupfs)',
    true,
    () =>
      createIsolator({
        cgroups: createCgroupV2Driver(fakeV2Root()),
        rlimits: true,
        drainGraceMs: 500,
        warn: () => {},
      }),
  ],
]

for (const [name, available, make] of backends) {
  const why = name.includes('pidns')
    ? 'needs unshare able to create a PID namespace'
    : 'needs writable cgroup v1 memory, cpu and pids hierarchies'
  describe.skipIf(!available)(
    `isolator contract: ${name}${available ? '' : ` (skipped: ${why})`}`,
    () => {
      const isolator = available ? make() : (undefined as unknown as Isolator)

      test('reports the exit code, stdout and stderr; a non-zero exit is a result', async () => {
        const r = await isolator.run(spec(['/bin/sh', '-c', 'echo out; echo err >&2; exit 3']))
        expect(r).toMatchObject({
          exitCode: 3,
          signal: null,
          stdout: 'out\n',
          stderr: 'err\n',
          killed: false,
          cancelled: false,
        })
        expect(r.durationMs).toBeGreaterThanOrEqual(0)
      })

      test('feeds stdin, and /dev/null when there is none', async () => {
        const r = await isolator.run(spec(['/bin/cat'], undefined, { stdin: 'line 1\nline 2' }))
        expect(r.stdout).toBe('line 1\nline 2')
        const empty = await isolator.run(spec(['/bin/cat']))
        expect(empty).toMatchObject({ exitCode: 0, stdout: '' })
      })

      test('passes exactly the given environment and starts in the given directory', async () => {
        const r = await isolator.run(
          spec(['/bin/sh', '-c', 'pwd; echo "A=$A"; echo "HOME=${HOME-unset}"'], undefined, {
            cwd: '/usr',
            env: { PATH: '/usr/bin:/bin', A: 'x y' },
          }),
        )
        expect(r.stdout).toBe('/usr\nA=x y\nHOME=unset\n')
      })

      test('kills the whole process tree at the timeout', async () => {
        const m = marker()
        try {
          const r = await isolator.run(
            spec(['/bin/sh', '-c', `sleep ${m} & sleep ${m} & echo started; wait`], {
              timeoutMs: 400,
            }),
          )
          expect(r.killed).toBe(true)
          expect(r.exitCode).toBeNull()
          expect(r.signal).toBe('SIGKILL')
          expect(r.stdout).toBe('started\n')
          expect(await survivors(m)).toEqual([])
        } finally {
          killAll(m)
        }
      })

      test('kills what the command left running when it exits', async () => {
        const m = marker()
        try {
          const r = await isolator.run(
            spec(['/bin/sh', '-c', `sleep ${m} >/dev/null 2>&1 & echo done`]),
          )
          expect(r).toMatchObject({ exitCode: 0, stdout: 'done\n', killed: false })
          expect(await survivors(m)).toEqual([])
        } finally {
          killAll(m)
        }
      })

      test('a cancellation kills the tree and reports cancelled, not killed', async () => {
        const m = marker()
        const ac = new AbortController()
        setTimeout(() => ac.abort(), 200)
        try {
          const r = await isolator.run(
            spec(['/bin/sh', '-c', `sleep ${m}`], undefined, { signal: ac.signal }),
          )
          expect(r).toMatchObject({ cancelled: true, killed: false, exitCode: null })
          expect(await survivors(m)).toEqual([])
        } finally {
          killAll(m)
        }
      })

      test('refuses to start when the signal is already aborted (ISOLATION_ERROR)', async () => {
        const ac = new AbortController()
        ac.abort()
        const err = await isolator
          .run(spec(['/bin/true'], undefined, { signal: ac.signal }))
          .catch((e) => e)
        expect(err).toBeInstanceOf(AppError)
        expect((err as AppError).code).toBe('ISOLATION_ERROR')
      })

      test('caps each output stream without blocking the command', async () => {
        const r = await isolator.run(
          spec(
            [
              '/bin/sh',
              '-c',
              'head -c 5000000 /dev/zero | tr "\\000" a; head -c 300000 /dev/zero | tr "\\000" b >&2; echo end >&2',
            ],
            undefined,
            {
              maxOutputBytes: 65536,
            },
          ),
        )
        expect(r.exitCode).toBe(0)
        expect(r.stdout.length).toBe(65536)
        expect(r.stdoutTruncated).toBe(true)
        expect(r.stderr.length).toBe(65536)
        expect(r.stderrTruncated).toBe(true)
      })

      test('reports a death by a signal sent from outside', async () => {
        const m = marker()
        setTimeout(() => {
          // the sleep itself (pid 1 of its namespace, if any), not the wrappers around it
          for (const pid of processesWith(m)) {
            if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sleep')
              process.kill(pid, 'SIGKILL')
          }
        }, 200)
        try {
          const r = await isolator.run(spec(['/bin/sleep', m]))
          expect(r).toMatchObject({
            exitCode: null,
            signal: 'SIGKILL',
            killed: false,
            cancelled: false,
            stderr: '',
          })
        } finally {
          killAll(m)
        }
      })
    },
  )
}
