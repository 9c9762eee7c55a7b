/** Pages that are one island in the layout: dashboard, workflow, decisions, agents, events… */
import type { VNode } from 'preact'
import { Dashboard } from '../islands/dashboard.ts'
import { DecisionQueue } from '../islands/decisions.ts'
import { type DiagramState, type WorkflowDetail, WorkflowView } from '../islands/workflow.ts'
import { html } from '../lib/html.ts'
import type { Dashboard as DashboardData, Decision } from '../lib/types.ts'
import { Layout, type PageContext } from './layout.ts'

export function DashboardPage({ ctx, data }: { ctx: PageContext; data: DashboardData }): VNode {
  return html`<${Layout} ctx=${ctx} title="Dashboard"><${Dashboard} data=${data} /></${Layout}>`
}

export function WorkflowPage({
  ctx,
  detail,
  diagram,
}: {
  ctx: PageContext
  detail: WorkflowDetail
  diagram: DiagramState
}): VNode {
  const w = detail.workflow
  return html`<${Layout}
    ctx=${ctx}
    title=${html`<a href="/workflows" class="muted">Workflows</a> / ${w.name ?? w.template_name ?? 'Workflow'}`}
  >
    <${WorkflowView} detail=${detail} diagram=${diagram} />
  </${Layout}>`
}

const DECISION_STATUSES = ['pending', 'resolved', 'timed_out', 'cancelled']

export function DecisionsPage({
  ctx,
  decisions,
  status,
}: {
  ctx: PageContext
  decisions: Decision[]
  status: string
}): VNode {
  return html`<${Layout} ctx=${ctx} title="Decisions">
    <nav class="segmented" aria-label="Decision status">
      ${DECISION_STATUSES.map(
        (s) =>
          html`<a href=${s === 'pending' ? '/decisions' : `/decisions?status=${s}`} aria-current=${s === status ? 'page' : undefined}>${s.replace('_', ' ')}</a>`,
      )}
    </nav>
    <${DecisionQueue} decisions=${decisions} status=${status} />
  </${Layout}>`
}

export function MessagePage({
  ctx,
  title,
  message,
  status,
}: {
  ctx: PageContext
  title: string
  message: string
  status: number
}): VNode {
  return html`<${Layout} ctx=${ctx} title=${title}>
    <section class="card">
      <p class="error-note" role="alert">${message}</p>
      <p class="muted small">HTTP ${status} · <a href="/">Back to the dashboard</a></p>
    </section>
  </${Layout}>`
}
