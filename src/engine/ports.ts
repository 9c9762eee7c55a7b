/**
 * What the pure engine needs from the outside world. Adapters (store, actions, expressions, vault,
 * hub, notifier) implement these; main.ts plugs them in. Time, timers and ids come through ports
 * too, so runs replay and engine tests drive a fake clock.
 */
import type { TSchema } from '@sinclair/typebox'
import type { Issue } from '../errors.ts'
import type { WorkflowContext } from '../schema/run.ts'
import type { StepLimits } from '../schema/workflow.ts'

// ---------------------------------------------------------------------------------------------
// Time and ids

export interface TimerHandle {
  cancel(): void
}

export interface Clock {
  /** Current time, epoch milliseconds. */
  now(): number
  /** Calls `fn` after `delayMs` (≥ 0). The handle cancels it. */
  setTimer(delayMs: number, fn: () => void): TimerHandle
}

export interface Ids {
  /** A unique id for workflows and decisions (a UUID; time-ordered in production). */
  uuid(): string
}

// ---------------------------------------------------------------------------------------------
// Logging

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

export interface Logger {
  debug(msg: string, attrs?: Record<string, unknown>): void
  info(msg: string, attrs?: Record<string, unknown>): void
  warn(msg: string, attrs?: Record<string, unknown>): void
  error(msg: string, attrs?: Record<string, unknown>): void
}

// ---------------------------------------------------------------------------------------------
// Expressions (implemented by src/expressions)

/** Variables a CEL expression sees (spec workflow.md §10.1). `steps` maps step key → output. */
export interface CelScope {
  steps: Record<string, unknown>
  inputs: Record<string, unknown>
  workflow: Record<string, unknown>
  context: Record<string, unknown>
  iter: Record<string, unknown>
}

/** Resolves `${{secrets.NAME}}`; throws AppError NOT_FOUND or VAULT_ERROR. */
export interface SecretResolver {
  resolve(name: string): string
}

/** Scope of `${{...}}` interpolation (spec workflow.md §9.3). `steps` maps step key → output. */
export interface InterpolationScope {
  steps: Record<string, unknown>
  inputs: Record<string, unknown>
  workflow: Record<string, unknown>
  context: Record<string, unknown>
  /** Current loop variables `{item, index}`; absent outside loops. */
  loop?: { item: unknown; index: number }
  /** Absent when no vault is configured: `${{secrets.X}}` then fails with VAULT_ERROR. */
  secrets?: SecretResolver
}

export interface Expressions {
  /**
   * Evaluates CEL. Returns plain JSON (BigInt converted; unsafe integers rejected). Throws AppError
   * VALIDATION_ERROR for an empty or uncompilable expression, EXECUTION_ERROR at run time.
   */
  cel(expression: string, scope: CelScope): unknown
  /**
   * Resolves every `${{...}}` in a parsed JSON tree (decisions: typed whole values, stringified
   * embeddings, no re-scan, keys untouched, secrets last). Throws AppError INTERPOLATION_ERROR.
   */
  interpolate(value: unknown, scope: InterpolationScope): unknown
}

// ---------------------------------------------------------------------------------------------
// Actions (implemented by src/actions and src/plugins)

/**
 * What an action sees of the run (spec workflow.md §7.4): the run params at top level, then
 * `steps` (key → output), `inputs`, `workflow`, `context`, `workflow_id`, `step_id`, `agent_id`.
 */
export type ActionScope = Record<string, unknown>

export interface ActionContext {
  workflowId: string
  /** Step key (dotted for nested steps). */
  stepId: string
  agentId: string
  /** 1 for the first attempt. */
  attempt: number
  /** decisions.md D7: `<workflow_id>:<step_key>`, stable across retries. */
  idempotencyKey: string
  /** Aborted when the step times out or the workflow is cancelled; actions must stop then. */
  signal: AbortSignal
  /** Epoch ms after which the step times out, when it has a deadline. */
  deadline?: number
  /** decisions.md D18: per-step limits already clamped to the server maxima. */
  limits?: StepLimits
  scope: ActionScope
  services: WorkflowServices
  log: Logger
}

export interface Action {
  /** Unique name, e.g. `http.get`, or `<plugin>.<tool>` for plugins. */
  name: string
  description: string
  /** Schema of `params` (TypeBox, or a plain JSON Schema for plugin tools). */
  params: TSchema | Record<string, unknown>
  /** Side-effect free: running it again after a crash is harmless, so it forces no flush (durability.md). */
  pure: boolean
  /** Returns the step output (a JSON value) or throws an AppError. */
  execute(params: Record<string, unknown>, ctx: ActionContext): unknown | Promise<unknown>
}

export interface ActionRegistry {
  get(name: string): Action | undefined
  /** Problems of `params` against the action's schema (paths relative to params, e.g. `/url`). */
  check(action: Action, params: unknown): Issue[]
  names(): string[]
}

/** Engine services offered to the `workflow.*` actions. */
export interface WorkflowServices {
  /**
   * Runs a template as a child workflow and resolves with the child's output. Rejects with an
   * AppError when the child fails or is cancelled; when the child suspends, the parent step
   * suspends too (the engine handles that: just let the promise settle).
   */
  runChild(request: {
    template_name: string
    version?: string
    params?: Record<string, unknown>
  }): Promise<unknown>
  readContext(workflowId: string): Promise<WorkflowContext | undefined>
  /** Merges `accumulated_data` by top-level key unless `replace` is true. */
  updateContext(
    workflowId: string,
    patch: {
      accumulated_data?: Record<string, unknown>
      agent_notes?: string
      original_intent?: string
      replace?: boolean
    },
  ): Promise<WorkflowContext>
  /** Publishes a custom event to live subscribers (not written to the event log). */
  emit(eventType: string, payload: unknown): void
  /** Best-effort push to the workflow's agent (decisions.md D20). */
  notify(message: string, data?: unknown): Promise<{ notified: boolean; reason?: string }>
  log(level: LogLevel, message: string, data?: unknown): void
}

// ---------------------------------------------------------------------------------------------
// Outward pushes

/** Delivers `workflow.notify` messages to an agent's live MCP sessions. */
export interface Notifier {
  notify(
    agentId: string,
    message: { message: string; workflow_id: string; step_id: string; data?: unknown },
  ): Promise<{ notified: boolean; reason?: string }>
}

// ---------------------------------------------------------------------------------------------
// Persistence of runs (implemented by src/store: SQLite, and an in-memory store for benchmarks)

/** A stored event. Times are epoch ms; `payload` is any JSON value. */
export interface StoredEvent {
  /** Global, monotonic id assigned by the store (absent before commit). */
  id?: number
  workflow_id: string
  sequence: number
  step_id?: string
  event_type: string
  payload?: unknown
  agent_id?: string
  timestamp: number
  /** Event schema version (decisions.md D15). */
  v: number
  /** `payload` already serialised by the engine (so large outputs are stringified once). */
  payload_json?: string
}

export interface WorkflowRow {
  id: string
  name?: string
  template_name?: string
  template_version?: string
  definition: unknown
  status: string
  agent_id: string
  parent_workflow_id?: string
  /** Step key of the parent's `workflow.run` step. */
  parent_step_id?: string
  /** Nesting depth: 0 for top-level runs. */
  depth: number
  input_params: Record<string, unknown>
  output?: unknown
  error?: unknown
  created_at: number
  started_at?: number
  completed_at?: number
  updated_at: number
  wake_at?: number | null
}

/** The fields of a workflow row that change while it runs. */
export interface WorkflowPatch {
  id: string
  status: string
  output?: unknown
  error?: unknown
  started_at?: number
  completed_at?: number
  updated_at: number
  /** When a suspended wait resumes by itself (null once it no longer applies). */
  wake_at?: number | null
}

/** Materialized step state (projection of the events, written once per flush). */
export interface StepRow {
  workflow_id: string
  step_id: string
  status: string
  output?: unknown
  /** `output` already serialised (avoids a second JSON.stringify on the hot path). */
  output_json?: string
  error?: unknown
  retry_count: number
  started_at?: number
  completed_at?: number
  duration_ms?: number
}

export interface DecisionRow {
  id: string
  workflow_id: string
  step_id: string
  agent_id?: string
  target_agent_id?: string
  context: unknown
  options: Array<{ id: string; description?: string }>
  timeout_at?: number
  fallback?: string
  resolution?: { choice: string; reasoning?: string; data?: unknown; resolved_by?: string }
  resolved_by?: string
  resolved_at?: number
  status: 'pending' | 'resolved' | 'cancelled' | 'timed_out'
  created_at: number
}

export interface ContextRow {
  workflow_id: string
  agent_id: string
  original_intent: string
  decisions_log: unknown[]
  accumulated_data: Record<string, unknown>
  agent_notes?: string
  created_at: number
  updated_at: number
}

export interface TemplateRow {
  name: string
  version: string
  definition: unknown
  input_schema?: unknown
  agent_id: string
}

/** Everything one flush writes, in one transaction. */
export interface CommitBatch {
  newWorkflows: WorkflowRow[]
  events: StoredEvent[]
  workflows: WorkflowPatch[]
  steps: StepRow[]
  decisions: DecisionRow[]
  contexts: ContextRow[]
  /** Results of signals sent with a `signal_id`, for idempotent re-sends. */
  signals: Array<{ workflow_id: string; signal_id: string; result: unknown; created_at: number }>
}

/**
 * What the engine reads and writes. `commit` is atomic: all of the batch or nothing. A synchronous
 * store returns from `commit` once it is durable; an asynchronous one returns a promise.
 */
export interface RunStore {
  commit(batch: CommitBatch): void | Promise<void>
  getWorkflow(id: string): Promise<WorkflowRow | undefined>
  /** Events of one workflow in sequence order (sequence > afterSequence). */
  listEvents(workflowId: string, afterSequence?: number): Promise<StoredEvent[]>
  /** Ids of workflows in a status (recovery, timers). */
  listWorkflowIds(status: string): Promise<string[]>
  getTemplate(name: string, version?: string): Promise<TemplateRow | undefined>
  getContext(workflowId: string): Promise<ContextRow | undefined>
  getDecisions(workflowId: string): Promise<DecisionRow[]>
  getSignalResult(workflowId: string, signalId: string): Promise<unknown | undefined>
  /** Child workflows of a parent (sub-workflows). */
  listChildren(parentId: string): Promise<WorkflowRow[]>
  /** Durable timers to re-arm at start-up (decisions.md D5): suspended waits and decision deadlines. */
  listTimers(): Promise<{
    wakeups: Array<{ workflow_id: string; wake_at: number }>
    decisions: Array<{ workflow_id: string; step_id: string; timeout_at: number }>
  }>
}

/** Live stream of committed events (panel, SSE); publish happens after commit. */
export interface EventPublisher {
  publish(event: StoredEvent): void
  /** Custom events of `workflow.emit`: live only, never stored. */
  publishCustom(event: {
    workflow_id: string
    step_id?: string
    event_type: string
    payload?: unknown
  }): void
}
