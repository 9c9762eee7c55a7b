/**
 * The panel's pages: each loads its data through the same operations that serve /api/v1
 * (decisions.md D20 — there is no second data path), then renders the page components of panel/
 * to HTML. Islands inside them receive the same data as props and take over in the browser.
 */
import type { VNode } from 'preact'
import {
  AgentsPage,
  AuditPage,
  DashboardPage,
  DecisionsPage,
  EventsPage,
  type PageContext,
  PluginsPage,
  SchedulerPage,
  SecretsPage,
  SettingsPage,
  TemplatePage,
  type TemplateSummary,
  TemplatesPage,
  WorkflowPage,
  WorkflowsPage,
} from '../../../panel/pages/index.ts'
import { AppError, toAppError } from '../../errors.ts'
import { ALL_OPS, invokeOp, type Op, type OpServices } from '../../ops/index.ts'
import { EventType } from '../../schema/event.ts'

const OPS = new Map<string, Op>((ALL_OPS as Op[]).map((op) => [op.name, op]))

/** Calls an operation by name, exactly as its /api/v1 route does. */
export async function callOp<T>(
  svc: OpServices,
  name: string,
  input: Record<string, unknown> = {},
): Promise<T> {
  const op = OPS.get(name)
  if (op === undefined) throw new AppError('INTERNAL_ERROR', `panel: no operation ${name}`)
  return (await invokeOp(svc, op, input, { transport: 'http' })) as T
}

export interface PageResult {
  title: string
  body: VNode
  /** Query of /api/v1/events/stream this page follows; undefined = not live. */
  stream?: Record<string, string>
}

type Query = URLSearchParams

function str(q: Query, name: string): string | undefined {
  const v = q.get(name)
  return v === null || v.trim() === '' ? undefined : v.trim()
}

function int(q: Query, name: string, fallback: number, max: number): number {
  const v = Number(q.get(name) ?? '')
  return Number.isInteger(v) && v >= 0 ? Math.min(v, max) : fallback
}

const RANGE_MS: Record<string, number> = {
  '1h': 3_600_000,
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
  '30d': 30 * 86_400_000,
}

const LIVE = { include_custom: 'false' }

/** Reads an optional part of a page; a missing subsystem becomes a message, not a failed page. */
async function optional<T>(fn: () => Promise<T>): Promise<{ value?: T; error?: string }> {
  try {
    return { value: await fn() }
  } catch (err) {
    const e = toAppError(err, 'INTERNAL_ERROR')
    if (e.code === 'INTERNAL_ERROR') throw e
    return { error: e.message }
  }
}

async function svgOf(
  svc: OpServices,
  input: Record<string, unknown>,
): Promise<{ svg?: string; error?: string }> {
  const r = await optional(() => callOp<{ diagram: string }>(svc, 'opcode.diagram', input))
  return r.value === undefined ? { error: r.error ?? 'no diagram' } : { svg: r.value.diagram }
}

export type PageLoader = (
  svc: OpServices,
  ctx: PageContext,
  url: URL,
  params: Record<string, string>,
) => Promise<PageResult>

const dashboard: PageLoader = async (svc, ctx) => {
  const data = await callOp<Parameters<typeof DashboardPage>[0]['data']>(svc, 'dashboard.get')
  return { title: 'Dashboard', body: DashboardPage({ ctx, data }), stream: LIVE }
}

const workflows: PageLoader = async (svc, ctx, url) => {
  const q = url.searchParams
  const limit = [25, 50, 100].includes(int(q, 'limit', 50, 100)) ? int(q, 'limit', 50, 100) : 50
  const offset = int(q, 'offset', 0, 1_000_000)
  const range = str(q, 'range')
  const query = {
    status: str(q, 'status'),
    agent_id: str(q, 'agent_id'),
    template_name: str(q, 'template_name'),
    since: str(q, 'since'),
    until: str(q, 'until'),
    range: range !== undefined && range in RANGE_MS ? range : undefined,
    limit: String(limit),
  }
  const apiQuery: Record<string, string> = { limit: String(limit), offset: String(offset) }
  for (const k of ['status', 'agent_id', 'template_name', 'since', 'until'] as const) {
    const v = query[k]
    if (v !== undefined) apiQuery[k] = v
  }
  if (query.range !== undefined)
    apiQuery.since = new Date(Date.now() - (RANGE_MS[query.range] as number)).toISOString()
  const [page, agents, templates] = await Promise.all([
    callOp<Parameters<typeof WorkflowsPage>[0]['page']>(svc, 'workflows.list', apiQuery),
    callOp<{ agents: Array<{ id: string }> }>(svc, 'agents.list', { limit: 1000 }),
    callOp<{ templates: Array<{ name: string }> }>(svc, 'templates.list', {
      latest: true,
      limit: 1000,
    }),
  ])
  const agentIds = agents.agents.map((a) => a.id)
  if (query.agent_id !== undefined && !agentIds.includes(query.agent_id))
    agentIds.push(query.agent_id)
  const names = templates.templates.map((t) => t.name)
  if (query.template_name !== undefined && !names.includes(query.template_name))
    names.push(query.template_name)
  return {
    title: 'Workflows',
    body: WorkflowsPage({
      ctx,
      page,
      query: { ...query, offset: String(offset) },
      apiQuery,
      agents: agentIds.sort(),
      templates: names,
    }),
    stream: LIVE,
  }
}

const workflow: PageLoader = async (svc, ctx, _url, params) => {
  const id = params.id ?? ''
  const detail = await callOp<Parameters<typeof WorkflowPage>[0]['detail']>(svc, 'workflows.get', {
    workflow_id: id,
    events: 200,
  })
  const diagram = await svgOf(svc, { workflow_id: id, format: 'svg' })
  const last = detail.events.at(-1)
  const w = detail.workflow
  return {
    title: w.name ?? w.template_name ?? `Workflow ${id.slice(-8)}`,
    body: WorkflowPage({ ctx, detail, diagram }),
    stream: {
      ...LIVE,
      workflow_id: id,
      ...(last === undefined ? {} : { last_event_id: `${id}:${last.sequence}` }),
    },
  }
}

const templates: PageLoader = async (svc, ctx) => {
  const { templates: rows } = await callOp<{
    templates: Array<TemplateSummary['latest']>
  }>(svc, 'templates.list', { limit: 1000 })
  const byName = new Map<string, TemplateSummary>()
  for (const t of rows) {
    const s = byName.get(t.name)
    if (s === undefined) byName.set(t.name, { latest: t, versions: 1 })
    else s.versions++
  }
  return {
    title: 'Templates',
    body: TemplatesPage({ ctx, templates: [...byName.values()], now: Date.now() }),
  }
}

const template: PageLoader = async (svc, ctx, url, params) => {
  const name = params.name ?? ''
  const version = str(url.searchParams, 'version')
  const t = await callOp<Parameters<typeof TemplatePage>[0]['template']>(svc, 'templates.get', {
    name,
    ...(version === undefined ? {} : { version }),
  })
  const [versions, runs, diagram] = await Promise.all([
    callOp<{ templates: Array<{ version: string }> }>(svc, 'templates.list', {
      name,
      limit: 1000,
    }),
    callOp<{ workflows: Parameters<typeof TemplatePage>[0]['runs'] }>(svc, 'workflows.list', {
      template_name: name,
      limit: 10,
    }),
    svgOf(svc, { template_name: name, version: t.version, format: 'svg' }),
  ])
  return {
    title: `${t.name} ${t.version}`,
    body: TemplatePage({
      ctx,
      template: t,
      versions: versions.templates.map((v) => v.version),
      diagram,
      runs: runs.workflows,
      now: Date.now(),
      saved: url.searchParams.get('saved') === '1',
    }),
  }
}

const DECISION_STATUSES = new Set(['pending', 'resolved', 'timed_out', 'cancelled'])

const decisions: PageLoader = async (svc, ctx, url) => {
  const s = str(url.searchParams, 'status') ?? 'pending'
  const status = DECISION_STATUSES.has(s) ? s : 'pending'
  const { decisions: list } = await callOp<{
    decisions: Parameters<typeof DecisionsPage>[0]['decisions']
  }>(svc, 'decisions.list', { status, limit: 100 })
  return {
    title: 'Decisions',
    body: DecisionsPage({ ctx, decisions: list, status }),
    stream: LIVE,
  }
}

/** `2026-01-31T10:00` from a datetime-local field is read as UTC (the page says so). */
function utcTime(text: string | undefined): string | undefined {
  if (text === undefined) return undefined
  const t = /[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`
  return Number.isNaN(Date.parse(t)) ? undefined : new Date(Date.parse(t)).toISOString()
}

const events: PageLoader = async (svc, ctx, url) => {
  const q = url.searchParams
  const limit = int(q, 'limit', 50, 500) || 50
  const offset = int(q, 'offset', 0, 1_000_000)
  const query = {
    workflow_id: str(q, 'workflow_id'),
    event_type: str(q, 'event_type'),
    step_id: str(q, 'step_id'),
    since: utcTime(str(q, 'since')),
  }
  type Ev = Parameters<typeof EventsPage>[0]['events'][number]
  let list: Ev[]
  let note: string | undefined
  const filtered = query.workflow_id !== undefined || query.since !== undefined
  if (!filtered) {
    // Newest first from the in-memory window when it covers the page; older pages scan the log.
    const recent = await callOp<{ events: Ev[]; complete: boolean }>(svc, 'events.recent', {
      limit: Math.min(limit, 500),
      offset,
      ...(query.event_type === undefined ? {} : { event_type: query.event_type }),
      ...(query.step_id === undefined ? {} : { step_id: query.step_id }),
    })
    if (recent.events.length === limit || recent.complete) {
      list = recent.events
    } else {
      list = (
        await callOp<{ events: Ev[] }>(svc, 'events.list', { ...clean(query), limit, offset })
      ).events
      note =
        'Beyond the newest events kept in memory: read from the event log (slower on large logs).'
    }
  } else {
    list = (await callOp<{ events: Ev[] }>(svc, 'events.list', { ...clean(query), limit, offset }))
      .events
  }
  return {
    title: 'Events',
    body: EventsPage({
      ctx,
      events: list,
      query: { ...clean(query), limit: String(limit) },
      offset,
      limit,
      eventTypes: [...EventType],
      ...(note === undefined ? {} : { note }),
    }),
    stream: {
      ...LIVE,
      ...(query.workflow_id === undefined ? {} : { workflow_id: query.workflow_id }),
    },
  }
}

function clean<T extends Record<string, string | undefined>>(o: T): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v
  return out
}

const agents: PageLoader = async (svc, ctx) => {
  const { agents: list } = await callOp<{
    agents: Parameters<typeof AgentsPage>[0]['agents']
  }>(svc, 'agents.summary')
  return { title: 'Agents', body: AgentsPage({ ctx, agents: list }), stream: LIVE }
}

const scheduler: PageLoader = async (svc, ctx) => {
  const jobs = await optional(() =>
    callOp<{ schedules: Parameters<typeof SchedulerPage>[0]['jobs'] }>(svc, 'schedules.list', {
      limit: 200,
    }),
  )
  const { templates: rows } = await callOp<{ templates: Array<{ name: string; version: string }> }>(
    svc,
    'templates.list',
    { limit: 1000 },
  )
  const byName = new Map<string, string[]>()
  for (const t of rows) byName.set(t.name, [...(byName.get(t.name) ?? []), t.version])
  return {
    title: 'Scheduler',
    body: SchedulerPage({
      ctx,
      jobs: jobs.value?.schedules ?? [],
      templates: [...byName.entries()].map(([name, versions]) => ({ name, versions })),
      ...(jobs.error === undefined ? {} : { error: jobs.error }),
    }),
    stream: LIVE,
  }
}

const plugins: PageLoader = async (svc, ctx) => {
  const r = await optional(() =>
    callOp<{ plugins: Parameters<typeof PluginsPage>[0]['plugins'] }>(svc, 'plugins.list'),
  )
  return {
    title: 'Plugins',
    body: PluginsPage({
      ctx,
      plugins: r.value?.plugins ?? [],
      ...(r.error === undefined ? {} : { error: r.error }),
    }),
  }
}

const secrets: PageLoader = async (svc, ctx) => {
  const list = await callOp<Parameters<typeof SecretsPage>[0]['list']>(svc, 'secrets.list')
  return { title: 'Secrets', body: SecretsPage({ ctx, list }) }
}

const settings: PageLoader = async (svc, ctx) => {
  const s = await callOp<Record<string, unknown>>(svc, 'settings.get')
  const name = ctx.operator.startsWith('panel:') ? ctx.operator.slice(6) : ''
  return { title: 'Settings', body: SettingsPage({ ctx, settings: s, operatorName: name }) }
}

const audit: PageLoader = async (svc, ctx, url) => {
  const q = url.searchParams
  const agent = str(q, 'agent_id') ?? ''
  const limit = int(q, 'limit', 100, 1000) || 100
  const r = await callOp<{ audit: Parameters<typeof AuditPage>[0]['rows'] }>(svc, 'audit.list', {
    limit,
    ...(agent === '' ? {} : { agent_id: agent }),
  })
  return {
    title: 'Audit log',
    body: AuditPage({ ctx, rows: r.audit, agent, limit, now: Date.now() }),
  }
}

/** Page routes; `live` pages follow the event stream. */
export const PAGES: Array<{ path: string; load: PageLoader; live: boolean }> = [
  { path: '/', load: dashboard, live: true },
  { path: '/workflows', load: workflows, live: true },
  { path: '/workflows/:id', load: workflow, live: true },
  { path: '/templates', load: templates, live: false },
  { path: '/templates/:name', load: template, live: false },
  { path: '/decisions', load: decisions, live: true },
  { path: '/scheduler', load: scheduler, live: true },
  { path: '/events', load: events, live: true },
  { path: '/agents', load: agents, live: true },
  { path: '/plugins', load: plugins, live: false },
  { path: '/secrets', load: secrets, live: false },
  { path: '/settings', load: settings, live: false },
  { path: '/audit', load: audit, live: false },
]
