/**
 * Sample workflows and step states for the diagram tests, the `diagram` bench suite and the
 * Mermaid system test: a chain, a fan-out/fan-in, a mixed flow-control workflow and labels that
 * try to break every output format.
 */
import type { Step, WorkflowDefinition } from '../schema/workflow.ts'
import type { StepStateLike } from './model.ts'

/** `n` steps, each depending on the previous one. */
export function chainWorkflow(n: number): WorkflowDefinition {
  const steps: Step[] = []
  for (let i = 0; i < n; i++)
    steps.push({
      id: `step-${i + 1}`,
      action: 'http.get',
      ...(i > 0 ? { depends_on: [`step-${i}`] } : {}),
    })
  return { steps, metadata: { name: `Chain of ${n}` } }
}

/** One root, `n - 2` workers depending on it, one join depending on all workers. */
export function fanWorkflow(n: number): WorkflowDefinition {
  const workers = Math.max(1, n - 2)
  const steps: Step[] = [{ id: 'split', action: 'workflow.log' }]
  for (let i = 0; i < workers; i++)
    steps.push({ id: `worker-${i}`, action: 'http.get', depends_on: ['split'] })
  steps.push({
    id: 'join',
    action: 'workflow.log',
    depends_on: steps.slice(1).map((s) => s.id),
  })
  return { steps, metadata: { name: `Fan-out of ${workers}` } }
}

/** States for a fan workflow: split done, workers mixed, join pending. */
export function fanStates(n: number): Record<string, StepStateLike> {
  const workers = Math.max(1, n - 2)
  const states: Record<string, StepStateLike> = {
    split: { status: 'completed', duration_ms: 4 },
    join: { status: 'pending' },
  }
  const cycle = ['completed', 'running', 'failed', 'retrying', 'pending']
  for (let i = 0; i < workers; i++) {
    const status = cycle[i % cycle.length] as string
    states[`worker-${i}`] = {
      status,
      ...(status === 'completed' ? { duration_ms: 20 + i } : {}),
      ...(status === 'failed' ? { error: { message: `HTTP 503 from worker ${i}` } } : {}),
      ...(status === 'retrying' ? { retry_count: 2 } : {}),
    }
  }
  return states
}

/** A fetch, a condition with two branches and a default, a loop, a parallel and a reasoning step. */
export function mixedWorkflow(): WorkflowDefinition {
  return {
    metadata: { name: 'Order review' },
    steps: [
      { id: 'fetch', action: 'http.get', params: { url: 'https://example.com/order' } },
      {
        id: 'route',
        type: 'condition',
        depends_on: ['fetch'],
        config: {
          expression: 'steps.fetch.output.body.kind',
          branches: {
            big: [
              { id: 'score', action: 'workflow.log' },
              { id: 'flag', action: 'workflow.log' },
            ],
            small: [{ id: 'auto-ok', action: 'workflow.log' }],
          },
          default: [{ id: 'reject', action: 'workflow.fail' }],
        },
      },
      {
        id: 'each-item',
        type: 'loop',
        depends_on: ['fetch'],
        config: {
          mode: 'for_each',
          over: 'steps.fetch.output.body.items',
          max_iter: 100,
          body: [
            { id: 'price', action: 'http.get' },
            { id: 'save', action: 'fs.write' },
          ],
        },
      },
      {
        id: 'notify',
        type: 'parallel',
        depends_on: ['route', 'each-item'],
        config: {
          branches: [[{ id: 'email', action: 'http.post' }], [{ id: 'chat', action: 'http.post' }]],
        },
      },
      {
        id: 'review',
        type: 'reasoning',
        depends_on: ['notify'],
        config: {
          prompt_context: 'Approve the order?',
          options: [{ id: 'approve' }, { id: 'reject' }],
        },
      },
      {
        id: 'cool-down',
        type: 'wait',
        depends_on: ['review'],
        config: { duration: '5m' },
      },
    ],
  }
}

/** The mixed workflow suspended on its reasoning step, after three loop iterations. */
export function mixedStates(): Record<string, StepStateLike> {
  return {
    fetch: { status: 'completed', duration_ms: 132 },
    route: { status: 'completed', duration_ms: 1 },
    'route.big.score': { status: 'completed', duration_ms: 12 },
    'route.big.flag': { status: 'completed', duration_ms: 3 },
    'route.small.auto-ok': { status: 'skipped' },
    'route.default.reject': { status: 'skipped' },
    'each-item': { status: 'completed', duration_ms: 2450 },
    'each-item.iter_0.price': { status: 'completed', duration_ms: 700 },
    'each-item.iter_0.save': { status: 'completed', duration_ms: 20 },
    'each-item.iter_1.price': { status: 'completed', duration_ms: 650 },
    'each-item.iter_1.save': { status: 'completed', duration_ms: 22 },
    'each-item.iter_2.price': { status: 'completed', duration_ms: 1010, retry_count: 1 },
    'each-item.iter_2.save': { status: 'completed', duration_ms: 18 },
    notify: { status: 'completed', duration_ms: 95 },
    'notify.branch_0.email': { status: 'completed', duration_ms: 90 },
    'notify.branch_1.chat': { status: 'failed', error: { message: 'webhook returned 410' } },
    review: { status: 'suspended' },
    'cool-down': { status: 'pending' },
  }
}

/** Ids and names that must not break Mermaid, DOT or a terminal. */
export const NASTY_LABELS: readonly string[] = [
  'say "hi"',
  "it's",
  'a[b]c',
  'x{y}z',
  'p(q)r',
  'a --> b',
  'a -.-> b |x|',
  '<b>bold</b> & <script>alert(1)</script>',
  'end',
  'graph',
  'subgraph',
  'class',
  'style x fill:#f00;',
  '#quot; #35; &amp; &lt;',
  '%% comment',
  'semi;colon',
  'back\\slash',
  'pipe|bar',
  'tab\there',
  'new\nline',
  'ansi \u001b[31mred\u001b[0m',
  'rtl \u202egnp.exe',
  'emoji 🚀🔥 family 👨‍👩‍👧',
  '日本語のステップ',
  'café ñ ü',
  '`tick`',
  'o-start',
  'x-start',
  '1leading-digit',
  '__start__',
  'a.b.c',
  'a b',
  'a_b',
  'a-b',
]

/** Every nasty label as a chain step id, plus one nested in a condition branch. */
export function nastyWorkflow(): WorkflowDefinition {
  const steps: Step[] = NASTY_LABELS.map((id, i) => ({
    id,
    action: 'workflow.log',
    ...(i > 0 ? { depends_on: [NASTY_LABELS[i - 1] as string] } : {}),
  }))
  steps.push({
    id: 'branchy "cond"',
    type: 'condition',
    depends_on: [NASTY_LABELS[NASTY_LABELS.length - 1] as string],
    config: {
      expression: 'true',
      branches: {
        'true "quoted" -->': [{ id: 'inner <i>', action: 'workflow.log' }],
        end: [{ id: 'end', action: 'workflow.log' }],
      },
    },
  })
  return { steps, metadata: { name: 'Nasty "labels" <b>&</b> -->' } }
}
