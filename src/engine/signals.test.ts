import { describe, expect, test } from 'bun:test'
import { makeEngine } from '../../test/support/engine.ts'
import { FakeClock } from '../../test/support/fake-clock.ts'
import type { WorkflowDefinition } from '../schema/workflow.ts'
import { MemoryRunStore } from '../store/memory.ts'

const def = (d: WorkflowDefinition): WorkflowDefinition => d

const approval = def({
  steps: [
    { id: 'prep', action: 'test.echo', params: { amount: 120 } },
    {
      id: 'approve',
      type: 'reasoning',
      depends_on: ['prep'],
      config: {
        prompt_context: 'Approve the refund?',
        options: [{ id: 'yes', description: 'refund' }, { id: 'no' }],
        data_inject: { amount: 'steps.prep.output.amount' },
      },
    },
    {
      id: 'act',
      type: 'condition',
      depends_on: ['approve'],
      config: {
        expression: 'steps.approve.choice',
        branches: { yes: [{ id: 'pay', action: 'test.count', params: { key: 'pay' } }], no: [] },
      },
    },
  ],
})

describe('reasoning steps and decision signals', () => {
  test('suspend on a decision, resolve by signal, resume with the resolution as output', async () => {
    const store = new MemoryRunStore()
    const { engine, effects } = makeEngine({ store })
    const r = await engine.run({ agentId: 'agent-1', definition: approval })
    expect(r.status).toBe('suspended')
    expect(r.pending_decisions).toHaveLength(1)
    const d = r.pending_decisions?.[0] as { step_id: string; context: Record<string, unknown> }
    expect(d.step_id).toBe('approve')
    expect(d.context.prompt_context).toBe('Approve the refund?')
    expect(d.context.data_inject).toEqual({ amount: 120 })
    expect(store.workflows.get(r.workflow_id)?.status).toBe('suspended')

    await expect(
      engine.signal(r.workflow_id, {
        type: 'decision',
        step_id: 'approve',
        payload: { choice: 'maybe' },
      }),
    ).rejects.toThrow(/invalid choice "maybe"; valid choices: yes, no/)

    const sig = await engine.signal(r.workflow_id, {
      type: 'decision',
      step_id: 'approve',
      agent_id: 'human-7',
      reasoning: 'looks fine',
      payload: { choice: 'yes' },
    })
    expect(sig.resumed).toBe(true)
    const done = await sig.settled
    expect(done?.status).toBe('completed')
    expect(done?.steps?.approve?.output).toEqual({
      choice: 'yes',
      reasoning: 'looks fine',
      resolved_by: 'human-7',
    })
    expect(effects.get('pay')).toBe(1)
    await expect(
      engine.signal(r.workflow_id, {
        type: 'decision',
        step_id: 'approve',
        payload: { choice: 'no' },
      }),
    ).rejects.toThrow(/already resolved|closed/)
    const decision = [...store.decisions.values()][0]
    expect(decision?.status).toBe('resolved')
    expect(decision?.resolved_by).toBe('human-7')
  })

  test('a target agent is enforced', async () => {
    const { engine } = makeEngine()
    const r = await engine.run({
      agentId: 'a',
      definition: def({
        steps: [{ id: 'r', type: 'reasoning', config: { target_agent: 'boss' } }],
      }),
    })
    await expect(
      engine.signal(r.workflow_id, {
        type: 'decision',
        step_id: 'r',
        agent_id: 'intern',
        payload: { choice: 'ok' },
      }),
    ).rejects.toThrow(/targeted to agent "boss"/)
    const sig = await engine.signal(r.workflow_id, {
      type: 'decision',
      step_id: 'r',
      agent_id: 'boss',
      payload: { choice: 'free text' },
    })
    expect((await sig.settled)?.status).toBe('completed')
  })

  test('a decision timeout takes the fallback; without fallback the step fails', async () => {
    const clock = new FakeClock()
    const { engine } = makeEngine({ clock })
    const withFallback = await engine.run({
      agentId: 'a',
      definition: def({
        steps: [
          {
            id: 'r',
            type: 'reasoning',
            config: { timeout: '1h', fallback: 'no', options: [{ id: 'yes' }, { id: 'no' }] },
          },
        ],
      }),
    })
    const without = await engine.run({
      agentId: 'a',
      definition: def({ steps: [{ id: 'r', type: 'reasoning', config: { timeout: '30m' } }] }),
    })
    expect(withFallback.status).toBe('suspended')
    await clock.advance(3_600_000)
    const a = await engine.snapshot(withFallback.workflow_id)
    expect(a.status).toBe('completed')
    expect(a.steps?.r?.output).toEqual({
      choice: 'no',
      reasoning: 'timeout_auto_resolved',
      resolved_by: 'system',
    })
    const b = await engine.snapshot(without.workflow_id)
    expect(b.status).toBe('failed')
    expect(b.steps?.r?.error).toEqual({
      code: 'TIMEOUT_ERROR',
      message: 'decision timeout for step r: no fallback option configured',
    })
  })

  test('reasoning inside a for_each body suspends the workflow and resumes exactly there (A8)', async () => {
    const { engine, effects } = makeEngine()
    const r = await engine.run({
      agentId: 'a',
      params: { items: ['x', 'y'] },
      definition: def({
        steps: [
          {
            id: 'each',
            type: 'loop',
            config: {
              over: 'inputs.items',
              body: [
                { id: 'before', action: 'test.count', params: { key: 'before-${{loop.item}}' } },
                { id: 'ask', type: 'reasoning', config: { options: [{ id: 'ok' }] } },
                {
                  id: 'after',
                  action: 'test.echo',
                  params: { item: '${{loop.item}}', c: '${{steps.ask.output.choice}}' },
                },
              ],
            },
          },
        ],
      }),
    })
    expect(r.status).toBe('suspended')
    expect(r.pending_decisions?.[0]).toMatchObject({ step_id: 'each.iter_0.ask' })
    const s1 = await engine.signal(r.workflow_id, {
      type: 'decision',
      step_id: 'each.iter_0.ask',
      payload: { choice: 'ok' },
    })
    const mid = await s1.settled
    expect(mid?.status).toBe('suspended')
    expect(mid?.pending_decisions?.[0]).toMatchObject({ step_id: 'each.iter_1.ask' })
    const s2 = await engine.signal(r.workflow_id, {
      type: 'decision',
      step_id: 'each.iter_1.ask',
      payload: { choice: 'ok' },
    })
    const done = await s2.settled
    expect(done?.status).toBe('completed')
    expect(done?.steps?.each?.output).toEqual({
      iterations: 2,
      results: [
        { item: 'x', c: 'ok' },
        { item: 'y', c: 'ok' },
      ],
    })
    expect(effects.get('before-x')).toBe(1)
    expect(effects.get('before-y')).toBe(1)
  })

  test('cancel with step_id fails the reasoning step with CANCELLED; skip skips it', async () => {
    const { engine } = makeEngine()
    const a = await engine.run({
      agentId: 'a',
      definition: def({ steps: [{ id: 'r', type: 'reasoning' }] }),
    })
    const sa = await engine.signal(a.workflow_id, { type: 'cancel', step_id: 'r' })
    const ra = await sa.settled
    expect(ra?.status).toBe('failed')
    expect(ra?.steps?.r?.error?.code).toBe('CANCELLED')

    const b = await engine.run({
      agentId: 'a',
      definition: def({
        steps: [
          { id: 'r', type: 'reasoning' },
          { id: 'n', action: 'test.noop', depends_on: ['r'] },
        ],
      }),
    })
    const sb = await engine.signal(b.workflow_id, { type: 'skip', step_id: 'r' })
    const rb = await sb.settled
    expect(rb?.status).toBe('completed')
    expect(rb?.steps?.r?.status).toBe('skipped')
    expect(rb?.steps?.n?.status).toBe('completed')
    await expect(engine.signal(b.workflow_id, { type: 'skip', step_id: 'r' })).rejects.toThrow(
      /skipped|CONFLICT|only a suspended/,
    )
  })

  test('a repeated signal_id returns the first result and changes nothing', async () => {
    const store = new MemoryRunStore()
    const { engine } = makeEngine({ store })
    const r = await engine.run({ agentId: 'a', definition: approval })
    const first = await engine.signal(r.workflow_id, {
      type: 'decision',
      step_id: 'approve',
      payload: { choice: 'no' },
      signal_id: 'sig-1',
    })
    await first.settled
    const count = (await store.listEvents(r.workflow_id)).length
    const again = await engine.signal(r.workflow_id, {
      type: 'decision',
      step_id: 'approve',
      payload: { choice: 'yes' },
      signal_id: 'sig-1',
    })
    expect(again.ok).toBe(true)
    expect(again.signal_type).toBe('decision')
    expect((await store.listEvents(r.workflow_id)).length).toBe(count)
  })

  test('signals to unknown workflows, terminal workflows and unknown steps fail clearly', async () => {
    const { engine } = makeEngine()
    await expect(engine.signal('nope', { type: 'cancel' })).rejects.toThrow(/not found/)
    const r = await engine.run({
      agentId: 'a',
      definition: def({ steps: [{ id: 's', action: 'test.noop' }] }),
    })
    await expect(engine.signal(r.workflow_id, { type: 'cancel' })).rejects.toThrow(
      /already completed/,
    )
    await expect(engine.signal(r.workflow_id, { type: 'data', payload: { a: 1 } })).rejects.toThrow(
      /completed/,
    )
    await expect(
      engine.signal(r.workflow_id, {
        type: 'decision',
        step_id: 'ghost',
        payload: { choice: 'x' },
      }),
    ).rejects.toThrow(/not found/)
  })
})

describe('wait steps', () => {
  test('a short wait stays active; a long wait suspends and a timer resumes it', async () => {
    const clock = new FakeClock()
    const { engine } = makeEngine({ clock })
    const short = engine.start({
      agentId: 'a',
      definition: def({ steps: [{ id: 'w', type: 'wait', config: { duration: '500ms' } }] }),
    })
    await clock.advance(500)
    const s = await short.settled
    expect(s.status).toBe('completed')
    expect(s.steps?.w?.output).toEqual({ waited: 500 })

    const long = await engine.run({
      agentId: 'a',
      definition: def({
        steps: [
          { id: 'w', type: 'wait', config: { duration: '1h' } },
          { id: 'n', action: 'test.noop', depends_on: ['w'] },
        ],
      }),
    })
    expect(long.status).toBe('suspended')
    expect(long.wake_at).toBe(new Date(clock.now() + 3_600_000).toISOString())
    await clock.advance(3_599_000)
    expect((await engine.snapshot(long.workflow_id)).status).toBe('suspended')
    await clock.advance(1000)
    const done = await engine.snapshot(long.workflow_id)
    expect(done.status).toBe('completed')
    expect(done.steps?.w?.output).toEqual({ waited: 3_600_000 })
  })

  test('a wait for a signal suspends; a matching data signal completes it', async () => {
    const store = new MemoryRunStore()
    const { engine } = makeEngine({ store })
    const r = await engine.run({
      agentId: 'a',
      definition: def({
        steps: [
          { id: 'w', type: 'wait', config: { signal: 'payment' } },
          {
            id: 'n',
            action: 'test.echo',
            params: { paid: '${{steps.w.output.payload.amount}}' },
            depends_on: ['w'],
          },
        ],
      }),
    })
    expect(r.status).toBe('suspended')
    const other = await engine.signal(r.workflow_id, {
      type: 'data',
      payload: { signal: 'other', note: 'hi' },
    })
    expect(other.resumed).toBe(false)
    expect(store.contexts.get(r.workflow_id)?.accumulated_data).toEqual({
      signal: 'other',
      note: 'hi',
    })
    const sig = await engine.signal(r.workflow_id, {
      type: 'data',
      payload: { signal: 'payment', amount: 42 },
    })
    const done = await sig.settled
    expect(done?.status).toBe('completed')
    expect(done?.steps?.w?.output).toEqual({
      signal: 'payment',
      payload: { signal: 'payment', amount: 42 },
    })
    expect(done?.output).toEqual({ n: { paid: 42 } })
  })
})

describe('retry from a failed step (D21)', () => {
  test('re-runs the failed step and the steps its failure skipped', async () => {
    const store = new MemoryRunStore()
    const { engine, effects } = makeEngine({ store })
    const r = await engine.run({
      agentId: 'a',
      definition: def({
        steps: [
          { id: 'ok', action: 'test.count', params: { key: 'ok' } },
          { id: 'flaky', action: 'test.flaky', params: { succeed_on: 2 }, depends_on: ['ok'] },
          { id: 'next', action: 'test.count', params: { key: 'next' }, depends_on: ['flaky'] },
        ],
      }),
    })
    expect(r.status).toBe('failed')
    expect(r.steps?.next?.status).toBe('skipped')
    await expect(engine.signal(r.workflow_id, { type: 'retry', step_id: 'ok' })).rejects.toThrow(
      /needs a failed/,
    )
    const sig = await engine.signal(r.workflow_id, { type: 'retry', step_id: 'flaky' })
    const done = await sig.settled
    expect(done?.status).toBe('completed')
    expect(effects.get('ok')).toBe(1)
    expect(effects.get('next')).toBe(1)
    const types = (await store.listEvents(r.workflow_id)).map((e) => e.event_type)
    expect(types).toContain('workflow_retried')
    expect(types).toContain('step_retried')
  })
})

describe('sub-workflows', () => {
  test('workflow.run returns the child output; a suspended child suspends the parent', async () => {
    const store = new MemoryRunStore()
    const { engine } = makeEngine({ store })
    const childRun: import('./ports.ts').Action = {
      name: 'workflow.run',
      description: 'child',
      params: {},
      pure: false,
      execute: (p, ctx) => ctx.services.runChild(p as { template_name: string }),
    }
    const withChild = makeEngine({ store, actions: [childRun] })
    store.templates.push({
      name: 'child',
      version: 'v1',
      agent_id: 'a',
      definition: def({
        steps: [{ id: 'c', action: 'test.echo', params: { got: '${{inputs.x}}' } }],
      }),
    })
    store.templates.push({
      name: 'asking',
      version: 'v1',
      agent_id: 'a',
      definition: def({ steps: [{ id: 'q', type: 'reasoning' }] }),
    })
    const r = await withChild.engine.run({
      agentId: 'a',
      definition: def({
        steps: [
          {
            id: 'sub',
            action: 'workflow.run',
            params: { template_name: 'child', params: { x: 5 } },
          },
        ],
      }),
    })
    expect(r.status).toBe('completed')
    expect(r.output).toEqual({ sub: { c: { got: 5 } } })

    const p = await withChild.engine.run({
      agentId: 'a',
      definition: def({
        steps: [{ id: 'sub', action: 'workflow.run', params: { template_name: 'asking' } }],
      }),
    })
    expect(p.status).toBe('suspended')
    const children = await store.listChildren(p.workflow_id)
    expect(children).toHaveLength(1)
    const childId = children[0]?.id as string
    const sig = await withChild.engine.signal(childId, {
      type: 'decision',
      step_id: 'q',
      payload: { choice: 'go' },
    })
    expect((await sig.settled)?.status).toBe('completed')
    for (
      let i = 0;
      i < 50 && (await withChild.engine.snapshot(p.workflow_id)).status !== 'completed';
      i++
    )
      await Bun.sleep(5)
    const parent = await withChild.engine.snapshot(p.workflow_id)
    expect(parent.status).toBe('completed')
    expect(parent.output).toEqual({ sub: { q: { choice: 'go', resolved_by: null } } })
    void engine
  })
})
