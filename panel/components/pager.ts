/** Offset pagination links that keep the page's other query parameters (panel.md §7 item 7). */
import type { VNode } from 'preact'
import { html } from '../lib/html.ts'

export function pageHref(
  base: string,
  query: Record<string, string | undefined>,
  offset: number,
): string {
  const qs = new URLSearchParams()
  for (const [k, v] of Object.entries(query))
    if (v !== undefined && v !== '' && k !== 'offset') qs.set(k, v)
  if (offset > 0) qs.set('offset', String(offset))
  const s = qs.toString()
  return s === '' ? base : `${base}?${s}`
}

export function Pager({
  base,
  query,
  offset,
  limit,
  shown,
  total,
}: {
  base: string
  query: Record<string, string | undefined>
  offset: number
  limit: number
  shown: number
  /** Undefined when unknown: "Next" is offered while pages are full. */
  total?: number
}): VNode {
  const hasPrev = offset > 0
  const hasNext = total === undefined ? shown >= limit : offset + shown < total
  const from = shown === 0 ? 0 : offset + 1
  const to = offset + shown
  return html`<nav class="pager" aria-label="Pagination">
    <span class="muted small">
      ${shown === 0 ? 'Nothing here' : `${from.toLocaleString('en-US')}–${to.toLocaleString('en-US')}`}
      ${total === undefined ? '' : ` of ${total.toLocaleString('en-US')}`}
    </span>
    <span class="pager-links">
      ${
        hasPrev
          ? html`<a class="button ghost" rel="prev" href=${pageHref(base, query, Math.max(0, offset - limit))}>« Newer</a>`
          : html`<span class="button ghost disabled" aria-disabled="true">« Newer</span>`
      }
      ${
        hasNext
          ? html`<a class="button ghost" rel="next" href=${pageHref(base, query, offset + limit)}>Older »</a>`
          : html`<span class="button ghost disabled" aria-disabled="true">Older »</span>`
      }
    </span>
  </nav>`
}
