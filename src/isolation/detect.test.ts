/**
 * Start-up choice of the isolator (decisions.md D9, D14, D21). On this machine (cgroups v1 for the
 * controllers, a v2 mount with none, root, unshare) it must pick cgroups-v1 with a PID namespace;
 * elsewhere the assertions follow what hasCgroups() and the probe detect.
 */
import { describe, expect, test } from 'bun:test'
import { AppError } from '../errors.ts'
import { ownV2Cgroup, v2Problem } from './cgroups-v2.ts'
import { detectIsolator, hasCgroups, parseIsolationSettings } from './detect.ts'
import { probePidNamespace } from './pidns.ts'
import { spec } from './test-support.ts'

const cgroups = hasCgroups()
const pidns = probePidNamespace().prefix !== undefined

describe('detectIsolator', () => {
  test('picks the best isolator available and names it', async () => {
    const d = await detectIsolator()
    expect(d.name).toBe(d.isolator.name)
    if (cgroups) expect(d.name).toMatch(/^cgroups-v[12]/)
    else expect(d.name).toMatch(/^fallback/)
    expect(d.name.endsWith('+pidns')).toBe(pidns)
    if (!pidns) expect(d.warnings.join('\n')).toMatch(/no PID namespace/)
    if (v2Problem(ownV2Cgroup()) !== undefined) {
      // v2 was looked at and refused with its reason (here: no controllers on the v2 mount).
      expect(d.warnings.join('\n')).toMatch(/cgroups v2 not used/)
    }
    const r = await d.isolator.run(
      spec(['/bin/sh', '-c', 'echo $$'], {
        memoryMb: 64,
        cpuQuota: 1,
        maxPids: 32,
        timeoutMs: 5000,
      }),
    )
    expect(r.stdout).toBe(pidns ? '1\n' : `${r.pid}\n`)
    if (cgroups)
      expect(d.isolator.capabilities).toMatchObject({
        memory: 'cgroup',
        cpu: 'cgroup',
        pids: 'cgroup',
      })
  })

  test('mode fallback and pid_namespace false are honoured, with a warning about what is lost', async () => {
    const d = await detectIsolator({ mode: 'fallback', pidNamespace: false })
    expect(d.name).toBe('fallback')
    expect(d.isolator.capabilities).toMatchObject({
      memory: 'rlimit',
      cpu: 'rlimit',
      pids: false,
      pidNamespace: false,
      killTree: 'process-group',
    })
    expect(d.warnings.join('\n')).toMatch(/no cgroups: shell.exec limits are best-effort/)
  })

  test.skipIf(v2Problem(ownV2Cgroup()) === undefined)(
    'an explicit mode that is not available fails the start-up with ISOLATION_ERROR (skipped where v2 is usable)',
    async () => {
      const err = await detectIsolator({ mode: 'cgroups-v2' }).catch((e) => e)
      expect(err).toBeInstanceOf(AppError)
      expect((err as AppError).code).toBe('ISOLATION_ERROR')
      expect((err as AppError).message).toMatch(/isolation.mode is cgroups-v2 but/)
    },
  )
})

describe('parseIsolationSettings', () => {
  test('reads mode, pid_namespace and cgroup_root', () => {
    expect(parseIsolationSettings(undefined)).toEqual({})
    expect(
      parseIsolationSettings({
        mode: 'cgroups-v1',
        pid_namespace: false,
        cgroup_root: '/sys/fs/cgroup/x',
      }),
    ).toEqual({
      mode: 'cgroups-v1',
      pidNamespace: false,
      cgroupRoot: '/sys/fs/cgroup/x',
    })
  })

  test('malformed settings are VALIDATION_ERRORs naming the field', () => {
    expect(() => parseIsolationSettings({ mode: 'docker' })).toThrow(
      'settings "isolation.mode" must be one of auto, cgroups-v2, cgroups-v1, fallback',
    )
    expect(() => parseIsolationSettings({ pid_namespace: 'yes' })).toThrow(
      '"isolation.pid_namespace" must be true or false',
    )
    expect(() => parseIsolationSettings({ cgroup_root: 'relative' })).toThrow(
      'must be an absolute path',
    )
    expect(() => parseIsolationSettings({ user: 'nobody' })).toThrow('"isolation.user" is unknown')
  })
})
