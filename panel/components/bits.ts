/** Small shared pieces: status badges, times, ids, JSON boxes, empty states, error notes. */
import type { ComponentChildren, VNode } from 'preact'
import { absTime, ago, badgeClass, eventClass, pretty, shortId } from '../lib/format.ts'
import { html } from '../lib/html.ts'

export function Badge({ status, kind }: { status: string; kind?: string }): VNode {
  return html`<span class=${`badge ${kind ?? badgeClass(status)}`}>${status}</span>`
}

export function EventBadge({ type }: { type: string }): VNode {
  return html`<span class=${`badge ${eventClass(type)}`}>${type}</span>`
}

/** A relative time with the absolute one as tooltip and machine-readable datetime. */
export function Time({ at, now }: { at: string | undefined; now: number }): VNode {
  if (at === undefined) return html`<span class="muted">—</span>`
  return html`<time datetime=${at} title=${absTime(at)}>${ago(at, now)}</time>`
}

export function WorkflowLink({ id, label }: { id: string; label?: string }): VNode {
  return html`<a class="mono" href=${`/workflows/${encodeURIComponent(id)}`} title=${id}
    >${label ?? shortId(id)}</a
  >`
}

export function Mono({ children, title }: { children: ComponentChildren; title?: string }): VNode {
  return html`<span class="mono" title=${title}>${children}</span>`
}

/** A collapsible pretty-printed JSON value. */
export function JsonBox({
  label,
  value,
  open = false,
}: {
  label: string
  value: unknown
  open?: boolean
}): VNode {
  if (value === undefined) return html`<span class="muted">—</span>`
  const text = pretty(value)
  return html`<details class="json" open=${open}>
    <summary>${label} <span class="muted small">(${text.length.toLocaleString('en-US')} chars)</span></summary>
    <pre>${text}</pre>
  </details>`
}

/** Short JSON inline; longer JSON in a collapsible box. */
export function JsonInline({
  value,
  label = 'details',
}: {
  value: unknown
  label?: string
}): VNode {
  const text = JSON.stringify(value) ?? ''
  if (text.length <= 90) return html`<code class="mono small inline-json">${text}</code>`
  return html`<${JsonBox} label=${label} value=${value} />`
}

export function Empty({ children }: { children: ComponentChildren }): VNode {
  return html`<p class="empty">${children}</p>`
}

export function ErrorNote({ text }: { text: string | undefined }): VNode | null {
  if (text === undefined || text === '') return null
  return html`<p class="error-note" role="alert">${text}</p>`
}

export function Card({
  title,
  actions,
  children,
  id,
}: {
  title?: ComponentChildren
  actions?: ComponentChildren
  children: ComponentChildren
  id?: string
}): VNode {
  return html`<section class="card" id=${id}>
    ${
      title === undefined
        ? null
        : html`<header class="card-head"><h2>${title}</h2>${actions ? html`<div class="card-actions">${actions}</div>` : null}</header>`
    }
    ${children}
  </section>`
}
