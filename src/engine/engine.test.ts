import { describe, expect, test } from 'bun:test'
import { makeEngine } from '../../test/support/engine.ts'
import { FakeClock } from '../../test/support/fake-clock.ts'
import type { WorkflowDefinition } from '../schema/workflow.ts'
import { MemoryRunStore } from '../store/memory.ts'
import { reduce } from './reduce.ts'

const def = (d: WorkflowDefinition): WorkflowDefinition => d

async function eventTypes(store: MemoryRunStore, id: string, withStep = true): Promise<string[]> {
  return (await store.listEvents(id)).map((e) =>
    withStep && e.step_id ? `${e.event_type}·${e.step_id}` : e.event_type,
  )
}

describe('engine: DAG walk', () => {
  test('runs a chain in order and reports sink outputs', async () => {
    const store = new MemoryRunStore()
    const { engine } = makeEngine({ store })
    const r = await engine.run({
      agentId: 'a',
      definition: def({
        steps: [
          { id: 'a', action: 'test.echo', params: { v: 1 } },
          {
            id: 'b',
            action: 'test.echo',
            params: { got: '${{steps.a.output.v}}' },
            depends_on: ['a'],
          },
        ],
      }),
    })
    expect(r.status).toBe('completed')
    expect(r.output).toEqual({ b: { got: 1 } })
    expect(await eventTypes(store, r.workflow_id)).toEqual([
      'workflow_started',
      'step_started·a',
      'step_completed·a',
      'step_started·b',
      'step_completed·b',
      'workflow_completed',
    ])
    const events = await store.listEvents(r.workflow_id)
    expect(events.map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5, 6])
    expect(store.workflows.get(r.workflow_id)?.status).toBe('completed')
  })

  test('runs a level in parallel and a diamond joins after both branches', async () => {
    const { engine, effects } = makeEngine()
    const r = await engine.run({
      agentId: 'a',
      definition: def({
        steps: [
          { id: 'root', action: 'test.noop' },
          { id: 'left', action: 'test.sleep', params: { ms: 30, key: 'l' }, depends_on: ['root'] },
          { id: 'right', action: 'test.sleep', params: { ms: 30, key: 'r' }, depends_on: ['root'] },
          {
            id: 'join',
            action: 'test.echo',
            params: { l: '${{steps.left.output.slept}}', r: '${{steps.right.output.slept}}' },
            depends_on: ['left', 'right'],
          },
        ],
      }),
    })
    expect(r.status).toBe('completed')
    expect(r.output).toEqual({ join: { l: 30, r: 30 } })
    expect(effects.get('l')).toBe(1)
    expect(effects.get('r')).toBe(1)
    const left = r.steps?.left
    const right = r.steps?.right
    expect(left?.duration_ms).toBeGreaterThanOrEqual(25)
    expect(right?.duration_ms).toBeGreaterThanOrEqual(25)
  })

  test('definition inputs are defaults under the run params', async () => {
    const { engine } = makeEngine()
    const r = await engine.run({
      agentId: 'a',
      params: { b: 'run' },
      definition: def({
        inputs: { a: 'default', b: 'default' },
        steps: [
          {
            id: 's',
            action: 'test.echo',
            params: { a: '${{inputs.a}}', b: '${{inputs.b}}', w: '${{workflow.run_id}}' },
          },
        ],
      }),
    })
    expect(r.output).toEqual({ s: { a: 'default', b: 'run', w: r.workflow_id } })
  })

  test('a failure stops later levels; never-started steps end skipped', async () => {
    const store = new MemoryRunStore()
    const { engine } = makeEngine({ store })
    const r = await engine.run({
      agentId: 'a',
      definition: def({
        steps: [
          { id: 'a', action: 'test.fail', params: { message: 'nope' } },
          { id: 'b', action: 'test.noop' },
          { id: 'c', action: 'test.noop', depends_on: ['b'] },
        ],
      }),
    })
    expect(r.status).toBe('failed')
    expect(r.error?.code).toBe('STEP_FAILED')
    expect(r.error?.message).toBe('step a: [EXECUTION_ERROR] nope')
    expect(r.error?.step_id).toBe('a')
    expect(r.steps?.a?.error).toEqual({ code: 'EXECUTION_ERROR', message: 'nope' })
    expect(r.steps?.b?.status).toBe('completed')
    expect(r.steps?.c?.status).toBe('skipped')
    const skipped = (await store.listEvents(r.workflow_id)).find(
      (e) => e.event_type === 'step_skipped',
    )
    expect(skipped?.payload).toEqual({ reason: 'upstream_failed' })
  })

  test('non-retryable errors are wrapped NON_RETRYABLE', async () => {
    const { engine } = makeEngine()
    const r = await engine.run({
      agentId: 'a',
      definition: def({
        steps: [
          { id: 'x', action: 'test.fail', params: { code: 'ASSERTION_FAILED' }, retry: { max: 3 } },
        ],
      }),
    })
    expect(r.error?.code).toBe('NON_RETRYABLE')
    expect(r.error?.message).toContain('step x: non-retryable error: [ASSERTION_FAILED]')
  })

  test('unknown actions fail with ACTION_UNAVAILABLE and are not retried', async () => {
    const { engine } = makeEngine()
    const r = await engine.run({
      agentId: 'a',
      definition: def({ steps: [{ id: 'x', action: 'nope.nothing', retry: { max: 3 } }] }),
    })
    expect(r.status).toBe('failed')
    expect(r.steps?.x?.error?.code).toBe('ACTION_UNAVAILABLE')
    expect(r.error?.code).toBe('NON_RETRYABLE')
  })

  test('params are validated against the action schema before running, and not retried', async () => {
    const { engine } = makeEngine()
    const r = await engine.run({
      agentId: 'a',
      params: { n: 'seven' },
      definition: def({
        steps: [
          { id: 'x', action: 'test.strict', params: { n: '${{inputs.n}}' }, retry: { max: 2 } },
        ],
      }),
    })
    expect(r.status).toBe('failed')
    expect(r.steps?.x?.error?.code).toBe('VALIDATION_ERROR')
    expect(r.steps?.x?.error?.message).toContain('/n')
    expect(r.error?.code).toBe('NON_RETRYABLE')
    const ok = await engine.run({
      agentId: 'a',
      params: { n: 7 },
      definition: def({
        steps: [{ id: 'x', action: 'test.strict', params: { n: '${{inputs.n}}' } }],
      }),
    })
    expect(ok.output).toEqual({ x: { n: 7 } })
  })

  test('a missing reference fails with INTERPOLATION_ERROR naming the path', async () => {
    const { engine } = makeEngine()
    const r = await engine.run({
      agentId: 'a',
      definition: def({
        steps: [{ id: 'x', action: 'test.echo', params: { v: '${{steps.nope.output.x}}' } }],
      }),
    })
    expect(r.steps?.x?.error?.code).toBe('INTERPOLATION_ERROR')
    expect(r.steps?.x?.error?.message).toContain('nope')
  })

  test('plain exceptions, BigInt and cyclic outputs fail the step cleanly', async () => {
    const { engine } = makeEngine()
    for (const action of ['test.throw', 'test.bigint', 'test.cycle']) {
      const r = await engine.run({
        agentId: 'a',
        definition: def({ steps: [{ id: 'x', action }] }),
      })
      expect(r.status).toBe('failed')
      expect(r.steps?.x?.status).toBe('failed')
      expect(typeof r.steps?.x?.error?.message).toBe('string')
    }
  })
})

describe('engine: retries and error handling', () => {
  test('retries with backoff until success; attempts are events', async () => {
    const clock = new FakeClock()
    const store = new MemoryRunStore()
    const { engine, effects } = makeEngine({ store, clock })
    const started = engine.start({
      agentId: 'a',
      definition: def({
        steps: [
          {
            id: 'f',
            action: 'test.flaky',
            params: { succeed_on: 3 },
            retry: { max: 3, backoff: 'exponential', delay: '1s', max_delay: '10s' },
          },
        ],
      }),
    })
    await clock.advance(0)
    expect(effects.get('flaky')).toBe(1)
    await clock.advance(1000)
    expect(effects.get('flaky')).toBe(2)
    await clock.advance(1999)
    expect(effects.get('flaky')).toBe(2)
    await clock.advance(1)
    const r = await started.settled
    expect(r.status).toBe('completed')
    expect(r.output).toEqual({ f: { attempt: 3, calls: 3 } })
    const types = await eventTypes(store, r.workflow_id, false)
    expect(types.filter((t) => t === 'step_retry_attempt')).toHaveLength(2)
    const retrying = (await store.listEvents(r.workflow_id)).filter(
      (e) => e.event_type === 'step_retrying',
    )
    expect(retrying.map((e) => (e.payload as { delay_ms: number }).delay_ms)).toEqual([1000, 2000])
  })

  test('exhausted retries fail with RETRY_EXHAUSTED after max+1 attempts', async () => {
    const { engine, effects } = makeEngine()
    const r = await engine.run({
      agentId: 'a',
      definition: def({
        steps: [{ id: 'x', action: 'test.fail', params: { key: 'k' }, retry: { max: 2 } }],
      }),
    })
    expect(effects.get('k')).toBe(3)
    expect(r.error?.code).toBe('RETRY_EXHAUSTED')
    expect(r.error?.message).toContain('retries exhausted after 3 attempts')
  })

  test('on_error ignore completes the step without output and dependents run', async () => {
    const { engine } = makeEngine()
    const r = await engine.run({
      agentId: 'a',
      definition: def({
        steps: [
          { id: 'x', action: 'test.fail', on_error: { strategy: 'ignore' } },
          { id: 'y', action: 'test.echo', params: { ok: true }, depends_on: ['x'] },
        ],
      }),
    })
    expect(r.status).toBe('completed')
    expect(r.steps?.x?.status).toBe('completed')
    expect(r.steps?.x?.output).toBeUndefined()
    expect(r.output).toEqual({ y: { ok: true } })
  })

  test('a fallback step runs only as a fallback, once, and is skipped when unused', async () => {
    const { engine, effects } = makeEngine()
    const r = await engine.run({
      agentId: 'a',
      definition: def({
        steps: [
          { id: 'fb', action: 'test.count', params: { key: 'fb' } },
          {
            id: 'a',
            action: 'test.fail',
            on_error: { strategy: 'fallback_step', fallback_step: 'fb' },
          },
          {
            id: 'b',
            action: 'test.fail',
            on_error: { strategy: 'fallback_step', fallback_step: 'fb' },
          },
          { id: 'c', action: 'test.echo', params: { after: true }, depends_on: ['a', 'b'] },
        ],
      }),
    })
    expect(r.status).toBe('completed')
    expect(effects.get('fb')).toBe(1)
    expect(r.steps?.a?.status).toBe('failed')
    expect(r.steps?.fb?.status).toBe('completed')

    const unused = await engine.run({
      agentId: 'a',
      definition: def({
        steps: [
          { id: 'fb', action: 'test.count', params: { key: 'fb2' } },
          {
            id: 'a',
            action: 'test.noop',
            on_error: { strategy: 'fallback_step', fallback_step: 'fb' },
          },
        ],
      }),
    })
    expect(unused.status).toBe('completed')
    expect(effects.get('fb2')).toBe(0)
    expect(unused.steps?.fb?.status).toBe('skipped')
  })

  test('a guard that is false skips the step and dependents still run', async () => {
    const { engine } = makeEngine()
    const r = await engine.run({
      agentId: 'a',
      params: { go: false },
      definition: def({
        steps: [
          { id: 'g', action: 'test.echo', params: { x: 1 }, condition: 'inputs.go' },
          { id: 'h', action: 'test.echo', params: { y: 2 }, condition: '${{ !inputs.go }}' },
          { id: 'after', action: 'test.echo', params: { z: 3 }, depends_on: ['g', 'h'] },
        ],
      }),
    })
    expect(r.status).toBe('completed')
    expect(r.steps?.g?.status).toBe('skipped')
    expect(r.steps?.h?.status).toBe('completed')
    expect(r.steps?.after?.status).toBe('completed')
  })

  test('a guard that is not a bool fails the step', async () => {
    const { engine } = makeEngine()
    const r = await engine.run({
      agentId: 'a',
      definition: def({ steps: [{ id: 'g', action: 'test.noop', condition: '"yes"' }] }),
    })
    expect(r.status).toBe('failed')
    expect(r.steps?.g?.error?.code).toBe('EXECUTION_ERROR')
  })
})

describe('engine: timeouts', () => {
  test('a step timeout fails with TIMEOUT_ERROR, with a fresh deadline per attempt', async () => {
    const clock = new FakeClock()
    const { engine, effects } = makeEngine({ clock })
    const started = engine.start({
      agentId: 'a',
      definition: def({
        steps: [
          { id: 'h', action: 'test.hang', timeout: '1s', retry: { max: 1 }, params: { key: 'h' } },
        ],
      }),
    })
    await clock.advance(1000)
    await clock.advance(1000)
    const r = await started.settled
    expect(r.status).toBe('failed')
    expect(r.steps?.h?.error?.code).toBe('TIMEOUT_ERROR')
    expect(r.steps?.h?.error?.message).toBe('step h timed out')
    expect(r.error?.code).toBe('RETRY_EXHAUSTED')
    void effects
  })

  test('workflow timeout fail: running steps fail, the workflow fails with TIMEOUT_ERROR', async () => {
    const clock = new FakeClock()
    const { engine } = makeEngine({ clock })
    const started = engine.start({
      agentId: 'a',
      definition: def({
        timeout: '5s',
        steps: [
          { id: 's', action: 'test.sleep', params: { ms: 60_000 } },
          { id: 'later', action: 'test.noop', depends_on: ['s'] },
        ],
      }),
    })
    await clock.advance(5000)
    const r = await started.settled
    expect(r.status).toBe('failed')
    expect(r.error).toEqual({ code: 'TIMEOUT_ERROR', message: 'workflow timed out' })
    expect(r.steps?.s?.status).toBe('failed')
    expect(r.steps?.later?.status).toBe('skipped')
  })

  test('workflow timeout cancel ends cancelled for good', async () => {
    const clock = new FakeClock()
    const { engine } = makeEngine({ clock })
    const started = engine.start({
      agentId: 'a',
      definition: def({
        timeout: '1s',
        on_timeout: 'cancel',
        steps: [{ id: 's', action: 'test.sleep', params: { ms: 9000 } }],
      }),
    })
    await clock.advance(1000)
    const r = await started.settled
    expect(r.status).toBe('cancelled')
    expect(r.steps?.s?.status).toBe('skipped')
    await expect(engine.resume(r.workflow_id, 'test')).rejects.toThrow(/cancelled/)
  })

  test('workflow timeout suspend: interrupted steps go back to pending; retry grants a fresh timeout', async () => {
    const clock = new FakeClock()
    const { engine, effects } = makeEngine({ clock })
    const started = engine.start({
      agentId: 'a',
      definition: def({
        timeout: '2s',
        on_timeout: 'suspend',
        steps: [
          { id: 'a', action: 'test.noop' },
          { id: 's', action: 'test.sleep', params: { ms: 3000, key: 's' }, depends_on: ['a'] },
        ],
      }),
    })
    await clock.advance(2000)
    const r = await started.settled
    expect(r.status).toBe('suspended')
    expect(r.steps?.s?.status).toBe('pending')
    expect(r.steps?.a?.status).toBe('completed')
    const sig = await engine.signal(r.workflow_id, { type: 'retry' })
    expect(sig.resumed).toBe(true)
    let settled = false
    void sig.settled?.then(() => {
      settled = true
    })
    await clock.advance(1999)
    expect(settled).toBe(false)
    expect(effects.get('s')).toBe(2)
    await clock.advance(1)
    const again = await sig.settled
    expect(again?.status).toBe('suspended')
    await expect(
      engine.signal(r.workflow_id, { type: 'decision', step_id: 's', payload: { choice: 'x' } }),
    ).rejects.toThrow(/no pending decision/)
  })

  test('timeout 0s fires before the first level', async () => {
    const { engine, effects } = makeEngine()
    const r = await engine.run({
      agentId: 'a',
      definition: def({
        timeout: '0s',
        steps: [{ id: 's', action: 'test.count', params: { key: 'zero' } }],
      }),
    })
    expect(r.status).toBe('failed')
    expect(effects.get('zero')).toBe(0)
  })
})

describe('engine: cancel and replay', () => {
  test('cancel stops a live run; cancelled is final and never overwritten', async () => {
    const store = new MemoryRunStore()
    const { engine } = makeEngine({ store })
    const started = engine.start({
      agentId: 'a',
      definition: def({
        steps: [
          { id: 's', action: 'test.sleep', params: { ms: 5000 } },
          { id: 't', action: 'test.noop', depends_on: ['s'] },
        ],
      }),
    })
    await Bun.sleep(20)
    const c = await engine.cancel(started.workflowId, 'changed my mind', 'tester')
    expect(c.status).toBe('cancelled')
    const r = await started.settled
    expect(r.status).toBe('cancelled')
    await Bun.sleep(20)
    expect(store.workflows.get(started.workflowId)?.status).toBe('cancelled')
    expect(r.steps?.s?.status).toBe('skipped')
    expect(r.steps?.t?.status).toBe('skipped')
    await expect(engine.cancel(started.workflowId, 'again')).rejects.toThrow(/already cancelled/)
  })

  test('replaying the log rebuilds exactly the live state', async () => {
    const store = new MemoryRunStore()
    const { engine } = makeEngine({ store })
    const r = await engine.run({
      agentId: 'a',
      definition: def({
        steps: [
          { id: 'a', action: 'test.echo', params: { n: 1 } },
          { id: 'b', action: 'test.fail', on_error: { strategy: 'ignore' }, depends_on: ['a'] },
          {
            id: 'c',
            action: 'test.echo',
            params: { m: '${{steps.a.output.n}}' },
            depends_on: ['b'],
          },
        ],
      }),
    })
    const state = reduce(r.workflow_id, await store.listEvents(r.workflow_id))
    expect(state.status).toBe('completed')
    expect(state.outputs).toEqual({ a: { n: 1 }, c: { m: 1 } })
    expect(state.output).toEqual(r.output)
    const rows = store.steps.get(r.workflow_id)
    expect(rows?.get('c')?.output).toEqual({ m: 1 })
    expect(rows?.get('b')?.status).toBe('completed')
  })
})
