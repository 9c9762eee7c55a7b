/** GET /workflows: the filter form (a plain GET form) and the live table. */
import type { VNode } from 'preact'
import { type WorkflowPage, type WorkflowQuery, WorkflowsTable } from '../islands/workflows.ts'
import { WORKFLOW_STATUSES } from '../lib/format.ts'
import { html } from '../lib/html.ts'
import { Layout, type PageContext } from './layout.ts'

export const RANGES: Array<[string, string]> = [
  ['', 'Any time'],
  ['1h', 'Last hour'],
  ['24h', 'Last 24 hours'],
  ['7d', 'Last 7 days'],
  ['30d', 'Last 30 days'],
]

function Select({
  name,
  label,
  value,
  options,
}: {
  name: string
  label: string
  value: string | undefined
  options: Array<[string, string]>
}): VNode {
  return html`<label class="field">
    <span>${label}</span>
    <select name=${name}>
      ${options.map(([v, text]) => html`<option value=${v} selected=${(value ?? '') === v}>${text}</option>`)}
    </select>
  </label>`
}

export function WorkflowsPage({
  ctx,
  page,
  query,
  apiQuery,
  agents,
  templates,
}: {
  ctx: PageContext
  page: WorkflowPage
  query: WorkflowQuery
  apiQuery: Record<string, string>
  agents: string[]
  templates: string[]
}): VNode {
  return html`<${Layout} ctx=${ctx} title="Workflows">
    <form class="filters" method="get" action="/workflows" role="search" aria-label="Filter workflows">
      <${Select}
        name="status"
        label="Status"
        value=${query.status}
        options=${[['', 'All statuses'], ...WORKFLOW_STATUSES.map((s) => [s, s])]}
      />
      <${Select} name="agent_id" label="Agent" value=${query.agent_id} options=${[['', 'All agents'], ...agents.map((a) => [a, a])]} />
      <${Select}
        name="template_name"
        label="Template"
        value=${query.template_name}
        options=${[['', 'All templates'], ...templates.map((t) => [t, t])]}
      />
      <${Select} name="range" label="Created" value=${query.range} options=${RANGES} />
      <${Select}
        name="limit"
        label="Per page"
        value=${query.limit ?? '50'}
        options=${[['25', '25'], ['50', '50'], ['100', '100']]}
      />
      <div class="field actions">
        <button type="submit">Filter</button>
        <a class="button ghost" href="/workflows">Reset</a>
      </div>
    </form>
    <${WorkflowsTable} page=${page} query=${query} apiQuery=${apiQuery} />
  </${Layout}>`
}
