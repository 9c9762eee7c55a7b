/**
 * `npm run bench -- --suite diagram`: every diagram format for 20 and 200 steps (issue #8).
 * Targets: ASCII and Mermaid ≤ 1 ms for 20 steps, SVG ≤ 10 ms, PNG ≤ 150 ms. The workflows are
 * layered grids (each step depends on two of the level above) with a status on every step, so
 * the ASCII case measures the real layout, not the list fallback. The reference has no figures.
 */
import {
  buildDiagramModel,
  type DiagramFormat,
  renderDiagram,
  type StepStateLike,
} from '../../src/diagram/index.ts'
import type { WorkflowDefinition } from '../../src/schema/workflow.ts'
import type { BenchCase, BenchSuite } from './lib.ts'

const STATUSES = ['completed', 'completed', 'running', 'failed', 'pending', 'skipped', 'retrying']

/** `n` steps in levels of `width`; each depends on two steps of the level above. */
function grid(n: number, width: number): WorkflowDefinition {
  const steps: WorkflowDefinition['steps'] = []
  for (let i = 0; i < n; i++) {
    const row = Math.floor(i / width)
    const above = (k: number) => `step-${(row - 1) * width + (k % width)}`
    const deps = row === 0 ? [] : [...new Set([above(i), above(i + 1)])]
    steps.push({
      id: `step-${i}`,
      action: 'http.get',
      ...(deps.length > 0 ? { depends_on: deps } : {}),
    })
  }
  return { steps, metadata: { name: `Grid of ${n}` } }
}

function states(n: number): Record<string, StepStateLike> {
  const out: Record<string, StepStateLike> = {}
  for (let i = 0; i < n; i++) {
    const status = STATUSES[i % STATUSES.length] as string
    out[`step-${i}`] = { status, ...(status === 'completed' ? { duration_ms: 10 + i } : {}) }
  }
  return out
}

const SIZES: [number, number][] = [
  [20, 4],
  [200, 10],
]

export const suite: BenchSuite = {
  name: 'diagram',
  cases: () => {
    const cases: BenchCase[] = []
    for (const [n, width] of SIZES) {
      const def = grid(n, width)
      const st = states(n)
      cases.push({
        scenario: `model ${n} steps (validate + build)`,
        reference_ns: null,
        run: () => buildDiagramModel(def, st),
      })
    }
    for (const format of ['ascii', 'mermaid', 'svg', 'png'] as DiagramFormat[])
      for (const [n, width] of SIZES) {
        const model = buildDiagramModel(grid(n, width), states(n))
        cases.push({
          scenario: `${format} ${n} steps`,
          reference_ns: null,
          run: () => renderDiagram(model, format),
          // WASM formats: enough warm-up to load and JIT, few runs on a shared 2-core machine.
          ...(format === 'svg' || format === 'png' ? { warmup: 5, iterations: 20 } : {}),
          ...(format === 'png' && n === 200 ? { iterations: 8 } : {}),
        })
      }
    const huge = buildDiagramModel(grid(2000, 10), states(2000))
    cases.push({
      scenario: 'ascii 2000 steps (list form)',
      reference_ns: null,
      run: () => renderDiagram(huge, 'ascii'),
      note: 'Mermaid, SVG and PNG refuse 2,000 steps: too large for the format',
    })
    return cases
  },
}
