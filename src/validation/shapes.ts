/**
 * Structural checks of one level of a definition against the TypeBox schemas of
 * src/schema/workflow.ts. The schemas are made shallow here (nested step lists become arrays of
 * unknown) so that each step is checked once by the validator's own iterative walk, never by a
 * recursive schema walk. Checkers are compiled once, at module load.
 */
import { Kind, type TObject, type TSchema, Type } from '@sinclair/typebox'
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler'
import { type ValueError, ValueErrorType } from '@sinclair/typebox/errors'
import {
  ConditionConfig,
  LoopConfig,
  ParallelConfig,
  ReasoningConfig,
  Step,
  StepType,
  WaitConfig,
  WorkflowDefinition,
} from '../schema/workflow.ts'

const UnknownList = Type.Array(Type.Unknown())

/** A step without recursion; an empty `type` means `action` (spec §4). */
export const StepShape = Type.Object({
  ...Step.properties,
  type: Type.Optional(Type.Union([...StepType.map((s) => Type.Literal(s)), Type.Literal('')])),
})

export const WorkflowShape = Type.Object({
  ...WorkflowDefinition.properties,
  steps: Type.Array(Type.Unknown(), { minItems: 1 }),
  on_complete: Type.Optional(Type.Unknown()),
  on_error: Type.Optional(Type.Unknown()),
})

export const ConfigShapes = {
  loop: Type.Object({ ...LoopConfig.properties, body: UnknownList }),
  condition: Type.Object({
    ...ConditionConfig.properties,
    branches: Type.Optional(Type.Record(Type.String(), UnknownList)),
    default: Type.Optional(UnknownList),
  }),
  parallel: Type.Object({ ...ParallelConfig.properties, branches: Type.Array(UnknownList) }),
  wait: WaitConfig,
  reasoning: ReasoningConfig,
} as const satisfies Record<string, TObject>

export interface Shape {
  schema: TObject
  check: TypeCheck<TObject>
}

function shape(schema: TObject): Shape {
  return { schema, check: TypeCompiler.Compile(schema) }
}

export const SHAPES = {
  workflow: shape(WorkflowShape),
  step: shape(StepShape),
  loop: shape(ConfigShapes.loop),
  condition: shape(ConfigShapes.condition),
  parallel: shape(ConfigShapes.parallel),
  wait: shape(ConfigShapes.wait),
  reasoning: shape(ConfigShapes.reasoning),
} as const

/** A structural problem: `path` is relative to the checked object (`/retry/max`), `field` reads `retry.max`. */
export interface ShapeProblem {
  path: string
  field: string
  message: string
}

/** Problems of `value` against `shape`, one per location, in schema order. Empty when it fits. */
export function shapeProblems(shape: Shape, value: unknown): ShapeProblem[] {
  if (shape.check.Check(value)) return []
  const out: ShapeProblem[] = []
  const seen = new Set<string>()
  for (const e of shape.check.Errors(value)) {
    if (seen.has(e.path)) continue
    seen.add(e.path)
    out.push({ path: e.path, field: fieldName(e.path), message: describeError(e) })
  }
  return out
}

/** `/retry/max` → `retry.max`, `/options/0/id` → `options[0].id`. */
export function fieldName(path: string): string {
  let out = ''
  for (const raw of path.split('/').slice(1)) {
    const seg = raw.replaceAll('~1', '/').replaceAll('~0', '~')
    if (/^\d+$/.test(seg)) out += `[${seg}]`
    else out += out === '' ? seg : `.${seg}`
  }
  return out
}

/** A short description of a JSON value's type for messages: `a number (3)`, `an array`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  switch (typeof value) {
    case 'string':
      return `a string (${clip(JSON.stringify(value))})`
    case 'number':
    case 'boolean':
      return `${typeof value === 'number' ? 'a number' : 'a boolean'} (${String(value)})`
    case 'object':
      return 'an object'
    case 'undefined':
      return 'nothing'
    default:
      return `a ${typeof value}`
  }
}

function clip(text: string, max = 60): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`
}

function literals(schema: TSchema): unknown[] | undefined {
  const anyOf = (schema as { anyOf?: TSchema[] }).anyOf
  if (!Array.isArray(anyOf)) return undefined
  const out: unknown[] = []
  for (const s of anyOf) {
    if (s[Kind] !== 'Literal') return undefined
    out.push((s as unknown as { const: unknown }).const)
  }
  return out
}

function describeError(e: ValueError): string {
  const s = e.schema as Record<string, unknown>
  switch (e.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return 'is required'
    case ValueErrorType.String:
      return `must be a string, got ${describeValue(e.value)}`
    case ValueErrorType.Integer:
      return `must be an integer, got ${describeValue(e.value)}`
    case ValueErrorType.Number:
      return `must be a number, got ${describeValue(e.value)}`
    case ValueErrorType.Boolean:
      return `must be true or false, got ${describeValue(e.value)}`
    case ValueErrorType.Object:
      return `must be an object, got ${describeValue(e.value)}`
    case ValueErrorType.Array:
      return `must be an array, got ${describeValue(e.value)}`
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.NumberMinimum:
      return `must be ≥ ${String(s.minimum)}, got ${String(e.value)}`
    case ValueErrorType.StringMinLength:
      return s.minLength === 1
        ? 'must not be empty'
        : `needs at least ${String(s.minLength)} characters`
    case ValueErrorType.ArrayMinItems:
      return s.minItems === 1 ? 'must not be empty' : `needs at least ${String(s.minItems)} items`
    case ValueErrorType.Union: {
      const allowed = literals(e.schema)
      if (allowed !== undefined) {
        const list = allowed.filter((v) => v !== '').map((v) => JSON.stringify(v))
        return typeof e.value === 'string'
          ? `${clip(JSON.stringify(e.value))} is not one of ${list.join(', ')}`
          : `must be one of ${list.join(', ')}, got ${describeValue(e.value)}`
      }
      return `has an unexpected type: ${describeValue(e.value)}`
    }
    default:
      return e.message
  }
}

/** The known keys of an object schema (its `properties`). */
export function knownKeys(schema: TObject): ReadonlySet<string> {
  return new Set(Object.keys(schema.properties))
}
