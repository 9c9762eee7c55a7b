/**
 * cgroups v1 driver (decisions.md D9/D14): one hierarchy per controller — `memory`, `cpu`, `pids`,
 * plus `cpuacct` for the CPU time used when it is mounted. A run gets `run-<pid>-<n>-<rand>` under
 * `<this process's cgroup>/opcode` in each hierarchy, so whatever accounting the process already
 * lives under (a service's or a container's memory cgroup) still covers its commands.
 * Limits: `memory.limit_in_bytes` (+ `memory.memsw.limit_in_bytes`, so swap cannot extend it),
 * `cpu.cfs_quota_us` over a 100 ms period, `pids.max`. v1 has no `cgroup.kill`: members are
 * SIGKILLed until none is left (the pids limit bounds a fork bomb meanwhile).
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
  removeCgroup,
  sweepStale,
  writeControl,
} from './cgroup-fs.ts'
import type { ResolvedLimits } from './limits.ts'
import { type CgroupDriver, newRunId, type RunCgroup } from './runner.ts'
import type { RunResult, RunUsage } from './sandbox.ts'

/** Directories under which run cgroups are created, one per hierarchy. */
export interface V1Parents {
  memory?: string
  cpu?: string
  pids?: string
  cpuacct?: string
}

const CONTROLLERS = ['memory', 'cpu', 'pids', 'cpuacct'] as const
type V1Controller = (typeof CONTROLLERS)[number]

/**
 * This process's own cgroup directory in each v1 hierarchy that is mounted (from
 * /proc/self/mountinfo and /proc/self/cgroup; both texts can be passed for tests).
 */
export function ownV1Cgroups(texts: { mountinfo?: string; procCgroup?: string } = {}): V1Parents {
  const mountinfo = texts.mountinfo ?? safeRead('/proc/self/mountinfo')
  const procCgroup = texts.procCgroup ?? safeRead('/proc/self/cgroup')
  const mounts = parseMountinfo(mountinfo).filter((m) => m.fsType === 'cgroup')
  const memberships = parseProcCgroup(procCgroup)
  const out: V1Parents = {}
  for (const c of CONTROLLERS) {
    const mount = mounts.find((m) => m.superOptions.includes(c))
    const member = memberships.find((m) => m.id !== 0 && m.controllers.includes(c))
    if (mount === undefined || member === undefined) continue
    const dir = cgroupDir(mount, member.path)
    if (dir !== undefined && existsSync(dir)) out[c] = dir
  }
  return out
}

export interface V1DetectResult {
  /** `<own cgroup>/opcode` per usable hierarchy. */
  parents: V1Parents
  /** Why a controller is not usable (missing, not writable). */
  problems: string[]
}

/**
 * Finds the v1 hierarchies this process may create cgroups in, creating `<own>/opcode` in each
 * and proving with a probe cgroup that sub-cgroups can be made there.
 */
export function detectCgroupV1(own: V1Parents = ownV1Cgroups()): V1DetectResult {
  const parents: V1Parents = {}
  const problems: string[] = []
  for (const c of CONTROLLERS) {
    const dir = own[c]
    if (dir === undefined) {
      if (c !== 'cpuacct') problems.push(`no cgroup v1 ${c} hierarchy is mounted`)
      continue
    }
    const parent = join(dir, 'opcode')
    try {
      accessSync(dir, constants.W_OK)
      mkdirSync(parent, { recursive: true })
      const probe = join(parent, `probe-${process.pid}`)
      mkdirSync(probe)
      const ok = existsSync(join(probe, 'cgroup.procs'))
      rmdirSync(probe)
      if (!ok) throw new Error('not a cgroup file system')
      parents[c] = parent
    } catch (err) {
      problems.push(`cgroup v1 ${c} at ${dir} is not writable: ${(err as Error).message}`)
    }
  }
  return { parents, problems }
}

/** A v1 driver creating run cgroups under `parents` (at least one of memory, cpu, pids). */
export function createCgroupV1Driver(parents: V1Parents): CgroupDriver & {
  /** Removes run cgroups of dead processes; returns what could not be removed. */
  sweep(): Promise<string[]>
} {
  const present = CONTROLLERS.filter((c) => parents[c] !== undefined)
  if (!present.some((c) => c !== 'cpuacct')) {
    throw new AppError('ISOLATION_ERROR', 'cgroups v1: no memory, cpu or pids hierarchy to use')
  }
  return {
    name: 'cgroups-v1',
    controls: {
      memory: parents.memory !== undefined,
      cpu: parents.cpu !== undefined,
      pids: parents.pids !== undefined,
    },
    create: (limits, extraPids) => createRun(parents, present, limits, extraPids),
    async sweep() {
      const warnings: string[] = []
      for (const c of present) {
        warnings.push(...(await sweepStale(parents[c] as string, (d) => [join(d, 'cgroup.procs')])))
      }
      return warnings
    },
  }
}

function createRun(
  parents: V1Parents,
  present: readonly V1Controller[],
  limits: ResolvedLimits,
  extraPids: number,
): RunCgroup {
  const id = newRunId()
  const dirs = new Map<V1Controller, string>()
  const made: string[] = []
  try {
    for (const c of present) {
      const dir = join(parents[c] as string, id)
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
      made.push(dir)
      dirs.set(c, dir)
    }
    const memory = dirs.get('memory')
    if (memory !== undefined && limits.memoryMb !== undefined) {
      const bytes = String(Math.floor(limits.memoryMb * 1024 * 1024))
      writeControl(join(memory, 'memory.limit_in_bytes'), bytes)
      // memsw (memory + swap) must be ≥ the memory limit, so it is written second.
      if (existsSync(join(memory, 'memory.memsw.limit_in_bytes'))) {
        writeControl(join(memory, 'memory.memsw.limit_in_bytes'), bytes)
      }
    }
    const cpu = dirs.get('cpu')
    if (cpu !== undefined && limits.cpuQuota !== undefined) {
      writeControl(join(cpu, 'cpu.cfs_period_us'), '100000')
      writeControl(
        join(cpu, 'cpu.cfs_quota_us'),
        String(Math.max(1000, Math.round(limits.cpuQuota * 100_000))),
      )
    }
    const pids = dirs.get('pids')
    if (pids !== undefined && limits.maxPids !== undefined) {
      writeControl(join(pids, 'pids.max'), String(Math.max(1, limits.maxPids) + extraPids))
    }
  } catch (err) {
    for (const d of made.reverse()) {
      try {
        rmdirSync(d)
      } catch {
        // Nothing joined it yet; a failure here leaves an empty cgroup, swept later.
      }
    }
    throw err
  }
  const procsFiles = [...dirs.values()].map((d) => join(d, 'cgroup.procs'))
  let finished: Awaited<ReturnType<RunCgroup['finish']>> | undefined
  return {
    procsFiles,
    async kill() {
      await killMembers(procsFiles, id)
    },
    async finish() {
      if (finished !== undefined) return finished
      const usage: RunUsage = {}
      let limitHit: RunResult['limitHit']
      const memory = dirs.get('memory')
      if (memory !== undefined) {
        const peak = readNumber(join(memory, 'memory.max_usage_in_bytes'))
        if (peak !== undefined) usage.memoryPeakBytes = peak
        const oom = readKeyed(join(memory, 'memory.oom_control')).oom_kill
        if (oom !== undefined) usage.oomKills = oom
        if ((oom ?? 0) > 0) limitHit = 'memory'
      }
      const pids = dirs.get('pids')
      if (pids !== undefined) {
        const hits = readKeyed(join(pids, 'pids.events')).max
        if (hits !== undefined) usage.pidsLimitHits = hits
        if ((hits ?? 0) > 0 && limitHit === undefined) limitHit = 'pids'
      }
      const cpu = dirs.get('cpu')
      if (cpu !== undefined) {
        const throttled = readKeyed(join(cpu, 'cpu.stat')).nr_throttled
        if (throttled !== undefined) usage.cpuThrottledPeriods = throttled
      }
      const acct = dirs.get('cpuacct')
      if (acct !== undefined) {
        const ns = readNumber(join(acct, 'cpuacct.usage'))
        if (ns !== undefined) usage.cpuMs = Math.round(ns / 1e6)
      }
      const warnings: string[] = []
      for (const d of dirs.values()) {
        const w = await removeCgroup(d)
        if (w !== undefined) warnings.push(w)
      }
      finished = { usage, warnings, ...(limitHit === undefined ? {} : { limitHit }) }
      return finished
    },
  }
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return ''
  }
}
