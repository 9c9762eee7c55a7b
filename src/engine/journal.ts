/**
 * Group commit (durability.md): events go to an in-memory buffer; a flush writes every buffered
 * event of every workflow, plus the projection rows they changed (one per touched step, not per
 * event), in ONE store transaction. Flushes are requested before side effects, before anything is
 * reported, when a workflow suspends or ends, past a size bound and after a short delay bound.
 * Concurrent requests in the same tick share one commit.
 */
import { AppError } from '../errors.ts'
import type {
  Clock,
  CommitBatch,
  ContextRow,
  EventPublisher,
  RunStore,
  StepRow,
  StoredEvent,
  TimerHandle,
  WorkflowPatch,
  WorkflowRow,
} from './ports.ts'
import type { RunState, StepRuntime } from './reduce.ts'

export interface JournalOptions {
  /** Longest time an event may sit in the buffer, ms (default 2). */
  delayMs: number
  /** Buffered events that force a flush (default 4096). */
  maxEvents: number
}

/** What the journal needs to know about a run to write its projection rows. */
export interface Projected {
  state: RunState
  /** Output/error of the workflow row are taken from the state. */
}

export class Journal {
  private events: StoredEvent[] = []
  private readonly dirtyRuns = new Set<RunState>()
  private newWorkflows: WorkflowRow[] = []
  private contexts: ContextRow[] = []
  private signals: CommitBatch['signals'] = []
  private pending: Promise<void> | null = null
  private timer: TimerHandle | null = null
  private armQueued = false
  private committing = false

  constructor(
    private readonly store: RunStore,
    private readonly clock: Clock,
    private readonly publisher: EventPublisher | undefined,
    private readonly options: JournalOptions,
  ) {}

  /** Buffers an event of `state` (already applied to it). */
  append(state: RunState, ev: StoredEvent): void {
    this.events.push(ev)
    this.dirtyRuns.add(state)
    if (this.events.length >= this.options.maxEvents)
      void this.flush() // bounded buffer; errors reach the next awaited flush
    else this.armTimer()
  }

  createWorkflow(row: WorkflowRow): void {
    this.newWorkflows.push(row)
    this.armTimer()
  }

  putContext(row: ContextRow): void {
    this.contexts.push(row)
    this.armTimer()
  }

  putSignalResult(entry: CommitBatch['signals'][number]): void {
    this.signals.push(entry)
    this.armTimer()
  }

  /** True when nothing waits to be written. */
  get idle(): boolean {
    return (
      this.events.length === 0 &&
      this.newWorkflows.length === 0 &&
      this.contexts.length === 0 &&
      this.signals.length === 0 &&
      this.dirtyRuns.size === 0
    )
  }

  /** Resolves once everything buffered so far is durable. */
  flush(): Promise<void> {
    if (this.pending !== null) return this.pending
    if (this.idle) return Promise.resolve()
    this.pending = new Promise<void>((resolve, reject) => {
      // A microtask, so every request made in this tick joins the same transaction.
      queueMicrotask(() => {
        this.pending = null
        try {
          const r = this.commitNow()
          if (r === undefined) resolve()
          else r.then(resolve, reject)
        } catch (err) {
          reject(err)
        }
      })
    })
    return this.pending
  }

  /**
   * Arms the delay-bound flush timer — at the end of the current tick, and only if nobody asked for
   * a flush meanwhile (a run that ends within one tick never creates a timer).
   */
  private armTimer(): void {
    if (this.timer !== null || this.committing || this.armQueued) return
    this.armQueued = true
    queueMicrotask(() => {
      this.armQueued = false
      if (this.pending === null && !this.committing && !this.idle) this.armNow()
    })
  }

  private armNow(): void {
    if (this.timer !== null || this.committing) return
    this.timer = this.clock.setTimer(this.options.delayMs, () => {
      this.timer = null
      this.flush().catch(() => {
        // The awaited flush of the workflow concerned reports the failure; nothing to add here.
      })
    })
  }

  private commitNow(): Promise<void> | undefined {
    if (this.timer !== null) {
      this.timer.cancel()
      this.timer = null
    }
    if (this.idle) return undefined
    const now = this.clock.now()
    const batch: CommitBatch = {
      newWorkflows: this.newWorkflows,
      events: this.events,
      workflows: [],
      steps: [],
      decisions: [],
      contexts: this.contexts,
      signals: this.signals,
    }
    for (const state of this.dirtyRuns) collectProjections(state, batch, now)
    this.events = []
    this.newWorkflows = []
    this.contexts = []
    this.signals = []
    this.dirtyRuns.clear()
    this.committing = true
    let result: void | Promise<void>
    try {
      result = this.store.commit(batch)
    } catch (err) {
      this.committing = false
      throw storeError(err)
    }
    if (result === undefined) {
      this.committing = false
      this.publish(batch.events)
      if (!this.idle) this.armTimer()
      return undefined
    }
    return result.then(
      () => {
        this.committing = false
        this.publish(batch.events)
        if (!this.idle) this.armTimer()
      },
      (err: unknown) => {
        this.committing = false
        throw storeError(err)
      },
    )
  }

  private publish(events: StoredEvent[]): void {
    const publisher = this.publisher
    if (publisher === undefined) return
    for (const ev of events) publisher.publish(ev)
  }
}

function storeError(err: unknown): AppError {
  if (err instanceof AppError) return err
  return new AppError('STORE_ERROR', `commit failed: ${(err as Error)?.message ?? String(err)}`, {
    cause: err,
  })
}

function collectProjections(state: RunState, batch: CommitBatch, now: number): void {
  if (state.dirtyWorkflow) {
    const patch: WorkflowPatch = { id: state.id, status: state.status, updated_at: now }
    if (state.output !== undefined) patch.output = state.output
    if (state.error !== undefined) patch.error = state.error
    if (state.startedAt !== undefined) patch.started_at = state.startedAt
    if (state.completedAt !== undefined) patch.completed_at = state.completedAt
    patch.wake_at = state.status === 'suspended' ? (state.wakeAt ?? null) : null
    batch.workflows.push(patch)
    state.dirtyWorkflow = false
  }
  for (const key of state.dirtySteps) {
    const st = state.steps.get(key)
    if (st !== undefined) batch.steps.push(stepRow(state.id, st))
  }
  state.dirtySteps.clear()
  for (const key of state.dirtyDecisions) {
    const d = state.decisions.get(key)
    if (d !== undefined) batch.decisions.push(d)
  }
  state.dirtyDecisions.clear()
}

export function stepRow(workflowId: string, st: StepRuntime): StepRow {
  const row: StepRow = {
    workflow_id: workflowId,
    step_id: st.key,
    status: st.status,
    retry_count: st.retryCount,
  }
  if (st.hasOutput) {
    row.output = st.output
    if (st.outputJson !== undefined) row.output_json = st.outputJson
  }
  if (st.error !== undefined) row.error = st.error
  if (st.startedAt !== undefined) row.started_at = st.startedAt
  if (st.completedAt !== undefined) row.completed_at = st.completedAt
  if (st.durationMs !== undefined) row.duration_ms = st.durationMs
  return row
}
