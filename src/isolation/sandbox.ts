/**
 * The isolator port: how `shell.exec` runs a command under limits (spec server.md §14 with its
 * Ours note, decisions.md D14/D18/D21). One implementation is chosen at start-up by
 * `detectIsolator` (detect.ts): cgroups v2, cgroups v1, or the fallback (rlimits and a process
 * group), each optionally inside a PID namespace with its own /proc.
 */
import type { ResolvedLimits } from './limits.ts'

/** What an isolator can enforce (reported at start-up and in `opcode.status`/logs). */
export interface IsolatorCapabilities {
  /** Memory of the whole process tree (cgroup) or per process (rlimit, fallback). */
  memory: 'cgroup' | 'rlimit' | false
  /** CPU quota in cores (cgroup), or a CPU-time budget of quota × timeout (rlimit, fallback). */
  cpu: 'cgroup' | 'rlimit' | false
  /** Process count of the tree. */
  pids: 'cgroup' | false
  /** The command runs as pid 1 of its own PID namespace with its own /proc. */
  pidNamespace: boolean
  /** How the whole tree is killed at timeout, cancellation and exit. */
  killTree: 'cgroup' | 'pid-namespace' | 'process-group'
  /** Never offered: commands share the server's network and file system (path rules cover fs.* only). */
  network: false
  filesystem: false
}

export interface RunSpec {
  /** Program (an absolute path, resolved by the caller) and its arguments. */
  argv: string[]
  /** Existing directory the command starts in. */
  cwd: string
  /** The complete environment of the command (nothing else is inherited). */
  env: Record<string, string>
  /** Bytes fed on standard input; absent or empty = /dev/null. */
  stdin?: string | Uint8Array
  limits: ResolvedLimits
  /** Aborting it kills the whole tree; the result then has `cancelled: true`. */
  signal?: AbortSignal
  /** Cap of captured stdout and of captured stderr, each in bytes; more is read and discarded. */
  maxOutputBytes: number
}

/** Counters read from the cgroup after the run (absent when the isolator has none). */
export interface RunUsage {
  /** Highest memory use of the tree, bytes. */
  memoryPeakBytes?: number
  /** CPU time used by the tree, ms. */
  cpuMs?: number
  /** Periods in which the CPU quota throttled the tree. */
  cpuThrottledPeriods?: number
  /** Times a fork/clone failed because of the process limit. */
  pidsLimitHits?: number
  /** Processes killed by the out-of-memory killer. */
  oomKills?: number
}

export interface RunResult {
  /** The command's pid, as the server sees it. */
  pid: number
  /** Exit status, or null when the command died of a signal. */
  exitCode: number | null
  /** The signal that killed the command (e.g. `SIGKILL`), or null. */
  signal: string | null
  stdout: string
  stderr: string
  stdoutTruncated: boolean
  stderrTruncated: boolean
  /** The wall-clock limit (`limits.timeoutMs`) expired and the tree was killed. */
  killed: boolean
  /** `spec.signal` aborted and the tree was killed. */
  cancelled: boolean
  /** Which limit visibly stopped the command, when the isolator can tell. */
  limitHit?: 'memory' | 'pids'
  durationMs: number
  usage?: RunUsage
}

export interface Isolator {
  /** e.g. `cgroups-v1+pidns`, `fallback`. */
  readonly name: string
  readonly capabilities: IsolatorCapabilities
  /**
   * Runs one command to its end and kills whatever it left behind. Throws AppError
   * ISOLATION_ERROR when the sandbox cannot be set up (including a signal already aborted), and
   * EXECUTION_ERROR when the process cannot be started.
   */
  run(spec: RunSpec): Promise<RunResult>
}
