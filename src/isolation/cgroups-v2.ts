/**
 * cgroups v2 driver (spec server.md §14 Ours, decisions.md D14): a delegated subtree with the
 * memory, cpu and pids controllers. Runs live in `<root>/opcode/run-…`; `<root>/opcode` holds no
 * process, so controllers can be enabled for its children (the "no internal processes" rule).
 * When `<root>` is this process's own cgroup and holds nothing but this process, the process first
 * moves itself into the leaf `<root>/opcode-server` so that `<root>` may delegate controllers.
 * Limits: `memory.max` with `memory.swap.max = 0` and `memory.oom.group = 1` (an OOM kill takes the
 * whole command tree), `cpu.max = <quota> 100000`, `pids.max`. Kill: `cgroup.kill` (Linux ≥ 5.14),
 * then SIGKILL of any member left. Tested on this machine against a fake cgroupfs directory.
 */
import { accessSync, constants, existsSync, mkdirSync, readFileSync, rmdirSync } from 'node:fs'
import { join } from 'node:path'
import { AppError } from '../errors.ts'
import {
  cgroupDir,
  killMembers,
  parseMountinfo,
  parseProcCgroup,
  readKeyed,
  readNumber,
  readText,
  removeCgroup,
  sweepStale,
  writeControl,
} from './cgroup-fs.ts'
import type { ResolvedLimits } from './limits.ts'
import { type CgroupDriver, newRunId, type RunCgroup } from './runner.ts'
import type { RunResult, RunUsage } from './sandbox.ts'

const WANTED = ['memory', 'cpu', 'pids'] as const

/** This process's own v2 cgroup directory, when a cgroup2 file system is mounted. */
export function ownV2Cgroup(
  texts: { mountinfo?: string; procCgroup?: string } = {},
): string | undefined {
  const mountinfo = texts.mountinfo ?? safeRead('/proc/self/mountinfo')
  const procCgroup = texts.procCgroup ?? safeRead('/proc/self/cgroup')
  const mount = parseMountinfo(mountinfo).find((m) => m.fsType === 'cgroup2')
  const member = parseProcCgroup(procCgroup).find((m) => m.id === 0)
  if (mount === undefined || member === undefined) return undefined
  return cgroupDir(mount, member.path)
}

/** Controllers among memory/cpu/pids that `dir` may hand to its children. */
export function v2Controllers(dir: string): string[] {
  const list = (readText(join(dir, 'cgroup.controllers')) ?? '').trim().split(/\s+/)
  return WANTED.filter((c) => list.includes(c))
}

/** Why `root` cannot serve as a v2 root, or undefined when it can. */
export function v2Problem(root: string | undefined): string | undefined {
  if (root === undefined) return 'no cgroup v2 file system is mounted for this process'
  if (!existsSync(join(root, 'cgroup.controllers'))) return `${root} is not a cgroup v2 directory`
  const have = v2Controllers(root)
  if (have.length === 0) {
    return `cgroup v2 at ${root} offers none of the memory, cpu, pids controllers`
  }
  try {
    accessSync(root, constants.W_OK)
    accessSync(join(root, 'cgroup.subtree_control'), constants.W_OK)
  } catch {
    return `cgroup v2 at ${root} is not delegated to this user (not writable)`
  }
  return undefined
}

export interface V2DriverOptions {
  /** Let this process move itself into `<root>/opcode-server` when `<root>` holds it (default true). */
  moveSelf?: boolean
}

/**
 * A v2 driver under `root` (a delegated cgroup). Enables the controllers it needs on the way down;
 * throws ISOLATION_ERROR when that is impossible (the error says why).
 */
export function createCgroupV2Driver(
  root: string,
  options: V2DriverOptions = {},
): CgroupDriver & { readonly parent: string; sweep(): Promise<string[]> } {
  const problem = v2Problem(root)
  if (problem !== undefined) throw new AppError('ISOLATION_ERROR', problem)
  const controllers = v2Controllers(root)
  const enable = controllers.map((c) => `+${c}`).join(' ')
  const parent = join(root, 'opcode')
  mkdirSyncSafe(parent)
  if (!enabled(root, controllers)) {
    try {
      writeControl(join(root, 'cgroup.subtree_control'), enable)
    } catch (err) {
      if (options.moveSelf === false || !holdsOnlySelf(root)) {
        throw new AppError(
          'ISOLATION_ERROR',
          `cannot enable ${controllers.join(', ')} below ${root}: it holds processes; point isolation.cgroup_root at a delegated cgroup that holds none`,
          { cause: err },
        )
      }
      const leaf = join(root, 'opcode-server')
      mkdirSyncSafe(leaf)
      writeControl(join(leaf, 'cgroup.procs'), String(process.pid))
      writeControl(join(root, 'cgroup.subtree_control'), enable)
    }
  }
  if (!enabled(parent, controllers)) writeControl(join(parent, 'cgroup.subtree_control'), enable)
  const controls = {
    memory: controllers.includes('memory'),
    cpu: controllers.includes('cpu'),
    pids: controllers.includes('pids'),
  }
  return {
    name: 'cgroups-v2',
    controls,
    parent,
    create: (limits, extraPids) => createRun(parent, controls, limits, extraPids),
    sweep: () => sweepStale(parent, (d) => [join(d, 'cgroup.procs')]),
  }
}

function createRun(
  parent: string,
  controls: CgroupDriver['controls'],
  limits: ResolvedLimits,
  extraPids: number,
): RunCgroup {
  const id = newRunId()
  const dir = join(parent, id)
  try {
    mkdirSync(dir)
  } catch (err) {
    throw new AppError(
      'ISOLATION_ERROR',
      `cannot create cgroup ${dir}: ${(err as Error).message}`,
      {
        cause: err,
      },
    )
  }
  try {
    if (controls.memory && limits.memoryMb !== undefined) {
      writeControl(join(dir, 'memory.max'), String(Math.floor(limits.memoryMb * 1024 * 1024)))
      bestEffort(join(dir, 'memory.swap.max'), '0') // absent without swap accounting
    }
    if (controls.memory) bestEffort(join(dir, 'memory.oom.group'), '1')
    if (controls.cpu && limits.cpuQuota !== undefined) {
      writeControl(
        join(dir, 'cpu.max'),
        `${Math.max(1000, Math.round(limits.cpuQuota * 100_000))} 100000`,
      )
    }
    if (controls.pids && limits.maxPids !== undefined) {
      writeControl(join(dir, 'pids.max'), String(Math.max(1, limits.maxPids) + extraPids))
    }
  } catch (err) {
    try {
      rmdirSync(dir)
    } catch {
      // Left empty; swept later.
    }
    throw err
  }
  const procsFiles = [join(dir, 'cgroup.procs')]
  let finished: Awaited<ReturnType<RunCgroup['finish']>> | undefined
  return {
    procsFiles,
    async kill() {
      if (existsSync(join(dir, 'cgroup.kill'))) bestEffort(join(dir, 'cgroup.kill'), '1')
      await killMembers(procsFiles, id)
    },
    async finish() {
      if (finished !== undefined) return finished
      const usage: RunUsage = {}
      let limitHit: RunResult['limitHit']
      const peak = readNumber(join(dir, 'memory.peak'))
      if (peak !== undefined) usage.memoryPeakBytes = peak
      const oom = readKeyed(join(dir, 'memory.events')).oom_kill
      if (oom !== undefined) usage.oomKills = oom
      if ((oom ?? 0) > 0) limitHit = 'memory'
      const hits = readKeyed(join(dir, 'pids.events')).max
      if (hits !== undefined) usage.pidsLimitHits = hits
      if ((hits ?? 0) > 0 && limitHit === undefined) limitHit = 'pids'
      const cpu = readKeyed(join(dir, 'cpu.stat'))
      if (cpu.usage_usec !== undefined) usage.cpuMs = Math.round(cpu.usage_usec / 1000)
      if (cpu.nr_throttled !== undefined) usage.cpuThrottledPeriods = cpu.nr_throttled
      const w = await removeCgroup(dir)
      finished = {
        usage,
        warnings: w === undefined ? [] : [w],
        ...(limitHit === undefined ? {} : { limitHit }),
      }
      return finished
    },
  }
}

function enabled(dir: string, controllers: readonly string[]): boolean {
  const on = (readText(join(dir, 'cgroup.subtree_control')) ?? '').trim().split(/\s+/)
  return controllers.every((c) => on.includes(c))
}

function holdsOnlySelf(dir: string): boolean {
  const pids = (readText(join(dir, 'cgroup.procs')) ?? '').split('\n').filter((l) => l !== '')
  return pids.every((p) => Number(p) === process.pid)
}

function bestEffort(file: string, value: string): void {
  try {
    writeControl(file, value)
  } catch {
    // Optional knob (kernel or configuration without it).
  }
}

function mkdirSyncSafe(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true })
  } catch (err) {
    throw new AppError(
      'ISOLATION_ERROR',
      `cannot create cgroup ${dir}: ${(err as Error).message}`,
      {
        cause: err,
      },
    )
  }
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return ''
  }
}
