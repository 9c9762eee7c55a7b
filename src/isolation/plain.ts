/**
 * The fallback isolator (spec server.md §14 Ours): where no cgroup can be used, commands still run
 * in their own process group (killed as a whole at timeout, cancellation and exit), under rlimits
 * — the data segment for `memory_mb` (per process) and a CPU-time budget of `cpu_quota × timeout`
 * — and, where the kernel allows, in a PID namespace. There is no process limit: RLIMIT_NPROC
 * counts every process of the user and does not bind root.
 */
import { createIsolator } from './runner.ts'
import type { Isolator } from './sandbox.ts'

export interface FallbackOptions {
  /** argv prefix from probePidNamespace(), when a PID namespace is available. */
  pidNamespace?: string[]
  drainGraceMs?: number
  warn?: (message: string) => void
}

export function createFallbackIsolator(options: FallbackOptions = {}): Isolator {
  return createIsolator({ ...options, rlimits: true })
}
