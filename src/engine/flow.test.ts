import { describe, expect, test } from 'bun:test'
import { makeEngine } from '../../test/support/engine.ts'
import type { WorkflowDefinition } from '../schema/workflow.ts'
import { MemoryRunStore } from '../store/memory.ts'

const def = (d: WorkflowDefinition): WorkflowDefinition => d

describe('condition steps', () => {
  test('runs the matching branch; untaken branch steps are recorded skipped', async () => {
    const store = new MemoryRunStore()
    const { engine } = makeEngine({ store })
    const r = await engine.run({
      agentId: 'a',
      params: { n: 1000000 },
      definition: def({
        steps: [
          {
            id: 'route',
            type: 'condition',
            config: {
              expression: 'inputs.n',
              branches: {
                '1000000': [{ id: 'big', action: 'test.echo', params: { big: true } }],
                '1': [{ id: 'small', action: 'test.echo', params: { small: true } }],
              },
              default: [{ id: 'other', action: 'test.noop' }],
            },
          },
          {
            id: 'after',
            action: 'test.echo',
            params: { b: '${{steps.route.output.branch}}' },
            depends_on: ['route'],
          },
        ],
      }),
    })
    expect(r.status).toBe('completed')
    expect(r.steps?.route?.output).toEqual({ branch: '1000000', output: { big: true } })
    expect(r.steps?.['route.1000000.big']?.status).toBe('completed')
    expect(r.steps?.['route.1.small']?.status).toBe('skipped')
    expect(r.steps?.['route.default.other']?.status).toBe('skipped')
    expect(r.output).toEqual({ after: { b: '1000000' } })
    const ev = (await store.listEvents(r.workflow_id)).find(
      (e) => e.event_type === 'condition_evaluated',
    )
    expect(ev?.payload).toEqual({ expression: 'inputs.n', result: '1000000' })
  })

  test('no match and no default completes with skipped: true', async () => {
    const { engine } = makeEngine()
    const r = await engine.run({
      agentId: 'a',
      definition: def({
        steps: [
          {
            id: 'c',
            type: 'condition',
            config: { expression: '"x"', branches: { y: [{ id: 'z', action: 'test.noop' }] } },
          },
        ],
      }),
    })
    expect(r.steps?.c?.output).toEqual({ branch: 'x', skipped: true })
  })

  test('a CEL error fails the condition step with EXECUTION_ERROR', async () => {
    const { engine } = makeEngine()
    const r = await engine.run({
      agentId: 'a',
      definition: def({
        steps: [
          {
            id: 'c',
            type: 'condition',
            config: { expression: 'inputs.missing.deeper', branches: {} },
          },
        ],
      }),
    })
    expect(r.status).toBe('failed')
    expect(r.steps?.c?.error?.code).toBe('EXECUTION_ERROR')
    expect(r.steps?.c?.error?.message).toContain('condition step c: CEL evaluation failed')
  })
})

describe('loop steps', () => {
  test('for_each runs the body per item in order and collects results', async () => {
    const { engine } = makeEngine()
    const r = await engine.run({
      agentId: 'a',
      params: { items: ['a', 'b', 'c'] },
      definition: def({
        steps: [
          {
            id: 'each',
            type: 'loop',
            config: {
              over: 'inputs.items',
              body: [
                {
                  id: 'up',
                  action: 'test.echo',
                  params: { item: '${{loop.item}}', i: '${{loop.index}}' },
                },
                { id: 'tag', action: 'test.echo', params: { prev: '${{steps.up.output.item}}' } },
              ],
            },
          },
        ],
      }),
    })
    expect(r.status).toBe('completed')
    expect(r.output).toEqual({
      each: { iterations: 3, results: [{ prev: 'a' }, { prev: 'b' }, { prev: 'c' }] },
    })
    expect(r.steps?.['each.iter_1.up']?.output).toEqual({ item: 'b', i: 1 })
  })

  test('zero iterations give results [] and max_iter caps', async () => {
    const { engine } = makeEngine()
    const r = await engine.run({
      agentId: 'a',
      params: { none: [], many: [1, 2, 3, 4] },
      definition: def({
        steps: [
          {
            id: 'e',
            type: 'loop',
            config: { over: 'inputs.none', body: [{ id: 'x', action: 'test.noop' }] },
          },
          {
            id: 'm',
            type: 'loop',
            config: {
              over: 'inputs.many',
              max_iter: 2,
              body: [{ id: 'x', action: 'test.echo', params: { v: '${{loop.item}}' } }],
            },
          },
        ],
      }),
    })
    expect(r.steps?.e?.output).toEqual({ iterations: 0, results: [] })
    expect(r.steps?.m?.output).toEqual({ iterations: 2, results: [{ v: 1 }, { v: 2 }] })
  })

  test('a loop over a non-list fails with a clear error', async () => {
    const { engine } = makeEngine()
    const r = await engine.run({
      agentId: 'a',
      params: { x: 5 },
      definition: def({
        steps: [
          {
            id: 'l',
            type: 'loop',
            config: { over: 'inputs.x', body: [{ id: 'b', action: 'test.noop' }] },
          },
        ],
      }),
    })
    expect(r.status).toBe('failed')
    expect(r.steps?.l?.error?.message).toContain("'over' expression must produce a list")
  })

  test('while and until see iter.index and the last iteration by local id (A7)', async () => {
    const { engine } = makeEngine()
    const r = await engine.run({
      agentId: 'a',
      definition: def({
        steps: [
          {
            id: 'w',
            type: 'loop',
            config: {
              mode: 'while',
              condition: 'iter.index < 3',
              body: [{ id: 'b', action: 'test.echo', params: { i: '${{loop.index}}' } }],
            },
          },
          {
            id: 'u',
            type: 'loop',
            config: {
              mode: 'until',
              condition: 'steps.b.i >= 1',
              max_iter: 10,
              body: [{ id: 'b', action: 'test.echo', params: { i: '${{loop.index}}' } }],
            },
          },
        ],
      }),
    })
    expect(r.status).toBe('completed')
    expect(r.steps?.w?.output).toEqual({ iterations: 3, results: [{ i: 0 }, { i: 1 }, { i: 2 }] })
    expect(r.steps?.u?.output).toEqual({ iterations: 2, results: [{ i: 0 }, { i: 1 }] })
  })

  test('a body failure fails the loop at once', async () => {
    const { engine, effects } = makeEngine()
    const r = await engine.run({
      agentId: 'a',
      params: { items: [1, 2, 3] },
      definition: def({
        steps: [
          {
            id: 'l',
            type: 'loop',
            config: {
              over: 'inputs.items',
              body: [{ id: 'f', action: 'test.fail', params: { key: 'lf' } }],
            },
          },
        ],
      }),
    })
    expect(r.status).toBe('failed')
    expect(effects.get('lf')).toBe(1)
    expect(r.steps?.['l.iter_1.f']).toBeUndefined()
  })
})

describe('parallel steps', () => {
  test('all: waits for every branch; outputs in branch order', async () => {
    const { engine } = makeEngine()
    const r = await engine.run({
      agentId: 'a',
      definition: def({
        steps: [
          {
            id: 'p',
            type: 'parallel',
            config: {
              branches: [
                [{ id: 's', action: 'test.sleep', params: { ms: 20 } }],
                [
                  { id: 'x', action: 'test.echo', params: { v: 1 } },
                  { id: 'y', action: 'test.echo', params: { w: '${{steps.x.output.v}}' } },
                ],
                [],
              ],
            },
          },
        ],
      }),
    })
    expect(r.status).toBe('completed')
    expect(r.steps?.p?.output).toEqual({ mode: 'all', branches: [{ slept: 20 }, { w: 1 }, null] })
  })

  test('all: the lowest-index failure wins', async () => {
    const { engine } = makeEngine()
    const r = await engine.run({
      agentId: 'a',
      definition: def({
        steps: [
          {
            id: 'p',
            type: 'parallel',
            config: {
              branches: [
                [
                  { id: 'slow', action: 'test.sleep', params: { ms: 20 } },
                  { id: 'f0', action: 'test.fail', params: { message: 'zero' } },
                ],
                [{ id: 'f1', action: 'test.fail', params: { message: 'one' } }],
              ],
            },
          },
        ],
      }),
    })
    expect(r.status).toBe('failed')
    expect(r.steps?.p?.error?.message).toContain('zero')
  })

  test('race: the first success wins and the others are cancelled', async () => {
    const { engine } = makeEngine()
    const r = await engine.run({
      agentId: 'a',
      definition: def({
        steps: [
          {
            id: 'p',
            type: 'parallel',
            config: {
              mode: 'race',
              branches: [
                [{ id: 'slow', action: 'test.sleep', params: { ms: 5000 } }],
                [{ id: 'fast', action: 'test.echo', params: { won: true } }],
              ],
            },
          },
        ],
      }),
    })
    expect(r.status).toBe('completed')
    expect(r.steps?.p?.output).toEqual({ mode: 'race', winner: 1, output: { won: true } })
    expect(r.steps?.['p.branch_0.slow']?.status).toBe('skipped')
  })

  test('nested parallel inside a loop inside a condition', async () => {
    const { engine } = makeEngine()
    const r = await engine.run({
      agentId: 'a',
      params: { go: true, items: [1, 2] },
      definition: def({
        steps: [
          {
            id: 'c',
            type: 'condition',
            config: {
              expression: 'inputs.go',
              branches: {
                true: [
                  {
                    id: 'l',
                    type: 'loop',
                    config: {
                      over: 'inputs.items',
                      body: [
                        {
                          id: 'p',
                          type: 'parallel',
                          config: {
                            branches: [
                              [{ id: 'x', action: 'test.echo', params: { v: '${{loop.item}}' } }],
                              [{ id: 'y', action: 'test.echo', params: { i: '${{loop.index}}' } }],
                            ],
                          },
                        },
                      ],
                    },
                  },
                ],
              },
            },
          },
        ],
      }),
    })
    expect(r.status).toBe('completed')
    expect(r.steps?.['c.true.l.iter_1.p.branch_0.x']?.output).toEqual({ v: 2 })
    expect(r.steps?.['c.true.l']?.output).toEqual({
      iterations: 2,
      results: [
        { mode: 'all', branches: [{ v: 1 }, { i: 0 }] },
        { mode: 'all', branches: [{ v: 2 }, { i: 1 }] },
      ],
    })
  })
})
