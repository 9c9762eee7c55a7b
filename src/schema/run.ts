/**
 * Shapes of runs and their records as they travel on the wire (spec server.md §3): workflow and
 * step statuses, execution results, step states, decisions, templates, agents, contexts.
 * Times are RFC 3339 strings on the wire.
 */
import { type Static, Type } from '@sinclair/typebox'

export const WorkflowStatus = [
  'pending',
  'active',
  'suspended',
  'completed',
  'failed',
  'cancelled',
] as const
export type WorkflowStatus = (typeof WorkflowStatus)[number]
export const TERMINAL_WORKFLOW: ReadonlySet<WorkflowStatus> = new Set([
  'completed',
  'failed',
  'cancelled',
])

export const StepStatus = [
  'pending',
  'scheduled',
  'running',
  'completed',
  'failed',
  'skipped',
  'suspended',
  'retrying',
] as const
export type StepStatus = (typeof StepStatus)[number]
export const TERMINAL_STEP: ReadonlySet<StepStatus> = new Set(['completed', 'failed', 'skipped'])

export const ErrorObjectSchema = Type.Object({
  code: Type.String({ description: 'Error code, e.g. STEP_FAILED.' }),
  message: Type.String(),
  details: Type.Optional(Type.Unknown()),
  step_id: Type.Optional(Type.String()),
})

export const StepResult = Type.Object({
  step_id: Type.String(),
  status: Type.String(),
  output: Type.Optional(Type.Unknown()),
  error: Type.Optional(ErrorObjectSchema),
  duration_ms: Type.Optional(Type.Number()),
})
export type StepResult = Static<typeof StepResult>

export const ExecutionResult = Type.Object({
  workflow_id: Type.String(),
  status: Type.String({
    description: 'completed | failed | cancelled | suspended | active | pending',
  }),
  output: Type.Optional(
    Type.Unknown({ description: 'Outputs of the sink steps, keyed by step id.' }),
  ),
  error: Type.Optional(ErrorObjectSchema),
  started_at: Type.Optional(Type.String()),
  completed_at: Type.Optional(Type.String()),
  steps: Type.Optional(Type.Record(Type.String(), StepResult)),
  pending_decisions: Type.Optional(Type.Array(Type.Unknown())),
  wake_at: Type.Optional(Type.String({ description: 'When a suspended wait resumes by itself.' })),
})
export type ExecutionResult = Static<typeof ExecutionResult>

export const StepState = Type.Object({
  workflow_id: Type.String(),
  step_id: Type.String(),
  status: Type.String(),
  input: Type.Optional(Type.Unknown()),
  output: Type.Optional(Type.Unknown()),
  error: Type.Optional(ErrorObjectSchema),
  retry_count: Type.Integer(),
  started_at: Type.Optional(Type.String()),
  completed_at: Type.Optional(Type.String()),
  duration_ms: Type.Optional(Type.Number()),
})
export type StepState = Static<typeof StepState>

export const DecisionStatus = ['pending', 'resolved', 'timed_out', 'cancelled'] as const
export type DecisionStatus = (typeof DecisionStatus)[number]

export const Resolution = Type.Object({
  choice: Type.String(),
  reasoning: Type.Optional(Type.String()),
  data: Type.Optional(Type.Unknown()),
  resolved_by: Type.Optional(Type.String()),
})
export type Resolution = Static<typeof Resolution>

export const PendingDecision = Type.Object({
  id: Type.String(),
  workflow_id: Type.String(),
  step_id: Type.String(),
  agent_id: Type.Optional(Type.String()),
  target_agent_id: Type.Optional(Type.String()),
  context: Type.Unknown(),
  options: Type.Array(
    Type.Object({ id: Type.String(), description: Type.Optional(Type.String()) }),
  ),
  timeout_at: Type.Optional(Type.String()),
  fallback: Type.Optional(Type.String()),
  resolution: Type.Optional(Resolution),
  resolved_by: Type.Optional(Type.String()),
  resolved_at: Type.Optional(Type.String()),
  status: Type.String(),
  created_at: Type.String(),
})
export type PendingDecision = Static<typeof PendingDecision>

export const WorkflowRecord = Type.Object({
  id: Type.String(),
  name: Type.Optional(Type.String()),
  template_name: Type.Optional(Type.String()),
  template_version: Type.Optional(Type.String()),
  definition: Type.Unknown(),
  status: Type.String(),
  agent_id: Type.String(),
  parent_workflow_id: Type.Optional(Type.String()),
  input_params: Type.Optional(Type.Unknown()),
  output: Type.Optional(Type.Unknown()),
  error: Type.Optional(ErrorObjectSchema),
  created_at: Type.String(),
  started_at: Type.Optional(Type.String()),
  completed_at: Type.Optional(Type.String()),
  updated_at: Type.String(),
})
export type WorkflowRecord = Static<typeof WorkflowRecord>

export const WorkflowContext = Type.Object({
  workflow_id: Type.String(),
  agent_id: Type.String(),
  original_intent: Type.String(),
  decisions_log: Type.Optional(Type.Array(Type.Unknown())),
  accumulated_data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  agent_notes: Type.Optional(Type.String()),
  created_at: Type.String(),
  updated_at: Type.String(),
})
export type WorkflowContext = Static<typeof WorkflowContext>

export const Template = Type.Object({
  name: Type.String(),
  version: Type.String({ description: "'v1', 'v2', …" }),
  description: Type.Optional(Type.String()),
  definition: Type.Unknown(),
  input_schema: Type.Optional(Type.Unknown()),
  output_schema: Type.Optional(Type.Unknown()),
  triggers: Type.Optional(Type.Unknown()),
  permissions: Type.Optional(Type.Unknown()),
  agent_id: Type.String(),
  created_at: Type.String(),
  updated_at: Type.String(),
})
export type Template = Static<typeof Template>

export const AgentType = ['llm', 'system', 'human', 'service'] as const
export type AgentType = (typeof AgentType)[number]

export const Agent = Type.Object({
  id: Type.String(),
  name: Type.String(),
  type: Type.String(),
  metadata: Type.Optional(Type.Unknown()),
  created_at: Type.String(),
  last_seen_at: Type.Optional(Type.String()),
})
export type Agent = Static<typeof Agent>

export const SignalType = ['decision', 'data', 'cancel', 'retry', 'skip'] as const
export type SignalType = (typeof SignalType)[number]

export const Signal = Type.Object({
  type: Type.Union(SignalType.map((s) => Type.Literal(s))),
  step_id: Type.Optional(Type.String()),
  agent_id: Type.Optional(Type.String()),
  payload: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  reasoning: Type.Optional(Type.String()),
  signal_id: Type.Optional(Type.String()),
})
export type Signal = Static<typeof Signal>
