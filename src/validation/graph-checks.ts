/**
 * Checks over the top-level DAG (spec workflow.md §4 step 5, §5 step 3) and over fallback chains:
 * cycles (CYCLE_DETECTED, naming the cycle), steps that can never start, fallback loops.
 */
import { cycleMessage, type DagNode, findCycles } from '../engine/dag.ts'
import { isObject } from './context.ts'
import { quote, type Report } from './report.ts'

/** A top-level step's fallback target (on_error strategy fallback_step). */
export interface FallbackEdge {
  target: string
  /** Pointer to the `fallback_step` field. */
  path: string
}

/**
 * Cycles among the top-level steps, and the steps blocked behind them. `topIds` maps each id to
 * the index of its first use; unknown, duplicate and self dependencies were reported already and
 * are left out here.
 */
export function checkGraph(report: Report, steps: unknown[], topIds: Map<string, number>): void {
  const nodes: DagNode[] = []
  const position = new Map<string, number>()
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i]
    if (!isObject(s) || typeof s.id !== 'string' || topIds.get(s.id) !== i) continue
    const deps: string[] = []
    if (Array.isArray(s.depends_on)) {
      for (const d of s.depends_on) {
        if (typeof d === 'string' && d !== s.id && topIds.has(d)) deps.push(d)
      }
    }
    position.set(s.id, i)
    nodes.push({ id: s.id, depends_on: deps })
  }
  const cycles = findCycles(nodes)
  if (cycles.length === 0) return
  const inCycle = new Set<string>()
  for (const cycle of cycles) {
    for (const id of cycle) inCycle.add(id)
    report.error('/steps', cycleMessage(cycle), 'CYCLE_DETECTED')
  }
  for (const id of blockedByCycles(nodes, inCycle)) {
    report.warn(
      `/steps/${position.get(id)}`,
      `step ${quote(id)} can never run: it depends on a step in a cycle`,
    )
  }
}

/** Steps outside every cycle that Kahn's algorithm never reaches: they wait on a cycle. */
function blockedByCycles(nodes: DagNode[], inCycle: Set<string>): string[] {
  const indeg = new Map<string, number>()
  const dependents = new Map<string, string[]>()
  for (const n of nodes) {
    const deps = new Set(n.depends_on)
    indeg.set(n.id, deps.size)
    for (const d of deps) {
      const list = dependents.get(d)
      if (list === undefined) dependents.set(d, [n.id])
      else list.push(n.id)
    }
  }
  const queue = nodes.filter((n) => indeg.get(n.id) === 0).map((n) => n.id)
  const done = new Set<string>()
  while (queue.length > 0) {
    const u = queue.pop() as string
    done.add(u)
    for (const v of dependents.get(u) ?? []) {
      const left = (indeg.get(v) as number) - 1
      indeg.set(v, left)
      if (left === 0) queue.push(v)
    }
  }
  return nodes.map((n) => n.id).filter((id) => !done.has(id) && !inCycle.has(id))
}

/** A chain of fallback steps leading back to itself would never end: one error per loop. */
export function checkFallbackLoops(report: Report, fallbackOf: Map<string, FallbackEdge>): void {
  const reported = new Set<string>()
  for (const start of fallbackOf.keys()) {
    const chain: string[] = []
    const onChain = new Set<string>()
    let id: string | undefined = start
    while (id !== undefined && !onChain.has(id) && !reported.has(id)) {
      chain.push(id)
      onChain.add(id)
      id = fallbackOf.get(id)?.target
    }
    for (const c of chain) reported.add(c)
    if (id === undefined || !onChain.has(id)) continue
    const loop = chain.slice(chain.indexOf(id))
    report.error(
      fallbackOf.get(loop[0] as string)?.path ?? '/steps',
      `fallback steps form a loop: ${[...loop, loop[0] as string].map((x) => quote(x)).join(' → ')}`,
    )
  }
}
