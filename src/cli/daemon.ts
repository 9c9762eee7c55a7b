/**
 * The background server's pidfile (`~/.opcode/opcode.pid`, decimal PID, no newline) and process
 * checks shared by serve, install and stop.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'

/** The PID in a pidfile when that process is alive, else undefined. */
export function livePid(pidfile: string): number | undefined {
  if (!existsSync(pidfile)) return undefined
  let pid: number
  try {
    pid = Number(readFileSync(pidfile, 'utf8').trim())
  } catch {
    return undefined
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined
  return isAlive(pid) ? pid : undefined
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as { code?: string }).code === 'EPERM'
  }
}

export function writePidfile(pidfile: string, pid = process.pid): void {
  writeFileSync(pidfile, String(pid), { mode: 0o644 })
}

/** Removes the pidfile if it still names `pid`. */
export function removePidfile(pidfile: string, pid = process.pid): void {
  try {
    if (readFileSync(pidfile, 'utf8').trim() === String(pid)) rmSync(pidfile, { force: true })
  } catch {
    // already gone
  }
}

/** The command line that starts this program again: `bun main.ts` or the compiled binary. */
export function selfCommand(): string[] {
  const script = process.argv[1]
  // A compiled binary's argv[1] is its embedded entry (/$bunfs/...): the binary alone restarts it.
  if (script !== undefined && !script.startsWith('/$bunfs/') && /\.(ts|js|mjs)$/.test(script))
    return [process.execPath, script]
  return [process.execPath]
}
