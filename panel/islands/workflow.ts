/**
 * Workflow detail (panel.md §3.3 Ours): the live DAG (SVG from the server's diagram module, redrawn
 * as steps change), steps with attempts, durations, outputs and errors, the event timeline, input
 * and output, pending decisions resolved inline, and cancel / re-run / resume / retry.
 */
import type { VNode } from 'preact'
import { useRef, useState } from 'preact/hooks'
import {
  Badge,
  Card,
  Empty,
  ErrorNote,
  EventBadge,
  JsonBox,
  Time,
  WorkflowLink,
} from '../components/bits.ts'
import { DecisionCard } from '../components/decision-card.ts'
import { api, errorText } from '../lib/api.ts'
import { absTime, between, duration, OPEN_STATUSES } from '../lib/format.ts'
import { useLiveData, useLiveEvents, useNow } from '../lib/hooks.ts'
import { html } from '../lib/html.ts'
import { island } from '../lib/island.ts'
import { operator } from '../lib/page.ts'
import type { Decision, StepState, Workflow, WorkflowEvent } from '../lib/types.ts'

export interface WorkflowDetail {
  workflow: Workflow
  steps: Record<string, StepState>
  decisions: Decision[]
  context?: unknown
  children: Array<{
    workflow_id: string
    status: string
    template_name?: string
    created_at: string
  }>
  events: WorkflowEvent[]
  events_total: number
}

export interface DiagramState {
  svg?: string
  error?: string
}

const TABS = ['diagram', 'steps', 'events', 'data'] as const
type Tab = (typeof TABS)[number]
const TAB_LABEL: Record<Tab, string> = {
  diagram: 'Diagram',
  steps: 'Steps',
  events: 'Events',
  data: 'Input & output',
}

function orderedSteps(steps: Record<string, StepState>): StepState[] {
  return Object.values(steps).sort((a, b) => {
    const x = a.started_at ?? '~'
    const y = b.started_at ?? '~'
    return x < y ? -1 : x > y ? 1 : a.step_id.localeCompare(b.step_id)
  })
}

function StepsTable({ steps, wf }: { steps: StepState[]; wf: Workflow }): VNode {
  if (steps.length === 0) return html`<${Empty}>No step has started yet.</${Empty}>`
  const max = Math.max(1, ...steps.map((s) => s.duration_ms ?? 0))
  return html`<div class="table-wrap"><table class="table steps">
    <thead><tr>
      <th scope="col">Step</th><th scope="col">Status</th><th scope="col" class="num">Attempts</th>
      <th scope="col">Duration</th><th scope="col">Started</th><th scope="col">Details</th>
    </tr></thead>
    <tbody>
      ${steps.map((s) => {
        const depth = s.step_id.split('.').length - 1
        return html`<tr key=${s.step_id} data-step=${s.step_id} data-status=${s.status}>
          <td class="mono" style=${depth > 0 ? `padding-left:${0.75 + depth * 1.1}rem` : undefined}>${s.step_id}</td>
          <td><${Badge} status=${s.status} />${
            s.error
              ? html`<div class="step-error"><span class="mono">${s.error.code}</span> ${s.error.message}</div>`
              : null
          }</td>
          <td class="num">${s.retry_count + 1}</td>
          <td class="duration">${
            s.duration_ms === undefined
              ? html`<span class="muted">—</span>`
              : html`<span class="bar" aria-hidden="true"><span style=${`width:${Math.max(2, (100 * s.duration_ms) / max)}%`}></span></span>${duration(s.duration_ms)}`
          }</td>
          <td class="small" title=${absTime(s.started_at)}>${s.started_at ? absTime(s.started_at).slice(11, 19) : '—'}</td>
          <td>
            ${
              s.input === undefined && s.output === undefined && s.error === undefined
                ? html`<span class="muted">—</span>`
                : html`<details class="json">
                    <summary>Input / output</summary>
                    ${s.input === undefined ? null : html`<h4>Input</h4><pre>${JSON.stringify(s.input, null, 2)}</pre>`}
                    ${s.output === undefined ? null : html`<h4>Output</h4><pre>${JSON.stringify(s.output, null, 2)}</pre>`}
                    ${s.error === undefined ? null : html`<h4>Error</h4><pre>${JSON.stringify(s.error, null, 2)}</pre>`}
                  </details>`
            }
            ${
              s.status === 'failed' && wf.status === 'failed'
                ? html`<${RetryStep} workflowId=${wf.id} stepId=${s.step_id} />`
                : null
            }
          </td>
        </tr>`
      })}
    </tbody>
  </table></div>`
}

function RetryStep({ workflowId, stepId }: { workflowId: string; stepId: string }): VNode {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | undefined>(undefined)
  return html`<span class="inline-action">
    <button
      type="button"
      class="small"
      disabled=${busy}
      onClick=${async () => {
        if (!confirm(`Re-run step ${stepId} and continue the workflow from there?`)) return
        setBusy(true)
        setError(undefined)
        try {
          await api('POST', `/workflows/${encodeURIComponent(workflowId)}/signals`, {
            signal_type: 'retry',
            step_id: stepId,
            agent_id: operator(),
          })
        } catch (err) {
          setError(errorText(err))
        } finally {
          setBusy(false)
        }
      }}
    >Retry from here</button>
    <${ErrorNote} text=${error} />
  </span>`
}

function EventsList({
  events,
  total,
  now,
  onLoadAll,
}: {
  events: WorkflowEvent[]
  total: number
  now: number
  onLoadAll?: () => void
}): VNode {
  return html`<div>
    ${
      total > events.length
        ? html`<p class="muted small">Showing the latest ${events.length} of ${total} events.${' '}
            ${onLoadAll ? html`<button type="button" class="ghost small" onClick=${onLoadAll}>Load earlier events</button>` : null}</p>`
        : null
    }
    <ol class="timeline">
      ${events.map(
        (e) => html`<li key=${e.sequence} data-seq=${e.sequence}>
          <span class="seq mono muted">#${e.sequence}</span>
          <${EventBadge} type=${e.event_type} />
          ${e.step_id ? html`<span class="mono">${e.step_id}</span>` : null}
          <span class="muted small"><${Time} at=${e.timestamp} now=${now} /></span>
          ${e.payload === undefined ? null : html`<${JsonBox} label="payload" value=${e.payload} />`}
        </li>`,
      )}
    </ol>
  </div>`
}

function Actions({ wf, pending }: { wf: Workflow; pending: number }): VNode {
  const [busy, setBusy] = useState<string | undefined>(undefined)
  const [error, setError] = useState<string | undefined>(undefined)
  const run = async (label: string, question: string, fn: () => Promise<void>): Promise<void> => {
    if (!confirm(question)) return
    setBusy(label)
    setError(undefined)
    try {
      await fn()
    } catch (err) {
      setError(errorText(err))
    } finally {
      setBusy(undefined)
    }
  }
  const open = OPEN_STATUSES.includes(wf.status)
  return html`<div class="actions-bar">
    ${
      open
        ? html`<button
            type="button"
            class="danger"
            disabled=${busy !== undefined}
            onClick=${() =>
              run(
                'cancel',
                'Cancel this workflow? Running steps are aborted; this cannot be undone.',
                async () => {
                  await api('POST', `/workflows/${encodeURIComponent(wf.id)}/cancel`, {
                    agent_id: operator(),
                    reason: 'cancelled from the panel',
                  })
                },
              )}
          >${busy === 'cancel' ? 'Cancelling…' : 'Cancel workflow'}</button>`
        : null
    }
    ${
      wf.status === 'suspended' && pending === 0
        ? html`<button
            type="button"
            disabled=${busy !== undefined}
            onClick=${() =>
              run('resume', 'Resume this suspended workflow?', async () => {
                await api('POST', `/workflows/${encodeURIComponent(wf.id)}/signals`, {
                  signal_type: 'retry',
                  agent_id: operator(),
                })
              })}
          >Resume</button>`
        : null
    }
    ${
      wf.template_name
        ? html`<button
            type="button"
            class="ghost"
            disabled=${busy !== undefined}
            onClick=${() =>
              run(
                'rerun',
                `Start a new run of ${wf.template_name} ${wf.template_version ?? ''} with the same input?`,
                async () => {
                  const r = await api<{ workflow_id: string }>('POST', '/workflows', {
                    template_name: wf.template_name,
                    ...(wf.template_version ? { version: wf.template_version } : {}),
                    params: wf.input_params ?? {},
                    agent_id: operator(),
                    wait: false,
                  })
                  location.assign(`/workflows/${encodeURIComponent(r.workflow_id)}`)
                },
              )}
          >Re-run</button>`
        : null
    }
    <${ErrorNote} text=${error} />
  </div>`
}

export const WorkflowView = island(
  'workflow',
  ({
    detail: initial,
    diagram: initialDiagram,
  }: {
    detail: WorkflowDetail
    diagram: DiagramState
  }) => {
    const now = useNow(5000)
    const id = initial.workflow.id
    const [tab, setTab] = useState<Tab>('diagram')
    const tabRefs = useRef<Record<string, HTMLButtonElement | null>>({})
    const [detail, setDetail] = useLiveData<WorkflowDetail>(
      initial,
      () =>
        api<WorkflowDetail>('GET', `/workflows/${encodeURIComponent(id)}`, undefined, {
          events: 200,
        }),
      (ev) => ev.workflow_id === id && ev.kind === 'stored',
      300,
    )
    const [diagram] = useLiveData<DiagramState>(
      initialDiagram,
      async () => {
        try {
          const r = await api<{ diagram: string }>('GET', '/diagram', undefined, {
            workflow_id: id,
            format: 'svg',
          })
          return { svg: r.diagram }
        } catch (err) {
          return { error: errorText(err) }
        }
      },
      (ev) =>
        ev.workflow_id === id && /^(step_|workflow_|decision_|loop_|wait_)/.test(ev.event_type),
      800,
    )
    const [allEvents, setAllEvents] = useState(false)
    useLiveEvents((ev) => {
      // Append at once; the throttled reload brings the rest of the page in line.
      if (ev.workflow_id !== id || ev.kind !== 'stored') return
      if (detail.events.some((e) => e.sequence === ev.sequence)) return
      const { kind: _kind, ...event } = ev
      setDetail({
        ...detail,
        events: [...detail.events, event].sort((a, b) => a.sequence - b.sequence),
        events_total: Math.max(detail.events_total, ev.sequence),
      })
    })
    const wf = detail.workflow
    const pending = detail.decisions.filter((d) => d.status === 'pending')
    const steps = orderedSteps(detail.steps)
    const end =
      wf.completed_at ??
      (OPEN_STATUSES.includes(wf.status) ? new Date(now).toISOString() : wf.updated_at)
    const onKey = (e: KeyboardEvent): void => {
      const i = TABS.indexOf(tab)
      let next: Tab | undefined
      if (e.key === 'ArrowRight') next = TABS[(i + 1) % TABS.length]
      if (e.key === 'ArrowLeft') next = TABS[(i - 1 + TABS.length) % TABS.length]
      if (next !== undefined) {
        e.preventDefault()
        setTab(next)
        tabRefs.current[next]?.focus()
      }
    }
    return html`<div class="workflow-view" data-status=${wf.status}>
      <section class="card summary">
        <div class="summary-main">
          <${Badge} status=${wf.status} />
          <dl class="facts">
            <div><dt>ID</dt><dd class="mono">${wf.id}</dd></div>
            <div><dt>Agent</dt><dd><a href=${`/workflows?agent_id=${encodeURIComponent(wf.agent_id)}`}>${wf.agent_id}</a></dd></div>
            <div><dt>Template</dt><dd>${
              wf.template_name
                ? html`<a href=${`/templates/${encodeURIComponent(wf.template_name)}?version=${encodeURIComponent(wf.template_version ?? '')}`}>${wf.template_name}</a> <span class="muted">${wf.template_version}</span>`
                : html`<span class="muted">inline definition</span>`
            }</dd></div>
            <div><dt>Created</dt><dd><${Time} at=${wf.created_at} now=${now} /></dd></div>
            <div><dt>Duration</dt><dd>${duration(between(wf.started_at ?? wf.created_at, end))}</dd></div>
            ${wf.parent_workflow_id ? html`<div><dt>Parent</dt><dd><${WorkflowLink} id=${wf.parent_workflow_id} /></dd></div>` : null}
          </dl>
        </div>
        ${
          wf.error
            ? html`<p class="error-note" role="alert"><span class="mono">${wf.error.code}</span> ${wf.error.message}${
                wf.error.step_id
                  ? html` <span class="muted">(step ${wf.error.step_id})</span>`
                  : null
              }</p>`
            : null
        }
        <${Actions} wf=${wf} pending=${pending.length} />
      </section>
      ${
        pending.length > 0
          ? html`<section aria-label="Pending decisions" class="stack">
              ${pending.map((d) => html`<${DecisionCard} key=${d.id} decision=${d} now=${now} showWorkflow=${false} />`)}
            </section>`
          : null
      }
      ${
        detail.children.length > 0
          ? html`<${Card} title="Sub-workflows">
              <ul class="list">${detail.children.map(
                (
                  c,
                ) => html`<li key=${c.workflow_id}><${WorkflowLink} id=${c.workflow_id} /> <${Badge} status=${c.status} />
                  <span class="muted small">${c.template_name ?? ''} · <${Time} at=${c.created_at} now=${now} /></span></li>`,
              )}</ul>
            </${Card}>`
          : null
      }
      <div class="tabs" role="tablist" aria-label="Workflow views" onKeyDown=${onKey}>
        ${TABS.map(
          (t) => html`<button
            type="button"
            role="tab"
            id=${`tab-${t}`}
            aria-selected=${tab === t ? 'true' : 'false'}
            aria-controls=${`panel-${t}`}
            tabindex=${tab === t ? 0 : -1}
            ref=${(el: HTMLButtonElement | null) => {
              tabRefs.current[t] = el
            }}
            onClick=${() => setTab(t)}
          >${TAB_LABEL[t]}${t === 'steps' ? ` (${steps.length})` : t === 'events' ? ` (${detail.events_total})` : ''}</button>`,
        )}
      </div>
      <section class="card tab-panel" role="tabpanel" id=${`panel-${tab}`} aria-labelledby=${`tab-${tab}`} tabindex="0">
        ${
          tab === 'diagram'
            ? diagram.svg
              ? html`<div class="diagram" dangerouslySetInnerHTML=${{ __html: diagram.svg }}></div>`
              : html`<${ErrorNote} text=${diagram.error ?? 'no diagram'} />`
            : null
        }
        ${tab === 'steps' ? html`<${StepsTable} steps=${steps} wf=${wf} />` : null}
        ${
          tab === 'events'
            ? html`<${EventsList}
                events=${detail.events}
                total=${detail.events_total}
                now=${now}
                onLoadAll=${
                  allEvents
                    ? undefined
                    : async () => {
                        setAllEvents(true)
                        const r = await api<{ events: WorkflowEvent[] }>(
                          'GET',
                          `/workflows/${encodeURIComponent(id)}/events`,
                          undefined,
                          { limit: 1000 },
                        )
                        setDetail({
                          ...detail,
                          events: r.events,
                          events_total: Math.max(detail.events_total, r.events.length),
                        })
                      }
                }
              />`
            : null
        }
        ${
          tab === 'data'
            ? html`<div class="stack">
                <${JsonBox} label="Input params" value=${wf.input_params ?? {}} open=${true} />
                <${JsonBox} label="Output" value=${wf.output} open=${wf.output !== undefined} />
                ${wf.error ? html`<${JsonBox} label="Error" value=${wf.error} open=${true} />` : null}
                <${JsonBox} label="Context" value=${detail.context} />
                <${JsonBox} label="Definition" value=${wf.definition} />
              </div>`
            : null
        }
      </section>
    </div>`
  },
)
