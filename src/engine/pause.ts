/**
 * Steps that pause a run (spec workflow.md §7.8–7.9 with A4, A8, A13, D5, D21): reasoning steps
 * suspend on a pending decision; wait steps sleep (short waits) or suspend durably (long waits,
 * waits for a signal). Re-executed on resume, they find the resolution, the signal or the time.
 */
import { AppError, toAppError } from '../errors.ts'
import { parseDuration } from '../schema/duration.ts'
import type { ReasoningConfig, Step, WaitConfig } from '../schema/workflow.ts'
import { type Attempt, type Core, type Frame, SUSPENDED } from './core.ts'
import type { DecisionRow } from './ports.ts'
import type { StepRuntime } from './reduce.ts'
import type { Run } from './run.ts'
import { interpolationScope } from './scope.ts'

export async function attemptReasoning(
  core: Core,
  run: Run,
  step: Step,
  key: string,
  frame: Frame,
  st: StepRuntime,
): Promise<Attempt> {
  const existing = run.state.decisions.get(key)
  if (existing !== undefined) {
    switch (existing.status) {
      case 'resolved':
        return { ok: true, output: resolutionOutput(existing), hasOutput: true }
      case 'timed_out':
        return {
          ok: false,
          error: new AppError(
            'TIMEOUT_ERROR',
            `decision timeout for step ${key}: no fallback option configured`,
            {
              stepId: key,
            },
          ),
        }
      case 'cancelled':
        return {
          ok: false,
          error: new AppError('CANCELLED', `decision for step ${key} was cancelled`, {
            stepId: key,
          }),
        }
      case 'pending':
        core.emit(run, 'step_suspended', key, { reason: 'decision', decision_id: existing.id })
        return SUSPENDED
    }
  }
  const cfg = (step.config ?? {}) as ReasoningConfig
  await ensureContext(core, run)
  const now = core.now()
  const context: Record<string, unknown> = { prompt_context: cfg.prompt_context ?? '' }
  const outputs = run.state.outputs
  if (Object.keys(outputs).length > 0) context.step_outputs = core.redact(run, { ...outputs })
  const c = run.context
  if (c !== undefined) {
    if (c.original_intent !== '') context.workflow_intent = c.original_intent
    if (c.agent_notes !== undefined && c.agent_notes !== '') context.agent_notes = c.agent_notes
    if (Object.keys(c.accumulated_data).length > 0) context.accumulated_data = c.accumulated_data
  }
  if (cfg.data_inject !== undefined)
    context.data_inject = core.redact(run, injectData(core, run, frame, cfg.data_inject))
  const timeoutMs = cfg.timeout === undefined ? undefined : parseDuration(cfg.timeout)
  const decision: DecisionRow = {
    id: st.attempt > 1 ? `${run.id}_${key}#${st.attempt}` : `${run.id}_${key}`,
    workflow_id: run.id,
    step_id: key,
    agent_id: run.meta.agentId,
    context,
    options: (cfg.options ?? []).map((o) =>
      o.description === undefined ? { id: o.id } : { id: o.id, description: o.description },
    ),
    status: 'pending',
    created_at: now,
  }
  if (cfg.target_agent !== undefined && cfg.target_agent !== '')
    decision.target_agent_id = cfg.target_agent
  if (cfg.fallback !== undefined && cfg.fallback !== '') decision.fallback = cfg.fallback
  if (timeoutMs !== undefined && timeoutMs > 0) decision.timeout_at = now + timeoutMs
  core.emit(run, 'decision_requested', key, { decision })
  core.emit(run, 'step_suspended', key, { reason: 'decision', decision_id: decision.id })
  if (decision.timeout_at !== undefined) core.hooks.armDecision(run.id, key, decision.timeout_at)
  return SUSPENDED
}

/** A4: the step's output is the resolution. */
export function resolutionOutput(d: DecisionRow): Record<string, unknown> {
  const r = d.resolution ?? { choice: '' }
  const out: Record<string, unknown> = { choice: r.choice }
  if (r.reasoning !== undefined) out.reasoning = r.reasoning
  if (r.data !== undefined) out.data = r.data
  out.resolved_by = r.resolved_by ?? d.resolved_by ?? null
  return out
}

/**
 * §7.9 `data_inject`: a value with `${{` is interpolated; a bare path such as
 * `steps.fetch.output.body` is tried as `${{ path }}`; what cannot be resolved stays as written.
 * Values keep their JSON types (A5).
 */
function injectData(
  core: Core,
  run: Run,
  frame: Frame,
  inject: Record<string, string>,
): Record<string, unknown> {
  const scope = interpolationScope(core, run, frame)
  const out: Record<string, unknown> = {}
  for (const [name, raw] of Object.entries(inject)) {
    const text = typeof raw === 'string' ? raw : String(raw)
    const template = text.includes('${{') ? text : `\${{ ${text} }}`
    try {
      out[name] = core.deps.expressions.interpolate(template, scope)
    } catch {
      out[name] = text
    }
  }
  return out
}

/** Loads the workflow context record once per loaded run. */
export async function ensureContext(core: Core, run: Run): Promise<void> {
  if (run.contextLoaded) return
  run.context = await core.deps.store.getContext(run.id)
  run.contextLoaded = true
}

// ---------------------------------------------------------------------------------------------

export async function attemptWait(
  core: Core,
  run: Run,
  step: Step,
  key: string,
  frame: Frame,
  st: StepRuntime,
): Promise<Attempt> {
  const cfg = (step.config ?? {}) as WaitConfig
  if (cfg.duration !== undefined && cfg.duration !== '') {
    const ms = parseDuration(cfg.duration)
    if (ms === undefined || ms < 0) {
      return {
        ok: false,
        error: new AppError(
          'VALIDATION_ERROR',
          `wait step ${key}: invalid duration "${cfg.duration}"`,
          { stepId: key },
        ),
      }
    }
    let wakeAt = st.waitWakeAt
    if (wakeAt === undefined) {
      wakeAt = core.now() + ms
      core.emit(run, 'wait_started', key, { duration: cfg.duration, signal: '', wake_at: wakeAt })
    }
    const remaining = wakeAt - core.now()
    if (remaining > 0) {
      if (remaining > core.options.waitSuspendThresholdMs) {
        core.emit(run, 'step_suspended', key, { reason: 'wait', wake_at: wakeAt })
        return SUSPENDED
      }
      await core.journal.flush()
      const ok = await core.sleep(remaining, frame.cancel)
      if (!ok) return { ok: false, error: abortError(frame, key) }
    }
    core.emit(run, 'wait_completed', key)
    const waited = Math.max(0, core.now() - (st.waitStartedAt ?? core.now()))
    return { ok: true, output: { waited: Math.round(waited) }, hasOutput: true }
  }
  const name = cfg.signal ?? ''
  if (st.waitSignal !== undefined) {
    core.emit(run, 'wait_completed', key)
    return { ok: true, output: { signal: name, payload: st.waitSignal.payload }, hasOutput: true }
  }
  if (st.waitStartedAt === undefined)
    core.emit(run, 'wait_started', key, { duration: '', signal: name })
  core.emit(run, 'step_suspended', key, { reason: 'signal', signal: name })
  return SUSPENDED
}

function abortError(frame: Frame, key: string): AppError {
  const r = frame.cancel.reason
  if (r instanceof AppError) return r
  return toAppError(r ?? new AppError('CANCELLED', `wait step ${key} was stopped`))
}
