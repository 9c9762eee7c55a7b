/**
 * The level walk of a live run (spec workflow.md §7.2, §7.10–7.11, §8.1 with A2, A11, A14, A18,
 * A20): dispatch each level's steps concurrently, stop on the first failure, suspend when a step
 * waits, then finish — and commit before anything is reported.
 */
import { AppError, toAppError } from '../errors.ts'
import type { ExecutionResult } from '../schema/run.ts'
import { Cancel } from './cancel.ts'
import type { Core, Outcome } from './core.ts'
import { skipOpenSteps } from './flow.ts'
import { buildResult } from './result.ts'
import type { Run } from './run.ts'
import { executeStep, topFrame } from './step.ts'

interface LevelWalk {
  failure?: AppError
  suspended: boolean
}

/** Walks the run until it suspends or ends; resolves once that is durable and reported. */
export async function walk(core: Core, run: Run): Promise<void> {
  core.hold(run)
  run.live = true
  try {
    for (;;) {
      run.wake = false
      if (run.cancel.aborted) run.cancel = new Cancel()
      run.stop = undefined
      armDeadline(core, run)
      let pendingWalk = walkLevels(core, run)
      if (pendingWalk instanceof Promise) pendingWalk = await pendingWalk
      const res: LevelWalk = pendingWalk
      disarmDeadline(run)
      if (run.final) return
      if (run.stop === 'timeout') {
        await onTimeout(core, run)
        if (run.wake && !run.final && run.state.status === 'suspended') {
          resumeEvents(core, run, 'signal')
          continue
        }
        return
      }
      if (run.stop === 'cancelled') return
      if (res.failure !== undefined) {
        await finishFailed(core, run, res.failure)
        return
      }
      if (res.suspended) {
        if (run.wake) continue
        await suspend(core, run, 'waiting')
        if (run.wake) {
          // A signal landed while the suspension was being committed: go on at once.
          resumeEvents(core, run, 'signal')
          continue
        }
        return
      }
      await finishCompleted(core, run)
      return
    }
  } catch (err) {
    const e = toAppError(err, 'INTERNAL_ERROR')
    core.deps.logger.error('workflow run stopped by an internal failure', {
      workflow_id: run.id,
      error: e.toString(),
    })
    run.settle({ ...buildResult(run.state), error: e.toJSON() })
  } finally {
    disarmDeadline(run)
    run.live = false
    core.release(run)
  }
}

/** Events of a resume from suspension (§12.2: `workflow_started` then `workflow_resumed`). */
export function resumeEvents(
  core: Core,
  run: Run,
  reason: string,
  extra?: Record<string, unknown>,
): void {
  core.emit(run, 'workflow_started', undefined, { resumed: true })
  core.emit(run, 'workflow_resumed', undefined, { reason, ...extra })
}

/**
 * Walks the levels in order. Outcomes that arrive synchronously are recorded at once; the walk
 * awaits only levels that have steps still running.
 */
function walkLevels(
  core: Core,
  run: Run,
  from = 0,
  res: LevelWalk = { suspended: false },
): LevelWalk | Promise<LevelWalk> {
  const frame = topFrame(run)
  const { plan } = run
  const steps = run.state.steps
  const levels = plan.levels
  for (let li = from; li < levels.length; li++) {
    if (run.final || run.stop !== undefined) break
    let pending: Array<Promise<Outcome>> | undefined
    for (const id of levels[li] as string[]) {
      if (plan.fallbackTargets.has(id)) continue
      const st = steps.get(id)
      if (st !== undefined && (st.status === 'completed' || st.status === 'skipped')) continue
      const step = plan.byId.get(id)
      if (step === undefined) continue
      const o = executeStep(core, run, step, id, frame)
      if (o instanceof Promise) {
        // The first failure *received* becomes the workflow error (§7.2 step 5).
        o.then((out) => record(res, out), noop)
        if (pending === undefined) pending = [o]
        else pending.push(o)
      } else record(res, o)
    }
    if (pending !== undefined) {
      return Promise.all(pending).then(() =>
        res.failure !== undefined || res.suspended ? res : walkLevels(core, run, li + 1, res),
      )
    }
    if (res.failure !== undefined || res.suspended) break
  }
  return res
}

function record(res: LevelWalk, o: Outcome): void {
  if (o.kind === 'failed' && res.failure === undefined) res.failure = o.error
  else if (o.kind === 'suspended') res.suspended = true
}

function noop(): void {}

// ---------------------------------------------------------------------------------------------
// Deadline (A14: active time only)

function armDeadline(core: Core, run: Run): void {
  const total = run.plan.timeoutMs
  if (total === undefined) return
  const remaining = total - run.state.activeMs
  const fire = (): void => {
    run.deadlineTimer = undefined
    if (run.final || run.stop !== undefined) return
    run.stop = 'timeout'
    run.cancel.abort(new AppError('TIMEOUT_ERROR', 'workflow timed out'))
  }
  run.deadline = core.now() + Math.max(0, remaining)
  if (remaining <= 0) fire()
  else run.deadlineTimer = core.deps.clock.setTimer(remaining, fire)
}

function disarmDeadline(run: Run): void {
  run.deadlineTimer?.cancel()
  run.deadlineTimer = undefined
}

async function onTimeout(core: Core, run: Run): Promise<void> {
  core.emit(run, 'workflow_timed_out')
  const mode = run.meta.definition.on_timeout ?? 'fail'
  if (mode === 'suspend') {
    // A14: steps cut short by the deadline go back to pending and run again on resume.
    for (const [key, st] of run.state.steps) {
      if (st.status === 'running' || st.status === 'scheduled')
        core.emit(run, 'step_interrupted', key, { reason: 'timeout' })
    }
    await suspend(core, run, 'timeout')
    return
  }
  if (mode === 'cancel') {
    await finishCancelled(core, run, 'workflow timed out')
    return
  }
  const err = new AppError('TIMEOUT_ERROR', 'workflow timed out')
  for (const [key, st] of run.state.steps) {
    if (st.status === 'running' || st.status === 'retrying') {
      core.emit(run, 'step_failed', key, {
        error: { code: 'TIMEOUT_ERROR', message: 'workflow timed out' },
      })
    }
  }
  await finishFailed(core, run, err, 'workflow_ended')
}

// ---------------------------------------------------------------------------------------------
// Ends

/** Sinks that completed, keyed by step id (A2). */
function workflowOutput(run: Run): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const id of run.plan.sinks) {
    const st = run.state.steps.get(id)
    if (st?.status === 'completed') out[id] = st.hasOutput ? st.output : null
  }
  return out
}

async function finishCompleted(core: Core, run: Run): Promise<void> {
  skipOpenSteps(core, run, '', 'workflow_ended')
  await runHook(core, run, 'on_complete')
  const output = workflowOutput(run)
  core.emit(run, 'workflow_completed', undefined, { output })
  await seal(core, run)
}

export async function finishFailed(
  core: Core,
  run: Run,
  error: AppError,
  reason: 'upstream_failed' | 'workflow_ended' = 'upstream_failed',
): Promise<void> {
  skipOpenSteps(core, run, '', reason)
  await runHook(core, run, 'on_error')
  const e = core.redactError(run, error)
  core.emit(run, 'workflow_failed', undefined, { error: e.toJSON() })
  await seal(core, run)
}

/** A11: cancellation is final; open steps are skipped and pending decisions cancelled. */
export async function finishCancelled(
  core: Core,
  run: Run,
  reason: string,
  by?: string,
): Promise<void> {
  skipOpenSteps(core, run, '', 'workflow_ended')
  core.emit(run, 'workflow_cancelled', undefined, {
    reason,
    ...(by === undefined ? {} : { cancelled_by: by }),
    error: { code: 'CANCELLED', message: `workflow cancelled: ${reason}` },
  })
  run.stop = 'cancelled'
  run.cancel.abort(new AppError('CANCELLED', `workflow cancelled: ${reason}`))
  await seal(core, run)
}

/** Marks the run final, commits, then reports to whoever waits. */
async function seal(core: Core, run: Run): Promise<void> {
  run.final = true
  await core.journal.flush()
  const result = buildResult(run.state)
  run.settle(result)
  core.hooks.settled(run, result)
}

async function suspend(core: Core, run: Run, reason: string): Promise<void> {
  let wakeAt: number | undefined
  for (const st of run.state.steps.values()) {
    if (st.status === 'suspended' && st.suspendReason === 'wait' && st.waitWakeAt !== undefined) {
      if (wakeAt === undefined || st.waitWakeAt < wakeAt) wakeAt = st.waitWakeAt
    }
  }
  core.emit(run, 'workflow_suspended', undefined, {
    reason,
    ...(wakeAt === undefined ? {} : { wake_at: wakeAt }),
  })
  await core.journal.flush()
  if (wakeAt !== undefined) core.hooks.armWake(run.id, wakeAt)
  const result: ExecutionResult = buildResult(run.state)
  run.settle(result)
  core.hooks.settled(run, result)
}

/** A20: `on_complete` / `on_error` run under their own keys; their outcome never changes the status. */
async function runHook(core: Core, run: Run, which: 'on_complete' | 'on_error'): Promise<void> {
  const step = run.meta.definition[which]
  if (step === undefined) return
  const st = run.state.steps.get(which)
  if (
    st !== undefined &&
    (st.status === 'completed' || st.status === 'failed' || st.status === 'skipped')
  )
    return
  const saved = run.stop
  run.stop = undefined
  if (run.cancel.aborted) run.cancel = new Cancel()
  try {
    const o = await executeStep(core, run, step, which, topFrame(run))
    if (o.kind === 'suspended') skipOpenSteps(core, run, which, 'workflow_ended')
  } catch (err) {
    core.deps.logger.warn('workflow hook failed', {
      workflow_id: run.id,
      hook: which,
      error: String(err),
    })
  } finally {
    run.stop = saved
  }
}
