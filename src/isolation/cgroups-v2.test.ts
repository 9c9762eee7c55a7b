/**
 * cgroups v2 (decisions.md D14): this machine mounts v2 with none of the memory/cpu/pids
 * controllers, so the driver is tested against a fake cgroupfs directory: it must enable the
 * controllers on the way down, write the limits before the command starts, and make the command
 * join the run's cgroup. Detection parses mountinfo and /proc/self/cgroup texts.
 */
import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../../test/support/tmp.ts'
import { AppError } from '../errors.ts'
import { createCgroupV2Driver, ownV2Cgroup, v2Problem } from './cgroups-v2.ts'
import { createIsolator } from './runner.ts'
import { spec } from './test-support.ts'

let tmp: ReturnType<typeof tempDir>
let root: string
beforeEach(() => {
  tmp = tempDir('opcode-cgroup2-')
  root = join(tmp.dir, 'delegated')
  mkdirSync(root)
  writeFileSync(join(root, 'cgroup.controllers'), 'cpuset cpu io memory pids\n')
  writeFileSync(join(root, 'cgroup.subtree_control'), '')
  writeFileSync(join(root, 'cgroup.procs'), '')
  writeFileSync(join(root, 'cgroup.kill'), '')
})
afterEach(() => tmp.cleanup())

const read = (...p: string[]) => readFileSync(join(...p), 'utf8')

describe('detection', () => {
  const mountinfo = [
    '22 27 0:21 / /proc rw,relatime - proc proc rw',
    '41 31 0:38 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate',
  ].join('\n')

  test("finds this process's v2 cgroup from mountinfo and /proc/self/cgroup", () => {
    expect(ownV2Cgroup({ mountinfo, procCgroup: '0::/user.slice/app.service\n' })).toBe(
      '/sys/fs/cgroup/user.slice/app.service',
    )
    expect(ownV2Cgroup({ mountinfo: '', procCgroup: '0::/\n' })).toBeUndefined()
  })

  test('a bind-mounted hierarchy (container) is read relative to its root', () => {
    const inContainer = '50 40 0:38 /docker/abc /sys/fs/cgroup rw - cgroup2 cgroup2 rw'
    expect(ownV2Cgroup({ mountinfo: inContainer, procCgroup: '0::/docker/abc/app\n' })).toBe(
      '/sys/fs/cgroup/app',
    )
  })

  test('a v2 directory without memory, cpu or pids controllers is not used, and says why', () => {
    writeFileSync(join(root, 'cgroup.controllers'), 'hugetlb\n')
    expect(v2Problem(root)).toBe(
      `cgroup v2 at ${root} offers none of the memory, cpu, pids controllers`,
    )
    expect(v2Problem(undefined)).toMatch(/no cgroup v2 file system/)
    expect(v2Problem(tmp.dir)).toMatch(/is not a cgroup v2 directory/)
  })

  test('this machine: detect, do not assume', () => {
    const own = ownV2Cgroup()
    const problem = v2Problem(own)
    // Here v2 carries none of the controllers (they are on v1); elsewhere it may be fully usable.
    if (problem !== undefined) expect(problem).toMatch(/cgroup v2|not delegated/)
    else
      expect(readFileSync(join(own as string, 'cgroup.controllers'), 'utf8')).toMatch(
        /memory|cpu|pids/,
      )
  })
})

describe('driver on a fake cgroupfs', () => {
  test('enables the controllers below the root and below its opcode subtree', () => {
    const driver = createCgroupV2Driver(root)
    expect(driver.controls).toEqual({ memory: true, cpu: true, pids: true })
    expect(read(root, 'cgroup.subtree_control')).toBe('+memory +cpu +pids')
    expect(read(root, 'opcode', 'cgroup.subtree_control')).toBe('+memory +cpu +pids')
  })

  test('only the controllers offered are enabled and reported', () => {
    writeFileSync(join(root, 'cgroup.controllers'), 'cpu pids\n')
    const driver = createCgroupV2Driver(root)
    expect(driver.controls).toEqual({ memory: false, cpu: true, pids: true })
    expect(read(root, 'cgroup.subtree_control')).toBe('+cpu +pids')
  })

  test('writes the limits before the command starts, and the command joins the run cgroup', async () => {
    const warnings: string[] = []
    const isolator = createIsolator({
      cgroups: createCgroupV2Driver(root),
      warn: (w) => warnings.push(w),
    })
    const parent = join(root, 'opcode')
    // The command reads its own cgroup's files: what it sees was there before it ran.
    const files = 'cgroup.procs memory.max memory.swap.max memory.oom.group cpu.max pids.max'
    const script = `d=$(ls -d ${parent}/run-*); echo $$; for f in ${files}; do echo $(cat "$d/$f"); done`
    const r = await isolator.run(
      spec(['/bin/sh', '-c', script], {
        memoryMb: 64,
        cpuQuota: 0.5,
        maxPids: 32,
        timeoutMs: 5000,
      }),
    )
    const [pid, procs, memory, swap, oomGroup, cpu, pids] = r.stdout.trim().split('\n')
    expect(procs).toBe(pid)
    expect(memory).toBe(String(64 * 1024 * 1024))
    expect(swap).toBe('0')
    expect(oomGroup).toBe('1')
    expect(cpu).toBe('50000 100000')
    expect(pids).toBe('32')
    // A real cgroupfs removes the interface files with the directory; a fake one cannot, so the
    // removal is reported as a warning instead of failing the run.
    expect(warnings.length).toBe(1)
    expect(warnings[0]).toMatch(/cannot remove cgroup/)
  })

  test('unlimited fields are not written; a PID-namespace wrapper gets one more pid', async () => {
    const driver = createCgroupV2Driver(root)
    const run = driver.create({ maxPids: 8 }, 1)
    const dir = readdirSync(join(root, 'opcode')).find((n) => n.startsWith('run-')) as string
    expect(read(root, 'opcode', dir, 'pids.max')).toBe('9')
    expect(existsSync(join(root, 'opcode', dir, 'memory.max'))).toBe(false)
    expect(existsSync(join(root, 'opcode', dir, 'cpu.max'))).toBe(false)
    await run.kill()
    const fin = await run.finish()
    expect(fin.usage).toEqual({})
  })

  test('reads the counters of the run: peak memory, OOM kills, refused forks, CPU time', async () => {
    const driver = createCgroupV2Driver(root)
    const run = driver.create({}, 0)
    const dir = join(
      root,
      'opcode',
      readdirSync(join(root, 'opcode')).find((n) => n.startsWith('run-')) as string,
    )
    writeFileSync(join(dir, 'memory.peak'), '1048576\n')
    writeFileSync(join(dir, 'memory.events'), 'low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n')
    writeFileSync(join(dir, 'pids.events'), 'max 0\n')
    writeFileSync(join(dir, 'cpu.stat'), 'usage_usec 250000\nuser_usec 200000\nnr_throttled 7\n')
    const fin = await run.finish()
    expect(fin.usage).toEqual({
      memoryPeakBytes: 1048576,
      oomKills: 1,
      pidsLimitHits: 0,
      cpuMs: 250,
      cpuThrottledPeriods: 7,
    })
    expect(fin.limitHit).toBe('memory')
  })

  test('a root that holds other processes cannot delegate: ISOLATION_ERROR says what to do', () => {
    // A directory in place of subtree_control makes the write fail as a busy cgroup would.
    const busy = join(tmp.dir, 'busy')
    mkdirSync(join(busy, 'cgroup.subtree_control'), { recursive: true })
    writeFileSync(join(busy, 'cgroup.controllers'), 'memory cpu pids\n')
    writeFileSync(join(busy, 'cgroup.procs'), '1\n')
    let err: unknown
    try {
      createCgroupV2Driver(busy)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(AppError)
    expect((err as AppError).code).toBe('ISOLATION_ERROR')
    expect((err as AppError).message).toMatch(/holds processes; point isolation.cgroup_root/)
  })

  test('a failed join fails the run with ISOLATION_ERROR before the command runs', async () => {
    const isolator = createIsolator({
      cgroups: {
        name: 'broken',
        controls: { memory: true, cpu: false, pids: false },
        create: () => ({
          procsFiles: [join(tmp.dir, 'missing-dir', 'cgroup.procs')],
          kill: async () => {},
          finish: async () => ({ usage: {}, warnings: [] }),
        }),
      },
    })
    const flag = join(tmp.dir, 'ran')
    const err = await isolator.run(spec(['/bin/sh', '-c', `touch ${flag}`])).catch((e) => e)
    expect(err).toBeInstanceOf(AppError)
    expect((err as AppError).code).toBe('ISOLATION_ERROR')
    expect((err as AppError).message).toContain('cannot join cgroup')
    expect(existsSync(flag)).toBe(false)
  })
})
