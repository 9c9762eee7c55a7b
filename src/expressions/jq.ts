/**
 * jq (spec workflow.md §10.3, decisions.md D7): jq 1.8.2 compiled to WebAssembly (jq-wasm), run in
 * a worker thread started on first use, so start-up stays fast and a runaway filter
 * (`def f: f; f`, `last(range(1e12))`) is stopped by terminating the worker instead of hanging the
 * server. Calls are queued (one at a time); each has a time limit (default 10 s) and honours an
 * AbortSignal. jq's memory is capped at 256 MiB by the build.
 *
 * One result → that value, several → an array, none → null. `$ENV` and `env` are empty objects.
 * Errors: empty or uncompilable filter → VALIDATION_ERROR (with line, column and position); a jq
 * run-time error, a timeout or memory exhaustion → EXECUTION_ERROR.
 *
 * Builds: `bun build --compile src/main.ts src/expressions/jq-worker.ts` (the worker is an extra
 * entry point; see workerPath).
 */
import { AppError } from '../errors.ts'

export interface JqOptions {
  /** Time limit for the run, in ms (default 10,000). */
  timeoutMs?: number
  /** Aborting it stops the run (EXECUTION_ERROR, or the signal's reason when it is an AppError). */
  signal?: AbortSignal
}

export const JQ_DEFAULT_TIMEOUT_MS = 10_000
/** Largest input document accepted, in characters of JSON text. */
export const JQ_MAX_INPUT = 16 * 1024 * 1024
/** Longest filter accepted (characters). */
export const JQ_MAX_FILTER = 16_384

const ENGINE = 'jq'
/** Loading jq-wasm takes ~50–200 ms; a worker not ready after this is given up. */
const LOAD_TIMEOUT_MS = 30_000
// The filter starts on line 2 of what jq compiles: messages subtract one line.
const RUN_PREFIX = '{} as $ENV | def env: $ENV;\n'
// A check compiles the filter against unparsable input: jq compiles first (exit 3 on a compile
// error), then stops at the input (exit 2/5) without running the filter.
const CHECK_INPUT = '{'

interface Reply {
  id?: number
  ready?: boolean
  loadError?: string
  exitCode?: number
  stdout?: string
  stderr?: string
  fatal?: string
}

interface JqRaw {
  exitCode: number
  stdout: string
  stderr: string
}

// ---------------------------------------------------------------------------------------------
// Worker management

let worker: Worker | undefined
let ready: Promise<Worker> | undefined
const waiting = new Map<number, (reply: Reply) => void>()
let nextId = 1
let queue: Promise<unknown> = Promise.resolve()

function startWorker(): Promise<Worker> {
  if (ready !== undefined) return ready
  // Bun's `ref: false`: an idle jq worker never keeps the process alive (pending calls do, through
  // their timers).
  const options = { ref: false }
  const w = new Worker(workerPath(), options)
  worker = w
  ready = new Promise<Worker>((resolve, reject) => {
    const loading = setTimeout(() => {
      stopWorker(w)
      reject(unavailable(`the jq worker did not start within ${LOAD_TIMEOUT_MS} ms`))
    }, LOAD_TIMEOUT_MS)
    w.onmessage = (event: MessageEvent<Reply>) => {
      const m = event.data
      if (m.ready || m.loadError !== undefined) clearTimeout(loading)
      if (m.ready) return resolve(w)
      if (m.loadError !== undefined) {
        stopWorker(w)
        return reject(unavailable(m.loadError))
      }
      if (m.id !== undefined) waiting.get(m.id)?.(m)
    }
    w.onerror = (event: ErrorEvent) => {
      clearTimeout(loading)
      const message = event.message || 'the jq worker failed'
      stopWorker(w)
      reject(unavailable(message))
      for (const [, done] of waiting) done({ fatal: message })
    }
  })
  return ready
}

/**
 * The worker's module. In a `bun build --compile` binary every entry point keeps its path relative
 * to the build root (src/, scripts/build.ts passes --root), under `/$bunfs/root/` (`B:/~BUN/root/`
 * on Windows); the bundled code's own URL is the binary's, so a URL relative to this file would not
 * find it. A relative path names an embedded entry point on every OS.
 */
function workerPath(): string {
  if (Bun.isStandaloneExecutable) return './expressions/jq-worker.ts'
  return new URL('./jq-worker.ts', import.meta.url).href
}

function stopWorker(w: Worker): void {
  if (worker !== w) return
  worker = undefined
  ready = undefined
  w.terminate()
}

function unavailable(why: string): AppError {
  return new AppError('EXECUTION_ERROR', `jq engine unavailable: ${why}`, {
    details: { engine: ENGINE },
  })
}

/** Runs one jq program in the worker, under a time limit. */
async function runInWorker(program: string, input: string, options: JqOptions): Promise<JqRaw> {
  const signal = options.signal
  const timeoutMs = options.timeoutMs ?? JQ_DEFAULT_TIMEOUT_MS
  const turn = queue.then(async () => {
    if (signal?.aborted) throw aborted(signal)
    const w = await startWorker()
    const id = nextId++
    return await new Promise<JqRaw>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined
      const finish = () => {
        waiting.delete(id)
        if (timer !== undefined) clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
      }
      const kill = (err: AppError) => {
        finish()
        stopWorker(w)
        reject(err)
      }
      const onAbort = () => kill(aborted(signal as AbortSignal))
      waiting.set(id, (reply) => {
        finish()
        if (reply.fatal !== undefined) {
          stopWorker(w)
          const oom = /abort/i.test(reply.fatal)
          reject(
            new AppError(
              'EXECUTION_ERROR',
              oom ? 'jq ran out of memory (limit 256 MiB)' : `jq failed: ${reply.fatal}`,
              { details: { engine: ENGINE } },
            ),
          )
          return
        }
        resolve({
          exitCode: reply.exitCode ?? 0,
          stdout: reply.stdout ?? '',
          stderr: reply.stderr ?? '',
        })
      })
      timer = setTimeout(
        () =>
          kill(
            new AppError('EXECUTION_ERROR', `jq filter did not finish within ${timeoutMs} ms`, {
              details: { engine: ENGINE, timeout_ms: timeoutMs },
            }),
          ),
        timeoutMs,
      )
      // The signal may have fired while the worker was starting: nothing runs yet, keep it.
      if (signal?.aborted) {
        finish()
        reject(aborted(signal))
        return
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      w.postMessage({ id, filter: program, input })
    })
  })
  // The next call waits for this one, whatever its outcome.
  queue = turn.catch(() => undefined)
  return await turn
}

function aborted(signal: AbortSignal): AppError {
  const reason: unknown = signal.reason
  if (reason instanceof AppError) return reason
  return new AppError('EXECUTION_ERROR', 'jq run aborted', { details: { engine: ENGINE } })
}

/** Stops the worker (tests and shutdown); the next call starts a new one. */
export function shutdownJq(): void {
  if (worker !== undefined) stopWorker(worker)
}

// ---------------------------------------------------------------------------------------------
// Public API

function checkFilter(filter: string): void {
  if (typeof filter !== 'string' || filter.trim() === '') {
    throw new AppError('VALIDATION_ERROR', 'empty jq filter', {
      details: { engine: ENGINE, position: 0, line: 1, column: 1 },
    })
  }
  if (filter.length > JQ_MAX_FILTER) {
    throw new AppError(
      'VALIDATION_ERROR',
      `jq filter is too long (${filter.length} characters, limit ${JQ_MAX_FILTER})`,
      { details: { engine: ENGINE, position: JQ_MAX_FILTER } },
    )
  }
}

/**
 * Runs `filter` on `input` (any JSON value). One output → that value, several → an array of
 * them, none → null.
 */
export async function evalJq(
  filter: string,
  input: unknown,
  options: JqOptions = {},
): Promise<unknown> {
  checkFilter(filter)
  let text: string | undefined
  try {
    text = JSON.stringify(input === undefined ? null : input)
  } catch (err) {
    throw new AppError('EXECUTION_ERROR', `jq input is not JSON: ${(err as Error).message}`, {
      details: { engine: ENGINE },
      cause: err,
    })
  }
  if (text.length > JQ_MAX_INPUT) {
    throw new AppError(
      'EXECUTION_ERROR',
      `jq input is too large (${text.length} characters of JSON, limit ${JQ_MAX_INPUT})`,
      { details: { engine: ENGINE } },
    )
  }
  const r = await runInWorker(RUN_PREFIX + filter, text, options)
  if (r.exitCode !== 0 && r.stderr !== '') throw jqError(filter, r)
  return collect(r.stdout)
}

/** Compile-only check of a jq filter (runs nothing on data). */
export async function checkJq(
  filter: string,
  options: JqOptions = {},
): Promise<{ ok: true } | { ok: false; message: string; position?: number }> {
  try {
    await compileJq(filter, options)
    return { ok: true }
  } catch (err) {
    const e = err as AppError
    if (e.code !== 'VALIDATION_ERROR') throw err
    const position = (e.details as { position?: number } | undefined)?.position
    return position === undefined
      ? { ok: false, message: e.message }
      : { ok: false, message: e.message, position }
  }
}

/** Compiles `filter` without running it; throws VALIDATION_ERROR with the position of the problem. */
export async function compileJq(filter: string, options: JqOptions = {}): Promise<void> {
  checkFilter(filter)
  const r = await runInWorker(RUN_PREFIX + filter, CHECK_INPUT, options)
  if (r.exitCode === 3) throw jqError(filter, r)
}

function collect(stdout: string): unknown {
  if (stdout === '') return null
  const values: unknown[] = []
  let start = 0
  while (start < stdout.length) {
    let end = stdout.indexOf('\n', start)
    if (end === -1) end = stdout.length
    const line = stdout.slice(start, end)
    start = end + 1
    if (line !== '') values.push(JSON.parse(line))
  }
  if (values.length === 0) return null
  return values.length === 1 ? values[0] : values
}

const LOCATION = /at <top-level>, line (\d+), column (\d+)/

/** Turns jq's stderr into a VALIDATION_ERROR (exit 3: compile) or an EXECUTION_ERROR. */
function jqError(filter: string, r: JqRaw): AppError {
  const lines = r.stderr.split('\n')
  if (r.exitCode === 3) {
    const errors = lines
      .filter((l) => l.startsWith('jq: error: '))
      .map((l) =>
        l
          .slice('jq: error: '.length)
          .replace(/:$/, '')
          .replace(/line (\d+)/, (_, n: string) => `line ${Number(n) - 1}`),
      )
    const message = errors.length > 0 ? errors.join('; ') : lines[0] || 'compile error'
    const m = LOCATION.exec(errors[0] ?? '')
    const details: Record<string, unknown> = { engine: ENGINE, filter }
    if (m !== null) {
      const line = Number(m[1])
      const column = Number(m[2])
      details.line = line
      details.column = column
      details.position = offsetOf(filter, line, column)
    }
    return new AppError('VALIDATION_ERROR', `invalid jq filter: ${message}`, { details })
  }
  const message = lines
    .filter((l) => l.trim() !== '')
    .map((l) => l.replace(/^jq: error \(at [^)]*\): /, '').replace(/^jq: /, ''))
    .join('; ')
  return new AppError('EXECUTION_ERROR', `jq error: ${message}`, {
    details: { engine: ENGINE, exit_code: r.exitCode },
  })
}

function offsetOf(src: string, line: number, column: number): number {
  let offset = 0
  for (let l = 1; l < line; l++) {
    const nl = src.indexOf('\n', offset)
    if (nl === -1) return src.length
    offset = nl + 1
  }
  return Math.min(src.length, offset + Math.max(0, column - 1))
}
