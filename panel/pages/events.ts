/** GET /events: filters (a plain GET form) and the live table. */
import type { VNode } from 'preact'
import { type EventQuery, EventsTable } from '../islands/events.ts'
import { html } from '../lib/html.ts'
import type { WorkflowEvent } from '../lib/types.ts'
import { Layout, type PageContext } from './layout.ts'

export function EventsPage({
  ctx,
  events,
  query,
  offset,
  limit,
  eventTypes,
  note,
}: {
  ctx: PageContext
  events: WorkflowEvent[]
  query: EventQuery
  offset: number
  limit: number
  eventTypes: string[]
  note?: string
}): VNode {
  return html`<${Layout} ctx=${ctx} title="Events">
    <form class="filters" method="get" action="/events" role="search" aria-label="Filter events">
      <label class="field"><span>Workflow ID</span>
        <input name="workflow_id" value=${query.workflow_id ?? ''} class="mono" placeholder="any" /></label>
      <label class="field"><span>Type</span>
        <select name="event_type">
          <option value="">All types</option>
          ${eventTypes.map((t) => html`<option value=${t} selected=${query.event_type === t}>${t}</option>`)}
        </select>
      </label>
      <label class="field"><span>Step</span><input name="step_id" value=${query.step_id ?? ''} class="mono" placeholder="any" /></label>
      <label class="field"><span>Since (UTC)</span>
        <input name="since" type="datetime-local" step="1" value=${(query.since ?? '').slice(0, 19)} /></label>
      <div class="field actions"><button type="submit">Filter</button><a class="button ghost" href="/events">Reset</a></div>
    </form>
    ${note ? html`<p class="muted small">${note}</p>` : null}
    <section class="card"><${EventsTable} events=${events} query=${query} offset=${offset} limit=${limit} /></section>
  </${Layout}>`
}
