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

/**
 * Committed events kept in memory — ids, keys and types only, never payloads (outputs can be
 * large): the log has no index on the global id, so stream resumes across workflows and "newest
 * first" listings read this window instead of scanning the log.
 */
export const RECENT_EVENTS = 10_000

/** One event of the recent window. */
export interface RecentEntry {
  id: number
  workflow_id: string
  sequence: number
  event_type: string
  /** Epoch ms. */
  timestamp: number
  step_id?: string
  agent_id?: string
}

export class EventHub implements EventPublisher {
  private readonly all = new Set<Subscriber>()
  private readonly byWorkflow = new Map<string, Set<Subscriber>>()
  private closed = false
  /** Ring of the latest committed events, a contiguous suffix of the global ids. */
  private ring: Array<RecentEntry | undefined>
  private head = 0
  private count = 0
  private readonly ringSize: number
  private wholeLog = false
  /** True once the window was seeded from the log (see `seed`). */
  seeded = false
  /** Global id of the latest event in the window (0 before any). */
  lastId = 0

  constructor(ringSize = RECENT_EVENTS) {
    this.ringSize = Math.max(1, ringSize)
    this.ring = new Array(this.ringSize)
  }

  /** Number of live subscriptions (health, tests). */
  get size(): number {
    let n = this.all.size
    for (const s of this.byWorkflow.values()) n += s.size
    return n
  }

  /** Events in the window. */
  get recentSize(): number {
    return this.count
  }

  /** True while the window holds every event of the log (a filtered miss is then a real miss). */
  get complete(): boolean {
    return this.wholeLog
  }

  /**
   * Adds the newest events of the log, read at start-up or first use (oldest first). `whole` says
   * they are the whole log. Events already in the window are kept; the result stays contiguous
   * because both sides end at the newest event.
   */
  seed(entries: RecentEntry[], whole: boolean): void {
    const merged = new Map<number, RecentEntry>()
    for (const e of entries) merged.set(e.id, e)
    for (const e of this.entries()) merged.set(e.id, e)
    const all = [...merged.values()].sort((a, b) => a.id - b.id).slice(-this.ringSize)
    this.ring = new Array(this.ringSize)
    this.head = 0
    this.count = 0
    this.lastId = 0
    for (const e of all) this.push(e)
    this.wholeLog = whole && all.length < this.ringSize
    this.seeded = true
  }

  private push(e: RecentEntry): void {
    if (e.id <= this.lastId) return
    this.lastId = e.id
    this.ring[this.head] = e
    this.head = (this.head + 1) % this.ringSize
    if (this.count < this.ringSize) this.count++
    else this.wholeLog = false
  }

  /** The window, oldest first. */
  private *entries(): Generator<RecentEntry> {
    for (let i = this.count; i >= 1; i--) {
      yield this.ring[(this.head - i + this.ringSize) % this.ringSize] as RecentEntry
    }
  }

  /**
   * Committed events with a global id above `afterId`, oldest first — or undefined when the
   * window no longer reaches back that far (the caller then reads the log).
   */
  recentSince(afterId: number, filter?: (e: RecentEntry) => boolean): RecentEntry[] | undefined {
    if (this.count === 0) return afterId >= this.lastId || this.wholeLog ? [] : undefined
    const oldest = this.ring[
      (this.head - this.count + this.ringSize) % this.ringSize
    ] as RecentEntry
    if (oldest.id > afterId + 1 && !this.wholeLog) return undefined
    const out: RecentEntry[] = []
    for (const e of this.entries())
      if (e.id > afterId && (filter === undefined || filter(e))) out.push(e)
    return out
  }

  /** The newest events of the window matching `filter`, newest first. */
  newest(filter: (e: RecentEntry) => boolean, limit: number, offset = 0): RecentEntry[] {
    const out: RecentEntry[] = []
    let skipped = 0
    for (let i = 1; i <= this.count && out.length < limit; i++) {
      const e = this.ring[(this.head - i + this.ringSize) % this.ringSize] as RecentEntry
      if (!filter(e)) continue
      if (skipped < offset) {
        skipped++
        continue
      }
      out.push(e)
    }
    return out
  }

  publish(event: StoredEvent): void {
    if (event.id !== undefined) {
      const e: RecentEntry = {
        id: event.id,
        workflow_id: event.workflow_id,
        sequence: event.sequence,
        event_type: event.event_type,
        timestamp: event.timestamp,
      }
      if (event.step_id !== undefined) e.step_id = event.step_id
      if (event.agent_id !== undefined) e.agent_id = event.agent_id
      this.push(e)
    }
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
