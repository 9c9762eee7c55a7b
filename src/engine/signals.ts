/**
 * Signals (decisions.md D4 and D21, spec workflow.md §8.3 with A12, A13, A25): decision, data,
 * cancel, skip and retry. A signal is checked against the run's state, written as events, applied
 * once (optional `signal_id`), then the run is resumed or woken. A rejected signal changes nothing.
 */
import { AppError } from '../errors.ts'
import type { ExecutionResult, Signal } from '../schema/run.ts'
import type { WaitConfig } from '../schema/workflow.ts'
import type { Core } from './core.ts'
import type { ContextRow, DecisionRow } from './ports.ts'
import { type Run, stepForKey } from './run.ts'

export interface SignalResult {
  ok: true
  workflow_id: string
  signal_type: string
  step_id?: string
  /** True when the signal resumed or woke the workflow. */
  resumed: boolean
  /** Settles when the resumed workflow suspends or ends (not serialised). */
  settled?: Promise<ExecutionResult>
}

/** What signal handling needs from the engine. */
export interface SignalHost {
  readonly core: Core
  resumeRun(run: Run, reason: string, extra?: Record<string, unknown>): Promise<ExecutionResult>
  cancelRun(run: Run, reason: string, by?: string): Promise<ExecutionResult>
  updateContext(
    run: Run,
    patch: { accumulated_data?: Record<string, unknown> },
  ): Promise<ContextRow>
}

const TERMINAL = new Set(['completed', 'failed', 'cancelled'])

function conflict(run: Run, message: string): AppError {
  return new AppError('CONFLICT', message, {
    details: { workflow_id: run.id, status: run.state.status },
  })
}

export async function applySignal(
  host: SignalHost,
  run: Run,
  signal: Signal,
): Promise<SignalResult> {
  const { core } = host
  if (signal.signal_id !== undefined && run.state.signalIds.has(signal.signal_id)) {
    return { ok: true, workflow_id: run.id, signal_type: signal.type, resumed: false }
  }
  const status = run.state.status
  const stepId = signal.step_id
  const received = (extra?: Record<string, unknown>): void => {
    core.emit(run, 'signal_received', stepId, { ...signalPayload(signal), ...extra })
  }
  let result: SignalResult = {
    ok: true,
    workflow_id: run.id,
    signal_type: signal.type,
    resumed: false,
  }
  if (stepId !== undefined) result.step_id = stepId

  switch (signal.type) {
    case 'decision': {
      if (stepId === undefined || stepId === '') {
        throw new AppError(
          'VALIDATION_ERROR',
          'a decision signal needs step_id (the reasoning step waiting for it)',
        )
      }
      const d = decisionFor(run, stepId)
      if (TERMINAL.has(status))
        throw conflict(run, `workflow ${run.id} is ${status}; its decisions are closed`)
      checkTarget(d, signal)
      const choice = signal.payload?.choice
      if (typeof choice !== 'string' || choice === '') {
        throw new AppError('VALIDATION_ERROR', "signal payload missing valid 'choice' field", {
          details: { valid_choices: d.options.map((o) => o.id) },
        })
      }
      if (d.options.length > 0 && !d.options.some((o) => o.id === choice)) {
        const valid = d.options.map((o) => o.id)
        throw new AppError(
          'VALIDATION_ERROR',
          `invalid choice "${choice}"; valid choices: ${valid.join(', ')}`,
          {
            details: { choice, valid_choices: valid },
          },
        )
      }
      const resolution: Record<string, unknown> = { choice }
      if (signal.reasoning !== undefined) resolution.reasoning = signal.reasoning
      const data = signal.payload?.data
      if (data !== undefined && data !== null && typeof data === 'object' && !Array.isArray(data))
        resolution.data = data
      if (signal.agent_id !== undefined) resolution.resolved_by = signal.agent_id
      received()
      core.emit(run, 'decision_resolved', stepId, { resolution })
      result = await proceed(host, run, result, 'decision')
      break
    }
    case 'data': {
      if (TERMINAL.has(status) || status === 'pending') {
        throw conflict(
          run,
          `workflow ${run.id} is ${status}; data signals need an active or suspended workflow`,
        )
      }
      const wait = matchWait(run, signal)
      if (wait !== undefined) {
        core.emit(run, 'signal_received', wait, { ...signalPayload(signal), matched_wait: true })
        result.step_id = wait
        result = await proceed(host, run, result, 'signal')
      } else {
        received()
        const payload = { ...(signal.payload ?? {}) }
        await host.updateContext(run, { accumulated_data: payload })
        await core.journal.flush()
      }
      break
    }
    case 'cancel': {
      if (stepId === undefined || stepId === '') {
        if (TERMINAL.has(status)) throw conflict(run, `workflow ${run.id} is already ${status}`)
        received()
        const reason =
          typeof signal.payload?.reason === 'string' ? signal.payload.reason : 'cancelled by signal'
        await host.cancelRun(run, reason, signal.agent_id)
        break
      }
      const d = decisionFor(run, stepId)
      if (TERMINAL.has(status))
        throw conflict(run, `workflow ${run.id} is ${status}; its decisions are closed`)
      checkTarget(d, signal)
      received()
      core.emit(run, 'decision_cancelled', stepId, {
        reason: signal.reasoning ?? 'cancelled by signal',
        ...(signal.agent_id === undefined ? {} : { cancelled_by: signal.agent_id }),
      })
      result = await proceed(host, run, result, 'decision_cancelled')
      break
    }
    case 'skip': {
      if (stepId === undefined || stepId === '')
        throw new AppError('VALIDATION_ERROR', 'a skip signal needs step_id')
      const st = run.state.steps.get(stepId)
      if (st === undefined)
        throw new AppError('NOT_FOUND', `step "${stepId}" not found in workflow ${run.id}`)
      if (
        st.status !== 'suspended' ||
        (st.suspendReason !== 'decision' &&
          st.suspendReason !== 'wait' &&
          st.suspendReason !== 'signal')
      ) {
        throw conflict(
          run,
          `step ${stepId} is ${st.status}; only a suspended reasoning or wait step can be skipped`,
        )
      }
      received()
      if (run.state.decisions.get(stepId)?.status === 'pending') {
        core.emit(run, 'decision_cancelled', stepId, { reason: 'skipped by signal' })
      }
      core.emit(run, 'step_skipped', stepId, { reason: 'signal' })
      result = await proceed(host, run, result, 'skip')
      break
    }
    case 'retry': {
      if (stepId === undefined || stepId === '') {
        if (status !== 'suspended' || hasPendingWork(run)) {
          throw conflict(
            run,
            status === 'suspended'
              ? `workflow ${run.id} is waiting for a decision or a signal; send that instead of retry`
              : `workflow ${run.id} is ${status}; retry without step_id resumes an interrupted or timed-out workflow`,
          )
        }
        received()
        const fresh = run.state.timeoutSuspended ? { fresh_timeout: true } : undefined
        result = await proceed(host, run, result, 'retry', fresh)
        break
      }
      const st = run.state.steps.get(stepId)
      if (st === undefined)
        throw new AppError('NOT_FOUND', `step "${stepId}" not found in workflow ${run.id}`)
      if (status !== 'failed' || st.status !== 'failed') {
        throw conflict(
          run,
          `retry of step ${stepId} needs a failed workflow and a failed step (workflow ${status}, step ${st.status})`,
        )
      }
      if (stepForKey(run.meta.definition, stepId) === undefined) {
        throw new AppError(
          'NOT_FOUND',
          `step "${stepId}" is not in the definition of workflow ${run.id}`,
        )
      }
      received()
      reopen(core, run, stepId)
      result = await proceed(host, run, result, 'retry')
      break
    }
    default:
      throw new AppError(
        'VALIDATION_ERROR',
        `unknown signal type "${String((signal as Signal).type)}"`,
        {
          details: { valid: ['decision', 'data', 'cancel', 'retry', 'skip'] },
        },
      )
  }
  if (signal.signal_id !== undefined) {
    const { settled: _settled, ...stored } = result
    core.journal.putSignalResult({
      workflow_id: run.id,
      signal_id: signal.signal_id,
      result: stored,
      created_at: core.now(),
    })
  }
  await core.journal.flush()
  return result
}

function signalPayload(signal: Signal): Record<string, unknown> {
  const p: Record<string, unknown> = { type: signal.type }
  if (signal.step_id !== undefined) p.step_id = signal.step_id
  if (signal.agent_id !== undefined) p.agent_id = signal.agent_id
  if (signal.payload !== undefined) p.payload = signal.payload
  if (signal.reasoning !== undefined) p.reasoning = signal.reasoning
  if (signal.signal_id !== undefined) p.signal_id = signal.signal_id
  return p
}

function decisionFor(run: Run, stepId: string): DecisionRow {
  const d = run.state.decisions.get(stepId)
  if (d === undefined) {
    if (!run.state.steps.has(stepId))
      throw new AppError('NOT_FOUND', `step "${stepId}" not found in workflow ${run.id}`)
    throw new AppError('NOT_FOUND', `no pending decision for step ${stepId}`)
  }
  if (d.status !== 'pending') {
    throw new AppError('CONFLICT', `the decision for step ${stepId} is already ${d.status}`, {
      details: {
        workflow_id: run.id,
        step_id: stepId,
        decision_status: d.status,
        resolution: d.resolution ?? null,
      },
    })
  }
  return d
}

function checkTarget(d: DecisionRow, signal: Signal): void {
  const target = d.target_agent_id
  if (
    target !== undefined &&
    signal.agent_id !== undefined &&
    signal.agent_id !== '' &&
    signal.agent_id !== target
  ) {
    throw new AppError(
      'PERMISSION_DENIED',
      `decision targeted to agent "${target}", signal from "${signal.agent_id}"`,
      {
        details: { target_agent_id: target, agent_id: signal.agent_id },
      },
    )
  }
}

/** A13 / D21: the suspended wait step a data signal completes (by step id or by signal name). */
function matchWait(run: Run, signal: Signal): string | undefined {
  const name = signal.payload?.signal
  for (const [key, st] of run.state.steps) {
    if (st.status !== 'suspended' || st.suspendReason !== 'signal') continue
    if (signal.step_id !== undefined && signal.step_id === key) return key
    if (typeof name === 'string') {
      const cfg = stepForKey(run.meta.definition, key)?.config as WaitConfig | undefined
      if (cfg?.signal === name) return key
    }
  }
  return undefined
}

/** Suspended with nothing to wait for: interrupted, or suspended by its timeout. */
function hasPendingWork(run: Run): boolean {
  for (const d of run.state.decisions.values()) if (d.status === 'pending') return true
  for (const st of run.state.steps.values()) {
    if (
      st.status === 'suspended' &&
      (st.suspendReason === 'signal' || st.suspendReason === 'wait' || st.suspendReason === 'child')
    ) {
      return true
    }
  }
  return false
}

/** D21: retry from a failed step — the step and the skips its failure caused go back to pending. */
function reopen(core: Core, run: Run, stepId: string): void {
  core.emit(run, 'workflow_retried', undefined, { step_id: stepId })
  core.emit(run, 'step_retried', stepId, { reason: 'retry_signal' })
  // Enclosing flow steps of a nested step failed with it: reopen them too.
  for (let i = stepId.lastIndexOf('.'); i > 0; i = stepId.lastIndexOf('.', i - 1)) {
    const parent = stepId.slice(0, i)
    const pst = run.state.steps.get(parent)
    if (pst !== undefined && pst.status === 'failed')
      core.emit(run, 'step_retried', parent, { reason: 'retry_signal' })
  }
  for (const [key, st] of run.state.steps) {
    if (
      st.status === 'skipped' &&
      (st.skipReason === 'upstream_failed' || st.skipReason === 'workflow_ended')
    ) {
      core.emit(run, 'step_retried', key, { reason: 'reopened' })
    }
  }
}

/** After a signal is recorded: resume a suspended run, wake a live one. */
async function proceed(
  host: SignalHost,
  run: Run,
  result: SignalResult,
  reason: string,
  extra?: Record<string, unknown>,
): Promise<SignalResult> {
  const status = run.state.status
  if (run.live) {
    run.wake = true
    await host.core.journal.flush()
    return { ...result, resumed: true }
  }
  if (status === 'suspended' || status === 'active') {
    await host.core.journal.flush()
    const settled = host.resumeRun(run, reason, extra)
    return { ...result, resumed: true, settled }
  }
  return result
}
