/**
 * Operations shared by the MCP server and the JSON HTTP API: the six MCP tools and the API-only
 * reads and cancel. Imports engine, store, validation, diagram and hub; never mcp/ or http/.
 */
import { recentEventsOp } from './activity.ts'
import {
  getTemplateOp,
  listAgentsOp,
  listAuditOp,
  listDecisionsOp,
  listEventsOp,
  listTemplatesOp,
  statsOp,
} from './catalog.ts'
import { cronPreviewOp } from './cron-preview.ts'
import { agentSummaryOp, dashboardOp } from './dashboard.ts'
import { pendingDecisionCountOp, resolveDecisionOp } from './decisions.ts'
import { defineTemplateOp } from './define.ts'
import { diagramOp } from './diagram.ts'
import type { Op } from './op.ts'
import { PLUGIN_OPS } from './plugins.ts'
import { queryOp } from './query.ts'
import { runWorkflowOp } from './run.ts'
import { SCHEDULE_OPS } from './schedules.ts'
import { SECRET_OPS } from './secrets.ts'
import { getSettingsOp } from './server-info.ts'
import { signalOp } from './signal.ts'
import { statusOp } from './status.ts'
import { cancelWorkflowOp, getWorkflowOp, listWorkflowsOp, workflowEventsOp } from './workflows.ts'

/** The six MCP tools, in the order tools/list shows them. */
export const TOOL_OPS: Op[] = [
  defineTemplateOp,
  runWorkflowOp,
  statusOp,
  signalOp,
  queryOp,
  diagramOp,
] as unknown as Op[]

/** Every operation; HTTP routes are generated from this list (order = match order). */
export const ALL_OPS: Op[] = [
  ...TOOL_OPS,
  listWorkflowsOp,
  getWorkflowOp,
  workflowEventsOp,
  cancelWorkflowOp,
  listTemplatesOp,
  getTemplateOp,
  listDecisionsOp,
  listAgentsOp,
  listEventsOp,
  listAuditOp,
  statsOp,
  ...SCHEDULE_OPS,
  ...PLUGIN_OPS,
  // For the panel (and any API client): dashboard, agents, newest events, decisions by id,
  // cron preview, settings view, secrets.
  dashboardOp,
  agentSummaryOp,
  recentEventsOp,
  resolveDecisionOp,
  pendingDecisionCountOp,
  cronPreviewOp,
  getSettingsOp,
  ...SECRET_OPS,
] as unknown as Op[]

export { type DiagramResult, drawDiagram } from './diagram.ts'
export { invokeOp } from './invoke.ts'
export {
  type CallContext,
  type DefinedTemplate,
  defineOp,
  type HttpRoute,
  type Op,
  type OpServices,
  type QueryResource,
} from './op.ts'
export { BUILTIN_RESOURCES, runQuery } from './query.ts'
export {
  attachScheduling,
  openScheduling,
  type Scheduling,
  type SchedulingHandle,
  schedulingOf,
} from './schedules.ts'
export {
  attachServerInfo,
  type ServerInfo,
  serverInfoOf,
  updateServerConfig,
} from './server-info.ts'
export { type NotifyMessage, SessionDirectory, type SessionSink } from './sessions.ts'
export { STATUS_EVENTS, workflowStatus } from './status.ts'
