/**
 * Small helpers over the cgroup file systems shared by the v1 and v2 drivers: where this process
 * sits (/proc/self/mountinfo, /proc/self/cgroup), reading counters, killing members and removing
 * a run's cgroup. Everything is synchronous except the waits between kill rounds.
 */
import { existsSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AppError } from '../errors.ts'

export interface MountEntry {
  /** Root of the mount inside its file system (`/` unless bind-mounted, e.g. in containers). */
  root: string
  mountPoint: string
  fsType: string
  superOptions: string[]
}

/** Parses /proc/<pid>/mountinfo (man 5 proc). */
export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = []
  for (const line of text.split('\n')) {
    if (line === '') continue
    const dash = line.indexOf(' - ')
    if (dash < 0) continue
    const left = line.slice(0, dash).split(' ')
    const right = line.slice(dash + 3).split(' ')
    if (left.length < 5 || right.length < 3) continue
    out.push({
      root: unescapeMount(left[3] as string),
      mountPoint: unescapeMount(left[4] as string),
      fsType: right[0] as string,
      superOptions: (right[2] as string).split(','),
    })
  }
  return out
}

export interface CgroupMembership {
  /** Hierarchy id; 0 is the v2 unified hierarchy. */
  id: number
  controllers: string[]
  path: string
}

/** Parses /proc/<pid>/cgroup: `id:controllers:path` per line. */
export function parseProcCgroup(text: string): CgroupMembership[] {
  const out: CgroupMembership[] = []
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line)
    if (m === null) continue
    out.push({
      id: Number(m[1]),
      controllers: m[2] === '' ? [] : (m[2] as string).split(','),
      path: m[3] as string,
    })
  }
  return out
}

/** The directory of cgroup `path` under a mount whose root is `mount.root`, or undefined. */
export function cgroupDir(mount: MountEntry, path: string): string | undefined {
  const root = mount.root === '/' ? '' : mount.root
  if (root !== '' && path !== root && !path.startsWith(`${root}/`)) return undefined
  return join(mount.mountPoint, path.slice(root.length))
}

export function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
}

/** A file holding one number (`max` reads as undefined). */
export function readNumber(file: string): number | undefined {
  const t = readText(file)?.trim()
  if (t === undefined || t === '' || t === 'max') return undefined
  const n = Number(t)
  return Number.isFinite(n) ? n : undefined
}

/** A `key value` per line file (`memory.events`, `cpu.stat`, `pids.events`, `memory.oom_control`). */
export function readKeyed(file: string): Record<string, number> {
  const out: Record<string, number> = {}
  for (const line of (readText(file) ?? '').split('\n')) {
    const [k, v] = line.trim().split(/\s+/)
    if (k !== undefined && k !== '' && v !== undefined && Number.isFinite(Number(v)))
      out[k] = Number(v)
  }
  return out
}

/** Writes an interface file; ISOLATION_ERROR naming the file and the OS error when it fails. */
export function writeControl(file: string, value: string): void {
  try {
    writeFileSync(file, value)
  } catch (err) {
    throw new AppError(
      'ISOLATION_ERROR',
      `cannot write ${value} to ${file}: ${(err as Error).message}`,
      {
        cause: err,
      },
    )
  }
}

/**
 * Pids listed in the `cgroup.procs` files that really are in the cgroup named `leaf`: their
 * /proc/<pid>/cgroup names it. The check guards against a pid reused by an unrelated process
 * between the read and the kill.
 */
export function memberPids(procsFiles: string[], leaf: string): number[] {
  const out = new Set<number>()
  for (const f of procsFiles) {
    for (const line of (readText(f) ?? '').split('\n')) {
      const n = Number(line)
      if (line === '' || !Number.isInteger(n) || n <= 0 || n === process.pid) continue
      const own = readText(`/proc/${n}/cgroup`)
      if (own !== undefined && (own.includes(`/${leaf}\n`) || own.includes(`/${leaf}/`))) out.add(n)
    }
  }
  return [...out]
}

/**
 * SIGKILLs the members of cgroup `leaf` until none is left (new ones may appear while a fork bomb
 * runs; the process limit bounds them). Gives up after `rounds` × 10 ms.
 */
export async function killMembers(
  procsFiles: string[],
  leaf: string,
  rounds = 200,
): Promise<boolean> {
  for (let i = 0; i < rounds; i++) {
    const pids = memberPids(procsFiles, leaf)
    if (pids.length === 0) return true
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // Already gone.
      }
    }
    await sleep(10)
  }
  return memberPids(procsFiles, leaf).length === 0
}

/**
 * Removes a run's cgroup directory. A cgroup whose last tasks are still being reaped answers
 * EBUSY for a moment, so that is retried (20 × 25 ms). Returns a warning on failure.
 */
export async function removeCgroup(dir: string): Promise<string | undefined> {
  if (!existsSync(dir)) return undefined
  let last: unknown
  for (let i = 0; i < 20; i++) {
    try {
      rmdirSync(dir)
      return undefined
    } catch (err) {
      last = err
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'ENOENT') return undefined
      if (code !== 'EBUSY') break
      await sleep(25)
    }
  }
  return `cannot remove cgroup ${dir}: ${(last as Error).message}`
}

/**
 * Removes `run-<pid>-…` cgroups left by a process that no longer exists (a server killed with
 * SIGKILL), killing their members first. Best-effort: returns what it could not remove.
 */
export async function sweepStale(
  parent: string,
  procsOf: (dir: string) => string[],
): Promise<string[]> {
  const warnings: string[] = []
  let names: string[]
  try {
    names = readdirSync(parent)
  } catch {
    return warnings
  }
  for (const name of names) {
    const m = /^run-(\d+)-/.exec(name)
    if (m === null) continue
    const pid = Number(m[1])
    if (pid === process.pid || existsSync(`/proc/${pid}`)) continue
    const dir = join(parent, name)
    await killMembers(procsOf(dir), name, 50)
    const w = await removeCgroup(dir)
    if (w !== undefined) warnings.push(w)
  }
  return warnings
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)))
}
