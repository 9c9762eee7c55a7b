/**
 * `opcode.query` (spec server.md §4.5 with Ours): workflows, events, templates, decisions and
 * agents (plus resources other folders register, e.g. the scheduler's `schedules`), every filter
 * honoured uniformly, `limit`/`offset` paging, lists always `[]` (never null), template versions
 * sorted numerically.
 */
import { Type } from '@sinclair/typebox'
import { AppError } from '../errors.ts'
import { listDecisions, listWorkflows, queryEvents } from '../store/queries.ts'
import { listAgents, listTemplates } from '../store/records.ts'
import { defineOp, type OpServices } from './op.ts'

export const BUILTIN_RESOURCES = [
  'workflows',
  'events',
  'templates',
  'decisions',
  'agents',
] as const

const Filter = Type.Object(
  {
    status: Type.Optional(
      Type.String({
        description:
          'workflows: pending|active|suspended|completed|failed|cancelled; decisions: pending|resolved|cancelled',
      }),
    ),
    agent_id: Type.Optional(Type.String({ description: 'Owner / author agent.' })),
    workflow_id: Type.Optional(
      Type.String({ description: 'events, decisions: of this workflow.' }),
    ),
    template_name: Type.Optional(Type.String({ description: 'workflows: of this template.' })),
    parent_workflow_id: Type.Optional(
      Type.String({ description: 'workflows: children of this one.' }),
    ),
    name: Type.Optional(Type.String({ description: 'templates: this name (all its versions).' })),
    latest: Type.Optional(
      Type.Boolean({ description: 'templates: only the latest version of each.' }),
    ),
    event_type: Type.Optional(Type.String({ description: 'events: e.g. step_failed.' })),
    step_id: Type.Optional(Type.String({ description: 'events: of this step.' })),
    target_agent_id: Type.Optional(
      Type.String({ description: 'decisions: targeted to this agent.' }),
    ),
    since: Type.Optional(
      Type.String({ description: 'RFC 3339; created (events: recorded) at or after.' }),
    ),
    until: Type.Optional(Type.String({ description: 'workflows: RFC 3339; created before.' })),
    include_definition: Type.Optional(
      Type.Boolean({ description: 'workflows: include each definition (default true).' }),
    ),
    limit: Type.Optional(
      Type.Integer({
        description: 'Page size (default 50; events and decisions 100; 0 = no limit; max 1000).',
      }),
    ),
    offset: Type.Optional(Type.Integer({ minimum: 0, description: 'Rows to skip (default 0).' })),
  },
  { additionalProperties: true, description: 'Filters; all given ones must match.' },
)

export const queryOp = defineOp({
  name: 'opcode.query',
  description:
    'List workflows, events, templates, decisions, agents, schedules or plugins with filters and paging. Result: {"<resource>": [...], "next_offset"?: n} (next_offset is present when another page may exist). Workflows newest first; events of one workflow in sequence order, otherwise newest first; templates by name, newest version first.',
  tool: true,
  readOnly: true,
  http: { method: 'POST', path: '/query' },
  input: Type.Object({
    resource: Type.String({
      description: 'workflows | events | templates | decisions | agents | schedules | plugins',
    }),
    filter: Type.Optional(Filter),
  }),
  handle(svc, input) {
    return runQuery(svc, input.resource, (input.filter ?? {}) as Record<string, unknown>)
  },
})

const DEFAULT_LIMIT: Record<string, number> = { events: 100, decisions: 100, agents: 200 }

export function runQuery(
  svc: Pick<OpServices, 'store' | 'queryResources'> & Partial<OpServices>,
  resource: string,
  f: Record<string, unknown>,
): Record<string, unknown> {
  const s = (k: string): string | undefined => {
    const v = f[k]
    return typeof v === 'string' && v !== '' ? v : undefined
  }
  const n = (k: string): number | undefined => {
    const v = f[k]
    return typeof v === 'number' && Number.isFinite(v) ? v : undefined
  }
  const limit = n('limit') ?? DEFAULT_LIMIT[resource] ?? 50
  const offset = Math.max(0, n('offset') ?? 0)
  let rows: unknown[]
  switch (resource) {
    case 'workflows':
      rows = listWorkflows(svc.store, {
        ...opt('status', s('status')),
        ...opt('agent_id', s('agent_id')),
        ...opt('template_name', s('template_name')),
        ...opt('parent_workflow_id', s('parent_workflow_id')),
        ...opt('since', s('since')),
        ...opt('until', s('until')),
        include_definition: f.include_definition !== false,
        limit,
        offset,
      })
      break
    case 'events':
      rows = queryEvents(svc.store, {
        ...opt('workflow_id', s('workflow_id')),
        ...opt('event_type', s('event_type')),
        ...opt('step_id', s('step_id')),
        ...opt('since', s('since')),
        limit,
        offset,
      })
      break
    case 'templates':
      rows = listTemplates(svc.store, {
        ...opt('name', s('name')),
        ...opt('agent_id', s('agent_id')),
        latest: f.latest === true,
        limit,
        offset,
      })
      break
    case 'decisions':
      rows = listDecisions(svc.store, {
        ...opt('workflow_id', s('workflow_id')),
        ...opt('status', s('status')),
        ...opt('target_agent_id', s('target_agent_id')),
        ...opt('agent_id', s('agent_id')),
        limit,
        offset,
      })
      break
    case 'agents':
      rows = listAgents(svc.store, limit <= 0 ? 0 : limit + offset).slice(offset)
      break
    default: {
      const extra = svc.queryResources.get(resource)
      if (extra === undefined) {
        const known = [...BUILTIN_RESOURCES, ...svc.queryResources.keys()]
        throw new AppError(
          'VALIDATION_ERROR',
          `unknown resource "${resource}"; use one of: ${known.join(', ')}`,
          { details: { resource, valid: known } },
        )
      }
      rows = extra.list(svc, { ...f, limit, offset })
    }
  }
  const out: Record<string, unknown> = { [resource]: rows }
  if (limit > 0 && rows.length >= Math.min(limit, 1000)) out.next_offset = offset + rows.length
  return out
}

function opt<K extends string, V>(key: K, v: V | undefined): { [P in K]?: V } {
  return (v === undefined ? {} : { [key]: v }) as { [P in K]?: V }
}
