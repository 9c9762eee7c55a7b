/**
 * The validation pipeline (spec workflow.md §4–5, §15 A1/A15/A22–A24, decisions.md D8/D21): every
 * problem of a definition in one pass — structure, ids, types, per-type configs, durations,
 * dependencies, fallbacks, references, cycles — at every nesting level. The walk over nested steps
 * is iterative and bounded by LIMITS, so no input can overflow the stack or run long.
 *
 * Past ~500 lines on purpose: one walker whose step checks share one context (ids seen, scope,
 * timeouts, fallbacks). Split out: config-checks.ts (per type), values.ts (free JSON and
 * references), graph-checks.ts (cycles, fallback loops), shapes.ts (TypeBox structure).
 */
import type { Issue } from '../errors.ts'
import { checkCel, unwrapGuard } from '../expressions/index.ts'
import { parseDuration } from '../schema/duration.ts'
import {
  ErrorHandler,
  RetryPolicy,
  StepLimits,
  StepType,
  type WorkflowDefinition,
} from '../schema/workflow.ts'
import { checkConfig, type NestedList } from './config-checks.ts'
import { type CheckContext, isObject, type Obj, type Scope } from './context.ts'
import { checkFallbackLoops, checkGraph, type FallbackEdge } from './graph-checks.ts'
import { LIMITS } from './limits.ts'
import { readReference } from './references.ts'
import { child, quote, Report } from './report.ts'
import { describeValue, knownKeys, SHAPES, type Shape, shapeProblems } from './shapes.ts'
import { closest, suggestKey } from './suggest.ts'
import { walkValue } from './values.ts'

/** The part of an action registry validation needs. */
export interface ActionLookup {
  has(name: string): boolean
}

export interface ValidateOptions {
  /** When given, every action name is looked up (ACTION_UNAVAILABLE when missing). */
  actions?: ActionLookup
  /** Severity of an unknown action (default `error`; local `opcode validate` uses `warning`). */
  unknownActionSeverity?: 'error' | 'warning'
  /**
   * Compile check of one CEL expression: undefined when it compiles, else the reason. Applied to
   * step guards, condition expressions and loop `over`/`condition`. Default: the engine's CEL
   * compiler (src/expressions/cel.ts); `null` turns the check off.
   */
  checkCel?: ((expression: string) => string | undefined) | null
}

export type ValidationResult =
  | { ok: true; definition: WorkflowDefinition; warnings: Issue[] }
  | { ok: false; errors: Issue[]; warnings: Issue[] }

interface StepWork {
  value: unknown
  path: string
  scope: Scope
  /** Ids already used in the same list → path of their first use. */
  seen: Map<string, string>
}

const KNOWN = {
  workflow: knownKeys(SHAPES.workflow.schema),
  step: knownKeys(SHAPES.step.schema),
  retry: knownKeys(RetryPolicy),
  onError: knownKeys(ErrorHandler),
  limits: knownKeys(StepLimits),
}

const WORKFLOW_HINTS: Record<string, string> = {
  name: 'put it in metadata.name',
  description: 'put it in metadata.description',
  version: 'templates are versioned by opcode.define',
  context: 'the definition has no context block; pass data through inputs',
  triggers: 'triggers are an argument of opcode.define, beside the definition',
  input_schema: 'input_schema is an argument of opcode.define, beside the definition',
  output_schema: 'output_schema is an argument of opcode.define, beside the definition',
}

const STEP_HINTS: Record<string, string> = {
  name: 'the step id is its name; put notes in an unknown key only if you accept this warning',
  needs: 'use depends_on',
  after: 'use depends_on',
  with: 'use params',
  inputs: 'use params',
  input: 'use params',
}

const RESERVED_IDS = new Set(['__proto__'])
const STEP_TYPES: ReadonlySet<StepType> = new Set(StepType)

/** Validates a definition; see src/validation/index.ts. Never throws. */
export function runValidation(input: unknown, options: ValidateOptions): ValidationResult {
  const v = new Validator(options)
  try {
    v.run(input)
  } catch (err) {
    // A bug here must not take a caller (define, run, the CLI) down with it.
    v.report.error(
      '',
      `the validator failed on this definition: ${err instanceof Error ? err.message : String(err)}`,
      'INTERNAL_ERROR',
    )
  }
  const { errors, warnings } = v.report.finish()
  if (errors.length > 0) return { ok: false, errors, warnings }
  return { ok: true, definition: input as WorkflowDefinition, warnings }
}

export class Validator implements CheckContext {
  readonly report = new Report()
  readonly options: ValidateOptions
  /** Top-level ids → index of their first use. */
  readonly topIds = new Map<string, number>()
  /** Every id at every depth (for `${{steps.<id>…}}`). */
  private readonly allIds = new Set<string>()
  private readonly stepRefs: { path: string; subject: string; id: string; text: string }[] = []
  private readonly fallbackOf = new Map<string, FallbackEdge>()
  private stepCount = 0
  private tooMany = false
  workflowTimeoutMs: number | undefined

  constructor(options: ValidateOptions) {
    this.options = options
  }

  run(input: unknown): void {
    if (!isObject(input)) {
      this.report.error(
        '',
        `a workflow definition must be a JSON object with a "steps" array, got ${describeValue(input)}`,
      )
      return
    }
    this.workflowFields(input)
    const steps = input.steps
    // A stack: pushed in reverse, so steps are checked first, then on_complete, then on_error.
    const work: StepWork[] = []
    for (const hook of ['on_error', 'on_complete'] as const) {
      if (input[hook] === undefined) continue
      const scope: Scope = { kind: 'hook', depth: 0, inLoop: false }
      work.push({ value: input[hook], path: `/${hook}`, scope, seen: new Map() })
    }
    if (Array.isArray(steps)) {
      for (let i = 0; i < steps.length; i++) {
        const s = steps[i]
        if (isObject(s) && typeof s.id === 'string' && s.id !== '' && !this.topIds.has(s.id)) {
          this.topIds.set(s.id, i)
        }
      }
      const top: Scope = { kind: 'top', depth: 0, inLoop: false }
      this.pushList(work, steps, '/steps', top)
    }
    this.drain(work)
    if (this.tooMany) return
    for (const ref of this.stepRefs) {
      if (!this.allIds.has(ref.id)) {
        this.report.warn(
          ref.path,
          `${ref.subject}: "\${{${ref.text}}}" names step ${quote(ref.id)}, which is not in this workflow`,
        )
      }
    }
    if (Array.isArray(steps)) checkGraph(this.report, steps, this.topIds)
    checkFallbackLoops(this.report, this.fallbackOf)
  }

  // -------------------------------------------------------------------------------------------
  // Workflow level

  private workflowFields(wf: Obj): void {
    for (const p of shapeProblems(SHAPES.workflow, wf)) {
      if (p.path === '/steps') {
        this.report.error(
          '/steps',
          Array.isArray(wf.steps)
            ? 'workflow has no steps: "steps" needs at least one step'
            : `workflow has no steps: "steps" must be a non-empty array of steps, got ${describeValue(wf.steps)}`,
        )
      } else this.report.error(p.path, `workflow: ${p.field} ${p.message}`)
    }
    this.unknownKeys(wf, KNOWN.workflow, '', 'workflow', WORKFLOW_HINTS)
    if (typeof wf.timeout === 'string') {
      const ms = this.duration(wf.timeout, '/timeout', 'workflow', 'timeout', 'error')
      if (ms !== undefined) {
        this.workflowTimeoutMs = ms
        if (ms === 0) {
          this.report.warn('/timeout', 'workflow: timeout "0s" expires as soon as the run starts')
        }
      }
    }
    if (wf.inputs !== undefined) this.freeValue(wf.inputs, '/inputs', 'workflow', 'inputs', false)
    if (wf.metadata !== undefined) this.freeValue(wf.metadata, '/metadata', 'workflow', '', null)
  }

  // -------------------------------------------------------------------------------------------
  // The walk

  /** Queues the steps of a list (checked for duplicate ids among themselves). */
  pushList(work: StepWork[], list: unknown[], path: string, scope: Scope): void {
    const seen = new Map<string, string>()
    // Pushed in reverse so that the stack pops them in document order.
    for (let i = list.length - 1; i >= 0; i--) {
      work.push({ value: list[i], path: child(path, i), scope, seen })
    }
  }

  private drain(work: StepWork[]): void {
    while (work.length > 0) {
      const item = work.pop() as StepWork
      this.stepCount++
      if (this.stepCount > LIMITS.maxSteps) {
        this.tooMany = true
        this.report.error(
          item.path,
          `workflow has more than ${LIMITS.maxSteps} steps (nested ones included); split it into templates run by workflow.run`,
          'VALIDATION_ERROR',
          true,
        )
        return
      }
      const nested = this.step(item)
      if (nested === undefined) continue
      for (let i = nested.lists.length - 1; i >= 0; i--) {
        const list = nested.lists[i] as NestedList
        this.pushList(work, list.steps, list.path, nested.scope)
      }
    }
  }

  subjectOf(step: Obj, path: string): string {
    return typeof step.id === 'string' && step.id !== ''
      ? `step ${quote(step.id)}`
      : `step at ${path}`
  }

  /** Checks one step; returns its nested lists (to visit next) and their scope. */
  private step(item: StepWork): { lists: NestedList[]; scope: Scope } | undefined {
    const { value, path, scope } = item
    if (!isObject(value)) {
      this.report.error(path, `expected a step object, got ${describeValue(value)}`)
      return undefined
    }
    const subject = this.subjectOf(value, path)
    this.stepId(value, item, subject)
    this.structure(SHAPES.step, value, path, subject, (p) => p !== '/id')
    this.unknownKeys(value, KNOWN.step, path, subject, STEP_HINTS)
    const type = stepType(value.type)
    this.action(value, type, path, subject)
    this.params(value, type, path, subject, scope)
    this.dependsOn(value, path, subject, scope)
    this.guard(value, path, subject)
    const stepTimeoutMs = this.stepTimeout(value, path, subject)
    this.retry(value.retry, `${path}/retry`, subject)
    this.onError(value, path, subject, scope)
    if (isObject(value.limits)) {
      const limits = value.limits
      this.unknownKeys(limits, KNOWN.limits, `${path}/limits`, subject, {}, 'limits.')
      if (typeof limits.timeout === 'string') {
        const lp = `${path}/limits/timeout`
        this.duration(limits.timeout, lp, subject, 'limits.timeout', 'error')
      }
    }
    if (type === undefined) return undefined
    if (type === 'action') {
      if (value.config !== undefined) {
        this.report.warn(`${path}/config`, `${subject}: config is not used by action steps`)
      }
      return undefined
    }
    const configPath = `${path}/config`
    if (!isObject(value.config)) {
      this.report.error(
        configPath,
        value.config === undefined
          ? `${subject}: ${type} steps need a "config" object`
          : `${subject}: config must be an object, got ${describeValue(value.config)}`,
      )
      return undefined
    }
    const lists = checkConfig(this, type, value.config, configPath, subject, {
      stepTimeoutMs,
      scope,
    })
    if (lists.length === 0) return undefined
    if (scope.depth + 1 > LIMITS.maxNesting) {
      this.report.error(
        path,
        `${subject}: nested more than ${LIMITS.maxNesting} levels deep (loop, condition and parallel bodies inside each other); flatten it or move the inner part to a template run by workflow.run`,
      )
      return undefined
    }
    const inner: Scope = {
      kind: 'nested',
      depth: scope.depth + 1,
      inLoop: scope.inLoop || type === 'loop',
    }
    return { lists, scope: inner }
  }

  private stepId(step: Obj, item: StepWork, subject: string): void {
    const idPath = `${item.path}/id`
    const id = step.id
    if (typeof id !== 'string') {
      this.report.error(
        id === undefined ? item.path : idPath,
        id === undefined
          ? `${subject} has no id: every step needs a non-empty "id"`
          : `${subject}: id must be a string, got ${describeValue(id)}`,
      )
      return
    }
    if (id === '') {
      this.report.error(idPath, `step at ${item.path} has an empty id`)
      return
    }
    if (RESERVED_IDS.has(id)) {
      this.report.error(idPath, `step id ${quote(id)} is reserved; choose another id`)
    }
    if (id.length > LIMITS.maxIdLength) {
      this.report.error(
        idPath,
        `step id is ${id.length} characters long; the limit is ${LIMITS.maxIdLength}`,
      )
    }
    if (id.includes('.')) {
      this.report.warn(
        idPath,
        `${subject}: dots in ids break \${{steps.<id>.output}} references and read like nested step keys; use "-" or "_"`,
      )
    }
    const first = item.seen.get(id)
    if (first !== undefined) {
      this.report.error(idPath, `duplicate step id ${quote(id)} (first used at ${first})`)
    } else item.seen.set(id, item.path)
    this.allIds.add(id)
  }

  private action(step: Obj, type: StepType | undefined, path: string, subject: string): void {
    const name = step.action
    const at = `${path}/action`
    if (type !== 'action') {
      if (name !== undefined && type !== undefined) {
        this.report.warn(at, `${subject}: "action" is not used by ${type} steps`)
      }
      return
    }
    if (name === undefined || name === '') {
      this.report.error(
        name === undefined ? path : at,
        `${subject}: action steps need an "action" name, e.g. "http.get"`,
      )
      return
    }
    if (typeof name !== 'string') return // reported by the structural check
    this.notInterpolated(name, at, subject, 'action')
    const registry = this.options.actions
    if (registry !== undefined && !registry.has(name)) {
      const severity = this.options.unknownActionSeverity ?? 'error'
      const more = severity === 'warning' ? '; the run fails unless a plugin provides it' : ''
      this.report.add(
        severity,
        at,
        `${subject}: unknown action ${quote(name)}${more}`,
        'ACTION_UNAVAILABLE',
      )
    }
  }

  private params(
    step: Obj,
    type: StepType | undefined,
    path: string,
    subject: string,
    scope: Scope,
  ): void {
    const params = step.params
    if (params === undefined) return
    const at = `${path}/params`
    if (type !== 'action') {
      if (type !== undefined) {
        this.report.warn(at, `${subject}: params are only used by action steps`)
      }
      this.freeValue(params, at, subject, 'params', null)
      return
    }
    const whole = typeof params === 'string' && params.includes('${{')
    if (params !== null && !isObject(params) && !whole) {
      this.report.error(at, `${subject}: params must be an object, got ${describeValue(params)}`)
      return
    }
    this.freeValue(params, at, subject, 'params', true, scope)
  }

  private dependsOn(step: Obj, path: string, subject: string, scope: Scope): void {
    const deps = step.depends_on
    if (!Array.isArray(deps) || deps.length === 0) return
    const at = `${path}/depends_on`
    if (scope.kind === 'hook') {
      this.report.warn(
        at,
        `${subject}: hooks run once the workflow has ended; depends_on is ignored`,
      )
      return
    }
    if (scope.kind === 'nested') {
      this.report.warn(
        at,
        `${subject}: depends_on is ignored inside bodies and branches; their steps run in array order`,
      )
      return
    }
    const seen = new Set<string>()
    for (let j = 0; j < deps.length; j++) {
      const dep = deps[j]
      if (typeof dep !== 'string') continue // reported by the structural check
      const dp = child(at, j)
      if (dep === step.id) {
        this.report.error(dp, `${subject} depends on itself`, 'CYCLE_DETECTED')
      } else if (seen.has(dep)) {
        this.report.error(dp, `${subject} lists ${quote(dep)} twice in depends_on`)
      } else if (!this.topIds.has(dep)) {
        this.report.error(
          dp,
          `${subject} depends on unknown step ${quote(dep)}${this.didYouMean(dep)}`,
        )
      }
      seen.add(dep)
      this.notInterpolated(dep, dp, subject, 'depends_on')
    }
  }

  private didYouMean(id: string): string {
    // Bounded: a typo hint is not worth a quadratic pass over thousands of ids.
    if (this.topIds.size > 2000) return ''
    const best = closest(id, this.topIds.keys())
    return best === undefined ? '' : `; did you mean ${quote(best)}?`
  }

  /** The step guard `condition` (A1): CEL, optionally wrapped as `${{ expr }}`; blank = none. */
  private guard(step: Obj, path: string, subject: string): void {
    const guard = step.condition
    if (typeof guard !== 'string') return
    const at = `${path}/condition`
    if (guard.trim() === '') {
      this.report.warn(at, `${subject}: condition is blank and is ignored`)
      return
    }
    const expression = unwrapGuard(guard)
    if (expression === '') {
      this.report.error(
        at,
        `${subject}: condition ${quote(guard)} has no expression inside "\${{ }}"`,
      )
      return
    }
    this.cel(expression, at, subject, 'condition')
  }

  private stepTimeout(step: Obj, path: string, subject: string): number | undefined {
    if (typeof step.timeout !== 'string') return undefined
    const at = `${path}/timeout`
    const ms = durationMs(step.timeout)
    if (ms === undefined && step.timeout.includes('${{')) {
      this.report.warn(
        at,
        `${subject}: timeout is not interpolated, so ${quote(step.timeout)} is ignored: the step has no deadline`,
      )
      return undefined
    }
    if (ms === undefined) {
      // decisions.md D21: ignored at run time, as in the reference.
      this.report.warn(
        at,
        `${subject}: timeout ${quote(step.timeout)} is not a duration (e.g. "30s", "5m", "1h30m") and is ignored: the step has no deadline`,
      )
      return undefined
    }
    if (ms <= 0) {
      this.report.warn(
        at,
        `${subject}: timeout ${quote(step.timeout)} is not positive: the step has no deadline`,
      )
      return undefined
    }
    return ms
  }

  private retry(retry: unknown, at: string, subject: string): void {
    if (!isObject(retry)) return
    this.unknownKeys(retry, KNOWN.retry, at, subject, {}, 'retry.')
    if (typeof retry.max === 'number' && Number.isInteger(retry.max) && retry.max > 10) {
      this.report.warn(
        `${at}/max`,
        `${subject}: retry.max is ${retry.max}; more than 10 retries rarely helps and delays the failure`,
      )
    }
    let delay: number | undefined
    let maxDelay: number | undefined
    if (typeof retry.delay === 'string') {
      delay = this.duration(retry.delay, `${at}/delay`, subject, 'retry.delay', 'error')
    }
    if (typeof retry.max_delay === 'string') {
      const mp = `${at}/max_delay`
      maxDelay = this.duration(retry.max_delay, mp, subject, 'retry.max_delay', 'error')
    }
    if (delay !== undefined && maxDelay !== undefined && maxDelay < delay) {
      this.report.warn(
        `${at}/max_delay`,
        `${subject}: retry.max_delay is shorter than retry.delay, so every retry waits max_delay`,
      )
    }
  }

  private onError(step: Obj, path: string, subject: string, scope: Scope): void {
    const handler = step.on_error
    if (!isObject(handler)) return
    const at = `${path}/on_error`
    this.unknownKeys(handler, KNOWN.onError, at, subject, {}, 'on_error.')
    const target = handler.fallback_step
    const fp = `${at}/fallback_step`
    if (handler.strategy !== 'fallback_step') {
      if (target !== undefined && typeof handler.strategy === 'string') {
        this.report.warn(fp, `${subject}: fallback_step is only used with strategy "fallback_step"`)
      }
      return
    }
    if (target === undefined || target === '') {
      this.report.error(
        target === undefined ? at : fp,
        `${subject}: strategy "fallback_step" needs on_error.fallback_step, the id of a top-level step`,
      )
      return
    }
    if (typeof target !== 'string') return // reported by the structural check
    if (!this.topIds.has(target)) {
      this.report.error(
        fp,
        `${subject}: fallback step ${quote(target)} is not a top-level step${this.didYouMean(target)}`,
      )
      return
    }
    if (scope.kind === 'top' && typeof step.id === 'string') {
      if (target === step.id) {
        this.report.error(fp, `${subject} cannot be its own fallback step`)
        return
      }
      if (!this.fallbackOf.has(step.id)) this.fallbackOf.set(step.id, { target, path: fp })
    }
  }

  // -------------------------------------------------------------------------------------------
  // Shared helpers (also used by config-checks.ts)

  /** Structural problems of `value` against `shape`, reported under `path`. */
  structure(
    shape: Shape,
    value: unknown,
    path: string,
    subject: string,
    keep: (relativePath: string) => boolean = () => true,
    fieldPrefix = '',
  ): void {
    for (const p of shapeProblems(shape, value)) {
      if (!keep(p.path)) continue
      this.report.error(path + p.path, `${subject}: ${fieldPrefix}${p.field} ${p.message}`)
    }
  }

  /** Unknown keys are kept and reported as warnings (decisions.md D8). */
  unknownKeys(
    value: Obj,
    known: ReadonlySet<string>,
    path: string,
    subject: string,
    hints: Record<string, string>,
    fieldPrefix = '',
  ): void {
    for (const key in value) {
      if (!Object.hasOwn(value, key) || known.has(key)) continue
      const hint = Object.hasOwn(hints, key) ? hints[key] : suggestKey(key, known)
      this.report.warn(
        child(path, key),
        `${subject}: unknown key ${quote(`${fieldPrefix}${key}`)} is kept but not used${hint ? ` (${hint})` : ''}`,
      )
      this.freeValue(value[key], child(path, key), subject, '', null)
    }
  }

  /** Milliseconds of a duration field; reports text that is not a Go duration, or a negative one. */
  duration(
    text: string,
    at: string,
    subject: string,
    field: string,
    severity: 'error' | 'warning',
  ): number | undefined {
    const ms = durationMs(text)
    if (ms === undefined && text.includes('${{')) {
      this.report.add(
        severity,
        at,
        `${subject}: ${field} is not interpolated, so ${quote(text)} is not a duration; write one such as "30s"`,
        'VALIDATION_ERROR',
      )
      return undefined
    }
    if (ms === undefined) {
      this.report.add(
        severity,
        at,
        `${subject}: invalid ${field} ${quote(text)}: expected a duration such as "500ms", "30s", "5m" or "1h30m"`,
        'VALIDATION_ERROR',
      )
      return undefined
    }
    if (ms < 0) {
      this.report.add(
        severity,
        at,
        `${subject}: ${field} ${quote(text)} must not be negative`,
        'VALIDATION_ERROR',
      )
      return undefined
    }
    return ms
  }

  /** A CEL field: compiled when a checker is available; `${{…}}` there is a common mistake. */
  cel(expression: string, at: string, subject: string, field: string): void {
    const check = this.options.checkCel === undefined ? compileProblem : this.options.checkCel
    const templated = expression.includes('${{')
    const hint = `${field} is a CEL expression, not a template: write steps.<id>.<field> without "\${{ }}" and without ".output"`
    const problem = check === null || expression.trim() === '' ? undefined : check(expression)
    if (problem !== undefined) {
      this.report.error(
        at,
        `${subject}: ${templated ? `${hint} (${problem})` : `${field}: ${problem}`}`,
      )
    } else if (templated) {
      this.report.warn(at, `${subject}: ${hint}`)
    }
  }

  /** A plain string field that is never interpolated. */
  notInterpolated(text: string, at: string, subject: string, field: string): void {
    if (!text.includes('${{')) return
    this.report.warn(
      at,
      `${subject}: ${field} is not interpolated, so "\${{…}}" stays literal text; only action params and reasoning data_inject are interpolated`,
    )
  }

  /** See walkValue (values.ts). */
  freeValue(
    value: unknown,
    at: string,
    subject: string,
    field: string,
    interpolated: boolean | null,
    scope?: Scope,
  ): void {
    walkValue(this, value, at, subject, field, interpolated, scope?.inLoop ?? false)
  }

  /** One reference expression (inside `${{ }}`, or a bare data_inject path). */
  reference(expression: string, at: string, subject: string, inLoop: boolean): void {
    const facts = readReference(expression, inLoop)
    if (facts.warning !== undefined) this.report.warn(at, `${subject}: ${facts.warning}`)
    else if (facts.stepId !== undefined) this.stepRef(facts.stepId, expression, at, subject)
  }

  stepRef(id: string, text: string, at: string, subject: string): void {
    this.stepRefs.push({ path: at, subject, id, text })
  }
}

/** The step type, `action` when absent or empty; undefined when it is not a known type. */
function stepType(value: unknown): StepType | undefined {
  if (value === undefined || value === '') return 'action'
  return STEP_TYPES.has(value as StepType) ? (value as StepType) : undefined
}

const durations = new Map<string, number | undefined>()

/** parseDuration, memoised: definitions repeat the same few texts ("30s", "500ms"). */
function durationMs(text: string): number | undefined {
  if (text.length > 32) return parseDuration(text)
  if (durations.has(text)) return durations.get(text)
  const ms = parseDuration(text)
  if (durations.size >= 1_000) durations.clear()
  durations.set(text, ms)
  return ms
}

function compileProblem(expression: string): string | undefined {
  const result = checkCel(expression)
  return result.ok ? undefined : result.message
}
