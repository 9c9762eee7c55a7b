/** Workflows list (panel.md §3.2 Ours): filters, paging with a total, rows that follow the stream. */
import type { VNode } from 'preact'
import { Badge, Empty, Time, WorkflowLink } from '../components/bits.ts'
import { Pager } from '../components/pager.ts'
import { api } from '../lib/api.ts'
import { between, duration, OPEN_STATUSES } from '../lib/format.ts'
import { useLiveData, useNow } from '../lib/hooks.ts'
import { html } from '../lib/html.ts'
import { island } from '../lib/island.ts'
import type { Workflow } from '../lib/types.ts'

export interface WorkflowPage {
  workflows: Workflow[]
  total: number
  limit: number
  offset: number
}

export interface WorkflowQuery {
  status?: string
  agent_id?: string
  template_name?: string
  since?: string
  until?: string
  range?: string
  limit?: string
  offset?: string
}

export function WorkflowRows({ rows, now }: { rows: Workflow[]; now: number }): VNode {
  return html`<div class="table-wrap"><table class="table rows-link">
    <thead><tr>
      <th scope="col">ID</th><th scope="col">Workflow</th><th scope="col">Agent</th><th scope="col">Status</th><th scope="col">Created</th>
      <th scope="col" class="num">Duration</th>
    </tr></thead>
    <tbody>
      ${rows.map((w) => {
        const end =
          w.completed_at ??
          (OPEN_STATUSES.includes(w.status) ? new Date(now).toISOString() : w.updated_at)
        return html`<tr key=${w.id} data-workflow=${w.id} data-status=${w.status}>
          <td><${WorkflowLink} id=${w.id} /></td>
          <td>
            ${w.name !== undefined && w.name !== w.template_name ? html`<strong>${w.name}</strong> ` : null}
            ${
              w.template_name
                ? html`<a href=${`/templates/${encodeURIComponent(w.template_name)}?version=${encodeURIComponent(w.template_version ?? '')}`}>${w.template_name}</a> <span class="muted small">${w.template_version}</span>`
                : html`<span class="muted">inline definition</span>`
            }
            ${w.parent_workflow_id ? html` <span class="muted small" title=${`sub-workflow of ${w.parent_workflow_id}`}>↳ sub</span>` : null}
          </td>
          <td>${w.agent_id}</td>
          <td><${Badge} status=${w.status} /></td>
          <td><${Time} at=${w.created_at} now=${now} /></td>
          <td class="num">${duration(between(w.started_at ?? w.created_at, end))}</td>
        </tr>`
      })}
    </tbody>
  </table></div>`
}

export const WorkflowsTable = island(
  'workflows-table',
  ({
    page: initial,
    query,
    apiQuery,
  }: {
    page: WorkflowPage
    query: WorkflowQuery
    apiQuery: Record<string, string>
  }) => {
    const now = useNow()
    const [page] = useLiveData<WorkflowPage>(
      initial,
      () => api<WorkflowPage>('GET', '/workflows', undefined, apiQuery),
      (ev) => ev.kind === 'stored' && ev.event_type.startsWith('workflow_'),
    )
    return html`<div>
      ${
        page.workflows.length === 0
          ? html`<${Empty}>No workflows found.</${Empty}>`
          : html`<${WorkflowRows} rows=${page.workflows} now=${now} />`
      }
      <${Pager}
        base="/workflows"
        query=${query}
        offset=${page.offset}
        limit=${page.limit}
        shown=${page.workflows.length}
        total=${page.total}
      />
    </div>`
  },
)
