/**
 * The engine's public face: start, resume, cancel, signal, recover, durable timers, sub-workflows
 * and the services of the `workflow.*` actions. Everything else in src/engine is its machinery.
 * Pure: it talks to the world only through the ports it is given.
 */
import { AppError, toAppError } from '../errors.ts'
import type { ExecutionResult, Signal, WorkflowContext } from '../schema/run.ts'
import { iso } from '../schema/time.ts'
import type { WorkflowDefinition } from '../schema/workflow.ts'
import { ChildSuspended, Core, type EngineDeps, type EngineOptions } from './core.ts'
import { attemptCondition, attemptLoop, attemptParallel } from './flow.ts'
import { attemptReasoning, attemptWait, ensureContext } from './pause.ts'
import type { ContextRow, TimerHandle, WorkflowRow, WorkflowServices } from './ports.ts'
import { findSequenceGap, newRunState, reduce, type StepRuntime, stepOf } from './reduce.ts'
import { buildResult } from './result.ts'
import { Run, type RunMeta } from './run.ts'
import { applySignal, type SignalResult } from './signals.ts'
import { attemptAction } from './step.ts'
import { finishCancelled, resumeEvents, walk } from './walk.ts'

export interface StartRequest {
  /** Id to use (a fresh UUID when absent). */
  workflowId?: string
  /** A definition that passed validation. Reuse the same object for the same template version. */
  definition: WorkflowDefinition
  params?: Record<string, unknown>
  agentId: string
  name?: string
  templateName?: string
  templateVersion?: string
  parentId?: string
  parentStepId?: string
  depth?: number
}

export interface Started {
  workflowId: string
  /** Resolves when the run first suspends or ends, after that is durable. */
  settled: Promise<ExecutionResult>
}

/** Definition `inputs` are defaults shallow-merged under the run params (D19). */
export function mergeInputs(
  def: WorkflowDefinition,
  params: Record<string, unknown> | undefined,
): Record<string, unknown> {
  if (def.inputs === undefined) return params ?? {}
  return { ...def.inputs, ...(params ?? {}) }
}

export class Engine {
  readonly core: Core
  private readonly loading = new Map<string, Promise<Run | undefined>>()
  private readonly wakeTimers = new Map<string, { at: number; handle: TimerHandle }>()
  private readonly decisionTimers = new Map<string, TimerHandle>()
  private readonly settleListeners = new Set<
    (workflowId: string, result: ExecutionResult) => void
  >()
  private closed = false

  constructor(deps: EngineDeps) {
    const core = new Core(deps)
    this.core = core
    core.attempts.action = attemptAction
    core.attempts.condition = attemptCondition
    core.attempts.loop = attemptLoop
    core.attempts.parallel = attemptParallel
    core.attempts.reasoning = attemptReasoning
    core.attempts.wait = attemptWait
    core.hooks = {
      armDecision: (id, key, at) => this.armDecision(id, key, at),
      armWake: (id, at) => this.armWake(id, at),
      settled: (run, result) => this.onSettled(run, result),
    }
    core.services = (run, key, st, slot) => this.services(run, key, st, slot)
  }

  get options(): EngineOptions {
    return this.core.options
  }

  // -------------------------------------------------------------------------------------------
  // Starting and waiting

  /** Creates the workflow and starts walking it; `settled` resolves at its first suspension or end. */
  start(req: StartRequest): Started {
    if (this.closed) throw new AppError('CONFLICT', 'the engine is shutting down')
    const core = this.core
    const id = req.workflowId ?? core.deps.ids.uuid()
    if (core.runs.has(id)) throw new AppError('CONFLICT', `workflow ${id} already exists`)
    const now = core.now()
    const inputs = mergeInputs(req.definition, req.params)
    const row: WorkflowRow = {
      id,
      definition: req.definition,
      status: 'pending',
      agent_id: req.agentId,
      depth: req.depth ?? 0,
      input_params: inputs,
      created_at: now,
      updated_at: now,
    }
    const name = req.name ?? req.templateName
    if (name !== undefined) row.name = name
    if (req.templateName !== undefined) row.template_name = req.templateName
    if (req.templateVersion !== undefined) row.template_version = req.templateVersion
    if (req.parentId !== undefined) row.parent_workflow_id = req.parentId
    if (req.parentStepId !== undefined) row.parent_step_id = req.parentStepId
    core.journal.createWorkflow(row)
    const run = new Run(metaOf(row, req.definition), newRunState(id))
    for (const s of req.definition.steps) stepOf(run.state, s.id)
    run.contextLoaded = true // a new workflow has no context record yet
    core.runs.set(id, run)
    const settled = new Promise<ExecutionResult>((resolve) => run.onSettle(resolve))
    core.emit(run, 'workflow_started')
    void walk(core, run) // the walk reports through `settled`; it never rejects
    return { workflowId: id, settled }
  }

  /** Starts a workflow and waits for its first suspension or its end. */
  run(req: StartRequest): Promise<ExecutionResult> {
    return this.start(req).settled
  }

  /** Resolves at the next suspension or end of a live run, or at once with its current state. */
  async waitSettled(workflowId: string): Promise<ExecutionResult> {
    const run = await this.acquire(workflowId)
    try {
      if (run.live) return await new Promise<ExecutionResult>((resolve) => run.onSettle(resolve))
      return buildResult(run.state)
    } finally {
      this.core.release(run)
    }
  }

  /** Current state of a workflow as an ExecutionResult (from memory when live, else its log). */
  async snapshot(workflowId: string): Promise<ExecutionResult> {
    const run = await this.acquire(workflowId)
    try {
      return buildResult(run.state)
    } finally {
      this.core.release(run)
    }
  }

  /** Resolves once everything buffered is durable. */
  flush(): Promise<void> {
    return this.core.journal.flush()
  }

  // -------------------------------------------------------------------------------------------
  // Loading runs

  /** Gets a loaded run or rebuilds it from its log; the caller must `core.release` it. */
  async acquire(workflowId: string): Promise<Run> {
    const core = this.core
    let run = core.runs.get(workflowId)
    if (run === undefined) {
      let p = this.loading.get(workflowId)
      if (p === undefined) {
        p = this.load(workflowId)
        this.loading.set(workflowId, p)
        void p.finally(() => this.loading.delete(workflowId)).catch(() => {}) // cleanup only; callers see the rejection
      }
      const loaded = await p
      if (loaded === undefined)
        throw new AppError('NOT_FOUND', `workflow "${workflowId}" not found`)
      run = core.runs.get(workflowId)
      if (run === undefined) {
        run = loaded
        core.runs.set(workflowId, run)
      }
    }
    core.hold(run)
    return run
  }

  private async load(workflowId: string): Promise<Run | undefined> {
    const { store } = this.core.deps
    const row = await store.getWorkflow(workflowId)
    if (row === undefined) return undefined
    const events = await store.listEvents(workflowId)
    const gap = findSequenceGap(events)
    if (gap !== undefined) {
      throw new AppError(
        'STORE_ERROR',
        `sequence gap in workflow ${workflowId}: expected ${gap.expected}, got ${gap.got}`,
      )
    }
    const state = reduce(workflowId, events)
    const definition = row.definition as WorkflowDefinition
    const run = new Run(metaOf(row, definition), state)
    for (const s of definition.steps) stepOf(state, s.id)
    return run
  }

  // -------------------------------------------------------------------------------------------
  // Resume and cancel

  /**
   * Resumes a suspended workflow (or wakes a live one) and resolves at its next suspension or end.
   * `extra` is added to the `workflow_resumed` payload.
   */
  async resume(
    workflowId: string,
    reason: string,
    extra?: Record<string, unknown>,
  ): Promise<ExecutionResult> {
    const run = await this.acquire(workflowId)
    try {
      return await this.resumeRun(run, reason, extra)
    } finally {
      this.core.release(run)
    }
  }

  /** Resumes a loaded run (the caller holds it). */
  resumeRun(run: Run, reason: string, extra?: Record<string, unknown>): Promise<ExecutionResult> {
    const settled = new Promise<ExecutionResult>((resolve) => run.onSettle(resolve))
    if (run.live) {
      run.wake = true
      return settled
    }
    const status = run.state.status
    if (status === 'suspended' || status === 'failed') {
      if (status === 'suspended') resumeEvents(this.core, run, reason, extra)
      void walk(this.core, run) // reports through `settled`
      return settled
    }
    if (status === 'active' || status === 'pending') {
      if (status === 'pending') this.core.emit(run, 'workflow_started')
      void walk(this.core, run) // reports through `settled`
      return settled
    }
    return Promise.reject(
      new AppError('CONFLICT', `workflow ${run.id} is ${status}; it cannot be resumed`),
    )
  }

  /** Cancels a non-terminal workflow (A11: final); its live steps are aborted, children cancelled too. */
  async cancel(workflowId: string, reason: string, by?: string): Promise<ExecutionResult> {
    const run = await this.acquire(workflowId)
    try {
      return await this.cancelRun(run, reason, by)
    } finally {
      this.core.release(run)
    }
  }

  async cancelRun(run: Run, reason: string, by?: string): Promise<ExecutionResult> {
    const status = run.state.status
    if (status === 'completed' || status === 'failed' || status === 'cancelled') {
      throw new AppError('CONFLICT', `workflow ${run.id} is already ${status}`, {
        details: { workflow_id: run.id, status },
      })
    }
    await finishCancelled(this.core, run, reason, by)
    await this.cancelChildren(run.id, `parent workflow ${run.id} cancelled`)
    return buildResult(run.state)
  }

  private async cancelChildren(parentId: string, reason: string): Promise<void> {
    const children = await this.core.deps.store.listChildren(parentId)
    for (const child of children) {
      if (child.status === 'completed' || child.status === 'failed' || child.status === 'cancelled')
        continue
      try {
        await this.cancel(child.id, reason, 'system')
      } catch (err) {
        this.core.deps.logger.warn('could not cancel child workflow', {
          workflow_id: child.id,
          error: String(err),
        })
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Signals (decisions.md D4, D21)

  async signal(workflowId: string, signal: Signal): Promise<SignalResult> {
    if (signal.signal_id !== undefined) {
      const previous = await this.core.deps.store.getSignalResult(workflowId, signal.signal_id)
      if (previous !== undefined) return previous as SignalResult
    }
    const run = await this.acquire(workflowId)
    try {
      return await applySignal(this, run, signal)
    } finally {
      this.core.release(run)
    }
  }

  // -------------------------------------------------------------------------------------------
  // Recovery (decisions.md D6, D21) and durable timers (D5)

  /**
   * At start-up: every `active` workflow was cut short by a crash. It gets
   * `workflow_interrupted`, its running steps `step_interrupted`, and is resumed (unless recovery is
   * manual). Workflows left `pending` are started. Then timers are re-armed.
   */
  async recover(): Promise<{ interrupted: number; resumed: number; started: number }> {
    const core = this.core
    const { store, logger } = core.deps
    let interrupted = 0
    let resumed = 0
    let started = 0
    for (const id of await store.listWorkflowIds('active')) {
      try {
        const run = await this.acquire(id)
        try {
          core.emit(run, 'workflow_interrupted', undefined, { reason: 'process_restart' })
          for (const [key, st] of run.state.steps) {
            if (st.status === 'running' || st.status === 'scheduled') {
              core.emit(run, 'step_interrupted', key, {
                reason: 'process_restart',
                interruptions: st.interruptions + 1,
              })
            }
          }
          interrupted++
          if (core.options.recovery === 'auto') {
            void this.resumeRun(run, 'recovery').catch((err: unknown) => {
              logger.error('recovery resume failed', { workflow_id: id, error: String(err) })
            })
            resumed++
          }
        } finally {
          core.release(run)
        }
      } catch (err) {
        logger.error('could not recover workflow', {
          workflow_id: id,
          error: toAppError(err).toString(),
        })
      }
    }
    for (const id of await store.listWorkflowIds('pending')) {
      try {
        const run = await this.acquire(id)
        try {
          void this.resumeRun(run, 'recovery').catch((err: unknown) => {
            logger.error('could not start pending workflow', {
              workflow_id: id,
              error: String(err),
            })
          })
          started++
        } finally {
          core.release(run)
        }
      } catch (err) {
        logger.error('could not start pending workflow', {
          workflow_id: id,
          error: toAppError(err).toString(),
        })
      }
    }
    await core.journal.flush()
    await this.armTimers()
    if (interrupted + started > 0)
      logger.info('recovered workflows', { interrupted, resumed, started })
    return { interrupted, resumed, started }
  }

  /** Re-arms wake-ups of suspended waits and decision deadlines from the store. */
  async armTimers(): Promise<void> {
    const { wakeups, decisions } = await this.core.deps.store.listTimers()
    for (const w of wakeups) this.armWake(w.workflow_id, w.wake_at)
    for (const d of decisions) this.armDecision(d.workflow_id, d.step_id, d.timeout_at)
  }

  private armWake(workflowId: string, at: number): void {
    if (this.closed) return
    const existing = this.wakeTimers.get(workflowId)
    if (existing !== undefined) {
      if (existing.at <= at) return
      existing.handle.cancel()
    }
    const delay = Math.max(0, at - this.core.now())
    const handle = this.core.deps.clock.setTimer(delay, () => {
      this.wakeTimers.delete(workflowId)
      void this.onWake(workflowId)
    })
    this.wakeTimers.set(workflowId, { at, handle })
  }

  private async onWake(workflowId: string): Promise<void> {
    try {
      const run = await this.acquire(workflowId)
      try {
        if (run.live) run.wake = true
        else if (run.state.status === 'suspended') await this.resumeRun(run, 'timer')
      } finally {
        this.core.release(run)
      }
    } catch (err) {
      this.core.deps.logger.error('timer could not resume workflow', {
        workflow_id: workflowId,
        error: toAppError(err).toString(),
      })
    }
  }

  private armDecision(workflowId: string, stepKey: string, at: number): void {
    if (this.closed) return
    const k = `${workflowId}\u0000${stepKey}`
    this.decisionTimers.get(k)?.cancel()
    const delay = Math.max(0, at - this.core.now())
    this.decisionTimers.set(
      k,
      this.core.deps.clock.setTimer(delay, () => {
        this.decisionTimers.delete(k)
        void this.onDecisionTimeout(workflowId, stepKey)
      }),
    )
  }

  /** §8.4 step 4: an expired decision takes its fallback, or fails its step (TIMEOUT_ERROR). */
  private async onDecisionTimeout(workflowId: string, stepKey: string): Promise<void> {
    const core = this.core
    try {
      const run = await this.acquire(workflowId)
      try {
        const d = run.state.decisions.get(stepKey)
        if (d === undefined || d.status !== 'pending' || run.final) return
        if (d.timeout_at !== undefined && d.timeout_at > core.now()) {
          this.armDecision(workflowId, stepKey, d.timeout_at)
          return
        }
        if (d.fallback !== undefined) {
          core.emit(run, 'decision_resolved', stepKey, {
            resolution: {
              choice: d.fallback,
              reasoning: 'timeout_auto_resolved',
              resolved_by: 'system',
            },
          })
        } else {
          core.emit(run, 'decision_resolved', stepKey, {
            resolution: { choice: '', reasoning: 'timeout_no_fallback', resolved_by: 'system' },
            timed_out: true,
          })
        }
        await core.journal.flush()
        if (run.live) run.wake = true
        else if (run.state.status === 'suspended')
          void this.resumeRun(run, 'decision_timeout').catch(() => {}) // reported through the run
      } finally {
        core.release(run)
      }
    } catch (err) {
      core.deps.logger.error('decision timeout could not be applied', {
        workflow_id: workflowId,
        step_id: stepKey,
        error: toAppError(err).toString(),
      })
    }
  }

  // -------------------------------------------------------------------------------------------
  // Sub-workflows (D21)

  /** Calls `fn` every time any workflow suspends or ends (after it is durable). */
  onSettle(fn: (workflowId: string, result: ExecutionResult) => void): () => void {
    this.settleListeners.add(fn)
    return () => this.settleListeners.delete(fn)
  }

  /**
   * Resolves when `workflowId` is terminal, or suspended on something only the outside world can
   * give (a decision, a signal, a child's decision). Timer waits and backoffs are waited through.
   */
  async untilQuiescent(workflowId: string): Promise<ExecutionResult> {
    for (;;) {
      const next = new Promise<ExecutionResult>((resolve) => {
        const off = this.onSettle((id, r) => {
          if (id === workflowId) {
            off()
            resolve(r)
          }
        })
      })
      const now = await this.snapshot(workflowId)
      if (needsOutside(now) && this.core.runs.get(workflowId)?.live !== true) return now
      await next
    }
  }

  private onSettled(run: Run, result: ExecutionResult): void {
    for (const fn of this.settleListeners) fn(run.id, result)
    const parentId = run.meta.parentId
    const stepKey = run.meta.parentStepId
    if (parentId === undefined || stepKey === undefined) return
    const status = result.status
    if (status !== 'completed' && status !== 'failed' && status !== 'cancelled') return
    void this.notifyParent(parentId, stepKey, run.id, result)
  }

  private async notifyParent(
    parentId: string,
    stepKey: string,
    childId: string,
    result: ExecutionResult,
  ): Promise<void> {
    const core = this.core
    try {
      const parent = await this.acquire(parentId)
      try {
        const type = result.status === 'completed' ? 'child_completed' : 'child_failed'
        core.emit(parent, type, stepKey, {
          child_workflow_id: childId,
          status: result.status,
          ...(result.status === 'completed'
            ? { output: result.output ?? null }
            : { error: result.error ?? null }),
        })
        await core.journal.flush()
        const st = parent.state.steps.get(stepKey)
        if (parent.live) parent.wake = true
        else if (parent.state.status === 'suspended' && st?.status === 'suspended') {
          void this.resumeRun(parent, 'child').catch(() => {}) // reported through the parent run
        }
      } finally {
        core.release(parent)
      }
    } catch (err) {
      core.deps.logger.error('could not notify parent workflow', {
        workflow_id: parentId,
        child_workflow_id: childId,
        error: toAppError(err).toString(),
      })
    }
  }

  private async runChild(
    run: Run,
    key: string,
    st: StepRuntime,
    slot: { holdsSlot: boolean },
    req: { template_name: string; version?: string; params?: Record<string, unknown> },
  ): Promise<unknown> {
    const core = this.core
    let childId = st.childId
    let settled: Promise<ExecutionResult>
    if (childId === undefined) {
      if (run.meta.depth + 1 > core.options.maxDepth) {
        throw new AppError(
          'VALIDATION_ERROR',
          `sub-workflow depth limit (${core.options.maxDepth}) exceeded starting "${req.template_name}"`,
          { stepId: key },
        )
      }
      const tpl = await core.deps.store.getTemplate(req.template_name, req.version)
      if (tpl === undefined) {
        const label =
          req.version === undefined ? req.template_name : `${req.template_name}:${req.version}`
        throw new AppError('NOT_FOUND', `workflow.run: template "${label}" not found`, {
          stepId: key,
        })
      }
      childId = core.deps.ids.uuid()
      core.emit(run, 'child_started', key, {
        child_workflow_id: childId,
        template_name: tpl.name,
        template_version: tpl.version,
      })
      settled = this.start({
        workflowId: childId,
        definition: tpl.definition as WorkflowDefinition,
        params: req.params ?? {},
        agentId: run.meta.agentId,
        templateName: tpl.name,
        templateVersion: tpl.version,
        parentId: run.id,
        parentStepId: key,
        depth: run.meta.depth + 1,
      }).settled
    } else {
      settled = this.waitSettled(childId)
    }
    // D12: waiting on a child holds no pool slot.
    if (slot.holdsSlot) {
      core.pool.release()
      slot.holdsSlot = false
    }
    const result = await settled
    await core.pool.acquire()
    slot.holdsSlot = true
    switch (result.status) {
      case 'completed':
        return result.output ?? null
      case 'failed':
      case 'cancelled': {
        const code = result.status === 'cancelled' ? 'CANCELLED' : 'EXECUTION_ERROR'
        const why = result.error?.message ?? result.status
        throw new AppError(
          code,
          `workflow.run: child workflow ${childId} ${result.status}: ${why}`,
          {
            stepId: key,
            details: {
              child_workflow_id: childId,
              status: result.status,
              error: result.error ?? null,
            },
          },
        )
      }
      default:
        throw new ChildSuspended(childId)
    }
  }

  // -------------------------------------------------------------------------------------------
  // Services of the workflow.* actions

  private services(
    run: Run,
    key: string,
    st: StepRuntime,
    slot: { holdsSlot: boolean },
  ): WorkflowServices {
    const core = this.core
    const { deps } = core
    return {
      runChild: (req) => this.runChild(run, key, st, slot, req),
      readContext: async (workflowId) => {
        const row =
          workflowId === run.id
            ? await this.contextOf(run)
            : await deps.store.getContext(workflowId)
        return row === undefined ? undefined : contextWire(row)
      },
      updateContext: async (workflowId, patch) => {
        if (workflowId === run.id) return contextWire(await this.updateContext(run, patch))
        const other = await this.acquire(workflowId)
        try {
          return contextWire(await this.updateContext(other, patch))
        } finally {
          core.release(other)
        }
      },
      emit: (eventType, payload) => {
        deps.publisher?.publishCustom({
          workflow_id: run.id,
          step_id: key,
          event_type: eventType,
          payload: core.redact(run, payload),
        })
      },
      notify: async (message, data) => {
        if (deps.notifier === undefined) return { notified: false, reason: 'no_notifier' }
        return deps.notifier.notify(run.meta.agentId, {
          message: core.redact(run, message) as string,
          workflow_id: run.id,
          step_id: key,
          ...(data === undefined ? {} : { data: core.redact(run, data) }),
        })
      },
      log: (level, message, data) => {
        deps.logger[level](core.redact(run, message) as string, {
          workflow_id: run.id,
          step_id: key,
          agent_id: run.meta.agentId,
          ...(data === undefined ? {} : { data: core.redact(run, data) }),
        })
      },
    }
  }

  private async contextOf(run: Run): Promise<ContextRow | undefined> {
    await ensureContext(this.core, run)
    return run.context
  }

  /** Updates a workflow's context record (merge by top-level key unless `replace`). */
  async updateContext(
    run: Run,
    patch: {
      accumulated_data?: Record<string, unknown>
      agent_notes?: string
      original_intent?: string
      replace?: boolean
    },
  ): Promise<ContextRow> {
    const core = this.core
    await ensureContext(core, run)
    const now = core.now()
    const prev = run.context
    const data =
      patch.replace === true
        ? { ...(patch.accumulated_data ?? {}) }
        : { ...(prev?.accumulated_data ?? {}), ...(patch.accumulated_data ?? {}) }
    const row: ContextRow = {
      workflow_id: run.id,
      agent_id: run.meta.agentId,
      original_intent: patch.original_intent ?? prev?.original_intent ?? '',
      decisions_log: prev?.decisions_log ?? [],
      accumulated_data: data,
      created_at: prev?.created_at ?? now,
      updated_at: now,
    }
    const notes = patch.agent_notes ?? prev?.agent_notes
    if (notes !== undefined) row.agent_notes = notes
    run.context = row
    run.contextLoaded = true
    core.journal.putContext(row)
    core.emit(run, 'context_updated', undefined, {
      keys: Object.keys(patch.accumulated_data ?? {}),
      replace: patch.replace === true,
      ...(patch.agent_notes === undefined ? {} : { agent_notes: true }),
    })
    return row
  }

  // -------------------------------------------------------------------------------------------

  /** Stops timers and waits for buffered events to be durable. Live runs are left to recovery. */
  async close(): Promise<void> {
    this.closed = true
    for (const t of this.wakeTimers.values()) t.handle.cancel()
    for (const t of this.decisionTimers.values()) t.cancel()
    this.wakeTimers.clear()
    this.decisionTimers.clear()
    await this.core.journal.flush()
  }

  /** Live runs and pool use, for health and tests. */
  stats(): { loaded: number; live: number; pool: { size: number; busy: number; waiting: number } } {
    let live = 0
    for (const r of this.core.runs.values()) if (r.live) live++
    return { loaded: this.core.runs.size, live, pool: this.core.pool.stats() }
  }
}

/** Terminal, or suspended waiting for a decision or a signal. */
function needsOutside(r: ExecutionResult): boolean {
  if (r.status === 'completed' || r.status === 'failed' || r.status === 'cancelled') return true
  return r.status === 'suspended' && r.wake_at === undefined
}

function metaOf(row: WorkflowRow, definition: WorkflowDefinition): RunMeta {
  const meta: RunMeta = {
    id: row.id,
    definition,
    inputs: row.input_params ?? {},
    agentId: row.agent_id,
    depth: row.depth ?? 0,
    createdAt: row.created_at,
  }
  if (row.name !== undefined) meta.name = row.name
  if (row.template_name !== undefined) meta.templateName = row.template_name
  if (row.template_version !== undefined) meta.templateVersion = row.template_version
  if (row.parent_workflow_id !== undefined) meta.parentId = row.parent_workflow_id
  if (row.parent_step_id !== undefined) meta.parentStepId = row.parent_step_id
  return meta
}

export function contextWire(row: ContextRow): WorkflowContext {
  const out: WorkflowContext = {
    workflow_id: row.workflow_id,
    agent_id: row.agent_id,
    original_intent: row.original_intent,
    decisions_log: row.decisions_log,
    accumulated_data: row.accumulated_data,
    created_at: iso(row.created_at) as string,
    updated_at: iso(row.updated_at) as string,
  }
  if (row.agent_notes !== undefined) out.agent_notes = row.agent_notes
  return out
}

export function createEngine(deps: EngineDeps): Engine {
  return new Engine(deps)
}
