/**
 * Per-type `config` rules (spec workflow.md §3, §4 table, §5 warnings): loop, condition, parallel,
 * wait, reasoning. Each check returns the nested step lists the walker must visit next.
 */
import { DecisionOption, type StepType } from '../schema/workflow.ts'
import { type CheckContext, isObject, type Obj, type Scope } from './context.ts'
import { child, quote } from './report.ts'
import { knownKeys, SHAPES } from './shapes.ts'

export interface NestedList {
  steps: unknown[]
  path: string
}

export interface ConfigContext {
  /** The step's own timeout in ms, when it has a valid positive one. */
  stepTimeoutMs: number | undefined
  scope: Scope
}

const KNOWN = {
  loop: knownKeys(SHAPES.loop.schema),
  condition: knownKeys(SHAPES.condition.schema),
  parallel: knownKeys(SHAPES.parallel.schema),
  wait: knownKeys(SHAPES.wait.schema),
  reasoning: knownKeys(SHAPES.reasoning.schema),
  option: knownKeys(DecisionOption),
}

/** Checks `config` of a non-action step; returns its nested step lists. */
export function checkConfig(
  v: CheckContext,
  type: Exclude<StepType, 'action'>,
  config: Obj,
  path: string,
  subject: string,
  ctx: ConfigContext,
): NestedList[] {
  v.structure(SHAPES[type], config, path, subject, () => true, 'config.')
  v.unknownKeys(config, KNOWN[type], path, subject, {}, 'config.')
  switch (type) {
    case 'loop':
      return loop(v, config, path, subject)
    case 'condition':
      return condition(v, config, path, subject)
    case 'parallel':
      return parallel(v, config, path, subject)
    case 'wait':
      wait(v, config, path, subject, ctx)
      return []
    case 'reasoning':
      reasoning(v, config, path, subject, ctx)
      return []
  }
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : ''
}

function loop(v: CheckContext, config: Obj, path: string, subject: string): NestedList[] {
  const mode = config.mode ?? 'for_each'
  // An unknown mode is reported by the structural check; mode-specific rules need a known one.
  if (mode !== 'for_each' && mode !== 'while' && mode !== 'until')
    return bodyOf(v, config, path, subject)
  const over = text(config.over)
  const condition = text(config.condition)
  const cap = typeof config.max_iter === 'number' && config.max_iter > 0
  if (!cap && condition.trim() === '') {
    v.report.error(
      path,
      mode === 'for_each'
        ? `${subject}: a loop needs "max_iter" > 0 or a "condition"; for a for_each loop, set max_iter to cap the iterations`
        : `${subject}: a ${mode} loop needs a "condition"`,
    )
  }
  if (mode === 'for_each') {
    if (over.trim() === '') {
      v.report.error(
        config.over === undefined ? path : `${path}/over`,
        `${subject}: a for_each loop needs "over", a CEL expression yielding a list (e.g. "inputs.items")`,
      )
    } else v.cel(over, `${path}/over`, subject, 'config.over')
  } else {
    if (config.over !== undefined) {
      v.report.warn(`${path}/over`, `${subject}: "over" is not used by ${mode} loops`)
    }
    if (condition.trim() !== '') v.cel(condition, `${path}/condition`, subject, 'config.condition')
  }
  return bodyOf(v, config, path, subject)
}

function bodyOf(v: CheckContext, config: Obj, path: string, subject: string): NestedList[] {
  const body = config.body
  if (!Array.isArray(body)) return []
  if (body.length === 0) {
    v.report.error(`${path}/body`, `${subject}: the loop body must not be empty`)
    return []
  }
  return [{ steps: body, path: `${path}/body` }]
}

function condition(v: CheckContext, config: Obj, path: string, subject: string): NestedList[] {
  const expression = text(config.expression)
  // An empty or missing expression is reported by the structural check (minLength 1).
  if (expression.trim() !== '') {
    v.cel(expression, `${path}/expression`, subject, 'config.expression')
  }
  const lists: NestedList[] = []
  let steps = 0
  const branches = config.branches
  if (isObject(branches)) {
    const bp = `${path}/branches`
    for (const key in branches) {
      if (!Object.hasOwn(branches, key)) continue
      const list = branches[key]
      if (!Array.isArray(list)) continue // reported by the structural check
      const lower = key.toLowerCase()
      if ((lower === 'true' || lower === 'false') && key !== lower) {
        v.report.warn(
          child(bp, key),
          `${subject}: branch ${quote(key)} never matches: boolean results are the keys "true" and "false"`,
        )
      }
      steps += list.length
      lists.push({ steps: list, path: child(bp, key) })
    }
  }
  if (Array.isArray(config.default)) {
    steps += config.default.length
    lists.push({ steps: config.default, path: `${path}/default` })
  }
  if (steps === 0 && (config.branches === undefined || isObject(config.branches))) {
    v.report.warn(
      path,
      `${subject}: the condition has no steps in any branch; it only records which branch was taken`,
    )
  }
  return lists
}

function parallel(v: CheckContext, config: Obj, path: string, subject: string): NestedList[] {
  const branches = config.branches
  if (!Array.isArray(branches)) return []
  const bp = `${path}/branches`
  if (branches.length === 0) {
    v.report.error(bp, `${subject}: a parallel step needs at least one branch`)
    return []
  }
  const lists: NestedList[] = []
  for (let i = 0; i < branches.length; i++) {
    const list = branches[i]
    if (Array.isArray(list)) lists.push({ steps: list, path: child(bp, i) })
  }
  return lists
}

function wait(
  v: CheckContext,
  config: Obj,
  path: string,
  subject: string,
  ctx: ConfigContext,
): void {
  const duration = text(config.duration)
  const signal = text(config.signal)
  if (duration === '' && signal === '') {
    if (typeof config.duration !== 'number') {
      v.report.error(path, `${subject}: a wait step needs "duration" (e.g. "30s") or "signal"`)
    }
    return
  }
  if (signal !== '') v.notInterpolated(signal, `${path}/signal`, subject, 'config.signal')
  if (duration === '') return
  const dp = `${path}/duration`
  const ms = v.duration(duration, dp, subject, 'config.duration', 'error')
  if (signal !== '') {
    v.report.warn(`${path}/signal`, `${subject}: "signal" is ignored when "duration" is set`)
  }
  if (ms === undefined) return
  if (ctx.stepTimeoutMs !== undefined && ms > ctx.stepTimeoutMs) {
    v.report.warn(
      dp,
      `${subject}: the wait is longer than the step timeout, so the step times out first`,
    )
  }
  if (v.workflowTimeoutMs !== undefined && ms > v.workflowTimeoutMs) {
    v.report.warn(dp, `${subject}: the wait is longer than the workflow timeout`)
  }
}

function reasoning(
  v: CheckContext,
  config: Obj,
  path: string,
  subject: string,
  ctx: ConfigContext,
): void {
  const prompt = config.prompt_context
  if (prompt === undefined || (typeof prompt === 'string' && prompt.trim() === '')) {
    v.report.warn(
      `${path}/prompt_context`,
      `${subject}: prompt_context is empty: whoever decides gets no instructions`,
    )
  } else if (typeof prompt === 'string') {
    v.notInterpolated(prompt, `${path}/prompt_context`, subject, 'config.prompt_context')
  }
  const optionIds = new Set<string>()
  if (Array.isArray(config.options)) {
    const op = `${path}/options`
    for (let i = 0; i < config.options.length; i++) {
      const option = config.options[i]
      if (!isObject(option)) continue // reported by the structural check
      v.unknownKeys(option, KNOWN.option, child(op, i), subject, {}, `config.options[${i}].`)
      if (typeof option.id !== 'string' || option.id === '') continue
      if (optionIds.has(option.id)) {
        v.report.error(`${child(op, i)}/id`, `${subject}: duplicate option id ${quote(option.id)}`)
      }
      optionIds.add(option.id)
    }
  }
  const fallback = config.fallback
  if (typeof fallback === 'string' && fallback !== '') {
    const fp = `${path}/fallback`
    if (optionIds.size > 0 && !optionIds.has(fallback)) {
      v.report.warn(
        fp,
        `${subject}: fallback ${quote(fallback)} is not one of the options (${[...optionIds].map((id) => quote(id)).join(', ')})`,
      )
    }
    if (config.timeout === undefined) {
      v.report.warn(fp, `${subject}: fallback is only applied when config.timeout expires; set one`)
    }
  }
  if (typeof config.target_agent === 'string') {
    v.notInterpolated(config.target_agent, `${path}/target_agent`, subject, 'config.target_agent')
  }
  if (typeof config.timeout === 'string') {
    const tp = `${path}/timeout`
    const ms = v.duration(config.timeout, tp, subject, 'config.timeout', 'error')
    if (ms !== undefined && ctx.stepTimeoutMs !== undefined && ms > ctx.stepTimeoutMs) {
      v.report.warn(tp, `${subject}: the decision timeout is longer than the step timeout`)
    }
    if (ms !== undefined && v.workflowTimeoutMs !== undefined && ms > v.workflowTimeoutMs) {
      v.report.warn(tp, `${subject}: the decision timeout is longer than the workflow timeout`)
    }
  }
  const inject = config.data_inject
  if (isObject(inject)) {
    const ip = `${path}/data_inject`
    for (const key in inject) {
      if (!Object.hasOwn(inject, key)) continue
      const value = inject[key]
      if (typeof value !== 'string') continue // reported by the structural check
      const at = child(ip, key)
      if (value.includes('${{')) {
        v.freeValue(value, at, subject, 'config.data_inject', true, ctx.scope)
      } else {
        // A bare path is tried as ${{ value }} (spec §7.9); only steps.* can be checked statically.
        const bare = value.trim()
        if (bare.startsWith('steps.')) v.reference(bare, at, subject, ctx.scope.inLoop)
      }
    }
  }
}
