/**
 * The load-time checks a diagram needs (spec workflow.md §4, the engine's DAG parse): a definition
 * the engine would refuse is refused here with the same codes. Levels come from engine/dag.ts.
 * TODO(#8): use src/validation's checker once it exists, so both report identical issues.
 */
import { computeLevels } from '../engine/dag.ts'
import { AppError, type Issue } from '../errors.ts'
import { StepType, type WorkflowDefinition } from '../schema/workflow.ts'

const TYPES: ReadonlySet<string> = new Set(StepType)

/** Returns the DAG levels of the top-level steps, or throws VALIDATION_ERROR / CYCLE_DETECTED. */
export function checkDefinition(definition: WorkflowDefinition): string[][] {
  const issues: Issue[] = []
  const add = (path: string, message: string, code = 'VALIDATION_ERROR') =>
    issues.push({ path, code, message, severity: 'error' })
  const def = definition as unknown
  if (typeof def !== 'object' || def === null || Array.isArray(def)) {
    add('/', 'workflow definition must be a JSON object with a steps array')
    throw fail(issues)
  }
  const steps = (def as { steps?: unknown }).steps
  if (!Array.isArray(steps)) {
    add('/steps', 'workflow definition needs a steps array')
    throw fail(issues)
  }
  if (steps.length === 0) {
    add('/steps', 'workflow has no steps')
    throw fail(issues)
  }
  const seen = new Set<string>()
  steps.forEach((step: unknown, i) => {
    if (typeof step !== 'object' || step === null || Array.isArray(step)) {
      add(`/steps/${i}`, `step at index ${i} must be an object`)
      return
    }
    const s = step as Record<string, unknown>
    if (typeof s.id !== 'string' || s.id === '') {
      add(`/steps/${i}/id`, `step at index ${i} has no id`)
      return
    }
    if (seen.has(s.id)) add(`/steps/${i}/id`, `duplicate step ID: ${s.id}`)
    seen.add(s.id)
    if (s.type !== undefined && s.type !== '' && (typeof s.type !== 'string' || !TYPES.has(s.type)))
      add(
        `/steps/${i}/type`,
        `step ${s.id}: unknown type ${JSON.stringify(s.type)} (expected one of ${StepType.join(', ')})`,
      )
    if (s.depends_on === undefined) return
    if (!Array.isArray(s.depends_on) || s.depends_on.some((d) => typeof d !== 'string')) {
      add(`/steps/${i}/depends_on`, `step ${s.id}: depends_on must be an array of step ids`)
      return
    }
    const deps = new Set<string>()
    s.depends_on.forEach((dep: string, j) => {
      if (deps.has(dep))
        add(`/steps/${i}/depends_on/${j}`, `step ${s.id} lists ${dep} twice in depends_on`)
      deps.add(dep)
    })
  })
  steps.forEach((step: { id?: unknown; depends_on?: unknown }, i) => {
    if (!Array.isArray(step?.depends_on)) return
    step.depends_on.forEach((dep: unknown, j) => {
      if (typeof dep !== 'string') return
      if (dep === step.id)
        add(`/steps/${i}/depends_on/${j}`, `step ${dep} depends on itself`, 'CYCLE_DETECTED')
      else if (!seen.has(dep))
        add(`/steps/${i}/depends_on/${j}`, `step ${String(step.id)} depends on unknown step ${dep}`)
    })
  })
  if (issues.length > 0) throw fail(issues)
  try {
    return computeLevels(definition.steps)
  } catch (err) {
    if (err instanceof AppError && err.code === 'CYCLE_DETECTED')
      throw new AppError('CYCLE_DETECTED', err.message, {
        issues: [
          { path: '/steps', code: 'CYCLE_DETECTED', message: err.message, severity: 'error' },
        ],
      })
    throw err
  }
}

function fail(issues: Issue[]): AppError {
  const first = issues[0] as Issue
  if (issues.length === 1)
    return new AppError(
      first.code === 'CYCLE_DETECTED' ? 'CYCLE_DETECTED' : 'VALIDATION_ERROR',
      first.message,
      { issues },
    )
  return new AppError('VALIDATION_ERROR', `validation failed with ${issues.length} errors`, {
    issues,
  })
}
