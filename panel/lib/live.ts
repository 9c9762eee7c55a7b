/**
 * The page's live connection: one EventSource on the server's event stream (/api/v1/events/stream,
 * `id: <workflow_id>:<sequence>`). The browser reconnects by itself and sends Last-Event-ID, so
 * the server replays what was missed; listeners are also told when the connection (re)opens, so
 * views that summarise (counts, lists) refresh once to cover any gap.
 */
import { streamUrl } from './page.ts'
import type { WorkflowEvent } from './types.ts'

export interface LiveEvent extends WorkflowEvent {
  kind: 'stored' | 'custom'
}

export type LiveStatus = 'connecting' | 'live' | 'offline'

const listeners = new Set<(ev: LiveEvent) => void>()
const openers = new Set<() => void>()
const statusListeners = new Set<(s: LiveStatus) => void>()
let status: LiveStatus = 'connecting'
let source: EventSource | undefined
let opened = 0

function setStatus(s: LiveStatus): void {
  status = s
  for (const fn of statusListeners) fn(s)
}

export function startLive(): void {
  const url = streamUrl()
  if (url === undefined || source !== undefined || typeof EventSource === 'undefined') return
  source = new EventSource(url)
  source.onopen = () => {
    setStatus('live')
    // The first open follows the page's own data; later ones follow a gap.
    if (opened++ > 0) for (const fn of openers) fn()
  }
  source.onerror = () => {
    setStatus(source?.readyState === EventSource.CLOSED ? 'offline' : 'connecting')
  }
  source.onmessage = (msg) => {
    let ev: LiveEvent
    try {
      ev = JSON.parse(msg.data as string) as LiveEvent
    } catch {
      return
    }
    for (const fn of listeners) fn(ev)
  }
}

export function onLiveEvent(fn: (ev: LiveEvent) => void): () => void {
  listeners.add(fn)
  return () => listeners.delete(fn)
}

/** Called after a reconnection (not the first connection). */
export function onReconnect(fn: () => void): () => void {
  openers.add(fn)
  return () => openers.delete(fn)
}

export function onLiveStatus(fn: (s: LiveStatus) => void): () => void {
  statusListeners.add(fn)
  fn(status)
  return () => statusListeners.delete(fn)
}
