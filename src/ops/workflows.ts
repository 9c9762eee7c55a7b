/**
 * Workflow endpoints of the JSON API that are not MCP tools (the panel and the CLI use them): a
 * paginated list with filters and a total, the detail page's data in one call, its events page by
 * page, and cancel.
 */
import { Type } from '@sinclair/typebox'
import { contextWire } from '../engine/engine.ts'
import { AppError } from '../errors.ts'
import {
  countEvents,
  countWorkflows,
  getWorkflowRecord,
  listDecisions,
  listWorkflows,
  queryEvents,
  stepStates,
} from '../store/queries.ts'
import { defineOp } from './op.ts'
import { Limit, Offset, WorkflowIdParam } from './params.ts'

export const listWorkflowsOp = defineOp({
  name: 'workflows.list',
  description: 'Workflows newest first, filtered, with the total count for paging.',
  tool: false,
  readOnly: true,
  http: { method: 'GET', path: '/workflows' },
  input: Type.Object({
    status: Type.Optional(Type.String()),
    agent_id: Type.Optional(Type.String()),
    template_name: Type.Optional(Type.String()),
    parent_workflow_id: Type.Optional(Type.String()),
    since: Type.Optional(Type.String({ description: 'RFC 3339: created at or after.' })),
    until: Type.Optional(Type.String({ description: 'RFC 3339: created before.' })),
    include_definition: Type.Optional(Type.Boolean({ description: 'Default false here.' })),
    limit: Limit,
    offset: Offset,
  }),
  handle(svc, input) {
    const { limit = 50, offset = 0, include_definition, ...filter } = input
    const workflows = listWorkflows(svc.store, {
      ...filter,
      limit,
      offset,
      include_definition: include_definition === true,
    })
    return { workflows, total: countWorkflows(svc.store, filter), limit, offset }
  },
})

export const getWorkflowOp = defineOp({
  name: 'workflows.get',
  description:
    'One workflow with its definition, step states, decisions, context, children and its latest events.',
  tool: false,
  readOnly: true,
  http: { method: 'GET', path: '/workflows/:workflow_id' },
  input: Type.Object({
    workflow_id: WorkflowIdParam,
    events: Type.Optional(
      Type.Integer({ description: 'Latest events to include (default 100; 0 = all).' }),
    ),
  }),
  async handle(svc, input) {
    const { store } = svc
    const workflow = getWorkflowRecord(store, input.workflow_id)
    const n = input.events ?? 100
    const total = countEvents(store, input.workflow_id)
    const events = queryEvents(store, {
      workflow_id: input.workflow_id,
      limit: Math.max(n, 0),
      offset: n <= 0 ? 0 : Math.max(0, total - n),
    })
    const ctx = await store.getContext(input.workflow_id)
    const children = (await store.listChildren(input.workflow_id)).map((c) => ({
      workflow_id: c.id,
      status: c.status,
      ...(c.template_name === undefined ? {} : { template_name: c.template_name }),
      created_at: new Date(c.created_at).toISOString(),
    }))
    return {
      workflow,
      steps: stepStates(store, input.workflow_id),
      decisions: listDecisions(store, { workflow_id: input.workflow_id, limit: 0 }),
      ...(ctx === undefined ? {} : { context: contextWire(ctx) }),
      children,
      events,
      events_total: total,
    }
  },
})

export const workflowEventsOp = defineOp({
  name: 'workflows.events',
  description: 'Events of one workflow in sequence order, after a sequence number.',
  tool: false,
  readOnly: true,
  http: { method: 'GET', path: '/workflows/:workflow_id/events' },
  input: Type.Object({
    workflow_id: WorkflowIdParam,
    after_sequence: Type.Optional(Type.Integer({ minimum: 0 })),
    limit: Limit,
  }),
  handle(svc, input) {
    if (svc.store.workflowRow(input.workflow_id) === undefined) {
      throw new AppError('NOT_FOUND', `workflow "${input.workflow_id}" not found`)
    }
    const after = input.after_sequence ?? 0
    const limit = input.limit ?? 500
    // Sequences are gap-free from 1, so the events after `after` start at offset `after`.
    const events = queryEvents(svc.store, {
      workflow_id: input.workflow_id,
      limit: Math.max(limit, 0),
      offset: after,
    })
    return { events }
  },
})

export const cancelWorkflowOp = defineOp({
  name: 'workflows.cancel',
  description: 'Cancel a workflow that has not ended (final); its running steps are aborted.',
  tool: false,
  readOnly: false,
  http: { method: 'POST', path: '/workflows/:workflow_id/cancel' },
  input: Type.Object({
    workflow_id: WorkflowIdParam,
    agent_id: Type.Optional(Type.String()),
    reason: Type.Optional(Type.String()),
  }),
  audit: (input) => ({
    agent_id: input.agent_id ?? 'api',
    action: 'workflow.cancel',
    resource_type: 'workflow',
    resource_id: input.workflow_id,
    ...(input.reason === undefined ? {} : { details: { reason: input.reason } }),
  }),
  async handle(svc, input) {
    const result = await svc.engine.cancel(
      input.workflow_id,
      input.reason ?? 'cancelled through the API',
      input.agent_id ?? 'api',
    )
    return { workflow_id: result.workflow_id, status: result.status }
  },
})
