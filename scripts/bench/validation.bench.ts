/**
 * Cost of definition validation (run at every define and before every run) and of the DAG levels
 * (computed for every run). No reference figures exist: the Go reference does not validate at
 * define or run time (spec workflow.md ⚠A23).
 */
import { computeLevels, type DagNode } from '../../src/engine/dag.ts'
import { parseDefinitionText, validateDefinition } from '../../src/validation/index.ts'
import type { BenchCase, BenchSuite } from './lib.ts'

/**
 * A realistic 100-step definition: a DAG of http/assert/log steps with params referencing earlier
 * outputs, retries and timeouts, plus a condition, a loop and a parallel step every 10 steps.
 */
function definition(n: number): Record<string, unknown> {
  const steps: Record<string, unknown>[] = []
  for (let i = 0; i < n; i++) {
    const id = `step-${i}`
    const deps = i === 0 ? [] : i % 3 === 0 ? [`step-${i - 1}`, `step-${i - 2}`] : [`step-${i - 1}`]
    if (i % 10 === 5) {
      steps.push({
        id,
        type: 'condition',
        depends_on: deps,
        config: {
          expression: `steps['step-${i - 1}'].status_code == 200.0`,
          branches: {
            true: [{ id: 'ok', action: 'workflow.log', params: { message: 'ok ${{inputs.x}}' } }],
          },
          default: [{ id: 'other', action: 'workflow.log', params: { message: 'other' } }],
        },
      })
    } else if (i % 10 === 7) {
      steps.push({
        id,
        type: 'loop',
        depends_on: deps,
        config: {
          over: 'inputs.items',
          max_iter: 20,
          body: [{ id: 'each', action: 'workflow.log', params: { message: '${{loop.item}}' } }],
        },
      })
    } else if (i % 10 === 9) {
      steps.push({
        id,
        type: 'parallel',
        depends_on: deps,
        config: {
          branches: [
            [{ id: 'left', action: 'crypto.hash', params: { data: 'a', algorithm: 'sha256' } }],
            [{ id: 'right', action: 'crypto.uuid' }],
          ],
        },
      })
    } else {
      steps.push({
        id,
        action: i % 2 === 0 ? 'http.get' : 'assert.equals',
        depends_on: deps,
        timeout: '30s',
        retry: { max: 3, backoff: 'exponential', delay: '500ms', max_delay: '10s' },
        params: {
          url: `https://api.example.com/items/${i}`,
          headers: { Authorization: 'Bearer ${{secrets.API_TOKEN}}' },
          previous: i === 0 ? null : `\${{steps.step-${i - 1}.output.body}}`,
        },
      })
    }
  }
  return { metadata: { name: `bench-${n}` }, inputs: { items: [1, 2, 3] }, timeout: '10m', steps }
}

function chain(n: number): DagNode[] {
  return Array.from({ length: n }, (_, i) =>
    i === 0 ? { id: 's0' } : { id: `s${i}`, depends_on: [`s${i - 1}`] },
  )
}

export const suite: BenchSuite = {
  name: 'validation',
  cases(): BenchCase[] {
    const def100 = definition(100)
    const text100 = JSON.stringify(def100)
    const def500 = definition(500)
    const actions = new Set([
      'http.get',
      'assert.equals',
      'workflow.log',
      'crypto.hash',
      'crypto.uuid',
    ])
    for (const def of [def100, def500]) {
      const result = validateDefinition(def, { actions })
      if (!result.ok || result.warnings.length > 0) {
        throw new Error(`bench definition is not clean: ${JSON.stringify(result).slice(0, 500)}`)
      }
    }
    // Through JSON, as the engine gets definitions from the store.
    const json = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T
    const parallel500 = json(Array.from({ length: 500 }, (_, i) => ({ id: `p${i}` })))
    const chain500 = json(chain(500))
    const diamond500 = json([
      { id: 'root' },
      ...Array.from({ length: 498 }, (_, i) => ({ id: `m${i}`, depends_on: ['root'] })),
      { id: 'sink', depends_on: Array.from({ length: 498 }, (_, i) => `m${i}`) },
    ])
    return [
      {
        scenario: 'validate 100-step definition',
        reference_ns: null,
        run: () => validateDefinition(def100, { actions }),
        note: `${text100.length} bytes; CEL compiles cached`,
      },
      {
        scenario: 'parse + validate 100-step text',
        reference_ns: null,
        run: () => parseDefinitionText(text100, { actions }),
      },
      {
        scenario: 'validate 500-step definition',
        reference_ns: null,
        run: () => validateDefinition(def500, { actions }),
      },
      {
        scenario: 'levels: 500 parallel',
        reference_ns: null,
        run: () => computeLevels(parallel500),
      },
      {
        scenario: 'levels: 500 sequential',
        reference_ns: null,
        run: () => computeLevels(chain500),
      },
      {
        scenario: 'levels: 500 diamond (996 edges)',
        reference_ns: null,
        run: () => computeLevels(diamond500),
      },
    ]
  },
}
