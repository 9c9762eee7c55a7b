/**
 * Test support for the isolation tests (not used by the product): unique markers to find a test's
 * processes in /proc, and a wait for them to be gone.
 */
import { readdirSync, readFileSync } from 'node:fs'
import type { ResolvedLimits } from './limits.ts'
import type { RunSpec } from './sandbox.ts'

/** A `sleep` argument no other process uses: `60.<random digits>`. */
export function marker(): string {
  return `60.${Math.floor(Math.random() * 1e9)}${process.pid}`
}

/** Pids whose command line contains `text`. */
export function processesWith(text: string): number[] {
  const out: number[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ')
      if (cmd.includes(text)) out.push(Number(name))
    } catch {
      // exited meanwhile
    }
  }
  return out
}

/**
 * Processes still matching `text` once they had up to `ms` to die: a SIGKILLed process stays in
 * /proc for a moment after the kill (until the kernel tears it down), so checks poll.
 */
export async function survivors(text: string, ms = 2000): Promise<number[]> {
  const end = Date.now() + ms
  for (;;) {
    const left = processesWith(text)
    if (left.length === 0 || Date.now() >= end) return left
    await Bun.sleep(20)
  }
}

/** Kills leftovers of a test (escaped processes the isolator under test may not reach). */
export function killAll(text: string): void {
  for (const pid of processesWith(text)) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
}

/** A RunSpec with a small environment and the given argv. */
export function spec(
  argv: string[],
  limits: ResolvedLimits = { timeoutMs: 10_000 },
  extra: Partial<RunSpec> = {},
): RunSpec {
  return {
    argv,
    cwd: '/tmp',
    env: { PATH: '/usr/local/bin:/usr/bin:/bin' },
    limits,
    maxOutputBytes: 1024 * 1024,
    ...extra,
  }
}
