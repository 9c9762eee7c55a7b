/**
 * The ExecutionResult of a run (spec server.md §3), built from its state: what `opcode.run`,
 * `opcode run FILE` and the tests read.
 */
import type { ErrorObject } from '../errors.ts'
import type { ExecutionResult, StepResult } from '../schema/run.ts'
import { iso } from '../schema/time.ts'
import type { RunState } from './reduce.ts'

export function buildResult(
  state: RunState,
  options: { withSteps?: boolean } = {},
): ExecutionResult {
  const r: ExecutionResult = { workflow_id: state.id, status: state.status }
  if (state.output !== undefined) r.output = state.output
  if (state.error !== undefined) r.error = state.error as ExecutionResult['error']
  const started = iso(state.startedAt)
  if (started !== undefined) r.started_at = started
  const completed = iso(state.completedAt)
  if (completed !== undefined) r.completed_at = completed
  if (options.withSteps !== false && state.steps.size > 0) {
    const steps: Record<string, StepResult> = {}
    for (const [key, st] of state.steps) {
      const s: StepResult = { step_id: key, status: st.status }
      if (st.hasOutput) s.output = st.output
      if (st.error !== undefined) s.error = st.error as ErrorObject
      if (st.durationMs !== undefined) s.duration_ms = st.durationMs
      steps[key] = s
    }
    r.steps = steps
  }
  if (state.status === 'suspended') {
    const pending = [...state.decisions.values()].filter((d) => d.status === 'pending')
    if (pending.length > 0) {
      r.pending_decisions = pending.map((d) => ({
        id: d.id,
        step_id: d.step_id,
        context: d.context,
        options: d.options,
        ...(d.target_agent_id === undefined ? {} : { target_agent_id: d.target_agent_id }),
        ...(d.timeout_at === undefined ? {} : { timeout_at: iso(d.timeout_at) }),
        ...(d.fallback === undefined ? {} : { fallback: d.fallback }),
      }))
    }
    if (state.wakeAt !== undefined) r.wake_at = iso(state.wakeAt) as string
  }
  return r
}
