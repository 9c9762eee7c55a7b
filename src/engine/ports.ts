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
  /** A random version-4 UUID. */
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
