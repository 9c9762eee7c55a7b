/**
 * The engine's shared machinery: ports, journal, pool, breakers, the map of loaded runs, and
 * `emit` — the one way state changes (apply to the run's state, then buffer for the log).
 */
import { AppError, type ErrorObject } from '../errors.ts'
import { EVENT_SCHEMA_VERSION } from '../schema/event.ts'
import type { ExecutionResult } from '../schema/run.ts'
import type { Step } from '../schema/workflow.ts'
import {
  type BreakerSettings,
  Breakers,
  type BreakerTransition,
  DEFAULT_BREAKER,
} from './breaker.ts'
import type { Cancel } from './cancel.ts'
import { Journal } from './journal.ts'
import { Pool } from './pool.ts'
import type {
  ActionRegistry,
  Clock,
  EventPublisher,
  Expressions,
  Ids,
  Logger,
  Notifier,
  RunStore,
  SecretResolver,
  StoredEvent,
  WorkflowServices,
} from './ports.ts'
import { applyEvent, type RunState, type StepRuntime } from './reduce.ts'
import type { Run } from './run.ts'

export interface EngineOptions {
  /** Concurrently executing actions (decisions.md D12, default 10). */
  poolSize: number
  /** Group-commit delay bound, ms (default 2). */
  flushDelayMs: number
  /** Group-commit size bound, events (default 4096). */
  flushMaxEvents: number
  /** Waits longer than this suspend the workflow; shorter ones stay active (D5, default 1000 ms). */
  waitSuspendThresholdMs: number
  /** Sub-workflow depth limit (D19, default 10). */
  maxDepth: number
  breaker: BreakerSettings
  /** D6: resume interrupted workflows at start-up ('auto') or leave them suspended ('manual'). */
  recovery: 'auto' | 'manual'
  /** D21: crash interruptions of one step attempt before it fails with INTERRUPTED (default 3). */
  maxInterruptions: number
}

export const DEFAULT_ENGINE_OPTIONS: EngineOptions = {
  poolSize: 10,
  flushDelayMs: 2,
  flushMaxEvents: 4096,
  waitSuspendThresholdMs: 1000,
  maxDepth: 10,
  breaker: DEFAULT_BREAKER,
  recovery: 'auto',
  maxInterruptions: 3,
}

/** Redacts known secret values (and their encodings) from a JSON value. */
export type Redact = (value: unknown, secrets: ReadonlySet<string>) => unknown

export interface EngineDeps {
  store: RunStore
  actions: ActionRegistry
  expressions: Expressions
  clock: Clock
  ids: Ids
  logger: Logger
  publisher?: EventPublisher
  notifier?: Notifier
  secrets?: SecretResolver
  redact?: Redact
  options?: Partial<EngineOptions>
}

/** Where a step runs: the chain of enclosing sequences (loop bodies, branches). */
export interface Frame {
  parent?: Frame
  /** Loop variables of the nearest enclosing loop. */
  loop?: { item: unknown; index: number }
  /** Local id → full key of siblings already run in this sequence (A7: local shadows top-level). */
  locals?: Map<string, string>
  /** Aborted when this scope must stop (race lost, enclosing step timed out, run stopped). */
  cancel: Cancel
}

/** Result of one execution of a step (after its retries and error handling). */
export type Outcome =
  | { kind: 'completed'; output: unknown; hasOutput: boolean }
  | { kind: 'skipped' }
  | { kind: 'suspended' }
  | { kind: 'failed'; error: AppError }
  | { kind: 'aborted' }

/** Result of one attempt of a step's type-specific logic. */
export type Attempt =
  | { ok: true; output: unknown; hasOutput: boolean }
  | { ok: false; error: AppError }
  | { suspended: true }

export const SUSPENDED: Attempt = { suspended: true }

export type AttemptFn = (
  core: Core,
  run: Run,
  step: Step,
  key: string,
  frame: Frame,
  st: StepRuntime,
) => Promise<Attempt> | Attempt

/** Thrown by runChild when the child suspended: the parent step suspends too. */
export class ChildSuspended extends Error {
  constructor(readonly childId: string) {
    super(`child workflow ${childId} is suspended`)
  }
}

export class Core {
  readonly options: EngineOptions
  readonly journal: Journal
  readonly pool: Pool
  readonly breakers: Breakers
  readonly runs = new Map<string, Run>()
  readonly attempts: Partial<Record<string, AttemptFn>> = {}
  /** Durable timers (D5), armed by the engine's timer service. */
  hooks: {
    armDecision(workflowId: string, stepKey: string, at: number): void
    armWake(workflowId: string, at: number): void
    /** A run suspended or ended (children notify their parent). */
    settled(run: Run, result: ExecutionResult): void
  } = { armDecision: () => {}, armWake: () => {}, settled: () => {} }
  /** Services for the `workflow.*` actions of one step attempt; set by the engine. */
  services: (
    run: Run,
    stepKey: string,
    st: StepRuntime,
    slot: { holdsSlot: boolean },
  ) => WorkflowServices = () => {
    throw new AppError('EXECUTION_ERROR', 'workflow services are not configured')
  }

  constructor(readonly deps: EngineDeps) {
    this.options = { ...DEFAULT_ENGINE_OPTIONS, ...deps.options }
    if (!(this.options.poolSize > 0)) this.options.poolSize = DEFAULT_ENGINE_OPTIONS.poolSize
    this.journal = new Journal(deps.store, deps.clock, deps.publisher, {
      delayMs: this.options.flushDelayMs,
      maxEvents: this.options.flushMaxEvents,
    })
    this.pool = new Pool(this.options.poolSize)
    this.breakers = new Breakers(this.options.breaker)
  }

  /** Counts an operation using a loaded run; it stays in memory until the last one ends. */
  hold(run: Run): void {
    run.holds++
  }

  /** Ends an operation on a run; a run nobody holds and not live leaves memory. */
  release(run: Run): void {
    run.holds--
    if (run.holds <= 0 && !run.live && this.runs.get(run.id) === run) this.runs.delete(run.id)
  }

  now(): number {
    return this.deps.clock.now()
  }

  /** Appends an event: applied to the run's state at once, durable at the next flush. */
  emit(
    run: Run,
    type: string,
    stepId?: string,
    payload?: unknown,
    payloadJson?: string,
  ): StoredEvent | undefined {
    if (run.final) return undefined
    const state = run.state
    // One object shape for every event (absent fields are undefined), so the hot path stays monomorphic.
    const ev: StoredEvent = {
      id: undefined,
      workflow_id: run.id,
      sequence: state.seq + 1,
      step_id: stepId,
      event_type: type,
      payload,
      payload_json: payloadJson,
      agent_id: run.meta.agentId,
      timestamp: this.deps.clock.now(),
      v: EVENT_SCHEMA_VERSION,
    }
    applyEvent(state, ev)
    this.journal.append(state, ev)
    return ev
  }

  /** Emits a breaker transition as an event of the workflow that caused it (A16). */
  emitBreaker(run: Run, stepId: string, tr: BreakerTransition | undefined): void {
    if (tr !== undefined) this.emit(run, tr.type, stepId, tr.stats)
  }

  /** Sleeps `ms`, or less when `cancel` aborts (resolves false then). Holds no pool slot. */
  sleep(ms: number, cancel: Cancel): Promise<boolean> {
    if (cancel.aborted) return Promise.resolve(false)
    if (ms <= 0) return Promise.resolve(true)
    return new Promise((resolve) => {
      const timer = this.deps.clock.setTimer(ms, () => {
        off()
        resolve(true)
      })
      const off = cancel.onAbort(() => {
        timer.cancel()
        resolve(false)
      })
    })
  }

  /** Redacts the run's secrets from a value about to be recorded. */
  redact(run: Run, value: unknown): unknown {
    if (run.secretValues.size === 0 || this.deps.redact === undefined) return value
    return this.deps.redact(value, run.secretValues)
  }

  redactError(run: Run, err: AppError): AppError {
    if (run.secretValues.size === 0 || this.deps.redact === undefined) return err
    const obj = this.deps.redact(err.toJSON(), run.secretValues) as ErrorObject
    return new AppError(err.code, obj.message, {
      ...(obj.details === undefined ? {} : { details: obj.details }),
      ...(err.stepId === undefined ? {} : { stepId: err.stepId }),
      cause: err,
    })
  }
}

/** The step-state view of a run, for modules that only read it. */
export function stateOf(run: Run): RunState {
  return run.state
}
