/**
 * The in-process event hub (spec server.md §16 Ours): every event the engine commits (published
 * after the commit, with its global `id` and per-workflow `sequence`, so a client can resume) plus
 * the live-only custom events of `workflow.emit`. Subscribers filter by workflow and event type.
 *
 * Publishing never blocks: a queued subscriber has a bounded buffer; when it is full, further
 * events are dropped and the subscription is marked `overflowed`, so a stream can catch up from the
 * store (stored events are never lost, only their live copy).
 */
import type { EventPublisher, StoredEvent } from '../engine/ports.ts'

export interface HubEvent {
  /** `stored`: committed to the event log; `custom`: a `workflow.emit` event, never stored. */
  kind: 'stored' | 'custom'
  /** Global event id (stored events only). */
  id?: number
  workflow_id: string
  /** Per-workflow sequence (stored events only). */
  sequence?: number
  step_id?: string
  event_type: string
  payload?: unknown
  agent_id?: string
  /** Epoch ms. */
  timestamp: number
}

export interface HubFilter {
  /** Only this workflow (absent: all). */
  workflow_id?: string
  /** Only these event types (absent or empty: all). */
  event_types?: string[]
  /** Leave out `workflow.emit` events. */
  stored_only?: boolean
}

export interface Subscription {
  /** Next event, or undefined once closed. Waits while the buffer is empty. */
  next(signal?: AbortSignal): Promise<HubEvent | undefined>
  /** Takes everything buffered now without waiting. */
  drain(): HubEvent[]
  /** True once an event was dropped because the buffer was full (reset by `resetOverflow`). */
  readonly overflowed: boolean
  resetOverflow(): void
  readonly dropped: number
  close(): void
}

interface Subscriber {
  filter: HubFilter
  types: Set<string> | undefined
  deliver(ev: HubEvent): void
}

/** Default buffer of a queued subscriber, in events. */
export const DEFAULT_BUFFER = 1024

/** Stored events kept in memory for stream resumes (the log has no index on the global id). */
export const RECENT_EVENTS = 10_000

export class EventHub implements EventPublisher {
  private readonly all = new Set<Subscriber>()
  private readonly byWorkflow = new Map<string, Set<Subscriber>>()
  private closed = false
  /** Ring of the latest committed events, in global id order. */
  private readonly recent: Array<StoredEvent | undefined>
  private recentCount = 0
  private readonly recentSize: number

  constructor(recentSize = RECENT_EVENTS) {
    this.recentSize = Math.max(1, recentSize)
    this.recent = new Array(this.recentSize)
  }

  /**
   * Committed events with a global id above `afterId`, oldest first — or undefined when the ring
   * no longer reaches back that far (the caller then reads the log).
   */
  recentSince(afterId: number, filter?: (e: StoredEvent) => boolean): StoredEvent[] | undefined {
    const n = Math.min(this.recentCount, this.recentSize)
    if (n === 0) return afterId >= this.lastId ? [] : undefined
    const start = this.recentCount - n
    const oldest = this.recent[start % this.recentSize] as StoredEvent
    if ((oldest.id ?? 0) > afterId + 1) return undefined
    const out: StoredEvent[] = []
    for (let i = start; i < this.recentCount; i++) {
      const e = this.recent[i % this.recentSize] as StoredEvent
      if ((e.id ?? 0) > afterId && (filter === undefined || filter(e))) out.push(e)
    }
    return out
  }

  /** Global id of the latest event published (0 before any). */
  lastId = 0

  /** Number of live subscriptions (health, tests). */
  get size(): number {
    let n = this.all.size
    for (const s of this.byWorkflow.values()) n += s.size
    return n
  }

  publish(event: StoredEvent): void {
    this.recent[this.recentCount % this.recentSize] = event
    this.recentCount++
    if (event.id !== undefined) this.lastId = event.id
    if (this.all.size === 0 && this.byWorkflow.size === 0) return
    const ev: HubEvent = {
      kind: 'stored',
      workflow_id: event.workflow_id,
      sequence: event.sequence,
      event_type: event.event_type,
      timestamp: event.timestamp,
    }
    if (event.id !== undefined) ev.id = event.id
    if (event.step_id !== undefined) ev.step_id = event.step_id
    if (event.payload !== undefined) ev.payload = event.payload
    if (event.agent_id !== undefined) ev.agent_id = event.agent_id
    this.dispatch(ev)
  }

  publishCustom(event: {
    workflow_id: string
    step_id?: string
    event_type: string
    payload?: unknown
  }): void {
    if (this.all.size === 0 && this.byWorkflow.size === 0) return
    const ev: HubEvent = {
      kind: 'custom',
      workflow_id: event.workflow_id,
      event_type: event.event_type,
      timestamp: Date.now(),
    }
    if (event.step_id !== undefined) ev.step_id = event.step_id
    if (event.payload !== undefined) ev.payload = event.payload
    this.dispatch(ev)
  }

  private dispatch(ev: HubEvent): void {
    for (const s of this.all) offer(s, ev)
    const subs = this.byWorkflow.get(ev.workflow_id)
    if (subs !== undefined) for (const s of subs) offer(s, ev)
  }

  /** Calls `fn` synchronously for every matching event until the returned function is called. */
  listen(filter: HubFilter, fn: (ev: HubEvent) => void): () => void {
    const sub: Subscriber = { filter, types: typesOf(filter), deliver: fn }
    this.add(sub)
    return () => this.remove(sub)
  }

  /** A buffered subscription (for streams): at most `buffer` events wait to be read. */
  subscribe(filter: HubFilter, buffer = DEFAULT_BUFFER): Subscription {
    const queue: HubEvent[] = []
    let waiter: ((ev: HubEvent | undefined) => void) | undefined
    let overflowed = false
    let dropped = 0
    let open = !this.closed
    const sub: Subscriber = {
      filter,
      types: typesOf(filter),
      deliver(ev) {
        if (waiter !== undefined) {
          const w = waiter
          waiter = undefined
          w(ev)
          return
        }
        if (queue.length >= buffer) {
          overflowed = true
          dropped++
          return
        }
        queue.push(ev)
      },
    }
    if (open) this.add(sub)
    const close = (): void => {
      if (!open) return
      open = false
      this.remove(sub)
      const w = waiter
      waiter = undefined
      w?.(undefined)
    }
    this.closers.add(close)
    return {
      next: (signal) => {
        const head = queue.shift()
        if (head !== undefined) return Promise.resolve(head)
        if (!open || signal?.aborted === true) return Promise.resolve(undefined)
        return new Promise<HubEvent | undefined>((resolve) => {
          const onAbort = (): void => {
            if (waiter === settle) waiter = undefined
            resolve(undefined)
          }
          const settle = (ev: HubEvent | undefined): void => {
            signal?.removeEventListener('abort', onAbort)
            resolve(ev)
          }
          waiter = settle
          signal?.addEventListener('abort', onAbort, { once: true })
        })
      },
      drain: () => queue.splice(0, queue.length),
      get overflowed() {
        return overflowed
      },
      resetOverflow() {
        overflowed = false
      },
      get dropped() {
        return dropped
      },
      close: () => {
        close()
        this.closers.delete(close)
      },
    }
  }

  private readonly closers = new Set<() => void>()

  /** Ends every subscription (server shutdown). */
  close(): void {
    this.closed = true
    for (const c of [...this.closers]) c()
    this.closers.clear()
    this.all.clear()
    this.byWorkflow.clear()
  }

  private add(sub: Subscriber): void {
    const id = sub.filter.workflow_id
    if (id === undefined || id === '') {
      this.all.add(sub)
      return
    }
    let set = this.byWorkflow.get(id)
    if (set === undefined) {
      set = new Set()
      this.byWorkflow.set(id, set)
    }
    set.add(sub)
  }

  private remove(sub: Subscriber): void {
    const id = sub.filter.workflow_id
    if (id === undefined || id === '') {
      this.all.delete(sub)
      return
    }
    const set = this.byWorkflow.get(id)
    if (set === undefined) return
    set.delete(sub)
    if (set.size === 0) this.byWorkflow.delete(id)
  }
}

function typesOf(filter: HubFilter): Set<string> | undefined {
  return filter.event_types === undefined || filter.event_types.length === 0
    ? undefined
    : new Set(filter.event_types)
}

function offer(s: Subscriber, ev: HubEvent): void {
  if (s.filter.stored_only === true && ev.kind !== 'stored') return
  if (s.types !== undefined && !s.types.has(ev.event_type)) return
  s.deliver(ev)
}
