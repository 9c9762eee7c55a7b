/**
 * `workflow.run`, `workflow.emit`, `workflow.context`, `workflow.fail`, `workflow.log`,
 * `workflow.notify` (spec actions.md §7 with recommendations 3–5). They act only through
 * `ctx.services` (engine/ports.ts WorkflowServices); the engine implements the services.
 *
 * `workflow.context` update merges `data` into `accumulated_data` key by key at the top level
 * (`replace: true` swaps the whole object), and keeps `original_intent` and `agent_notes` unless
 * new ones are given.
 */
import { type Static, Type } from '@sinclair/typebox'
import type { Action, LogLevel } from '../engine/ports.ts'
import { AppError } from '../errors.ts'
import { assertParams } from './registry.ts'

const RunParams = Type.Object({
  template_name: Type.String({
    minLength: 1,
    description: 'Name of the template to run as a child.',
  }),
  version: Type.Optional(
    Type.String({
      minLength: 1,
      description: "Exact template version, e.g. 'v2'; absent → the highest version.",
    }),
  ),
  params: Type.Optional(
    Type.Record(Type.String(), Type.Unknown(), {
      description: 'Run params of the child workflow.',
    }),
  ),
})

export const workflowRunAction: Action = {
  name: 'workflow.run',
  description:
    "Runs a template as a child workflow and returns the child's output; fails when the child fails or is cancelled, suspends when it suspends.",
  params: RunParams,
  pure: false,
  async execute(params, ctx) {
    assertParams(workflowRunAction, params)
    const p = params as Static<typeof RunParams>
    const child = ctx.services.runChild({
      template_name: p.template_name,
      ...(p.version === undefined ? {} : { version: p.version }),
      ...(p.params === undefined ? {} : { params: p.params }),
    })
    const output = await untilAborted(child, ctx.signal, 'workflow.run')
    return output === undefined ? null : output
  },
}

const EmitParams = Type.Object({
  event_type: Type.String({
    minLength: 1,
    description: "Custom event type seen by live subscribers, e.g. 'progress'.",
  }),
  payload: Type.Optional(Type.Unknown({ description: 'Event payload (any JSON value).' })),
})

export const workflowEmitAction: Action = {
  name: 'workflow.emit',
  description:
    'Publishes a custom event to live subscribers (not stored in the event log; best effort). Returns {emitted: true}.',
  params: EmitParams,
  pure: false,
  execute(params, ctx) {
    assertParams(workflowEmitAction, params)
    const p = params as Static<typeof EmitParams>
    ctx.services.emit(p.event_type, p.payload === undefined ? null : p.payload)
    return { emitted: true }
  },
}

const ContextParams = Type.Object({
  action: Type.Union([Type.Literal('read'), Type.Literal('update')], {
    description: "'read' returns the context record; 'update' changes it.",
  }),
  workflow_id: Type.Optional(
    Type.String({ minLength: 1, description: 'Target workflow (default: the current one).' }),
  ),
  data: Type.Optional(
    Type.Record(Type.String(), Type.Unknown(), {
      description:
        'update: keys merged into accumulated_data (each top-level key replaced); with replace: true, the new accumulated_data.',
    }),
  ),
  replace: Type.Optional(
    Type.Boolean({
      description:
        'update: replace accumulated_data with data (absent data → {}) instead of merging (default false).',
    }),
  ),
  agent_notes: Type.Optional(
    Type.String({ description: 'update: new agent notes (absent → kept).' }),
  ),
  original_intent: Type.Optional(
    Type.String({ description: 'update: new original intent (absent → kept).' }),
  ),
})

export const workflowContextAction: Action = {
  name: 'workflow.context',
  description:
    "Reads or updates a workflow's context record (intent, accumulated_data, agent_notes). Read returns the record; update returns {updated: true, workflow_id}.",
  params: ContextParams,
  pure: false,
  async execute(params, ctx) {
    assertParams(workflowContextAction, params)
    const p = params as Static<typeof ContextParams>
    const workflowId = p.workflow_id ?? ctx.workflowId
    if (p.action === 'read') {
      const record = await ctx.services.readContext(workflowId)
      if (record === undefined) {
        throw new AppError(
          'EXECUTION_ERROR',
          `workflow.context: read failed: workflow ${workflowId} has no context record`,
          { details: { workflow_id: workflowId } },
        )
      }
      return record
    }
    const patch: Parameters<typeof ctx.services.updateContext>[1] = {}
    if (p.replace === true) {
      patch.accumulated_data = { ...(p.data ?? {}) }
      patch.replace = true
    } else if (p.data !== undefined) {
      patch.accumulated_data = p.data // the service merges it by top-level key
    }
    if (p.agent_notes !== undefined) patch.agent_notes = p.agent_notes
    if (p.original_intent !== undefined) patch.original_intent = p.original_intent
    await ctx.services.updateContext(workflowId, patch)
    return { updated: true, workflow_id: workflowId }
  },
}

const FailParams = Type.Object({
  reason: Type.Optional(
    Type.String({
      description: "Failure message (default 'workflow.fail invoked'). The failure is not retried.",
    }),
  ),
})

export const workflowFailAction: Action = {
  name: 'workflow.fail',
  description:
    'Fails the step with NON_RETRYABLE and the given reason (an on_error handler may catch it).',
  params: FailParams,
  pure: true,
  execute(params) {
    assertParams(workflowFailAction, params)
    const p = params as Static<typeof FailParams>
    const reason = p.reason === undefined || p.reason === '' ? 'workflow.fail invoked' : p.reason
    throw new AppError('NON_RETRYABLE', reason)
  },
}

const LogParams = Type.Object({
  message: Type.String({ description: 'Log message.' }),
  level: Type.Optional(
    Type.String({
      description: "'debug', 'info' (default), 'warn' or 'error'; anything else logs at info.",
    }),
  ),
  data: Type.Optional(Type.Unknown({ description: 'Structured data attached to the line.' })),
})

const LEVELS: Record<string, LogLevel> = {
  debug: 'debug',
  info: 'info',
  warn: 'warn',
  warning: 'warn',
  error: 'error',
}

export const workflowLogAction: Action = {
  name: 'workflow.log',
  description:
    'Writes one structured log line tagged with the workflow and step ids. Returns {logged: true}.',
  params: LogParams,
  pure: false,
  execute(params, ctx) {
    assertParams(workflowLogAction, params)
    const p = params as Static<typeof LogParams>
    const level = LEVELS[(p.level ?? 'info').toLowerCase()] ?? 'info'
    ctx.services.log(level, p.message, p.data)
    return { logged: true }
  },
}

const NotifyParams = Type.Object({
  message: Type.String({ description: 'Text pushed to the agent that owns the workflow.' }),
  data: Type.Optional(Type.Unknown({ description: 'Structured data sent with the message.' })),
})

export const workflowNotifyAction: Action = {
  name: 'workflow.notify',
  description:
    "Pushes a message to the workflow's agent over MCP. Never fails the step: returns {notified: true} or {notified: false, reason: 'agent_not_connected' | 'no_notifier' | 'send_failed' | 'cancelled'}.",
  params: NotifyParams,
  pure: false,
  async execute(params, ctx) {
    assertParams(workflowNotifyAction, params)
    const p = params as Static<typeof NotifyParams>
    try {
      const result = await untilAborted(
        ctx.services.notify(p.message, p.data),
        ctx.signal,
        'workflow.notify',
      )
      return result.notified || result.reason === undefined
        ? { notified: result.notified === true }
        : { notified: false, reason: result.reason }
    } catch (err) {
      if (ctx.signal.aborted) return { notified: false, reason: 'cancelled' }
      ctx.log.warn('workflow.notify: send failed', {
        workflow_id: ctx.workflowId,
        step_id: ctx.stepId,
        error: err instanceof Error ? err.message : String(err),
      })
      return { notified: false, reason: 'send_failed' }
    }
  },
}

/**
 * Settles with `promise`, or rejects as soon as the step signal aborts: with the engine's reason
 * when it is an AppError (step timeout, cancellation), else EXECUTION_ERROR `<action>: cancelled`.
 */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal, name: string): Promise<T> {
  const reason = () =>
    signal.reason instanceof AppError
      ? signal.reason
      : new AppError('EXECUTION_ERROR', `${name}: cancelled`, { cause: signal.reason })
  if (signal.aborted) {
    void promise.catch(() => undefined) // settled later by the engine; nobody waits for it here
    return Promise.reject(reason())
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(reason())
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(err)
      },
    )
  })
}

/** Every workflow.* action. */
export function workflowActions(): Action[] {
  return [
    workflowRunAction,
    workflowEmitAction,
    workflowContextAction,
    workflowFailAction,
    workflowLogAction,
    workflowNotifyAction,
  ]
}
