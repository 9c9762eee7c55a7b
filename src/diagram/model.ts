/**
 * The diagram model (spec server.md §15.1): nodes by step type, edges from `depends_on`, virtual
 * Start and End nodes, nested bodies and branches as labelled sub-graphs (recursively, up to
 * MAX_NESTING), and an optional overlay of step states. Every renderer reads only this model.
 *
 * Order is stable: top-level nodes in level order (Kahn, ids ascending — spec workflow.md §4),
 * sub-graphs in definition order, so outputs are snapshot-testable.
 */
import type { WorkflowDefinition } from '../schema/workflow.ts'
import { checkDefinition } from './definition-check.ts'

/** A step state as the store or a run result reports it; extra fields are ignored. */
export interface StepStateLike {
  status: string
  duration_ms?: number
  retry_count?: number
  error?: { message: string }
}

export const DiagramStatus = [
  'completed',
  'failed',
  'running',
  'suspended',
  'pending',
  'skipped',
  'retrying',
] as const
export type DiagramStatus = (typeof DiagramStatus)[number]

export type NodeKind =
  | 'start'
  | 'end'
  | 'action'
  | 'condition'
  | 'reasoning'
  | 'parallel'
  | 'loop'
  | 'wait'

export interface DiagramNode {
  /** Unique in the model: a top-level step id, `<parent>.<label>.<id>` nested, `__start__`, `__end__`. */
  id: string
  /** The step's own id (what a diagram prints). */
  label: string
  kind: NodeKind
  action?: string
  status?: DiagramStatus
  /** Duration of the shown attempt, in ms. */
  durationMs?: number
  retryCount?: number
  /** Error message of a failed step. */
  error?: string
  /** Loops: number of iterations seen in the states (the body shows the latest one). */
  iterations?: number
  /** Nesting depth: 0 for top-level nodes. */
  depth: number
  subgraphs: DiagramSubgraph[]
  /** Flow control whose bodies are not drawn because they nest deeper than MAX_NESTING. */
  collapsed?: boolean
}

export interface DiagramSubgraph {
  /** `<parent>.<label>`, unique in the model. */
  id: string
  parent: string
  /** Branch key, `default`, `branch_<i>` or `body`. */
  label: string
  /** Display title: `<parent label>: <label>`, plus the shown iteration for loop bodies. */
  title: string
  /** Steps in execution (array) order. */
  nodes: DiagramNode[]
  /** Consecutive steps: nested bodies run strictly in array order (workflow.md §3.7). */
  edges: DiagramEdge[]
}

export interface DiagramEdge {
  from: string
  to: string
}

export interface DiagramModel {
  title: string
  /** Top-level nodes: Start (`__start__`), steps in level order, End (`__end__`). */
  nodes: DiagramNode[]
  /** Top-level edges: Start → roots, dependency → dependent, sinks → End. */
  edges: DiagramEdge[]
  /** Node ids per level: `[__start__]`, the DAG levels, `[__end__]`. */
  levels: string[][]
  /** Counts over the whole model, nested nodes and edges included (for size limits). */
  nodeCount: number
  edgeCount: number
  /** Whether a state overlay was given (a structure preview has none). */
  hasStatus: boolean
}

export interface DiagramModelOptions {
  /** Title; default `metadata.name` of the definition, else `Workflow`. */
  title?: string
}

/** Flow control nested deeper than this many sub-graph levels is drawn collapsed. */
export const MAX_NESTING = 4

export const START_ID = '__start__'
export const END_ID = '__end__'

/**
 * Builds the model of a definition, with step states keyed by step key (top-level ids, nested
 * `<parent>.<segment>.<id>` with segment = branch key / `default`, `iter_<i>`, `branch_<i>`).
 * Throws AppError VALIDATION_ERROR or CYCLE_DETECTED for a definition the engine would refuse.
 */
export function buildDiagramModel(
  definition: WorkflowDefinition,
  states?: Record<string, StepStateLike>,
  options: DiagramModelOptions = {},
): DiagramModel {
  const levels = checkDefinition(definition)
  const steps = definition.steps
  const byId = new Map(steps.map((s) => [s.id, s]))
  const ctx: BuildContext = { states, usedIds: new Set(steps.map((s) => s.id)), nodes: 0, edges: 0 }
  // A step may itself be called `__start__`: the virtual nodes then take the next free id.
  const startId = uniqueId(ctx, START_ID)
  const endId = uniqueId(ctx, END_ID)

  const nodes: DiagramNode[] = [terminal(startId, 'Start', 'start')]
  for (const level of levels) {
    for (const id of level) {
      const step = byId.get(id)
      if (step !== undefined) nodes.push(buildNode(ctx, step, id, id, 0))
    }
  }
  nodes.push(terminal(endId, 'End', 'end'))

  const edges: DiagramEdge[] = []
  const hasDependents = new Set<string>()
  for (const level of levels) {
    for (const id of level) {
      const deps = byId.get(id)?.depends_on ?? []
      if (deps.length === 0) edges.push({ from: startId, to: id })
      const seen = new Set<string>()
      for (const dep of deps) {
        if (seen.has(dep)) continue
        seen.add(dep)
        hasDependents.add(dep)
        edges.push({ from: dep, to: id })
      }
    }
  }
  for (const level of levels)
    for (const id of level) if (!hasDependents.has(id)) edges.push({ from: id, to: endId })

  return {
    title: options.title ?? titleOf(definition),
    nodes,
    edges,
    levels: [[startId], ...levels.map((l) => [...l]), [endId]],
    nodeCount: ctx.nodes + 2,
    edgeCount: ctx.edges + edges.length,
    hasStatus: states !== undefined,
  }
}

interface BuildContext {
  states: Record<string, StepStateLike> | undefined
  usedIds: Set<string>
  nodes: number
  edges: number
}

/** The fields of a step the model reads; nested steps are not validated at load, so all optional. */
interface LooseStep {
  id?: unknown
  type?: unknown
  action?: unknown
  config?: unknown
}

function terminal(id: string, label: string, kind: NodeKind): DiagramNode {
  return { id, label, kind, depth: 0, subgraphs: [] }
}

function titleOf(definition: WorkflowDefinition): string {
  const name = definition.metadata?.name
  return typeof name === 'string' && name.trim() !== '' ? name : 'Workflow'
}

const KINDS: ReadonlySet<string> = new Set([
  'action',
  'condition',
  'reasoning',
  'parallel',
  'loop',
  'wait',
])

/**
 * `id` is the unique model id, `key` the step key whose state is shown (for loop bodies, the key
 * inside the latest iteration).
 */
function buildNode(
  ctx: BuildContext,
  step: LooseStep,
  id: string,
  key: string,
  depth: number,
): DiagramNode {
  ctx.nodes++
  const type = typeof step.type === 'string' && step.type !== '' ? step.type : 'action'
  const kind: NodeKind = KINDS.has(type) ? (type as NodeKind) : 'action'
  const node: DiagramNode = {
    id,
    label: typeof step.id === 'string' && step.id !== '' ? step.id : '(no id)',
    kind,
    depth,
    subgraphs: [],
  }
  if (kind === 'action' && typeof step.action === 'string' && step.action !== '')
    node.action = step.action
  applyState(
    node,
    ctx.states !== undefined && Object.hasOwn(ctx.states, key) ? ctx.states[key] : undefined,
  )

  const bodies = bodiesOf(kind, step.config)
  if (bodies.length === 0) return node
  if (depth >= MAX_NESTING) {
    node.collapsed = true
    return node
  }
  let iteration: number | undefined
  if (kind === 'loop' && ctx.states !== undefined) {
    iteration = latestIteration(ctx.states, key)
    if (iteration !== undefined) node.iterations = iteration + 1
  }
  const activeLoop =
    kind === 'loop' &&
    (node.status === 'running' || node.status === 'suspended' || node.status === 'retrying')
  for (const body of bodies) {
    const subId = uniqueId(ctx, `${id}.${body.label}`)
    const segment = kind === 'loop' ? `iter_${iteration ?? 0}` : body.label
    let title = `${node.label}: ${body.label}`
    if (iteration !== undefined) title += ` (iteration ${iteration + 1})`
    const sub: DiagramSubgraph = {
      id: subId,
      parent: id,
      label: body.label,
      title,
      nodes: [],
      edges: [],
    }
    for (const child of body.steps) {
      const childId = typeof child.id === 'string' && child.id !== '' ? child.id : '(no id)'
      const childNode = buildNode(
        ctx,
        child,
        uniqueId(ctx, `${subId}.${childId}`),
        `${key}.${segment}.${childId}`,
        depth + 1,
      )
      // An active loop has not reached these steps in its current iteration yet.
      if (activeLoop && childNode.status === undefined) childNode.status = 'pending'
      const prev = sub.nodes[sub.nodes.length - 1]
      if (prev !== undefined) {
        sub.edges.push({ from: prev.id, to: childNode.id })
        ctx.edges++
      }
      sub.nodes.push(childNode)
    }
    node.subgraphs.push(sub)
  }
  return node
}

interface Body {
  label: string
  steps: LooseStep[]
}

/** Sub-graphs of a flow-control step: condition branches then `default`, parallel branches, loop body. */
function bodiesOf(kind: NodeKind, config: unknown): Body[] {
  if (!isRecord(config)) return []
  const out: Body[] = []
  if (kind === 'condition') {
    if (isRecord(config.branches))
      for (const [label, list] of Object.entries(config.branches))
        if (Array.isArray(list) && list.length > 0) out.push({ label, steps: stepsOf(list) })
    if (Array.isArray(config.default) && config.default.length > 0)
      out.push({ label: 'default', steps: stepsOf(config.default) })
  } else if (kind === 'parallel') {
    if (Array.isArray(config.branches))
      config.branches.forEach((list, i) => {
        if (Array.isArray(list) && list.length > 0)
          out.push({ label: `branch_${i}`, steps: stepsOf(list) })
      })
  } else if (kind === 'loop') {
    if (Array.isArray(config.body) && config.body.length > 0)
      out.push({ label: 'body', steps: stepsOf(config.body) })
  }
  return out
}

function stepsOf(list: unknown[]): LooseStep[] {
  return list.map((s) => (isRecord(s) ? (s as LooseStep) : {}))
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Model ids must be unique even where nested ids repeat or contain dots: suffix `~2`, `~3`… */
function uniqueId(ctx: BuildContext, wanted: string): string {
  let id = wanted
  for (let n = 2; ctx.usedIds.has(id); n++) id = `${wanted}~${n}`
  ctx.usedIds.add(id)
  return id
}

/** Highest `i` among keys `<key>.iter_<i>.…`, or undefined when the loop never iterated. */
function latestIteration(states: Record<string, StepStateLike>, key: string): number | undefined {
  const prefix = `${key}.iter_`
  let latest: number | undefined
  for (const k of Object.keys(states)) {
    if (!k.startsWith(prefix)) continue
    const dot = k.indexOf('.', prefix.length)
    const text = k.slice(prefix.length, dot === -1 ? undefined : dot)
    if (!/^\d+$/.test(text)) continue
    const i = Number(text)
    if (latest === undefined || i > latest) latest = i
  }
  return latest
}

const STATUS_OF: Record<string, DiagramStatus> = {
  completed: 'completed',
  failed: 'failed',
  running: 'running',
  suspended: 'suspended',
  pending: 'pending',
  scheduled: 'pending',
  skipped: 'skipped',
  retrying: 'retrying',
}

function applyState(node: DiagramNode, state: StepStateLike | undefined): void {
  if (state === undefined || state === null || typeof state !== 'object') return
  const status = typeof state.status === 'string' ? STATUS_OF[state.status] : undefined
  if (status !== undefined) node.status = status
  if (typeof state.duration_ms === 'number' && Number.isFinite(state.duration_ms))
    node.durationMs = Math.max(0, state.duration_ms)
  if (typeof state.retry_count === 'number' && state.retry_count > 0)
    node.retryCount = state.retry_count
  const message = state.error?.message
  if (typeof message === 'string' && message !== '') node.error = message
}
