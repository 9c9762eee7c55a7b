import { describe, expect, test } from 'bun:test'
import type { StoredEvent } from '../engine/ports.ts'
import { EventHub } from './hub.ts'

const ev = (workflow_id: string, sequence: number, event_type = 'step_completed'): StoredEvent => ({
  id: sequence,
  workflow_id,
  sequence,
  event_type,
  timestamp: 1,
  v: 1,
})

describe('EventHub', () => {
  test('filters by workflow and event type; custom events can be left out', () => {
    const hub = new EventHub()
    const all: string[] = []
    const one: string[] = []
    const typed: string[] = []
    hub.listen({}, (e) => all.push(`${e.workflow_id}:${e.event_type}`))
    hub.listen({ workflow_id: 'a', stored_only: true }, (e) => one.push(`${e.sequence}`))
    hub.listen({ event_types: ['workflow_completed'] }, (e) => typed.push(e.workflow_id))
    hub.publish(ev('a', 1))
    hub.publish(ev('b', 1, 'workflow_completed'))
    hub.publishCustom({ workflow_id: 'a', event_type: 'deployed', payload: { v: 1 } })
    expect(all).toEqual(['a:step_completed', 'b:workflow_completed', 'a:deployed'])
    expect(one).toEqual(['1'])
    expect(typed).toEqual(['b'])
  })

  test('a queued subscriber gets events in order, waits, and drops past its buffer', async () => {
    const hub = new EventHub()
    const sub = hub.subscribe({}, 3)
    const waiting = sub.next()
    hub.publish(ev('a', 1))
    expect((await waiting)?.sequence).toBe(1)
    for (let i = 2; i <= 6; i++) hub.publish(ev('a', i))
    expect(sub.overflowed).toBe(true)
    expect(sub.dropped).toBe(2)
    expect(sub.drain().map((e) => e.sequence)).toEqual([2, 3, 4])
    sub.resetOverflow()
    expect(sub.overflowed).toBe(false)
    sub.close()
    expect(await sub.next()).toBeUndefined()
    expect(hub.size).toBe(0)
  })

  test('next() honours an abort signal without losing the following event', async () => {
    const hub = new EventHub()
    const sub = hub.subscribe({ workflow_id: 'w' })
    const ac = new AbortController()
    const p = sub.next(ac.signal)
    ac.abort()
    expect(await p).toBeUndefined()
    hub.publish(ev('w', 7))
    expect((await sub.next())?.sequence).toBe(7)
    hub.close()
    expect(await sub.next()).toBeUndefined()
  })
})

describe('recent events window (stream resumes, newest first)', () => {
  const ev = (id: number, wf = 'w'): StoredEvent => ({
    id,
    workflow_id: wf,
    sequence: id,
    event_type: 'step_started',
    payload: { big: 'x'.repeat(100) },
    timestamp: id,
    v: 1,
  })

  test('answers resumes it still covers, in order, and says when it does not', () => {
    const hub = new EventHub(4)
    expect(hub.recentSince(0)).toEqual([])
    for (let i = 1; i <= 6; i++) hub.publish(ev(i, i % 2 ? 'odd' : 'even'))
    expect(hub.lastId).toBe(6)
    expect(hub.recentSince(4)?.map((e) => e.id)).toEqual([5, 6])
    expect(hub.recentSince(2)?.map((e) => e.id)).toEqual([3, 4, 5, 6])
    expect(hub.recentSince(2, (e) => e.workflow_id === 'odd')?.map((e) => e.id)).toEqual([3, 5])
    expect(hub.recentSince(1)).toBeUndefined()
    expect(hub.recentSince(6)).toEqual([])
    // entries keep no payloads: large outputs never sit in memory
    expect(Object.keys(hub.recentSince(5)?.[0] ?? {})).not.toContain('payload')
  })

  test('a seed from the log joins what was published since start-up, newest first', () => {
    const hub = new EventHub(10)
    hub.publish(ev(8))
    hub.publish(ev(9))
    hub.seed(
      [5, 6, 7, 8].map((id) => ({
        id,
        workflow_id: 'w',
        sequence: id,
        event_type: 't',
        timestamp: id,
      })),
      false,
    )
    expect(hub.seeded).toBe(true)
    expect(hub.newest(() => true, 3).map((e) => e.id)).toEqual([9, 8, 7])
    expect(hub.newest(() => true, 2, 2).map((e) => e.id)).toEqual([7, 6])
    expect(hub.recentSince(4)?.map((e) => e.id)).toEqual([5, 6, 7, 8, 9])
    expect(hub.complete).toBe(false)
    const small = new EventHub(10)
    small.seed([{ id: 1, workflow_id: 'w', sequence: 1, event_type: 't', timestamp: 1 }], true)
    expect(small.complete).toBe(true)
    expect(small.recentSince(0)?.map((e) => e.id)).toEqual([1])
  })
})
