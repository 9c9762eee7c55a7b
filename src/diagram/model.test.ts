import { describe, expect, test } from 'bun:test'
import { AppError } from '../errors.ts'
import type { WorkflowDefinition } from '../schema/workflow.ts'
import { buildDiagramModel, type DiagramNode, MAX_NESTING } from './model.ts'
import { chainWorkflow, fanWorkflow, mixedStates, mixedWorkflow } from './samples.ts'

function thrown(fn: () => unknown): AppError {
  try {
    fn()
  } catch (err) {
    if (err instanceof AppError) return err
    throw err
  }
  throw new Error('expected an AppError')
}

function find(nodes: DiagramNode[], id: string): DiagramNode | undefined {
  for (const node of nodes) {
    if (node.id === id) return node
    for (const sub of node.subgraphs) {
      const hit = find(sub.nodes, id)
      if (hit !== undefined) return hit
    }
  }
  return undefined
}

describe('buildDiagramModel', () => {
  test('a chain gets Start and End, one edge per dependency, levels in order', () => {
    const model = buildDiagramModel(chainWorkflow(3))
    expect(model.title).toBe('Chain of 3')
    expect(model.nodes.map((n) => n.id)).toEqual([
      '__start__',
      'step-1',
      'step-2',
      'step-3',
      '__end__',
    ])
    expect(model.nodes.map((n) => n.kind)).toEqual(['start', 'action', 'action', 'action', 'end'])
    expect(model.edges).toEqual([
      { from: '__start__', to: 'step-1' },
      { from: 'step-1', to: 'step-2' },
      { from: 'step-2', to: 'step-3' },
      { from: 'step-3', to: '__end__' },
    ])
    expect(model.levels).toEqual([['__start__'], ['step-1'], ['step-2'], ['step-3'], ['__end__']])
    expect(model.nodes[1]?.action).toBe('http.get')
    expect(model.hasStatus).toBe(false)
  })

  test('fan-out and fan-in: every root from Start, every sink to End, levels sorted by id', () => {
    const model = buildDiagramModel(fanWorkflow(5))
    expect(model.levels).toEqual([
      ['__start__'],
      ['split'],
      ['worker-0', 'worker-1', 'worker-2'],
      ['join'],
      ['__end__'],
    ])
    expect(model.edges.filter((e) => e.to === 'join')).toHaveLength(3)
    expect(model.edges.filter((e) => e.from === '__start__')).toEqual([
      { from: '__start__', to: 'split' },
    ])
    expect(model.edges.filter((e) => e.to === '__end__')).toEqual([{ from: 'join', to: '__end__' }])
    expect(model.nodeCount).toBe(7)
    expect(model.edgeCount).toBe(8)
  })

  test('the same definition always gives the same model (stable order)', () => {
    const a = JSON.stringify(buildDiagramModel(mixedWorkflow(), mixedStates()))
    const b = JSON.stringify(buildDiagramModel(mixedWorkflow(), mixedStates()))
    expect(a).toBe(b)
  })

  test('title: the option wins, then metadata.name, then "Workflow"', () => {
    expect(buildDiagramModel(chainWorkflow(1), undefined, { title: 'Mine' }).title).toBe('Mine')
    expect(buildDiagramModel({ steps: [{ id: 'a', action: 'x' }] }).title).toBe('Workflow')
  })

  test('step types become node kinds; flow-control bodies become labelled sub-graphs', () => {
    const model = buildDiagramModel(mixedWorkflow())
    const kinds = Object.fromEntries(model.nodes.map((n) => [n.id, n.kind]))
    expect(kinds).toMatchObject({
      fetch: 'action',
      route: 'condition',
      'each-item': 'loop',
      notify: 'parallel',
      review: 'reasoning',
      'cool-down': 'wait',
    })
    const route = find(model.nodes, 'route') as DiagramNode
    expect(route.subgraphs.map((s) => [s.id, s.label, s.title])).toEqual([
      ['route.big', 'big', 'route: big'],
      ['route.small', 'small', 'route: small'],
      ['route.default', 'default', 'route: default'],
    ])
    const big = route.subgraphs[0]
    expect(big?.nodes.map((n) => n.id)).toEqual(['route.big.score', 'route.big.flag'])
    // Nested steps run in array order: consecutive steps are linked.
    expect(big?.edges).toEqual([{ from: 'route.big.score', to: 'route.big.flag' }])
    const notify = find(model.nodes, 'notify') as DiagramNode
    expect(notify.subgraphs.map((s) => s.label)).toEqual(['branch_0', 'branch_1'])
    const loop = find(model.nodes, 'each-item') as DiagramNode
    expect(loop.subgraphs.map((s) => s.id)).toEqual(['each-item.body'])
    expect(model.nodeCount).toBe(16)
  })

  test('states overlay status, duration, retries and errors by step key, nested keys included', () => {
    const model = buildDiagramModel(mixedWorkflow(), mixedStates())
    expect(model.hasStatus).toBe(true)
    expect(find(model.nodes, 'fetch')).toMatchObject({ status: 'completed', durationMs: 132 })
    expect(find(model.nodes, 'review')?.status).toBe('suspended')
    expect(find(model.nodes, 'cool-down')?.status).toBe('pending')
    // D11: steps of untaken branches are recorded skipped and shown so.
    expect(find(model.nodes, 'route.small.auto-ok')?.status).toBe('skipped')
    expect(find(model.nodes, 'route.default.reject')?.status).toBe('skipped')
    expect(find(model.nodes, 'notify.branch_1.chat')).toMatchObject({
      status: 'failed',
      error: 'webhook returned 410',
    })
  })

  test('loop bodies show the latest iteration and the loop its iteration count', () => {
    const model = buildDiagramModel(mixedWorkflow(), mixedStates())
    const loop = find(model.nodes, 'each-item') as DiagramNode
    expect(loop.iterations).toBe(3)
    expect(loop.subgraphs[0]?.title).toBe('each-item: body (iteration 3)')
    // iter_2 has price at 1010 ms with one retry; iter_0 had 700 ms.
    expect(find(model.nodes, 'each-item.body.price')).toMatchObject({
      status: 'completed',
      durationMs: 1010,
      retryCount: 1,
    })
  })

  test('a running loop shows body steps not reached in its current iteration as pending', () => {
    const def: WorkflowDefinition = {
      steps: [
        {
          id: 'l',
          type: 'loop',
          config: {
            mode: 'while',
            max_iter: 50,
            condition: 'true',
            body: [
              { id: 'a', action: 'x' },
              { id: 'b', action: 'x' },
            ],
          },
        },
      ],
    }
    const model = buildDiagramModel(def, {
      l: { status: 'running' },
      'l.iter_0.a': { status: 'completed' },
      'l.iter_0.b': { status: 'completed' },
      'l.iter_10.a': { status: 'running' },
    })
    expect(find(model.nodes, 'l')?.iterations).toBe(11)
    expect(find(model.nodes, 'l.body.a')?.status).toBe('running')
    expect(find(model.nodes, 'l.body.b')?.status).toBe('pending')
  })

  test('statuses map to the vocabulary: scheduled is pending, unknown ones are dropped', () => {
    const model = buildDiagramModel(chainWorkflow(3), {
      'step-1': { status: 'scheduled' },
      'step-2': { status: 'retrying', retry_count: 2 },
      'step-3': { status: 'exploded' },
    })
    expect(model.nodes.slice(1, 4).map((n) => n.status)).toEqual(['pending', 'retrying', undefined])
    expect(model.nodes[2]?.retryCount).toBe(2)
  })

  test('nested flow control is expanded recursively with composed step keys', () => {
    const def: WorkflowDefinition = {
      steps: [
        {
          id: 'outer',
          type: 'parallel',
          config: {
            branches: [
              [
                {
                  id: 'inner',
                  type: 'condition',
                  config: { expression: 'true', branches: { true: [{ id: 'leaf', action: 'x' }] } },
                },
              ],
            ],
          },
        },
      ],
    }
    const model = buildDiagramModel(def, {
      'outer.branch_0.inner.true.leaf': { status: 'failed', error: { message: 'no' } },
    })
    expect(find(model.nodes, 'outer.branch_0.inner.true.leaf')).toMatchObject({
      status: 'failed',
      depth: 2,
    })
  })

  test(`flow control nested deeper than ${MAX_NESTING} levels is collapsed, not expanded`, () => {
    let body: WorkflowDefinition['steps'] = [{ id: 'leaf', action: 'x' }]
    for (let i = 0; i < MAX_NESTING + 2; i++)
      body = [{ id: `l${i}`, type: 'loop', config: { over: '[1]', max_iter: 1, body } }]
    const model = buildDiagramModel({ steps: body })
    let node = model.nodes[1] as DiagramNode
    let depth = 0
    while (node.subgraphs.length > 0) {
      node = node.subgraphs[0]?.nodes[0] as DiagramNode
      depth++
    }
    expect(depth).toBe(MAX_NESTING)
    expect(node.collapsed).toBe(true)
  })

  test('ids stay unique when a step id looks like a nested key or is called __start__', () => {
    const def: WorkflowDefinition = {
      steps: [
        { id: '__start__', action: 'x' },
        { id: 'p.branch_0.same', action: 'x', depends_on: ['__start__'] },
        {
          id: 'p',
          type: 'parallel',
          depends_on: ['__start__'],
          config: { branches: [[{ id: 'same', action: 'x' }]] },
        },
      ],
    }
    const model = buildDiagramModel(def)
    const ids: string[] = []
    const walk = (nodes: DiagramNode[]) => {
      for (const n of nodes) {
        ids.push(n.id)
        for (const s of n.subgraphs) walk(s.nodes)
      }
    }
    walk(model.nodes)
    expect(new Set(ids).size).toBe(ids.length)
    expect(model.nodes[0]?.kind).toBe('start')
    expect(model.nodes[0]?.id).not.toBe('__start__')
    expect(model.edges[0]).toEqual({ from: model.nodes[0]?.id as string, to: '__start__' })
  })

  test('a cycle fails with CYCLE_DETECTED, as the validator reports it', () => {
    const err = thrown(() =>
      buildDiagramModel({
        steps: [
          { id: 'a', action: 'x', depends_on: ['b'] },
          { id: 'b', action: 'x', depends_on: ['a'] },
        ],
      }),
    )
    expect(err.code).toBe('CYCLE_DETECTED')
    expect(err.message).toContain('a → b → a')
    expect(err.issues?.[0]?.path).toBe('/steps')
  })

  test('a step depending on itself is a cycle', () => {
    const err = thrown(() =>
      buildDiagramModel({ steps: [{ id: 'a', action: 'x', depends_on: ['a'] }] }),
    )
    expect(err.code).toBe('CYCLE_DETECTED')
  })

  test('a missing dependency fails with VALIDATION_ERROR naming it, with a JSON pointer', () => {
    const err = thrown(() =>
      buildDiagramModel({ steps: [{ id: 'a', action: 'x', depends_on: ['ghost'] }] }),
    )
    expect(err.code).toBe('VALIDATION_ERROR')
    expect(err.message).toContain('ghost')
    expect(err.issues?.[0]?.path).toBe('/steps/0/depends_on/0')
  })

  test('several problems are reported together', () => {
    const err = thrown(() =>
      buildDiagramModel({
        steps: [
          { id: 'a', action: 'x', depends_on: ['ghost'] },
          { id: 'a', action: 'x' },
        ],
      }),
    )
    expect(err.code).toBe('VALIDATION_ERROR')
    expect(err.message).toMatch(/validation failed with \d+ errors/)
    expect(err.issues?.filter((i) => i.severity === 'error').length).toBeGreaterThanOrEqual(2)
  })

  test('a non-object or empty definition fails with VALIDATION_ERROR, never a crash', () => {
    for (const bad of [null, 42, 'x', [], {}, { steps: [] }, { steps: [null] }])
      expect(thrown(() => buildDiagramModel(bad as unknown as WorkflowDefinition)).code).toBe(
        'VALIDATION_ERROR',
      )
  })
})
