/**
 * Executing one step, whatever its type (spec workflow.md §7.3 and §6.3 with A1, A9, A10, A15,
 * A19, D6/D21): guard, attempts with a fresh deadline each, retries with durable backoff,
 * `on_error` handling, and the action attempt itself (breaker, params, pool slot, flush before
 * side effects).
 */
import { AppError, toAppError } from '../errors.ts'
import { parseDuration } from '../schema/duration.ts'
import { TERMINAL_STEP } from '../schema/run.ts'
import type { Step } from '../schema/workflow.ts'
import type { Cancel } from './cancel.ts'
import {
  type Attempt,
  type AttemptFn,
  ChildSuspended,
  type Core,
  type Frame,
  type Outcome,
  SUSPENDED,
} from './core.ts'
import type { Action, ActionContext, WorkflowServices } from './ports.ts'
import { type StepRuntime, stepOf } from './reduce.ts'
import { backoffDelay, innerObject, isRetryable, wrapStepFailure } from './retry.ts'
import type { Run } from './run.ts'
import { actionScope, celScope, interpolationScope } from './scope.ts'

const stepTimeouts = new WeakMap<Step, number>()

/** The step's own deadline in ms, or 0 (unparsable or ≤ 0 = none, as the reference). */
function stepTimeoutMs(step: Step): number {
  let ms = stepTimeouts.get(step)
  if (ms === undefined) {
    const parsed = step.timeout === undefined ? undefined : parseDuration(step.timeout)
    ms = parsed !== undefined && parsed > 0 ? parsed : 0
    stepTimeouts.set(step, ms)
  }
  return ms
}

const COMPLETED_NO_OUTPUT: Outcome = { kind: 'completed', output: undefined, hasOutput: false }
const SKIPPED: Outcome = { kind: 'skipped' }
const ABORTED: Outcome = { kind: 'aborted' }
const SUSPENDED_OUTCOME: Outcome = { kind: 'suspended' }

function stopped(run: Run, frame: Frame): boolean {
  return run.final || run.stop !== undefined || frame.cancel.aborted
}

/**
 * Runs a step to an outcome; terminal steps (seen on resume) are reported, never re-run. A step
 * already executing (a fallback named by two steps that fail together) is joined, not run twice.
 * A step that completes synchronously (a pure, synchronous action) returns its outcome without a
 * promise, so chains of such steps cost no event-loop turns.
 */
export function executeStep(
  core: Core,
  run: Run,
  step: Step,
  key: string,
  frame: Frame,
): Outcome | Promise<Outcome> {
  if (!run.plan.fallbackTargets.has(key)) return execute(core, run, step, key, frame)
  const running = run.inflight.get(key)
  if (running !== undefined) return running
  const p = Promise.resolve(execute(core, run, step, key, frame))
  run.inflight.set(key, p)
  void p.finally(() => run.inflight.delete(key))
  return p
}

function execute(
  core: Core,
  run: Run,
  step: Step,
  key: string,
  frame: Frame,
): Outcome | Promise<Outcome> {
  const st = stepOf(run.state, key)
  if (TERMINAL_STEP.has(st.status)) return replayedOutcome(core, run, step, st, frame)
  if (stopped(run, frame)) return ABORTED

  // A1: the guard is evaluated once, just before the step would first start.
  if (
    step.condition !== undefined &&
    st.status === 'pending' &&
    st.attempt === 0 &&
    step.condition.trim() !== ''
  ) {
    let pass: unknown
    let error: AppError | undefined
    try {
      pass = core.deps.expressions.cel(unwrapGuard(step.condition), celScope(run, frame))
    } catch (err) {
      error = new AppError('EXECUTION_ERROR', `guard of step ${key}: ${toAppError(err).message}`, {
        stepId: key,
      })
    }
    if (error === undefined && pass === false) {
      core.emit(run, 'step_skipped', key, { reason: 'guard_false' })
      return SKIPPED
    }
    if (error === undefined && pass !== true) {
      error = new AppError(
        'EXECUTION_ERROR',
        `guard of step ${key} must evaluate to a bool, got ${typeName(pass)}`,
        {
          stepId: key,
        },
      )
    }
    if (error !== undefined) {
      core.emit(run, 'step_started', key, { attempt: 1 })
      return handleFailure(core, run, step, key, frame, st, error)
    }
  }
  return attempts(core, run, step, key, frame, st)
}

const RETRY = Symbol('retry')

/** The attempt loop (§6.3): each pass is one attempt; retries loop, everything else returns. */
function attempts(
  core: Core,
  run: Run,
  step: Step,
  key: string,
  frame: Frame,
  st: StepRuntime,
  holding = false,
): Outcome | Promise<Outcome> {
  const isAction = (step.type || 'action') === 'action'
  let held = holding
  for (;;) {
    if (st.status === 'retrying' && (st.retryAt ?? 0) > core.now()) {
      if (held) core.pool.release()
      return backoffThen(core, run, step, key, frame, st)
    }
    if (stopped(run, frame)) {
      if (held) core.pool.release()
      return ABORTED
    }
    let attempt: number
    if (st.status === 'retrying') attempt = st.attempt + 1
    else if (st.status === 'suspended') attempt = st.attempt
    else if (st.status === 'pending' && st.interruptions > 0) attempt = st.attempt
    else attempt = st.attempt + 1

    // D21: only actions can take the process down; flow steps just contain the ones that did.
    if (isAction && st.interruptions >= core.options.maxInterruptions && st.status === 'pending') {
      if (held) core.pool.release()
      core.emit(run, 'step_started', key, { attempt })
      const e = new AppError(
        'INTERRUPTED',
        `step ${key} was interrupted by ${st.interruptions} process crashes in a row; not running it again`,
        { stepId: key },
      )
      return handleFailure(core, run, step, key, frame, st, e)
    }
    if (isAction) {
      if (!held && !core.pool.tryAcquire()) return slotThen(core, run, step, key, frame, st)
      held = false
      st.slot = { holdsSlot: true }
    }
    core.emit(run, 'step_started', key, { attempt })
    const pending = attemptWithDeadline(core, run, step, key, frame, st)
    if (pending instanceof Promise) {
      return pending.then((result) => {
        const next = afterAttempt(core, run, step, key, frame, st, result)
        return next === RETRY ? attempts(core, run, step, key, frame, st) : next
      })
    }
    const next = afterAttempt(core, run, step, key, frame, st, pending)
    if (next !== RETRY) return next
  }
}

/** D5: the backoff is durable — a crash now resumes the wait with the time left. */
async function backoffThen(
  core: Core,
  run: Run,
  step: Step,
  key: string,
  frame: Frame,
  st: StepRuntime,
): Promise<Outcome> {
  await core.journal.flush()
  const ok = await core.sleep((st.retryAt ?? 0) - core.now(), frame.cancel)
  if (!ok || stopped(run, frame)) return ABORTED
  st.retryAt = 0
  return attempts(core, run, step, key, frame, st)
}

/** D12: wait for a pool slot — a step counts as running only once it holds one. */
async function slotThen(
  core: Core,
  run: Run,
  step: Step,
  key: string,
  frame: Frame,
  st: StepRuntime,
): Promise<Outcome> {
  await core.pool.acquire()
  return attempts(core, run, step, key, frame, st, true)
}

/** What follows one attempt: completion, a retry (RETRY), or the failure handling. */
function afterAttempt(
  core: Core,
  run: Run,
  step: Step,
  key: string,
  frame: Frame,
  st: StepRuntime,
  result: Attempt,
): Outcome | Promise<Outcome> | typeof RETRY {
  releaseSlot(core, st)
  if (run.final) return ABORTED
  if ('suspended' in result) return SUSPENDED_OUTCOME
  if (result.ok) return complete(core, run, key, st, result.output, result.hasOutput)
  if (run.stop !== undefined || (frame.cancel.aborted && !isTimeout(result.error))) return ABORTED

  const error = core.redactError(run, result.error)
  const retry = step.retry
  if (retry !== undefined && isRetryable(error) && st.retryCount < retry.max) {
    const delay = backoffDelay(retry, st.retryCount)
    const inner = innerObject(error)
    core.emit(run, 'step_retry_attempt', key, {
      step_id: key,
      attempt: st.retryCount + 1,
      max_attempts: retry.max,
      error: inner,
      retryable: true,
    })
    core.emit(run, 'step_retrying', key, {
      attempt: st.attempt,
      delay_ms: delay,
      retry_at: core.now() + delay,
      error: inner,
    })
    return RETRY
  }
  return handleFailure(core, run, step, key, frame, st, error)
}

function isTimeout(err: AppError): boolean {
  return err.code === 'TIMEOUT_ERROR'
}

/** Outcome of a step that was already terminal (on resume). */
function replayedOutcome(
  core: Core,
  run: Run,
  step: Step,
  st: StepRuntime,
  frame: Frame,
): Outcome | Promise<Outcome> {
  if (st.status === 'completed')
    return { kind: 'completed', output: st.output, hasOutput: st.hasOutput }
  if (st.status === 'skipped') return SKIPPED
  // failed: either its fallback took its slot, or the failure stands.
  const fb = step.on_error
  if (fb?.strategy === 'fallback_step' && fb.fallback_step) {
    const target = run.plan.byId.get(fb.fallback_step)
    if (target !== undefined) return executeStep(core, run, target, target.id, topFrame(run))
  }
  const inner = new AppError(
    (st.error?.code as AppError['code']) ?? 'STEP_FAILED',
    st.error?.message ?? 'step failed',
    {
      stepId: st.key,
    },
  )
  void frame
  return { kind: 'failed', error: wrapStepFailure(st.key, inner, step.retry, st.retryCount + 1) }
}

export function topFrame(run: Run): Frame {
  return { cancel: run.cancel }
}

function complete(
  core: Core,
  run: Run,
  key: string,
  st: StepRuntime,
  output: unknown,
  hasOutput: boolean,
): Outcome {
  if (!hasOutput) {
    core.emit(run, 'step_completed', key, {})
    return COMPLETED_NO_OUTPUT
  }
  let value = core.redact(run, output)
  let json: string | undefined
  try {
    json = JSON.stringify(value)
  } catch (err) {
    return failNotJson(core, run, key, st, (err as Error).message)
  }
  if (json === undefined) {
    // A function or symbol at the top: no JSON form — the step has no usable output.
    return failNotJson(core, run, key, st, `output of type ${typeof value} has no JSON form`)
  }
  // Live runs see exactly what a resumed run will read back from the log.
  if (value !== null && typeof value === 'object') value = JSON.parse(json)
  core.emit(run, 'step_completed', key, { output: value }, `{"output":${json}}`)
  return { kind: 'completed', output: value, hasOutput: true }
}

function failNotJson(core: Core, run: Run, key: string, st: StepRuntime, why: string): Outcome {
  const inner = new AppError(
    'EXECUTION_ERROR',
    `step ${key} returned an output that is not JSON: ${why}`,
    { stepId: key },
  )
  core.emit(run, 'step_failed', key, { error: innerObject(inner) })
  void st
  return { kind: 'failed', error: wrapStepFailure(key, inner, undefined, 1) }
}

/** §6.3 steps 2–3: `on_error` strategies, else the step fails and so does the workflow. */
function handleFailure(
  core: Core,
  run: Run,
  step: Step,
  key: string,
  frame: Frame,
  st: StepRuntime,
  error: AppError,
): Outcome | Promise<Outcome> {
  const inner = innerObject(error)
  const handler = step.on_error
  if (handler !== undefined) {
    const info = {
      strategy: handler.strategy,
      step_id: key,
      error: inner,
      fallback: handler.fallback_step ?? null,
    }
    if (handler.strategy === 'ignore') {
      core.emit(run, 'error_handler_invoked', key, info)
      core.emit(run, 'step_ignored', key, info)
      core.emit(run, 'step_completed', key, {})
      return COMPLETED_NO_OUTPUT
    }
    if (handler.strategy === 'fallback_step' && handler.fallback_step) {
      core.emit(run, 'error_handler_invoked', key, info)
      const target = run.plan.byId.get(handler.fallback_step)
      core.emit(run, 'step_fallback', key, {
        original_step: key,
        fallback_step: handler.fallback_step,
        original_error: inner,
      })
      core.emit(run, 'step_failed', key, { error: inner })
      if (target === undefined) {
        const nf = new AppError(
          'NOT_FOUND',
          `fallback step "${handler.fallback_step}" of step ${key} does not exist`,
          {
            stepId: key,
          },
        )
        return { kind: 'failed', error: nf }
      }
      return executeStep(core, run, target, target.id, topFrame(run))
    }
    // fail_workflow, retry (unhandled after the retry policy — D21), unknown: fall through.
    core.emit(run, 'error_handler_invoked', key, info)
  }
  core.emit(run, 'step_failed', key, { error: inner })
  void frame
  return { kind: 'failed', error: wrapStepFailure(key, error, step.retry, st.retryCount + 1) }
}

/** One attempt by type, with the step's own deadline (fresh for every attempt — A9). */
function attemptWithDeadline(
  core: Core,
  run: Run,
  step: Step,
  key: string,
  frame: Frame,
  st: StepRuntime,
): Attempt | Promise<Attempt> {
  const type = step.type || 'action' // spec §4: an empty type is an action
  const fn = core.attempts[type]
  if (fn === undefined) {
    return {
      ok: false,
      error: new AppError('VALIDATION_ERROR', `unknown step type "${type}"`, { stepId: key }),
    }
  }
  const ms = stepTimeoutMs(step)
  if (ms === 0) {
    try {
      const r = fn(core, run, step, key, frame, st)
      return r instanceof Promise ? r.then(undefined, failedAttempt) : r
    } catch (err) {
      return failedAttempt(err)
    }
  }
  return attemptTimed(core, run, step, key, frame, st, fn, ms)
}

function failedAttempt(err: unknown): Attempt {
  return { ok: false, error: toAppError(err) }
}

async function attemptTimed(
  core: Core,
  run: Run,
  step: Step,
  key: string,
  frame: Frame,
  st: StepRuntime,
  fn: AttemptFn,
  ms: number,
): Promise<Attempt> {
  const { cancel: ac, dispose } = frame.cancel.child()
  let timedOut = false
  const timer = core.deps.clock.setTimer(ms, () => {
    timedOut = true
    ac.abort(new AppError('TIMEOUT_ERROR', `step ${key} timed out`, { stepId: key }))
  })
  const inner: Frame = { ...frame, cancel: ac }
  try {
    const result = await raceAbort(
      Promise.resolve().then(() => fn(core, run, step, key, inner, st)),
      ac,
    )
    if (timedOut && 'ok' in result && !result.ok) {
      return {
        ok: false,
        error: new AppError('TIMEOUT_ERROR', `step ${key} timed out`, { stepId: key }),
      }
    }
    return result
  } catch (err) {
    if (timedOut)
      return {
        ok: false,
        error: new AppError('TIMEOUT_ERROR', `step ${key} timed out`, { stepId: key }),
      }
    return { ok: false, error: toAppError(err) }
  } finally {
    timer.cancel()
    dispose()
  }
}

/** Settles with `p`, or rejects with the token's reason when it aborts first. */
export function raceAbort<T>(p: Promise<T>, cancel: Cancel): Promise<T> {
  if (cancel.aborted) {
    p.catch(() => {}) // the loser's late rejection must not surface as unhandled
    return Promise.reject(abortReason(cancel))
  }
  return new Promise<T>((resolve, reject) => {
    const off = cancel.onAbort(() => {
      p.catch(() => {})
      reject(abortReason(cancel))
    })
    p.then(
      (v) => {
        off()
        resolve(v)
      },
      (e: unknown) => {
        off()
        reject(e)
      },
    )
  })
}

function abortReason(cancel: Cancel): AppError {
  const r = cancel.reason
  if (r instanceof AppError) return r
  return new AppError('CANCELLED', 'cancelled', { cause: r })
}

// ---------------------------------------------------------------------------------------------
// Action steps (§7.4 with A5, A16, A19)

export function attemptAction(
  core: Core,
  run: Run,
  step: Step,
  key: string,
  frame: Frame,
  st: StepRuntime,
): Attempt | Promise<Attempt> {
  const name = step.action ?? ''
  const { breakers, deps } = core
  try {
    core.emitBreaker(run, key, breakers.admit(name, core.now()))
  } catch (err) {
    return { ok: false, error: toAppError(err) }
  }
  const action = deps.actions.get(name)
  if (action === undefined) {
    breakers.release(name)
    return {
      ok: false,
      error: new AppError('ACTION_UNAVAILABLE', `action "${name}" is not registered`, {
        stepId: key,
        details: { action: name },
      }),
    }
  }
  let params: Record<string, unknown>
  if (step.params === undefined || step.params === null) {
    params = {}
  } else {
    let resolved: unknown
    try {
      resolved = deps.expressions.interpolate(step.params, interpolationScope(core, run, frame))
    } catch (err) {
      breakers.release(name)
      const e = toAppError(err, 'INTERPOLATION_ERROR')
      return {
        ok: false,
        error: new AppError(
          e.code,
          `interpolation failed for step action "${name}": ${e.message}`,
          {
            stepId: key,
            ...(e.details === undefined ? {} : { details: e.details }),
            cause: e,
          },
        ),
      }
    }
    if (resolved === null || resolved === undefined) params = {}
    else if (typeof resolved === 'object' && !Array.isArray(resolved))
      params = resolved as Record<string, unknown>
    else {
      breakers.release(name)
      return {
        ok: false,
        error: new AppError(
          'VALIDATION_ERROR',
          `params of step ${key} must be an object, got ${typeName(resolved)}`,
          { stepId: key },
        ),
      }
    }
  }
  const issues = deps.actions.check(action, params)
  if (issues.length > 0) {
    const errors = issues.filter((i) => i.severity === 'error')
    if (errors.length > 0) {
      breakers.release(name)
      const first = errors[0] as (typeof errors)[number]
      const message =
        errors.length === 1
          ? `invalid params for ${name}: ${first.path || '/'}: ${first.message}`
          : `invalid params for ${name}: ${errors.length} problems, first ${first.path || '/'}: ${first.message}`
      return {
        ok: false,
        error: new AppError('VALIDATION_ERROR', message, { stepId: key, issues: errors }),
      }
    }
  }
  // durability.md: a side effect starts only once its step_started is durable.
  if (!action.pure) {
    return core.journal
      .flush()
      .then(() => invokeAction(core, run, step, key, frame, st, action, params))
  }
  return invokeAction(core, run, step, key, frame, st, action, params)
}

function invokeAction(
  core: Core,
  run: Run,
  step: Step,
  key: string,
  frame: Frame,
  st: StepRuntime,
  action: Action,
  params: Record<string, unknown>,
): Attempt | Promise<Attempt> {
  const name = action.name
  if (frame.cancel.aborted || run.stop !== undefined) {
    core.breakers.release(name)
    return { ok: false, error: abortReason(frame.cancel) }
  }
  const ctx = new StepActionContext(core, run, step, key, frame, st)
  let r: unknown
  try {
    r = action.execute(params, ctx)
  } catch (err) {
    return actionFailed(core, run, key, frame, st, name, err)
  }
  if (isThenable(r)) {
    return raceAbort(Promise.resolve(r), frame.cancel).then(
      (output) => actionDone(core, run, key, st, name, output),
      (err: unknown) => actionFailed(core, run, key, frame, st, name, err),
    )
  }
  return actionDone(core, run, key, st, name, r)
}

function actionDone(
  core: Core,
  run: Run,
  key: string,
  st: StepRuntime,
  name: string,
  output: unknown,
): Attempt {
  releaseSlot(core, st)
  core.emitBreaker(run, key, core.breakers.success(name))
  return { ok: true, output, hasOutput: output !== undefined }
}

function actionFailed(
  core: Core,
  run: Run,
  key: string,
  frame: Frame,
  st: StepRuntime,
  name: string,
  err: unknown,
): Attempt {
  releaseSlot(core, st)
  if (err instanceof ChildSuspended) {
    core.breakers.release(name)
    core.emit(run, 'step_suspended', key, { reason: 'child', child_workflow_id: err.childId })
    return SUSPENDED
  }
  const e = toAppError(err)
  if (!frame.cancel.aborted) core.emitBreaker(run, key, core.breakers.failure(name, core.now()))
  return { ok: false, error: e.stepId === undefined ? withStep(e, key) : e }
}

function withStep(e: AppError, key: string): AppError {
  return new AppError(e.code, e.message, {
    stepId: key,
    ...(e.details === undefined ? {} : { details: e.details }),
    ...(e.issues === undefined ? {} : { issues: e.issues }),
    cause: e.cause ?? e,
  })
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function'
}

export function typeName(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'list'
  return typeof v
}

/** A1: a guard written as `${{ expr }}` is unwrapped first. */
export function unwrapGuard(text: string): string {
  const t = text.trim()
  if (t.startsWith('${{') && t.endsWith('}}')) return t.slice(3, -2).trim()
  return t
}

/** Gives back the pool slot of the step's current attempt, if it still holds one. */
function releaseSlot(core: Core, st: StepRuntime): void {
  const slot = st.slot
  if (slot === undefined) return
  st.slot = undefined
  if (slot.holdsSlot) {
    slot.holdsSlot = false
    core.pool.release()
  }
}

/** The ActionContext of one attempt; `scope` is built only if the action reads it. */
class StepActionContext implements ActionContext {
  private scopeCache?: Record<string, unknown>
  private servicesCache?: WorkflowServices
  /** Fixed at the start of the attempt (later events may change the step's state). */
  readonly attempt: number

  constructor(
    private readonly core: Core,
    private readonly run: Run,
    private readonly step: Step,
    readonly stepId: string,
    private readonly frame: Frame,
    private readonly st: StepRuntime,
  ) {
    this.attempt = st.attempt
  }

  get workflowId(): string {
    return this.run.id
  }

  get agentId(): string {
    return this.run.meta.agentId
  }

  get idempotencyKey(): string {
    return `${this.run.id}:${this.stepId}`
  }

  get limits(): ActionContext['limits'] {
    return this.step.limits
  }

  /** A real AbortSignal, made only for actions that read it. */
  get signal(): AbortSignal {
    return this.frame.cancel.signal
  }

  get scope(): Record<string, unknown> {
    if (this.scopeCache === undefined)
      this.scopeCache = actionScope(this.run, this.frame, this.stepId)
    return this.scopeCache
  }

  get services(): WorkflowServices {
    if (this.servicesCache === undefined) {
      this.servicesCache = this.core.services(
        this.run,
        this.stepId,
        this.st,
        this.st.slot ?? { holdsSlot: false },
      )
    }
    return this.servicesCache
  }

  get log(): ActionContext['log'] {
    return this.core.deps.logger
  }
}
