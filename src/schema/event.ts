/**
 * The event log's vocabulary (spec workflow.md §12, decisions.md D15/D21). Events are append-only,
 * ordered per workflow by a gap-free `sequence` starting at 1; `v` is the schema version column.
 */
import { type Static, Type } from '@sinclair/typebox'

/** Current schema version written with every new event. Old logs keep their `v` and stay readable. */
export const EVENT_SCHEMA_VERSION = 1

export const EventType = [
  // workflow lifecycle
  'workflow_started',
  'workflow_resumed',
  'workflow_completed',
  'workflow_failed',
  'workflow_cancelled',
  'workflow_suspended',
  'workflow_timed_out',
  'workflow_interrupted',
  'workflow_retried',
  // steps
  'step_started',
  'step_completed',
  'step_failed',
  'step_skipped',
  'step_retrying',
  'step_retried',
  'step_suspended',
  'step_interrupted',
  'step_retry_attempt',
  'error_handler_invoked',
  'step_ignored',
  'step_fallback',
  // agent in the loop
  'decision_requested',
  'decision_resolved',
  'decision_cancelled',
  'signal_received',
  // flow control
  'condition_evaluated',
  'loop_iter_started',
  'loop_iter_completed',
  'loop_completed',
  'parallel_started',
  'parallel_completed',
  'wait_started',
  'wait_completed',
  // sub-workflows
  'child_started',
  'child_completed',
  'child_failed',
  // context and extension
  'context_updated',
  'variable_set',
  'dag_mutated',
  // circuit breakers
  'circuit_breaker_open',
  'circuit_breaker_half_open',
  'circuit_breaker_closed',
] as const
export type EventType = (typeof EventType)[number]

/** Wire form of an event (spec server.md §3). Timestamps are RFC 3339. */
export const WorkflowEvent = Type.Object({
  id: Type.Number({ description: 'Global event id (monotonic).' }),
  workflow_id: Type.String(),
  step_id: Type.Optional(Type.String({ description: 'Step key; nested steps use dotted keys.' })),
  event_type: Type.String(),
  payload: Type.Optional(Type.Unknown()),
  agent_id: Type.Optional(Type.String()),
  timestamp: Type.String({ description: 'RFC 3339 time the event was recorded.' }),
  sequence: Type.Integer({ minimum: 1, description: 'Per-workflow position, gap-free from 1.' }),
})
export type WorkflowEvent = Static<typeof WorkflowEvent>

/** Why a step was skipped (decisions.md D21). Only the last two are reopened by a retry. */
export const SkipReason = [
  'guard_false',
  'branch_not_taken',
  'signal',
  'upstream_failed',
  'workflow_ended',
] as const
export type SkipReason = (typeof SkipReason)[number]
