/**
 * The dependency graph of a workflow's top-level steps (spec workflow.md §4): execution levels,
 * cycles, dependents and sinks. Pure and allocation-light: the engine calls `computeLevels` for
 * every run. Nested steps (loop bodies, branches) run in array order and are not part of the DAG.
 */
import { AppError } from '../errors.ts'

/** What the graph needs of a step. `Step` from src/schema/workflow.ts fits. */
export interface DagNode {
  id: string
  depends_on?: readonly string[] | undefined
}

/**
 * Orders ids by Unicode code point, which is the byte order of their UTF-8 form (the Go
 * reference sorts byte strings). Differs from `<` only when surrogate pairs meet U+E000–U+FFFF.
 */
export function compareIds(a: string, b: string): number {
  if (a === b) return 0
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i)
    let y = b.charCodeAt(i)
    if (x !== y) {
      if (x >= 0xd800 && y >= 0xd800) {
        // Surrogates (D800–DFFF) encode code points above FFFF, so they sort after E000–FFFF.
        x = x >= 0xe000 ? x - 0x800 : x + 0x2000
        y = y >= 0xe000 ? y - 0x800 : y + 0x2000
      }
      return x - y
    }
  }
  return a.length - b.length
}

/** True when some id has a UTF-16 unit ≥ D800, where `<` and code point order can disagree. */
function hasHighUnits(ids: readonly string[], list: ArrayLike<number>): boolean {
  for (let i = 0; i < list.length; i++) {
    const id = ids[list[i] as number] as string
    for (let k = 0; k < id.length; k++) if (id.charCodeAt(k) >= 0xd800) return true
  }
  return false
}

/** Sorts indices into `ids` in place by ascending id. */
function sortByIds(list: number[], ids: readonly string[]): void {
  if (list.length < 2) return
  if (hasHighUnits(ids, list)) {
    list.sort((i, j) => compareIds(ids[i] as string, ids[j] as string))
  } else {
    list.sort((i, j) => {
      const a = ids[i] as string
      const b = ids[j] as string
      return a < b ? -1 : a > b ? 1 : 0
    })
  }
}

function idsOf(steps: readonly DagNode[]): string[] {
  const ids = new Array<string>(steps.length)
  for (let i = 0; i < steps.length; i++) ids[i] = (steps[i] as DagNode).id
  return ids
}

/** Step indices in ascending id order. */
function sortedIndices(ids: readonly string[]): number[] {
  const order = new Array<number>(ids.length)
  for (let i = 0; i < ids.length; i++) order[i] = i
  sortByIds(order, ids)
  return order
}

/**
 * Execution levels (spec §4): depth 0 for steps without dependencies, else 1 + the deepest
 * dependency. Within a level, steps keep the order of Kahn's algorithm whose queue starts with the
 * roots in ascending id order and visits each node's dependents in ascending id order.
 * O(V + E) plus sorting the roots and each step's dependents (nothing to sort in a chain).
 * Expects a validated definition: throws AppError VALIDATION_ERROR on an unknown dependency or a
 * duplicate id, CYCLE_DETECTED on a cycle.
 */
export function computeLevels(steps: readonly DagNode[]): string[][] {
  const n = steps.length
  if (n === 0) return []
  const ids = idsOf(steps)
  // Edges in compressed rows: the dependencies of step i are edges[start[i] .. start[i + 1]).
  const start = new Int32Array(n + 1)
  let edgeCount = 0
  for (let i = 0; i < n; i++) {
    start[i] = edgeCount
    const deps = (steps[i] as DagNode).depends_on
    if (deps !== undefined) edgeCount += deps.length
  }
  start[n] = edgeCount
  if (edgeCount === 0) {
    // Independent steps (the common fan-out): one level in id order.
    const level = sortedIndices(ids).map((i) => ids[i] as string)
    for (let i = 1; i < n; i++) if (level[i] === level[i - 1]) throw duplicateId(level[i] as string)
    return [level]
  }
  const index = new Map<string, number>()
  for (let i = 0; i < n; i++) index.set(ids[i] as string, i)
  if (index.size !== n) throw duplicateId(firstDuplicate(ids))
  const edges = new Int32Array(edgeCount)
  // rowEnd[d + 1] first counts the dependents of d, then becomes the end of d's row.
  const rowEnd = new Int32Array(n + 1)
  let e = 0
  for (let i = 0; i < n; i++) {
    const deps = (steps[i] as DagNode).depends_on
    if (deps === undefined) continue
    for (let k = 0; k < deps.length; k++) {
      const d = index.get(deps[k] as string)
      if (d === undefined) throw unknownDependency(ids[i] as string, deps[k] as string)
      edges[e++] = d
      rowEnd[d + 1] = (rowEnd[d + 1] as number) + 1
    }
  }
  for (let i = 0; i < n; i++) rowEnd[i + 1] = (rowEnd[i + 1] as number) + (rowEnd[i] as number)
  // Dependents in compressed rows: those of u are dependents[rowEnd[u] .. rowEnd[u + 1]).
  const fill = rowEnd.slice(0, n)
  const dependents = new Int32Array(edgeCount)
  const indeg = new Int32Array(n)
  const roots: number[] = []
  for (let i = 0; i < n; i++) {
    const from = start[i] as number
    const to = start[i + 1] as number
    indeg[i] = to - from
    if (from === to) roots.push(i)
    for (let k = from; k < to; k++) {
      const d = edges[k] as number
      dependents[fill[d] as number] = i
      fill[d] = (fill[d] as number) + 1
    }
  }
  // Sort only what Kahn visits as a group: the roots and each row of dependents.
  let row: number[] | undefined
  for (let u = 0; u < n; u++) {
    const from = rowEnd[u] as number
    const len = (rowEnd[u + 1] as number) - from
    if (len < 2) continue
    row ??= []
    row.length = len
    for (let k = 0; k < len; k++) row[k] = dependents[from + k] as number
    sortByIds(row, ids)
    for (let k = 0; k < len; k++) dependents[from + k] = row[k] as number
  }
  sortByIds(roots, ids)
  const queue = new Int32Array(n)
  let tail = 0
  for (let r = 0; r < roots.length; r++) queue[tail++] = roots[r] as number
  const depth = new Int32Array(n)
  let maxDepth = 0
  for (let head = 0; head < tail; head++) {
    const u = queue[head] as number
    const next = (depth[u] as number) + 1
    const to = rowEnd[u + 1] as number
    for (let k = rowEnd[u] as number; k < to; k++) {
      const v = dependents[k] as number
      if ((depth[v] as number) < next) {
        depth[v] = next
        if (next > maxDepth) maxDepth = next
      }
      indeg[v] = (indeg[v] as number) - 1
      if (indeg[v] === 0) queue[tail++] = v
    }
  }
  if (tail < n) throw new AppError('CYCLE_DETECTED', cycleMessage(findCycle(steps) ?? []))
  const levels: string[][] = new Array(maxDepth + 1)
  for (let k = 0; k <= maxDepth; k++) levels[k] = []
  for (let h = 0; h < n; h++) {
    const u = queue[h] as number
    ;(levels[depth[u] as number] as string[]).push(ids[u] as string)
  }
  return levels
}

function firstDuplicate(ids: readonly string[]): string {
  const seen = new Set<string>()
  for (const id of ids) {
    if (seen.has(id)) return id
    seen.add(id)
  }
  return ''
}

function unknownDependency(id: string, dep: string): AppError {
  return new AppError('VALIDATION_ERROR', `step ${q(id)} depends on unknown step ${q(dep)}`, {
    stepId: id,
  })
}

/** `workflow contains a cycle: a → b → c → a` for the ids returned by `findCycle`. */
export function cycleMessage(cycle: readonly string[]): string {
  if (cycle.length === 0) return 'workflow contains a cycle'
  return `workflow contains a cycle: ${[...cycle, cycle[0] as string].join(' → ')}`
}

/**
 * One dependency cycle, or undefined when there is none. The ids are in execution direction —
 * each one is a dependency of the next and the last is a dependency of the first — rotated to
 * start at the smallest id. A step depending on itself is a cycle of one. Unknown ids are ignored.
 */
export function findCycle(steps: readonly DagNode[]): string[] | undefined {
  return searchCycles(steps, true)[0]
}

/** Every cycle found by one depth-first pass, pairwise disjoint (same form as `findCycle`). */
export function findCycles(steps: readonly DagNode[]): string[][] {
  return searchCycles(steps, false)
}

function searchCycles(steps: readonly DagNode[], firstOnly: boolean): string[][] {
  const n = steps.length
  const index = new Map<string, number>()
  for (let i = 0; i < n; i++) {
    const id = (steps[i] as DagNode).id
    if (!index.has(id)) index.set(id, i)
  }
  const state = new Uint8Array(n) // 0 unvisited, 1 on the stack, 2 done
  const inCycle = new Uint8Array(n)
  const stackNode = new Int32Array(n)
  const stackEdge = new Int32Array(n)
  const cycles: string[][] = []
  for (let root = 0; root < n; root++) {
    if (state[root] !== 0) continue
    let top = 0
    stackNode[0] = root
    stackEdge[0] = 0
    state[root] = 1
    while (top >= 0) {
      const u = stackNode[top] as number
      const deps = (steps[u] as DagNode).depends_on
      const e = stackEdge[top] as number
      if (deps === undefined || e >= deps.length) {
        state[u] = 2
        top--
        continue
      }
      stackEdge[top] = e + 1
      const d = index.get(deps[e] as string)
      if (d === undefined) continue
      if (state[d] === 0) {
        top++
        stackNode[top] = d
        stackEdge[top] = 0
        state[d] = 1
      } else if (state[d] === 1) {
        // Back edge u → d (u depends on d): the stack from d up to u is a cycle.
        let from = top
        while (stackNode[from] !== d) from--
        let disjoint = true
        for (let k = from; k <= top; k++) if (inCycle[stackNode[k] as number]) disjoint = false
        if (!disjoint) continue
        const ids: string[] = []
        // The stack runs against execution order (each entry depends on the next): reverse it.
        for (let k = top; k >= from; k--) {
          inCycle[stackNode[k] as number] = 1
          ids.push((steps[stackNode[k] as number] as DagNode).id)
        }
        cycles.push(rotateToSmallest(ids))
        if (firstOnly) return cycles
      }
    }
  }
  return cycles
}

function rotateToSmallest(ids: string[]): string[] {
  let best = 0
  for (let i = 1; i < ids.length; i++)
    if (compareIds(ids[i] as string, ids[best] as string) < 0) best = i
  return best === 0 ? ids : [...ids.slice(best), ...ids.slice(0, best)]
}

/**
 * For every step id, the ids of the steps that depend on it directly, in ascending id order,
 * without repeats. Unknown dependencies and self-dependencies are ignored.
 */
export function dependents(steps: readonly DagNode[]): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const s of steps) if (!out.has(s.id)) out.set(s.id, [])
  for (const i of sortedIndices(idsOf(steps))) {
    const step = steps[i] as DagNode
    if (step.depends_on === undefined) continue
    for (const dep of step.depends_on) {
      if (dep === step.id) continue
      const list = out.get(dep)
      if (list !== undefined && list[list.length - 1] !== step.id) list.push(step.id)
    }
  }
  return out
}

/** Ids of the steps no other step depends on, in definition order (their outputs form the workflow output). */
export function sinks(steps: readonly DagNode[]): string[] {
  const needed = new Set<string>()
  for (const s of steps) {
    if (s.depends_on === undefined) continue
    for (const dep of s.depends_on) if (dep !== s.id) needed.add(dep)
  }
  const out: string[] = []
  for (const s of steps) if (!needed.has(s.id)) out.push(s.id)
  return out
}

function duplicateId(id: string): AppError {
  return new AppError('VALIDATION_ERROR', `duplicate step id ${q(id)}`)
}

function q(id: string): string {
  return JSON.stringify(id)
}
