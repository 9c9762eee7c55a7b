/**
 * What running a stored template needs, cached per immutable template version: the definition
 * checked by the validator once, and the compiled `input_schema` (decisions.md D19: the schema
 * validates definition `inputs` defaults merged under the run params).
 */
import type { ValidateFunction } from 'ajv/dist/2020'
import { ajvProblems, compileJsonSchema } from '../actions/registry.ts'
import type { ActionRegistry } from '../engine/ports.ts'
import { AppError, type Issue } from '../errors.ts'
import type { WorkflowDefinition } from '../schema/workflow.ts'
import type { SqliteStore, TemplateDbRow } from '../store/sqlite.ts'
import { toValidationError, validateDefinition } from '../validation/index.ts'

export interface RunnableTemplate {
  name: string
  version: string
  definition: WorkflowDefinition
  /** Undefined when the template has no input_schema. */
  validateInputs?: ValidateFunction
}

const cache = new WeakMap<SqliteStore, Map<string, RunnableTemplate>>()

/** Resolves a template (latest when `version` is absent) ready to run, or throws. */
export function runnableTemplate(
  store: SqliteStore,
  actions: ActionRegistry,
  name: string,
  version: string | undefined,
): RunnableTemplate {
  const row = store.templateDbRow(name, version)
  if (row === undefined) {
    const label = version === undefined || version === '' ? name : `${name}:${version}`
    throw new AppError('NOT_FOUND', `template "${label}" not found`, {
      details: { template_name: name, version: version ?? null },
    })
  }
  let byStore = cache.get(store)
  if (byStore === undefined) {
    byStore = new Map()
    cache.set(store, byStore)
  }
  const key = `${row.name}\u0000${row.version}`
  const hit = byStore.get(key)
  if (hit !== undefined) return hit
  const built = build(store, actions, row)
  byStore.set(key, built)
  return built
}

function build(store: SqliteStore, actions: ActionRegistry, row: TemplateDbRow): RunnableTemplate {
  const definition = store.definitionOf(row)
  // Templates stored before validation existed (or by the reference) are checked before their first run.
  const checked = validateDefinition(definition, { actions: lookup(actions) })
  if (!checked.ok) {
    const err = toValidationError(checked)
    throw new AppError(
      'VALIDATION_ERROR',
      `template "${row.name}:${row.version}" is not a valid workflow: ${err.message}`,
      { issues: err.issues ?? [], details: err.details },
    )
  }
  const out: RunnableTemplate = {
    name: row.name,
    version: row.version,
    definition: checked.definition,
  }
  if (row.input_schema !== null) {
    const schema = JSON.parse(row.input_schema) as unknown
    if (schema !== null && typeof schema === 'object') {
      out.validateInputs = compileInputSchema(schema as object)
    }
  }
  return out
}

/** Compiles an input_schema, or throws VALIDATION_ERROR pointing at `/input_schema`. */
export function compileInputSchema(schema: object): ValidateFunction {
  try {
    return compileJsonSchema(schema)
  } catch (err) {
    throw new AppError(
      'VALIDATION_ERROR',
      `input_schema is not a valid JSON Schema: ${(err as Error).message}`,
      {
        issues: [
          {
            path: '/input_schema',
            code: 'VALIDATION_ERROR',
            message: `not a valid JSON Schema: ${(err as Error).message}`,
            severity: 'error',
          },
        ],
      },
    )
  }
}

/** Checks run inputs against the template's input_schema; throws VALIDATION_ERROR listing problems. */
export function checkInputs(t: RunnableTemplate, inputs: Record<string, unknown>): void {
  const validate = t.validateInputs
  if (validate === undefined || validate(inputs)) return
  const problems = ajvProblems(validate.errors).map((p) => ({
    path: `/params${p.path}`,
    message: p.message,
  }))
  const first = problems[0]
  const where = first === undefined ? '' : `${first.path === '/params' ? 'params' : first.path}: `
  throw new AppError(
    'VALIDATION_ERROR',
    `params do not match the input_schema of "${t.name}:${t.version}": ${where}${first?.message ?? 'invalid'}`,
    { details: { problems } },
  )
}

export function lookup(actions: ActionRegistry): { has(name: string): boolean } {
  return { has: (name) => actions.get(name) !== undefined }
}

export type { Issue }
