/** Dashboard (panel.md §3.1 Ours): counters, per-agent table, pending decisions, live activity. */
import type { VNode } from 'preact'
import { useState } from 'preact/hooks'
import { Card, Empty, EventBadge, Time, WorkflowLink } from '../components/bits.ts'
import { api } from '../lib/api.ts'
import { plural } from '../lib/format.ts'
import { useLiveData, useLiveEvents, useNow } from '../lib/hooks.ts'
import { html } from '../lib/html.ts'
import { island } from '../lib/island.ts'
import type { Dashboard as Data, WorkflowEvent } from '../lib/types.ts'

const SUMMARY = /^(workflow_|decision_|step_suspended|child_)/

function Counter({
  label,
  value,
  kind,
  href,
  note,
}: {
  label: string
  value: number
  kind: string
  href: string
  note?: string
}): VNode {
  return html`<a class=${`counter ${kind}`} href=${href}>
    <span class="counter-value" data-counter=${label}>${value.toLocaleString('en-US')}</span>
    <span class="counter-label">${label}</span>
    ${note ? html`<span class="counter-note">${note}</span>` : null}
  </a>`
}

export const Dashboard = island('dashboard', ({ data: initial }: { data: Data }) => {
  const now = useNow()
  const [data, setData] = useLiveData<Data>(
    initial,
    () => api<Data>('GET', '/dashboard'),
    (ev) => ev.kind === 'stored' && SUMMARY.test(ev.event_type),
  )
  const [flash, setFlash] = useState<number | undefined>(undefined)
  useLiveEvents((ev) => {
    if (ev.kind !== 'stored' || ev.id === undefined) return
    if (data.events.some((e) => e.id === ev.id)) return
    const { payload: _payload, kind: _kind, ...rest } = ev
    setData({ ...data, events: [rest as WorkflowEvent, ...data.events].slice(0, 20) })
    setFlash(ev.id)
  })
  const c = data.counts
  const hours = data.window_hours
  return html`<div class="dashboard">
    <div class="counters">
      <${Counter} label="Active" value=${c.active + c.pending} kind="live" href="/workflows?status=active" />
      <${Counter} label="Suspended" value=${c.suspended} kind="warn" href="/workflows?status=suspended" />
      <${Counter} label="Pending decisions" value=${data.pending_decisions.total} kind="warn" href="/decisions" />
      <${Counter}
        label=${`Completed · ${hours}h`}
        value=${data.recent.completed}
        kind="ok"
        href="/workflows?status=completed&range=24h"
        note=${`${c.completed.toLocaleString('en-US')} in all`}
      />
      <${Counter}
        label=${`Failed · ${hours}h`}
        value=${data.recent.failed}
        kind="bad"
        href="/workflows?status=failed&range=24h"
        note=${`${c.failed.toLocaleString('en-US')} in all`}
      />
      <${Counter} label="Workflows" value=${c.total} kind="idle" href="/workflows" note=${`${c.cancelled.toLocaleString('en-US')} cancelled`} />
    </div>
    <div class="grid-2">
      <div class="stack">
      <${Card}
        title="Pending decisions"
        actions=${html`<a href="/decisions">View all →</a>`}
      >
        ${
          data.pending_decisions.items.length === 0
            ? html`<${Empty}>No pending decisions. All clear.</${Empty}>`
            : html`<ul class="list">
              ${data.pending_decisions.items.map(
                (d) => html`<li key=${d.id}>
                  <a href=${`/decisions#${encodeURIComponent(d.id)}`}><strong>${d.step_id}</strong></a>
                  <span class="muted"> in </span><${WorkflowLink} id=${d.workflow_id} />
                  <span class="muted small"> · for ${d.target_agent_id ?? d.agent_id ?? 'anyone'} · waiting <${Time} at=${d.created_at} now=${now} /></span>
                </li>`,
              )}
            </ul>`
        }
      </${Card}>
    <${Card} title="Agents" actions=${html`<a href="/agents">Details →</a>`}>
        ${
          data.agents.length === 0
            ? html`<${Empty}>No agents yet.</${Empty}>`
            : html`<div class="table-wrap"><table class="table">
              <thead><tr>
                <th scope="col">Agent</th><th scope="col" class="num">Active</th>
                <th scope="col" class="num">Susp.</th><th scope="col" class="num">Failed</th>
                <th scope="col" class="num">Total</th>
                <th scope="col">Active at</th>
              </tr></thead>
              <tbody>
                ${data.agents.slice(0, 12).map(
                  (a) => html`<tr key=${a.agent_id}>
                    <td class="agent">
                      <span class=${`dot ${a.connected ? 'on' : ''}`} title=${a.connected ? 'connected over MCP' : 'not connected'}></span>
                      <a href=${`/workflows?agent_id=${encodeURIComponent(a.agent_id)}`}>${a.agent_id}</a>
                    </td>
                    <td class="num">${a.counts.active + a.counts.pending || ''}</td>
                    <td class="num">${a.counts.suspended || ''}</td>
                    <td class="num">${a.counts.failed ? html`<span class="text-bad">${a.counts.failed}</span>` : ''}</td>
                      <td class="num">${a.total}</td>
                    <td><${Time} at=${a.last_activity_at ?? a.last_seen_at} now=${now} /></td>
                  </tr>`,
                )}
              </tbody>
            </table></div>
            ${data.agents.length > 12 ? html`<p class="muted small">${plural(data.agents.length - 12, 'more agent')}${' on the '}<a href="/agents">agents page</a>.</p>` : null}`
        }
      </${Card}>
  
      </div>
      <${Card} title="Recent activity" actions=${html`<a href="/events">View all →</a>`}>
        ${
          data.events.length === 0
            ? html`<${Empty}>No events yet.</${Empty}>`
            : html`<ul class="list activity" aria-live="polite">
              ${data.events.map(
                (e) => html`<li key=${e.id} class=${e.id === flash ? 'flash' : undefined}>
                  <${EventBadge} type=${e.event_type} />
                  <${WorkflowLink} id=${e.workflow_id} />
                  ${e.step_id ? html`<span class="mono small">${e.step_id}</span>` : null}
                  <span class="muted small right"><${Time} at=${e.timestamp} now=${now} /></span>
                </li>`,
              )}
            </ul>`
        }
      </${Card}>
    </div>
  </div>`
})
