/**
 * The JSON API's shapes as the panel reads them (/api/v1; the server's TypeBox schemas are the
 * source of truth — these mirror only the fields the pages use).
 */

export interface ErrorObject {
  code: string
  message: string
  details?: unknown
  step_id?: string
}

export interface Problem {
  path: string
  code?: string
  message: string
  severity?: 'error' | 'warning'
}

export interface Workflow {
  id: string
  name?: string
  template_name?: string
  template_version?: string
  definition?: unknown
  status: string
  agent_id: string
  parent_workflow_id?: string
  input_params?: unknown
  output?: unknown
  error?: ErrorObject
  created_at: string
  started_at?: string
  completed_at?: string
  updated_at: string
}

export interface StepState {
  step_id: string
  status: string
  input?: unknown
  output?: unknown
  error?: ErrorObject
  retry_count: number
  started_at?: string
  completed_at?: string
  duration_ms?: number
}

export interface WorkflowEvent {
  id?: number
  workflow_id: string
  sequence: number
  event_type: string
  timestamp: string
  step_id?: string
  agent_id?: string
  payload?: unknown
}

export interface Decision {
  id: string
  workflow_id: string
  step_id: string
  agent_id?: string
  target_agent_id?: string
  context: unknown
  options: Array<{ id: string; description?: string }>
  timeout_at?: string
  fallback?: string
  resolution?: { choice: string; reasoning?: string; resolved_by?: string }
  resolved_by?: string
  resolved_at?: string
  status: string
  created_at: string
}

export interface Template {
  name: string
  version: string
  description?: string
  definition: unknown
  input_schema?: unknown
  output_schema?: unknown
  triggers?: unknown
  agent_id: string
  created_at: string
  updated_at: string
}

export interface StatusCounts {
  pending: number
  active: number
  suspended: number
  completed: number
  failed: number
  cancelled: number
}

export interface AgentSummary {
  agent_id: string
  name?: string
  type?: string
  registered: boolean
  connected: boolean
  counts: StatusCounts
  total: number
  last_activity_at?: string
  last_seen_at?: string
}

export interface Dashboard {
  counts: StatusCounts & { total: number }
  window_hours: number
  recent: { completed: number; failed: number }
  agents: AgentSummary[]
  pending_decisions: { total: number; items: Decision[] }
  events: WorkflowEvent[]
}

export interface Schedule {
  id: string
  template_name: string
  template_version?: string
  cron_expression: string
  timezone: string
  params: Record<string, unknown>
  agent_id: string
  enabled: boolean
  catch_up: string
  overlap: string
  source: string
  next_run_at: string | null
  last_run_at?: string
  last_run_status?: string
  last_workflow_id?: string
  created_at: string
}

export interface JobRun {
  id: number
  scheduled_for: string
  kind: string
  status: string
  workflow_id?: string
  error?: { code: string; message: string }
  started_at: string
  finished_at?: string
}

export interface Plugin {
  name: string
  status: string
  enabled?: boolean
  config?: Record<string, unknown>
  tools: Array<{ name: string; action: string; description?: string }>
  error?: string
  pid?: number
  restarts?: number
  active_since?: string
  next_attempt_at?: string
}

export interface AuditRow {
  id: number
  agent_id: string
  action: string
  resource_type: string
  resource_id?: string
  details?: unknown
  timestamp: string
}
