/** Agents (panel.md §3.9 Ours): workflow counts per agent, last activity, MCP connection. */
import { Empty, Time } from '../components/bits.ts'
import { api } from '../lib/api.ts'
import { useLiveData, useNow } from '../lib/hooks.ts'
import { html } from '../lib/html.ts'
import { island } from '../lib/island.ts'
import type { AgentSummary } from '../lib/types.ts'

export const AgentsTable = island(
  'agents-table',
  ({ agents: initial }: { agents: AgentSummary[] }) => {
    const now = useNow()
    const [agents] = useLiveData<AgentSummary[]>(
      initial,
      async () => (await api<{ agents: AgentSummary[] }>('GET', '/agents/summary')).agents,
      (ev) => ev.kind === 'stored' && ev.event_type.startsWith('workflow_'),
      2000,
    )
    if (agents.length === 0) return html`<${Empty}>No agents registered.</${Empty}>`
    return html`<div class="table-wrap"><table class="table">
    <thead><tr>
      <th scope="col">Agent</th><th scope="col">Type</th><th scope="col">MCP</th>
      <th scope="col" class="num">Active</th><th scope="col" class="num">Suspended</th>
      <th scope="col" class="num">Failed</th><th scope="col" class="num">Completed</th>
      <th scope="col" class="num">Cancelled</th><th scope="col" class="num">Total</th>
      <th scope="col">Last activity</th><th scope="col">Last seen</th>
    </tr></thead>
    <tbody>
      ${agents.map(
        (a) => html`<tr key=${a.agent_id} data-agent=${a.agent_id}>
          <td><a href=${`/workflows?agent_id=${encodeURIComponent(a.agent_id)}`}><strong>${a.name ?? a.agent_id}</strong></a>
            ${a.name !== undefined && a.name !== a.agent_id ? html` <span class="mono muted small">${a.agent_id}</span>` : null}</td>
          <td>${a.type ?? html`<span class="muted">unregistered</span>`}</td>
          <td><span class=${`dot ${a.connected ? 'on' : ''}`}></span>${a.connected ? 'connected' : html`<span class="muted">—</span>`}</td>
          <td class="num">${a.counts.active + a.counts.pending}</td>
          <td class="num">${a.counts.suspended}</td>
          <td class="num">${a.counts.failed ? html`<span class="text-bad">${a.counts.failed}</span>` : 0}</td>
          <td class="num">${a.counts.completed}</td>
          <td class="num">${a.counts.cancelled}</td>
          <td class="num"><strong>${a.total}</strong></td>
          <td><${Time} at=${a.last_activity_at} now=${now} /></td>
          <td>${a.last_seen_at ? html`<${Time} at=${a.last_seen_at} now=${now} />` : html`<span class="muted">never</span>`}</td>
        </tr>`,
      )}
    </tbody>
  </table></div>`
  },
)
