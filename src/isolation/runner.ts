/**
 * The machinery every isolator shares: start the command through a tiny `/bin/sh` trampoline that
 * joins the run's cgroups and sets rlimits, then `exec`s the command (optionally through
 * `unshare` for a PID namespace), so the limits bind from the command's first instruction and the
 * trampoline leaves no process behind. A shell rather than a helper mode of our own binary: a Bun
 * helper would cost ~30 ms and a dozen threads (counted by `pids.max`) per command, and `/bin/sh`
 * exists wherever cgroups do. The command gets its own session (process group); the timeout, a
 * cancellation and the command's own exit all end with the whole tree killed (group + cgroup).
 * Output is read as it comes, kept up to the cap and discarded beyond it, so a chatty command
 * never blocks on a full pipe.
 */
import { AppError } from '../errors.ts'
import type { ResolvedLimits } from './limits.ts'
import type { Isolator, IsolatorCapabilities, RunResult, RunSpec, RunUsage } from './sandbox.ts'

/** One run's cgroup(s), created by a driver (cgroups-v1.ts, cgroups-v2.ts). */
export interface RunCgroup {
  /** `cgroup.procs` files the trampoline writes its pid to before `exec`. */
  procsFiles: string[]
  /** SIGKILLs every member; resolves when the cgroup is empty (or gives up after ~2 s). */
  kill(): Promise<void>
  /** Reads the counters, then removes the cgroup. Never throws. */
  finish(): Promise<{ usage: RunUsage; limitHit?: RunResult['limitHit']; warnings: string[] }>
}

export interface CgroupDriver {
  /** `cgroups-v1` or `cgroups-v2`. */
  readonly name: string
  readonly controls: { memory: boolean; cpu: boolean; pids: boolean }
  /**
   * Creates a run's cgroup with `limits` written (`extraPids` is added to `pids.max` for wrapper
   * processes such as `unshare`). Throws ISOLATION_ERROR when that fails.
   */
  create(limits: ResolvedLimits, extraPids: number): RunCgroup
}

export interface IsolatorOptions {
  cgroups?: CgroupDriver
  /** argv prefix that runs the command as pid 1 of a new PID namespace (see pidns.ts). */
  pidNamespace?: string[]
  /** Apply rlimits for what the cgroups do not enforce (the fallback's memory and CPU). */
  rlimits?: boolean
  /** How long pipes may stay open after the command ended and the tree was killed (default 5 s). */
  drainGraceMs?: number
  /** The shell of the trampoline (default /bin/sh). */
  shell?: string
  /** Receives cleanup problems (a cgroup that could not be removed). */
  warn?: (message: string) => void
}

const MARK = 'opcode-isolate: '

/**
 * Positional parameters: N, N cgroup.procs files, M, M (flag, value) rlimit pairs, then the argv.
 * A limit whose hard value is already at or below the requested one counts as applied.
 */
const TRAMPOLINE = `n=$1; shift
while [ "$n" -gt 0 ]; do
  { echo $$ >"$1"; } 2>/dev/null || { echo "${MARK}cannot join cgroup $1" >&2; exit 125; }
  n=$((n-1)); shift
done
n=$1; shift
while [ "$n" -gt 0 ]; do
  if ! ulimit "$1" "$2" 2>/dev/null; then
    h=$(ulimit -H "$1" 2>/dev/null)
    if [ "$h" = unlimited ] || [ -z "$h" ] || [ "$h" -gt "$2" ]; then
      echo "${MARK}cannot set rlimit $1 $2" >&2; exit 125
    fi
  fi
  n=$((n-1)); shift 2
done
exec "$@"`

/** util-linux 2.38's `unshare --fork` exits 1 with this line when its child died of SIGKILL. */
const UNSHARE_SIGKILL = 'unshare: sigprocmask unblock failed: Invalid argument\n'

let runCounter = 0

/** Builds an isolator from a cgroup driver, a PID-namespace wrapper and rlimits. */
export function createIsolator(options: IsolatorOptions): Isolator {
  const { cgroups, pidNamespace } = options
  const rlimits = options.rlimits === true
  const shell = options.shell ?? '/bin/sh'
  const drainGraceMs = options.drainGraceMs ?? 5000
  const warn = options.warn ?? (() => {})
  const capabilities: IsolatorCapabilities = {
    memory: cgroups?.controls.memory ? 'cgroup' : rlimits ? 'rlimit' : false,
    cpu: cgroups?.controls.cpu ? 'cgroup' : rlimits ? 'rlimit' : false,
    pids: cgroups?.controls.pids ? 'cgroup' : false,
    pidNamespace: pidNamespace !== undefined,
    killTree:
      cgroups !== undefined
        ? 'cgroup'
        : pidNamespace !== undefined
          ? 'pid-namespace'
          : 'process-group',
    network: false,
    filesystem: false,
  }
  const name = `${cgroups?.name ?? 'fallback'}${pidNamespace !== undefined ? '+pidns' : ''}`

  async function run(spec: RunSpec): Promise<RunResult> {
    if (spec.signal?.aborted) {
      throw new AppError('ISOLATION_ERROR', 'the step was cancelled before the command started')
    }
    if (spec.argv.length === 0 || spec.argv[0] === '') {
      throw new AppError('EXECUTION_ERROR', 'no command to run')
    }
    const cg = cgroups?.create(spec.limits, pidNamespace !== undefined ? 1 : 0)
    if (cg === undefined) return runIn(spec, undefined)
    const cleanup = async () => {
      await cg.kill()
      const fin = await cg.finish()
      for (const w of fin.warnings) warn(w)
      return fin
    }
    let result: RunResult
    try {
      result = await runIn(spec, cg)
    } catch (err) {
      await cleanup()
      throw err
    }
    const fin = await cleanup()
    result.usage = fin.usage
    if (fin.limitHit !== undefined) result.limitHit = fin.limitHit
    return result
  }

  async function runIn(spec: RunSpec, cg: RunCgroup | undefined): Promise<RunResult> {
    const rl = rlimits ? rlimitArgs(spec.limits, capabilities) : []
    const files = cg?.procsFiles ?? []
    const cmd = [
      shell,
      '-c',
      TRAMPOLINE,
      'opcode-isolate',
      String(files.length),
      ...files,
      String(rl.length / 2),
      ...rl,
      ...(pidNamespace ?? []),
      ...spec.argv,
    ]
    const stdin =
      spec.stdin === undefined || spec.stdin.length === 0
        ? 'ignore'
        : typeof spec.stdin === 'string'
          ? new TextEncoder().encode(spec.stdin)
          : spec.stdin
    let proc: Bun.Subprocess<'ignore' | Uint8Array, 'pipe', 'pipe'>
    const started = performance.now()
    try {
      proc = Bun.spawn({
        cmd,
        cwd: spec.cwd,
        env: spec.env,
        stdin,
        stdout: 'pipe',
        stderr: 'pipe',
        detached: true,
      }) as Bun.Subprocess<'ignore' | Uint8Array, 'pipe', 'pipe'>
    } catch (err) {
      throw new AppError('EXECUTION_ERROR', `cannot start ${spec.argv[0]}: ${errMessage(err)}`, {
        cause: err,
      })
    }
    const out = capture(proc.stdout, spec.maxOutputBytes)
    const errOut = capture(proc.stderr, spec.maxOutputBytes)
    let killed = false
    let cancelled = false
    const killTree = async (): Promise<void> => {
      try {
        process.kill(-proc.pid, 'SIGKILL')
      } catch {
        // ESRCH: the group is already gone.
      }
      if (cg !== undefined) await cg.kill()
    }
    let killing: Promise<void> | undefined
    const stop = (why: 'timeout' | 'cancel') => {
      if (killed || cancelled || proc.exitCode !== null || proc.signalCode !== null) return
      if (why === 'timeout') killed = true
      else cancelled = true
      killing = killTree()
    }
    const timeoutMs = spec.limits.timeoutMs
    const timer =
      timeoutMs === undefined ? undefined : setTimeout(() => stop('timeout'), clampTimer(timeoutMs))
    const onAbort = () => stop('cancel')
    spec.signal?.addEventListener('abort', onAbort, { once: true })
    if (spec.signal?.aborted) stop('cancel')
    try {
      await proc.exited
    } finally {
      if (timer !== undefined) clearTimeout(timer)
      spec.signal?.removeEventListener('abort', onAbort)
    }
    const durationMs = Math.round(performance.now() - started)
    await killing
    // The command is done: whatever it left running goes too (a cgroup must be empty to go away).
    await killTree()
    let grace: ReturnType<typeof setTimeout> | undefined
    await Promise.race([
      Promise.all([out.done, errOut.done]),
      new Promise<void>((r) => {
        grace = setTimeout(r, drainGraceMs)
      }),
    ])
    clearTimeout(grace)
    out.cancel()
    errOut.cancel()
    const [o, e] = await Promise.all([out.done, errOut.done])

    let exitCode = proc.exitCode
    let signal: string | null = proc.signalCode === null ? null : String(proc.signalCode)
    let stderr = decode(e.bytes)
    if (exitCode === 125 && stderr.startsWith(MARK)) {
      throw new AppError('ISOLATION_ERROR', stderr.slice(MARK.length).trim())
    }
    if (pidNamespace !== undefined && exitCode === 1 && stderr.endsWith(UNSHARE_SIGKILL)) {
      stderr = stderr.slice(0, -UNSHARE_SIGKILL.length)
      exitCode = null
      signal = 'SIGKILL'
    }
    return {
      pid: proc.pid,
      exitCode,
      signal,
      stdout: decode(o.bytes),
      stderr,
      stdoutTruncated: o.truncated,
      stderrTruncated: e.truncated,
      killed,
      cancelled,
      durationMs,
    }
  }

  return { name, capabilities, run }
}

/** `ulimit` flag/value pairs of the fallback: data segment for memory, a CPU-time budget. */
export function rlimitArgs(limits: ResolvedLimits, caps: IsolatorCapabilities): string[] {
  const out: string[] = []
  if (caps.memory === 'rlimit' && limits.memoryMb !== undefined) {
    out.push('-d', String(Math.max(1024, Math.floor(limits.memoryMb * 1024))))
  }
  if (caps.cpu === 'rlimit' && limits.cpuQuota !== undefined && limits.timeoutMs !== undefined) {
    // A quota cannot be an rlimit; its average over the whole timeout can.
    out.push('-t', String(Math.max(1, Math.ceil((limits.cpuQuota * limits.timeoutMs) / 1000))))
  }
  return out
}

interface Captured {
  done: Promise<{ bytes: Uint8Array; truncated: boolean }>
  cancel(): void
}

function capture(stream: ReadableStream<Uint8Array>, max: number): Captured {
  const reader = stream.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  let truncated = false
  const done = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        if (size >= max) {
          truncated = true
          continue
        }
        const take = Math.min(value.byteLength, max - size)
        chunks.push(take === value.byteLength ? value : value.subarray(0, take))
        size += take
        if (take < value.byteLength) truncated = true
      }
    } catch {
      // Cancelled after the drain grace: keep what was read.
    }
    return { bytes: concat(chunks, size), truncated }
  })()
  return {
    done,
    cancel() {
      // Releasing an already-finished reader is harmless; a pending read ends the loop above.
      void reader.cancel().catch(() => {})
    },
  }
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array
  const out = new Uint8Array(size)
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.byteLength
  }
  return out
}

const decoder = new TextDecoder('utf-8')
function decode(bytes: Uint8Array): string {
  return bytes.byteLength === 0 ? '' : decoder.decode(bytes)
}

function clampTimer(ms: number): number {
  return Math.min(Math.max(0, ms), 2 ** 31 - 1)
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** A run id unique on this machine for this process: `run-<pid>-<n>-<random>`. */
export function newRunId(): string {
  runCounter += 1
  return `run-${process.pid}-${runCounter}-${Math.random().toString(36).slice(2, 8)}`
}
