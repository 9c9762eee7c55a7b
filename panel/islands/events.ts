/**
 * Events (panel.md §3.8 Ours): newest first without any filter, every event type, step and time
 * filters, paging, and a live tail that prepends matching events as they are committed.
 */
import type { VNode } from 'preact'
import { useState } from 'preact/hooks'
import { Empty, EventBadge, Time, WorkflowLink } from '../components/bits.ts'
import { Pager } from '../components/pager.ts'
import { api, errorText } from '../lib/api.ts'
import { pretty } from '../lib/format.ts'
import { useLiveEvents, useNow } from '../lib/hooks.ts'
import { html } from '../lib/html.ts'
import { island } from '../lib/island.ts'
import type { WorkflowEvent } from '../lib/types.ts'

export interface EventQuery {
  workflow_id?: string
  event_type?: string
  step_id?: string
  since?: string
  limit?: string
  offset?: string
}

function Payload({ ev }: { ev: WorkflowEvent }): VNode {
  const [value, setValue] = useState<unknown>(ev.payload)
  const [error, setError] = useState<string | undefined>(undefined)
  const [open, setOpen] = useState(false)
  if (value === undefined && ev.id !== undefined && ev.payload === undefined && !open) {
    return html`<button
      type="button"
      class="ghost small"
      onClick=${async () => {
        setOpen(true)
        try {
          const r = await api<{ events: WorkflowEvent[] }>(
            'GET',
            `/workflows/${encodeURIComponent(ev.workflow_id)}/events`,
            undefined,
            { after_sequence: ev.sequence - 1, limit: 1 },
          )
          setValue(r.events[0]?.payload ?? null)
        } catch (err) {
          setError(errorText(err))
        }
      }}
    >payload</button>`
  }
  if (error !== undefined) return html`<span class="text-bad small">${error}</span>`
  if (value === undefined || value === null) return html`<span class="muted">—</span>`
  return html`<details class="json" open=${open}><summary>payload</summary><pre>${pretty(value)}</pre></details>`
}

export const EventsTable = island(
  'events-table',
  ({
    events: initial,
    query,
    offset,
    limit,
  }: {
    events: WorkflowEvent[]
    query: EventQuery
    offset: number
    limit: number
  }) => {
    const now = useNow()
    const [events, setEvents] = useState(initial)
    const [tail, setTail] = useState(offset === 0)
    const [fresh, setFresh] = useState<Set<string>>(new Set())
    const ascending = query.workflow_id !== undefined && query.workflow_id !== ''
    useLiveEvents((ev) => {
      if (!tail || ev.kind !== 'stored') return
      if (query.workflow_id && ev.workflow_id !== query.workflow_id) return
      if (query.event_type && ev.event_type !== query.event_type) return
      if (query.step_id && ev.step_id !== query.step_id) return
      const key = `${ev.workflow_id}:${ev.sequence}`
      if (events.some((e) => `${e.workflow_id}:${e.sequence}` === key)) return
      const { kind: _kind, ...event } = ev
      setEvents(ascending ? [...events, event] : [event, ...events].slice(0, Math.max(limit, 200)))
      setFresh(new Set([...fresh, key].slice(-50)))
    })
    return html`<div>
      ${
        offset === 0
          ? html`<label class="toggle">
              <input type="checkbox" checked=${tail} onChange=${(e: Event) => setTail((e.target as HTMLInputElement).checked)} />
              <span>Live tail</span>
            </label>`
          : null
      }
      ${
        events.length === 0
          ? html`<${Empty}>${Object.values(query).some((v) => v) ? 'No events match the current filter.' : 'No events yet.'}</${Empty}>`
          : html`<div class="table-wrap"><table class="table events">
            <thead><tr>
              <th scope="col">Time</th><th scope="col">Type</th><th scope="col">Workflow</th>
              <th scope="col">Step</th><th scope="col">Agent</th><th scope="col" class="num">Seq</th><th scope="col">Payload</th>
            </tr></thead>
            <tbody>
              ${events.map(
                (
                  e,
                ) => html`<tr key=${`${e.workflow_id}:${e.sequence}`} class=${fresh.has(`${e.workflow_id}:${e.sequence}`) ? 'flash' : undefined}>
                  <td><${Time} at=${e.timestamp} now=${now} /></td>
                  <td><${EventBadge} type=${e.event_type} /></td>
                  <td><${WorkflowLink} id=${e.workflow_id} /></td>
                  <td class="mono">${e.step_id ?? ''}</td>
                  <td>${e.agent_id ?? ''}</td>
                  <td class="num mono">${e.sequence}</td>
                  <td><${Payload} ev=${e} /></td>
                </tr>`,
              )}
            </tbody>
          </table></div>`
      }
      <${Pager} base="/events" query=${query} offset=${offset} limit=${limit} shown=${initial.length} />
    </div>`
  },
)
