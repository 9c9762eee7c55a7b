/**
 * PID namespace (decisions.md D21): the command is pid 1 of its own namespace with its own /proc,
 * cannot see the server, cannot read /proc/<server pid>/environ, and everything it starts dies
 * with it. Skips only where `unshare` cannot make a namespace, and says so.
 */
import { describe, expect, test } from 'bun:test'
import { probePidNamespace } from './pidns.ts'
import { createFallbackIsolator } from './plain.ts'
import { killAll, marker, processesWith, spec, survivors } from './test-support.ts'

const probe = probePidNamespace()

test('the probe reports a usable prefix or says why not', () => {
  if (probe.prefix === undefined) expect(probe.problem).toMatch(/unshare/)
  else expect(probe.prefix).toContain('--pid')
})

test('without unshare on PATH the probe says so', () => {
  expect(probePidNamespace('/nonexistent/unshare').problem).toMatch(/cannot create a PID namespace/)
})

describe.skipIf(probe.prefix === undefined)(
  `PID namespace${probe.prefix === undefined ? ` (skipped: ${probe.problem})` : ''}`,
  () => {
    const isolator = createFallbackIsolator({ pidNamespace: probe.prefix, drainGraceMs: 500 })

    test('the command is pid 1 and its /proc lists only its own namespace', async () => {
      const r = await isolator.run(
        spec(['/bin/sh', '-c', 'echo $$; ls /proc | grep -E "^[0-9]+$" | sort -n | tr "\\n" " "']),
      )
      const [pid, listed] = r.stdout.split('\n')
      expect(pid).toBe('1')
      // sh (1), ls, grep, sort, tr: a handful of low pids, never the server's
      const pids = (listed ?? '').trim().split(' ').map(Number)
      expect(pids).toContain(1)
      expect(pids).not.toContain(process.pid)
      expect(Math.max(...pids)).toBeLessThan(20)
    })

    test("the server's environment cannot be read through /proc", async () => {
      const r = await isolator.run(
        spec([
          '/bin/sh',
          '-c',
          `cat /proc/${process.pid}/environ; echo "rc=$?"; cat /proc/${process.ppid}/environ; echo "rc=$?"`,
        ]),
      )
      expect(r.stdout).toBe('rc=1\nrc=1\n')
      expect(r.stderr).toContain('No such file or directory')
    })

    test('processes that left the session die with the namespace', async () => {
      const m = marker()
      try {
        const r = await isolator.run(
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
  },
)

test('without a PID namespace a process that left the session survives the fallback (documented limit)', async () => {
  const m = marker()
  try {
    const isolator = createFallbackIsolator({ drainGraceMs: 200 })
    const r = await isolator.run(spec(['/bin/sh', '-c', `setsid sleep ${m} & sleep 0.3; echo ok`]))
    // it held the pipes: the run returned after the drain grace with what was read
    expect(r.stdout).toBe('ok\n')
    expect(processesWith(m).length).toBeGreaterThan(0)
  } finally {
    killAll(m)
  }
})
