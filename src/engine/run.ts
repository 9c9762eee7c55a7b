/**
 * A workflow run in memory: its definition's plan (levels, sinks, fallbacks — computed once per
 * definition object), its state (a fold of its events) and what only a live run has (abort
 * controller, deadline, waiters).
 */
import { parseDuration } from '../schema/duration.ts'
import type { ExecutionResult } from '../schema/run.ts'
import type { Step, WorkflowDefinition } from '../schema/workflow.ts'
import { Cancel } from './cancel.ts'
import type { Outcome } from './core.ts'
import { computeLevels, sinks } from './dag.ts'
import type { ContextRow, TimerHandle } from './ports.ts'
import type { RunState } from './reduce.ts'

export interface Plan {
  levels: string[][]
  byId: Map<string, Step>
  /** Steps named by some `on_error.fallback_step`: they run only as fallbacks (A15). */
  fallbackTargets: Set<string>
  sinks: string[]
  /** Workflow timeout in ms, when valid and set. */
  timeoutMs?: number
}

const plans = new WeakMap<object, Plan>()

/** The plan of a definition, cached by object identity (templates reuse one parsed object). */
export function planOf(def: WorkflowDefinition): Plan {
  let plan = plans.get(def)
  if (plan !== undefined) return plan
  const byId = new Map<string, Step>()
  const fallbackTargets = new Set<string>()
  for (const s of def.steps) {
    byId.set(s.id, s)
  }
  collectFallbacks(def.steps, fallbackTargets)
  plan = { levels: computeLevels(def.steps), byId, fallbackTargets, sinks: sinks(def.steps) }
  if (def.timeout !== undefined) {
    const ms = parseDuration(def.timeout)
    if (ms !== undefined && ms >= 0) plan.timeoutMs = ms
  }
  plans.set(def, plan)
  return plan
}

function collectFallbacks(steps: readonly Step[], out: Set<string>): void {
  for (const s of steps) {
    if (s.on_error?.strategy === 'fallback_step' && s.on_error.fallback_step)
      out.add(s.on_error.fallback_step)
    for (const nested of nestedLists(s)) collectFallbacks(nested.steps, out)
  }
}

/** The nested step lists of a flow-control step, with the key segment each list uses. */
export function nestedLists(
  step: Step,
): Array<{ segment: string | ((i: number) => string); steps: Step[] }> {
  const cfg = step.config as Record<string, unknown> | undefined
  if (cfg === undefined || cfg === null || typeof cfg !== 'object') return []
  const out: Array<{ segment: string | ((i: number) => string); steps: Step[] }> = []
  switch (step.type) {
    case 'loop':
      if (Array.isArray(cfg.body))
        out.push({ segment: (i) => `iter_${i}`, steps: cfg.body as Step[] })
      break
    case 'parallel':
      if (Array.isArray(cfg.branches)) {
        ;(cfg.branches as Step[][]).forEach((b, i) => {
          if (Array.isArray(b)) out.push({ segment: `branch_${i}`, steps: b })
        })
      }
      break
    case 'condition':
      if (cfg.branches !== null && typeof cfg.branches === 'object') {
        for (const [k, b] of Object.entries(cfg.branches as Record<string, Step[]>)) {
          if (Array.isArray(b)) out.push({ segment: k, steps: b })
        }
      }
      if (Array.isArray(cfg.default)) out.push({ segment: 'default', steps: cfg.default as Step[] })
      break
    default:
      break
  }
  return out
}

/**
 * Finds the step definition behind a step key (`loop.iter_3.check`, `route.true.fanout.branch_1.x`).
 * Branch keys may contain dots, so every split is tried.
 */
export function stepForKey(def: WorkflowDefinition, key: string): Step | undefined {
  const top = def.steps.find((s) => s.id === key)
  if (top !== undefined) return top
  for (const s of def.steps) {
    if (key.startsWith(`${s.id}.`)) {
      const found = findNested(s, key.slice(s.id.length + 1))
      if (found !== undefined) return found
    }
  }
  if (key === 'on_complete') return def.on_complete
  if (key === 'on_error') return def.on_error
  return undefined
}

function findNested(parent: Step, rest: string): Step | undefined {
  for (const list of nestedLists(parent)) {
    let segmentRest: string | undefined
    if (typeof list.segment === 'string') {
      if (rest.startsWith(`${list.segment}.`)) segmentRest = rest.slice(list.segment.length + 1)
    } else {
      const m = /^iter_\d+\./.exec(rest)
      if (m !== null) segmentRest = rest.slice(m[0].length)
    }
    if (segmentRest === undefined) continue
    for (const s of list.steps) {
      if (segmentRest === s.id) return s
      if (segmentRest.startsWith(`${s.id}.`)) {
        const found = findNested(s, segmentRest.slice(s.id.length + 1))
        if (found !== undefined) return found
      }
    }
  }
  return undefined
}

export interface RunMeta {
  id: string
  definition: WorkflowDefinition
  /** Run params merged over the definition's `inputs` defaults (D19). */
  inputs: Record<string, unknown>
  agentId: string
  name?: string
  templateName?: string
  templateVersion?: string
  parentId?: string
  parentStepId?: string
  depth: number
  createdAt: number
}

export class Run {
  readonly plan: Plan
  /** True while a walk of this run is in progress in this process. */
  live = false
  /** A signal or timer made progress possible while live: walk again instead of suspending. */
  wake = false
  /** Fallback steps executing right now, joined by a second failing step (A15). */
  readonly inflight = new Map<string, Promise<Outcome>>()
  /** Operations (walk, signal, cancel…) currently using this loaded run. */
  holds = 0
  /** Set once a terminal event is written: later events of in-flight steps are dropped. */
  final = false
  /** Why the live walk must stop. */
  stop?: 'cancelled' | 'timeout'
  cancel = new Cancel()
  deadline?: number
  deadlineTimer?: TimerHandle
  context?: ContextRow
  contextLoaded = false
  /** Secret values resolved for this run, redacted from everything it records. */
  readonly secretValues = new Set<string>()
  private waiters: Array<(r: ExecutionResult) => void> = []
  private scopeWorkflow?: Record<string, unknown>

  constructor(
    readonly meta: RunMeta,
    readonly state: RunState,
  ) {
    this.plan = planOf(meta.definition)
  }

  get id(): string {
    return this.meta.id
  }

  /** The `workflow` namespace (A20). */
  workflowScope(): Record<string, unknown> {
    if (this.scopeWorkflow === undefined) {
      const m = this.meta
      this.scopeWorkflow = {
        run_id: m.id,
        name: m.name ?? m.templateName ?? null,
        template_name: m.templateName ?? null,
        template_version: m.templateVersion ?? null,
        agent_id: m.agentId,
        parent_workflow_id: m.parentId ?? null,
      }
    }
    return this.scopeWorkflow
  }

  /** The `context` namespace: intent, agent, notes and every accumulated data key (§9.3). */
  contextScope(): Record<string, unknown> {
    const c = this.context
    if (c === undefined) return {}
    return {
      intent: c.original_intent,
      agent_id: c.agent_id,
      agent_notes: c.agent_notes ?? null,
      ...c.accumulated_data,
    }
  }

  onSettle(fn: (r: ExecutionResult) => void): void {
    this.waiters.push(fn)
  }

  settle(result: ExecutionResult): void {
    const waiters = this.waiters
    this.waiters = []
    for (const w of waiters) w(result)
  }

  get hasWaiters(): boolean {
    return this.waiters.length > 0
  }
}
