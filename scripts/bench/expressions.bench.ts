/**
 * Expression engines on the hot path (issue 3): compiled CEL (target ≤ 1 µs), Expr (≤ 2 µs), the
 * interpolation of a 20-reference params object (≤ 10 µs) and one jq call on a 1 KiB input (as fast
 * as jq-wasm allows, ~0.8 ms; it runs in a worker thread). Sub-microsecond operations are timed
 * in batches of 100 per run (the harness awaits every run, which alone costs about a microsecond):
 * their per-operation figure is the median divided by 100, and ops/s counts operations. No Go
 * reference figures exist for these.
 */
import type { InterpolationScope } from '../../src/engine/ports.ts'
import { evalCel, evalExpr, evalJq, interpolate, shutdownJq } from '../../src/expressions/index.ts'
import type { BenchCase, BenchSuite } from './lib.ts'

const items = Array.from({ length: 20 }, (_, i) => ({ id: i, name: `item-${i}`, score: i * 1.5 }))

const steps: Record<string, unknown> = {
  fetch: { status_code: 200, body: { items, total: 20, next: null } },
  'parse-data': { rows: [{ a: 1 }, { a: 2 }], ok: true },
}
const inputs = {
  min: 3,
  region: 'eu-west-1',
  user: { id: 'u-1', email: 'a@example.com' },
  tags: ['x', 'y'],
}

const interpolationScope: InterpolationScope = {
  steps,
  inputs,
  workflow: { run_id: 'wf-123', name: 'bench' },
  context: { intent: 'bench', agent_id: 'agent-1' },
}

/** 20 references: typed whole values, embedded ones, indexes, quoted keys, nested objects. */
const params20 = {
  url: 'https://api.example.com/${{inputs.region}}/users/${{inputs.user.id}}',
  method: 'POST',
  headers: {
    'X-Run': '${{workflow.run_id}}',
    'X-Agent': '${{context.agent_id}}',
    'X-Count': '${{steps.fetch.output.body.total}}',
    Accept: 'application/json',
  },
  body: {
    user: '${{inputs.user}}',
    email: '${{inputs.user.email}}',
    first: '${{steps.fetch.output.body.items[0]}}',
    second_name: '${{steps.fetch.output.body.items[1].name}}',
    last_score: '${{steps.fetch.output.body.items.19.score}}',
    rows: "${{steps['parse-data'].output.rows}}",
    ok: "${{steps['parse-data'].output.ok}}",
    status: '${{steps.fetch.output.status_code}}',
    next: '${{steps.fetch.output.body.next}}',
    tags: '${{inputs.tags}}',
    first_tag: '${{inputs.tags[0]}}',
    summary: 'run ${{workflow.name}} for ${{context.intent}} (min ${{inputs.min}})',
    fixed: { nested: [1, 2, 3], text: 'no references here' },
  },
  timeout: '5s',
}

const jqInput = {
  items: Array.from({ length: 20 }, (_, i) => ({
    id: i,
    name: `item-${i}`,
    score: i * 2.5,
    tags: ['a'],
  })),
  meta: { page: 1, total: 20 },
}

const BATCH = 100

/** A case running `op` BATCH times per measured run. */
function batched(scenario: string, op: () => unknown, note: string): BenchCase {
  return {
    scenario: `${scenario} ×${BATCH}`,
    reference_ns: null,
    opsPerRun: BATCH,
    warmup: 50,
    iterations: 1000,
    run: () => {
      for (let i = 0; i < BATCH; i++) op()
    },
    note,
  }
}

export const suite: BenchSuite = {
  name: 'expressions',
  cases(): BenchCase[] {
    const celScope = { steps, inputs, workflow: {}, context: {}, iter: {} }
    const celSource = 'steps.fetch.status_code == 200 && size(steps.fetch.body.items) > inputs.min'
    const exprEnv = { steps, inputs, data: items }
    const exprSource = 'steps.fetch.status_code == 200 && len(steps.fetch.body.items) > inputs.min'
    let fresh = 0
    const jqSize = JSON.stringify(jqInput).length
    return [
      batched(
        'CEL evaluate (compiled, cached)',
        () => evalCel(celSource, celScope),
        'per op = median/100; target ≤ 1 µs',
      ),
      batched(
        'CEL simple condition (compiled, cached)',
        () => evalCel("steps['parse-data'].ok && inputs.min > 2", celScope),
        'per op = median/100',
      ),
      {
        scenario: 'CEL compile + evaluate (cache miss)',
        reference_ns: null,
        iterations: 500,
        run: () => evalCel(`${celSource} && inputs.min != ${fresh++}`, celScope),
      },
      batched(
        'Expr evaluate (compiled, cached)',
        () => evalExpr(exprSource, exprEnv),
        'per op = median/100; target ≤ 2 µs',
      ),
      batched(
        'Expr filter+map over 20 items',
        () => evalExpr('data | filter(.score > inputs.min) | map(.name)', exprEnv),
        'per op = median/100',
      ),
      batched(
        'interpolate params, 20 references',
        () => interpolate(params20, interpolationScope),
        'per op = median/100; target ≤ 10 µs',
      ),
      batched(
        'interpolate params, no references',
        () => interpolate(params20.body.fixed, interpolationScope),
        'per op = median/100',
      ),
      {
        scenario: `jq call, ${jqSize} B input`,
        reference_ns: null,
        warmup: 50,
        iterations: 500,
        run: () => evalJq('[.items[] | select(.score > 10) | .name]', jqInput),
        teardown: () => shutdownJq(),
        note: 'worker thread; target ~0.8 ms',
      },
    ]
  },
}
