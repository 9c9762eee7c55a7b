/**
 * Read endpoints of the JSON API over the other records: templates (list and one version),
 * decisions, agents, events, the audit log, and dashboard counts.
 */
import { Type } from '@sinclair/typebox'
import { listDecisions, queryEvents, workflowCounts } from '../store/queries.ts'
import { getTemplateRecord, listAgents, listAudit, listTemplates } from '../store/records.ts'
import { defineOp } from './op.ts'
import { Limit, Offset } from './params.ts'

export const listTemplatesOp = defineOp({
  name: 'templates.list',
  description: 'Templates by name, newest version first.',
  tool: false,
  readOnly: true,
  http: { method: 'GET', path: '/templates' },
  input: Type.Object({
    name: Type.Optional(Type.String()),
    agent_id: Type.Optional(Type.String()),
    latest: Type.Optional(Type.Boolean({ description: 'Only the latest version of each name.' })),
    limit: Limit,
    offset: Offset,
  }),
  handle(svc, input) {
    return { templates: listTemplates(svc.store, input) }
  },
})

export const getTemplateOp = defineOp({
  name: 'templates.get',
  description: 'One template version (the latest when version is absent).',
  tool: false,
  readOnly: true,
  http: { method: 'GET', path: '/templates/:name' },
  input: Type.Object({
    name: Type.String({ minLength: 1 }),
    version: Type.Optional(Type.String()),
  }),
  handle(svc, input) {
    return getTemplateRecord(svc.store, input.name, input.version)
  },
})

export const listDecisionsOp = defineOp({
  name: 'decisions.list',
  description: 'Decisions newest first (status=pending for the inbox).',
  tool: false,
  readOnly: true,
  http: { method: 'GET', path: '/decisions' },
  input: Type.Object({
    status: Type.Optional(Type.String()),
    workflow_id: Type.Optional(Type.String()),
    target_agent_id: Type.Optional(Type.String()),
    agent_id: Type.Optional(Type.String()),
    limit: Limit,
    offset: Offset,
  }),
  handle(svc, input) {
    return { decisions: listDecisions(svc.store, input) }
  },
})

export const listAgentsOp = defineOp({
  name: 'agents.list',
  description: 'Agents, most recently seen first.',
  tool: false,
  readOnly: true,
  http: { method: 'GET', path: '/agents' },
  input: Type.Object({ limit: Limit }),
  handle(svc, input) {
    return { agents: listAgents(svc.store, input.limit ?? 200) }
  },
})

export const listEventsOp = defineOp({
  name: 'events.list',
  description: 'Events matching every filter; one workflow in sequence order, else newest first.',
  tool: false,
  readOnly: true,
  http: { method: 'GET', path: '/events' },
  input: Type.Object({
    workflow_id: Type.Optional(Type.String()),
    event_type: Type.Optional(Type.String()),
    step_id: Type.Optional(Type.String()),
    since: Type.Optional(Type.String()),
    after_id: Type.Optional(Type.Integer({ minimum: 0 })),
    limit: Limit,
    offset: Offset,
  }),
  handle(svc, input) {
    return { events: queryEvents(svc.store, input) }
  },
})

export const listAuditOp = defineOp({
  name: 'audit.list',
  description: 'Audit log of mutations (MCP, API, panel), newest first.',
  tool: false,
  readOnly: true,
  http: { method: 'GET', path: '/audit' },
  input: Type.Object({ agent_id: Type.Optional(Type.String()), limit: Limit }),
  handle(svc, input) {
    return { audit: listAudit(svc.store, input) }
  },
})

export const statsOp = defineOp({
  name: 'system.stats',
  description: 'Workflow counts by status, live runs, pool use and connected MCP sessions.',
  tool: false,
  readOnly: true,
  http: { method: 'GET', path: '/stats' },
  input: Type.Object({}),
  handle(svc) {
    return {
      version: svc.version,
      workflows: workflowCounts(svc.store),
      engine: svc.engine.stats(),
      mcp_sessions: svc.sessions.sessionCount,
      hub_subscribers: svc.hub.size,
    }
  },
})
