/**
 * State of a run as a fold over its events. The live engine and replay share `applyEvent`, so a
 * workflow rebuilt from its log after a crash or a suspension is exactly the one that was running:
 * statuses, outputs, attempts, decisions, loop progress, chosen branches, timers.
 */
import type { ErrorObject } from '../errors.ts'
import type { SkipReason } from '../schema/event.ts'
import type { StepStatus, WorkflowStatus } from '../schema/run.ts'
import type { DecisionRow, StoredEvent } from './ports.ts'

export interface StepRuntime {
  key: string
  status: StepStatus
  /** Attempt number of the current or last execution (1 = first). */
  attempt: number
  /** Retries done under the retry policy. */
  retryCount: number
  hasOutput: boolean
  output?: unknown
  /** The output's JSON text when the engine already serialised it (written once, not twice). */
  outputJson?: string
  error?: ErrorObject
  startedAt?: number
  completedAt?: number
  durationMs?: number
  skipReason?: SkipReason
  /** Crash interruptions of the current attempt (decisions.md D21: 3 → INTERRUPTED). */
  interruptions: number
  /** While retrying: when the backoff ends (epoch ms). */
  retryAt?: number
  /** Condition steps: the branch key chosen (replayed, never re-evaluated). */
  branch?: string
  /** Loop steps: outputs of finished iterations, and the iteration started last. */
  loopResults?: unknown[]
  loopStarted?: number
  /** Parallel steps: `parallel_started` already emitted. */
  parallelStarted?: boolean
  /** Wait steps: wake time (duration waits) and the delivered signal (signal waits). */
  waitWakeAt?: number
  waitStartedAt?: number
  waitSignal?: { payload: unknown }
  /** Sub-workflow started by this step. */
  childId?: string
  /** Why the step is suspended. */
  suspendReason?: string
  /**
   * Live only (never from events): the pool slot of the current action attempt. Taken before
   * `step_started`, so a step counts as running — and as interrupted by a crash — only once it
   * holds a slot, not while it queues for one.
   */
  slot?: { holdsSlot: boolean }
}

export interface RunState {
  id: string
  status: WorkflowStatus
  /** Last sequence number used. */
  seq: number
  steps: Map<string, StepRuntime>
  /** Step key → output, for every step that has one (the `steps` scope). */
  outputs: Record<string, unknown>
  decisions: Map<string, DecisionRow>
  startedAt?: number
  completedAt?: number
  output?: unknown
  error?: ErrorObject
  /** Active time used so far (A14: suspended time does not count), and when it last resumed. */
  activeMs: number
  activeSince?: number
  lastEventAt: number
  /** Suspended on a wait: when it resumes by itself. */
  wakeAt?: number
  /** on_timeout: suspend happened (a retry grants a fresh full timeout — D21). */
  timeoutSuspended: boolean
  /** Signal ids already applied (idempotent re-sends). */
  signalIds: Set<string>
  /** Dirty step keys since the last flush (projection rows to write). */
  dirtySteps: Set<string>
  dirtyDecisions: Set<string>
  dirtyWorkflow: boolean
}

export function newRunState(id: string): RunState {
  return {
    id,
    status: 'pending',
    seq: 0,
    steps: new Map(),
    outputs: Object.create(null) as Record<string, unknown>,
    decisions: new Map(),
    activeMs: 0,
    lastEventAt: 0,
    timeoutSuspended: false,
    signalIds: new Set(),
    dirtySteps: new Set(),
    dirtyDecisions: new Set(),
    dirtyWorkflow: false,
  }
}

export function stepOf(state: RunState, key: string): StepRuntime {
  let st = state.steps.get(key)
  if (st === undefined) {
    // Every field present from the start: one object shape for all steps (fast property access).
    st = {
      key,
      status: 'pending',
      attempt: 0,
      retryCount: 0,
      hasOutput: false,
      output: undefined,
      outputJson: undefined,
      error: undefined,
      startedAt: undefined,
      completedAt: undefined,
      durationMs: undefined,
      skipReason: undefined,
      interruptions: 0,
      retryAt: undefined,
      branch: undefined,
      loopResults: undefined,
      loopStarted: undefined,
      parallelStarted: undefined,
      waitWakeAt: undefined,
      waitStartedAt: undefined,
      waitSignal: undefined,
      childId: undefined,
      suspendReason: undefined,
      slot: undefined,
    }
    state.steps.set(key, st)
  }
  return st
}

type Payload = Record<string, unknown> | undefined

/** Applies one event to the state (mutating it). Unknown event types change nothing. */
export function applyEvent(state: RunState, ev: StoredEvent): void {
  state.seq = ev.sequence
  state.lastEventAt = ev.timestamp
  const p = ev.payload as Payload
  const key = ev.step_id
  if (key === undefined) {
    applyWorkflowEvent(state, ev, p)
    return
  }
  const apply = STEP_APPLIERS[ev.event_type]
  if (apply !== undefined) {
    const st = stepOf(state, key)
    apply(state, st, ev, p)
    if (ev.event_type.startsWith('decision_')) state.dirtyDecisions.add(key)
    else state.dirtySteps.add(key)
  } else if (ev.event_type === 'signal_received' && p?.signal_id !== undefined) {
    state.signalIds.add(String(p.signal_id))
  }
}

function applyWorkflowEvent(state: RunState, ev: StoredEvent, p: Payload): void {
  switch (ev.event_type) {
    case 'workflow_started':
      if (state.startedAt === undefined) state.startedAt = ev.timestamp
      enterActive(state, ev.timestamp)
      break
    case 'workflow_resumed':
    case 'workflow_retried':
      enterActive(state, ev.timestamp)
      if (ev.event_type === 'workflow_retried') {
        state.error = undefined
        state.completedAt = undefined
        state.output = undefined
      }
      if (p?.fresh_timeout === true) {
        state.activeMs = 0
        state.timeoutSuspended = false
      }
      break
    case 'workflow_suspended':
      leaveActive(state, ev.timestamp)
      state.status = 'suspended'
      if (p?.reason === 'timeout') state.timeoutSuspended = true
      state.wakeAt = typeof p?.wake_at === 'number' ? p.wake_at : undefined
      break
    case 'workflow_interrupted':
      leaveActive(state, ev.timestamp)
      state.status = 'suspended'
      break
    case 'workflow_completed':
      leaveActive(state, ev.timestamp)
      state.status = 'completed'
      state.completedAt = ev.timestamp
      state.output = p?.output
      break
    case 'workflow_failed':
      leaveActive(state, ev.timestamp)
      state.status = 'failed'
      state.completedAt = ev.timestamp
      state.error = p?.error as ErrorObject | undefined
      break
    case 'workflow_cancelled':
      leaveActive(state, ev.timestamp)
      state.status = 'cancelled'
      state.completedAt = ev.timestamp
      state.error = p?.error as ErrorObject | undefined
      break
    case 'signal_received':
      if (p?.signal_id !== undefined) state.signalIds.add(String(p.signal_id))
      return
    default:
      return
  }
  state.dirtyWorkflow = true
}

function enterActive(state: RunState, at: number): void {
  state.status = 'active'
  state.activeSince = at
  state.wakeAt = undefined
}

function leaveActive(state: RunState, at: number): void {
  if (state.activeSince !== undefined) {
    state.activeMs += Math.max(0, at - state.activeSince)
    state.activeSince = undefined
  }
}

function setOutput(state: RunState, st: StepRuntime, has: boolean, output: unknown): void {
  st.hasOutput = has
  st.outputJson = undefined
  if (has) {
    st.output = output
    state.outputs[st.key] = output
  } else {
    st.output = undefined
    if (st.key in state.outputs) delete state.outputs[st.key]
  }
}

/**
 * A new attempt of a step starts from scratch: its nested steps (loop bodies, branches), its
 * decision, its child workflow and its wait are forgotten, so they run again.
 */
function resetForNewAttempt(state: RunState, st: StepRuntime): void {
  st.childId = undefined
  st.waitSignal = undefined
  st.waitWakeAt = undefined
  st.waitStartedAt = undefined
  st.branch = undefined
  st.loopResults = undefined
  st.loopStarted = undefined
  st.parallelStarted = undefined
  state.decisions.delete(st.key)
  const prefix = `${st.key}.`
  for (const key of state.steps.keys()) {
    if (key.startsWith(prefix)) {
      state.steps.delete(key)
      delete state.outputs[key]
      state.decisions.delete(key)
    }
  }
}

type Applier = (state: RunState, st: StepRuntime, ev: StoredEvent, p: Payload) => void

const STEP_APPLIERS: Record<string, Applier> = {
  step_started(_state, st, ev, p) {
    st.status = 'running'
    const attempt = typeof p?.attempt === 'number' ? p.attempt : st.attempt + 1
    if (attempt !== st.attempt) st.interruptions = 0
    st.attempt = attempt
    st.startedAt = ev.timestamp
    st.retryAt = undefined
    st.suspendReason = undefined
  },
  step_completed(state, st, ev, p) {
    st.status = 'completed'
    setOutput(state, st, p !== undefined && 'output' in p, p?.output)
    const j = ev.payload_json
    st.outputJson = j?.startsWith('{"output":') ? j.slice(10, -1) : undefined
    st.completedAt = ev.timestamp
    if (st.startedAt !== undefined) st.durationMs = ev.timestamp - st.startedAt
    st.error = undefined
  },
  step_failed(state, st, ev, p) {
    st.status = 'failed'
    st.error = p?.error as ErrorObject | undefined
    st.completedAt = ev.timestamp
    if (st.startedAt !== undefined) st.durationMs = ev.timestamp - st.startedAt
    setOutput(state, st, false, undefined)
  },
  step_skipped(_state, st, ev, p) {
    st.status = 'skipped'
    st.skipReason = p?.reason as SkipReason | undefined
    st.completedAt = ev.timestamp
  },
  step_retrying(state, st, _ev, p) {
    st.status = 'retrying'
    st.retryCount += 1
    st.retryAt = typeof p?.retry_at === 'number' ? p.retry_at : undefined
    st.error = p?.error as ErrorObject | undefined
    resetForNewAttempt(state, st)
  },
  step_suspended(_state, st, _ev, p) {
    st.status = 'suspended'
    st.suspendReason = typeof p?.reason === 'string' ? p.reason : undefined
    if (typeof p?.wake_at === 'number') st.waitWakeAt = p.wake_at
    if (typeof p?.child_workflow_id === 'string') st.childId = p.child_workflow_id
  },
  step_interrupted(_state, st) {
    st.status = 'pending'
    st.interruptions += 1
  },
  step_retried(state, st) {
    // D21: a failed step (or one skipped because of a failure) is reopened for a new attempt.
    st.status = 'pending'
    st.error = undefined
    st.skipReason = undefined
    st.completedAt = undefined
    st.durationMs = undefined
    st.retryCount = 0
    st.interruptions = 0
    setOutput(state, st, false, undefined)
    resetForNewAttempt(state, st)
  },
  condition_evaluated(_state, st, _ev, p) {
    if (typeof p?.result === 'string') st.branch = p.result
  },
  loop_iter_started(_state, st, _ev, p) {
    if (typeof p?.iteration === 'number') st.loopStarted = p.iteration
    if (st.loopResults === undefined) st.loopResults = []
  },
  loop_iter_completed(_state, st, _ev, p) {
    if (st.loopResults === undefined) st.loopResults = []
    if (typeof p?.iteration === 'number') st.loopResults[p.iteration] = p.output ?? null
  },
  parallel_started(_state, st) {
    st.parallelStarted = true
  },
  wait_started(_state, st, ev, p) {
    st.waitStartedAt = ev.timestamp
    if (typeof p?.wake_at === 'number') st.waitWakeAt = p.wake_at
  },
  signal_received(state, st, _ev, p) {
    if (p?.signal_id !== undefined) state.signalIds.add(String(p.signal_id))
    if (p?.matched_wait === true) st.waitSignal = { payload: p.payload ?? null }
  },
  child_started(_state, st, _ev, p) {
    if (typeof p?.child_workflow_id === 'string') st.childId = p.child_workflow_id
  },
  decision_requested(state, st, ev, p) {
    const d = p?.decision as DecisionRow | undefined
    if (d !== undefined)
      state.decisions.set(st.key, { ...d, created_at: d.created_at ?? ev.timestamp })
  },
  decision_resolved(state, st, ev, p) {
    const d = state.decisions.get(st.key)
    if (d === undefined) return
    const resolution = (p?.resolution ?? p) as DecisionRow['resolution']
    d.status = p?.timed_out === true ? 'timed_out' : 'resolved'
    d.resolution = resolution
    if (resolution?.resolved_by !== undefined) d.resolved_by = resolution.resolved_by
    d.resolved_at = ev.timestamp
  },
  decision_cancelled(state, st, ev, p) {
    const d = state.decisions.get(st.key)
    if (d === undefined) return
    d.status = 'cancelled'
    if (typeof p?.cancelled_by === 'string') d.resolved_by = p.cancelled_by
    d.resolved_at = ev.timestamp
  },
}

/** Rebuilds a run's state from its events (in sequence order). */
export function reduce(workflowId: string, events: readonly StoredEvent[]): RunState {
  const state = newRunState(workflowId)
  for (const ev of events) applyEvent(state, ev)
  state.dirtySteps.clear()
  state.dirtyDecisions.clear()
  state.dirtyWorkflow = false
  return state
}

/** Checks that sequences run 1..N without gaps (spec §12.3); returns the first bad position. */
export function findSequenceGap(
  events: readonly StoredEvent[],
): { expected: number; got: number } | undefined {
  for (let i = 0; i < events.length; i++) {
    const got = (events[i] as StoredEvent).sequence
    if (got !== i + 1) return { expected: i + 1, got }
  }
  return undefined
}
