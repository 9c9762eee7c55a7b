/**
 * Chooses the isolator at start-up (spec server.md §14 Ours, decisions.md D9/D14/D21): cgroups v2
 * when a delegated v2 subtree offers memory/cpu/pids, else cgroups v1 when its hierarchies are
 * writable, else the fallback; each inside a PID namespace when `unshare` can make one. Nothing is
 * assumed: a machine may mount v2 with no controller on it and v1 for all of them (as here).
 * settings.json `isolation`: `{mode: auto|cgroups-v2|cgroups-v1|fallback, pid_namespace: bool,
 * cgroup_root: path}`; a mode asked for explicitly and not available fails the start-up.
 */
import { AppError } from '../errors.ts'
import { createCgroupV1Driver, detectCgroupV1, ownV1Cgroups } from './cgroups-v1.ts'
import { createCgroupV2Driver, ownV2Cgroup, v2Controllers, v2Problem } from './cgroups-v2.ts'
import { probePidNamespace } from './pidns.ts'
import { type CgroupDriver, createIsolator } from './runner.ts'
import type { Isolator } from './sandbox.ts'

export const ISOLATION_MODES = ['auto', 'cgroups-v2', 'cgroups-v1', 'fallback'] as const
export type IsolationMode = (typeof ISOLATION_MODES)[number]

export interface DetectOptions {
  /** Default `auto`. */
  mode?: IsolationMode
  /** Run commands in a PID namespace when possible (default true). */
  pidNamespace?: boolean
  /** A delegated v2 cgroup to create run cgroups under (default: this process's own). */
  cgroupRoot?: string
  /** Pipes may stay open this long after a command ended (default 5 s). */
  drainGraceMs?: number
  /** Receives problems met while running (a cgroup that could not be removed). */
  warn?: (message: string) => void
}

export interface DetectedIsolator {
  isolator: Isolator
  /** e.g. `cgroups-v1+pidns`. */
  name: string
  /** What is not enforced, and why the better isolators were not chosen; log them at start-up. */
  warnings: string[]
}

/** settings.json `isolation` → options; VALIDATION_ERROR naming the field when malformed. */
export function parseIsolationSettings(value: unknown): DetectOptions {
  if (value === undefined || value === null) return {}
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new AppError('VALIDATION_ERROR', 'settings "isolation" must be an object')
  }
  const v = value as Record<string, unknown>
  const out: DetectOptions = {}
  for (const key of Object.keys(v)) {
    if (!['mode', 'pid_namespace', 'cgroup_root'].includes(key)) {
      throw new AppError(
        'VALIDATION_ERROR',
        `settings "isolation.${key}" is unknown; expected mode, pid_namespace or cgroup_root`,
      )
    }
  }
  if (v.mode !== undefined) {
    if (!(ISOLATION_MODES as readonly unknown[]).includes(v.mode)) {
      throw new AppError(
        'VALIDATION_ERROR',
        `settings "isolation.mode" must be one of ${ISOLATION_MODES.join(', ')}`,
      )
    }
    out.mode = v.mode as IsolationMode
  }
  if (v.pid_namespace !== undefined) {
    if (typeof v.pid_namespace !== 'boolean') {
      throw new AppError(
        'VALIDATION_ERROR',
        'settings "isolation.pid_namespace" must be true or false',
      )
    }
    out.pidNamespace = v.pid_namespace
  }
  if (v.cgroup_root !== undefined) {
    if (typeof v.cgroup_root !== 'string' || !v.cgroup_root.startsWith('/')) {
      throw new AppError(
        'VALIDATION_ERROR',
        'settings "isolation.cgroup_root" must be an absolute path',
      )
    }
    out.cgroupRoot = v.cgroup_root
  }
  return out
}

/**
 * True when this machine offers usable cgroups: a v2 subtree with memory, cpu and pids, or
 * writable v1 hierarchies for all three (decisions.md D14). Tests skip on false.
 */
export function hasCgroups(): boolean {
  const v2 = ownV2Cgroup()
  if (v2Problem(v2) === undefined && v2Controllers(v2 as string).length === 3) return true
  const { parents } = detectCgroupV1()
  return parents.memory !== undefined && parents.cpu !== undefined && parents.pids !== undefined
}

/** Picks and builds the isolator; see the file comment. */
export async function detectIsolator(options: DetectOptions = {}): Promise<DetectedIsolator> {
  const mode = options.mode ?? 'auto'
  const warnings: string[] = []
  let driver: (CgroupDriver & { sweep(): Promise<string[]> }) | undefined

  if (mode === 'auto' || mode === 'cgroups-v2') {
    const root = options.cgroupRoot ?? ownV2Cgroup()
    const problem = v2Problem(root)
    if (problem === undefined) {
      try {
        driver = createCgroupV2Driver(root as string)
      } catch (err) {
        if (mode === 'cgroups-v2') throw err
        warnings.push(`cgroups v2 not used: ${(err as Error).message}`)
      }
    } else if (mode === 'cgroups-v2') {
      throw new AppError('ISOLATION_ERROR', `isolation.mode is cgroups-v2 but ${problem}`)
    } else {
      warnings.push(`cgroups v2 not used: ${problem}`)
    }
  }
  if (driver === undefined && (mode === 'auto' || mode === 'cgroups-v1')) {
    const { parents, problems } = detectCgroupV1(ownV1Cgroups())
    if (parents.memory !== undefined || parents.cpu !== undefined || parents.pids !== undefined) {
      driver = createCgroupV1Driver(parents)
      for (const p of problems) warnings.push(`cgroups v1: ${p}`)
    } else if (mode === 'cgroups-v1') {
      throw new AppError(
        'ISOLATION_ERROR',
        `isolation.mode is cgroups-v1 but ${problems.join('; ') || 'no v1 hierarchy is usable'}`,
      )
    } else {
      warnings.push(`cgroups v1 not used: ${problems.join('; ')}`)
    }
  }
  if (driver !== undefined) {
    for (const w of await driver.sweep()) warnings.push(w)
  }

  let pidNamespace: string[] | undefined
  if (options.pidNamespace !== false) {
    const probe = probePidNamespace()
    if (probe.prefix !== undefined) pidNamespace = probe.prefix
    else {
      warnings.push(
        `no PID namespace (${probe.problem}): commands can see the server's processes and read what /proc exposes of them`,
      )
    }
  }

  const isolator = createIsolator({
    rlimits: true,
    ...(driver === undefined ? {} : { cgroups: driver }),
    ...(pidNamespace === undefined ? {} : { pidNamespace }),
    ...(options.drainGraceMs === undefined ? {} : { drainGraceMs: options.drainGraceMs }),
    ...(options.warn === undefined ? {} : { warn: options.warn }),
  })
  const caps = isolator.capabilities
  if (driver === undefined) {
    warnings.push(
      'no cgroups: shell.exec limits are best-effort (memory per process, CPU as a time budget, no process limit)',
    )
  } else {
    const missing = (['memory', 'cpu', 'pids'] as const).filter((c) => caps[c] !== 'cgroup')
    if (missing.length > 0) warnings.push(`not limited by cgroups: ${missing.join(', ')}`)
  }
  return { isolator, name: isolator.name, warnings }
}
