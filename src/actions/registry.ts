/**
 * The action registry (spec actions.md §0.1) and parameter validation (recommendation §9.1, A19).
 * Params are checked against each action's schema: TypeBox schemas through a compiled checker,
 * plain JSON Schemas (plugin tools) through Ajv. Unknown params are warnings, never errors, so
 * workflow files written for the reference keep loading (decisions.md D8).
 */
import { Kind, type TSchema } from '@sinclair/typebox'
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler'
import { type ValueError, ValueErrorType } from '@sinclair/typebox/errors'
import Ajv from 'ajv'
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020'
import addFormats from 'ajv-formats'
import type { Action, ActionRegistry } from '../engine/ports.ts'
import { AppError, type Issue } from '../errors.ts'

export interface ActionInfo {
  name: string
  description: string
  pure: boolean
}

export interface MutableActionRegistry extends ActionRegistry {
  /** Adds an action; CONFLICT when the name is taken, VALIDATION_ERROR for an empty name or a bad schema. */
  register(action: Action): void
  /** Removes an action by name (no-op when absent). */
  unregister(name: string): void
  /** Every action, sorted by name. */
  list(): ActionInfo[]
}

/** A registry holding `actions` (duplicates → CONFLICT). */
export function createActionRegistry(actions: Action[] = []): MutableActionRegistry {
  const byName = new Map<string, Action>()
  const registry: MutableActionRegistry = {
    get: (name) => byName.get(name),
    check: (action, params) => paramIssues(action, params),
    names: () => [...byName.keys()].sort(),
    register(action) {
      if (action === undefined || action === null || typeof action !== 'object') {
        throw new AppError('VALIDATION_ERROR', 'cannot register a missing action')
      }
      if (typeof action.name !== 'string' || action.name.trim() === '') {
        throw new AppError('VALIDATION_ERROR', 'action name must be a non-empty string')
      }
      if (byName.has(action.name)) {
        throw new AppError('CONFLICT', `action "${action.name}" is already registered`, {
          details: { action: action.name },
        })
      }
      validatorFor(action.params, action.name) // compile now: a broken schema fails here, not mid-run
      byName.set(action.name, action)
    },
    unregister(name) {
      byName.delete(name)
    },
    list: () =>
      [...byName.values()]
        .map((a) => ({ name: a.name, description: a.description, pure: a.pure }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
  }
  for (const action of actions) registry.register(action)
  return registry
}

/** Problems of `params` against the action's schema; paths are JSON pointers relative to params. */
export function paramIssues(action: Pick<Action, 'name' | 'params'>, params: unknown): Issue[] {
  if (params === null || typeof params !== 'object' || Array.isArray(params)) {
    return [issue('', `params must be an object, got ${typeName(params)}`)]
  }
  return validatorFor(action.params, action.name)(params as Record<string, unknown>)
}

/**
 * Throws VALIDATION_ERROR `<action>: <problems>` (issues in `issues`) when `params` has an
 * error-level problem. Actions call it first, so they are safe even when called directly.
 */
export function assertParams(action: Pick<Action, 'name' | 'params'>, params: unknown): void {
  const errors = paramIssues(action, params).filter((i) => i.severity === 'error')
  if (errors.length === 0) return
  throw new AppError(
    'VALIDATION_ERROR',
    `${action.name}: ${errors.map((i) => i.message).join('; ')}`,
    {
      issues: errors,
    },
  )
}

// ---------------------------------------------------------------------------------------------
// Validators, compiled once per schema object

type Validator = (params: Record<string, unknown>) => Issue[]
const validators = new WeakMap<object, Validator>()

function validatorFor(schema: Action['params'], actionName: string): Validator {
  if (schema === null || typeof schema !== 'object') {
    throw new AppError(
      'VALIDATION_ERROR',
      `action "${actionName}": params schema must be an object`,
    )
  }
  let v = validators.get(schema)
  if (v === undefined) {
    v =
      Kind in schema ? typeboxValidator(schema as TSchema) : jsonSchemaValidator(schema, actionName)
    validators.set(schema, v)
  }
  return v
}

const NO_ISSUES: Issue[] = []

function typeboxValidator(schema: TSchema): Validator {
  const checker: TypeCheck<TSchema> = TypeCompiler.Compile(schema)
  const required = (schema.required as string[] | undefined) ?? []
  return (params) => {
    // Hot path: empty params against a schema that requires nothing cannot have a problem.
    if (required.length === 0 && isEmpty(params) && checker.Check(params)) return NO_ISSUES
    const out: Issue[] = []
    const seen = new Set<string>()
    const add = (i: Issue) => {
      if (seen.has(i.path)) return
      seen.add(i.path)
      out.push(i)
    }
    // TypeBox lets a required `Unknown` property be absent; the schema says it is required.
    walkObject(schema, params, '', add)
    if (!checker.Check(params)) {
      for (const e of checker.Errors(params)) add(typeboxIssue(e))
    }
    return out.sort(byPath)
  }
}

function isEmpty(o: Record<string, unknown>): boolean {
  for (const k in o) if (Object.hasOwn(o, k)) return false
  return true
}

/** Missing required keys (errors) and unknown keys (warnings), recursively through nested objects. */
function walkObject(schema: TSchema, value: unknown, path: string, add: (i: Issue) => void): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return
  const props = schema.properties as Record<string, TSchema> | undefined
  if (schema.type !== 'object' || props === undefined) return
  const obj = value as Record<string, unknown>
  for (const key of (schema.required as string[] | undefined) ?? []) {
    if (!Object.hasOwn(obj, key) || obj[key] === undefined) {
      const p = `${path}/${escapePointer(key)}`
      add(issue(p, `missing required param '${paramName(p)}'`))
    }
  }
  for (const [key, val] of Object.entries(obj)) {
    const sub = props[key]
    const p = `${path}/${escapePointer(key)}`
    if (sub === undefined) {
      if (schema.additionalProperties === undefined) {
        add(issue(p, `unknown param '${paramName(p)}' is ignored`, 'warning', 'UNKNOWN_PARAM'))
      }
    } else {
      walkObject(sub, val, p, add)
    }
  }
}

function typeboxIssue(e: ValueError): Issue {
  const name = paramName(e.path)
  switch (e.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return issue(e.path, `missing required param '${name}'`)
    case ValueErrorType.Boolean:
    case ValueErrorType.Integer:
    case ValueErrorType.Number:
    case ValueErrorType.String:
    case ValueErrorType.Object:
    case ValueErrorType.Array:
    case ValueErrorType.Null:
    case ValueErrorType.Literal:
    case ValueErrorType.Union:
      return issue(
        e.path,
        `param '${name}' must be ${describe(e.schema)}, got ${typeName(e.value)}`,
      )
    default:
      return issue(e.path, `param '${name}': ${lowerFirst(e.message)}`)
  }
}

/** What a schema accepts, in words: `a string`, `one of 'a', 'b'`, `an integer or a string`. */
function describe(schema: TSchema): string {
  if (schema.const !== undefined) return JSON.stringify(schema.const)
  const members = (schema.anyOf ?? schema.oneOf) as TSchema[] | undefined
  if (members !== undefined) {
    if (members.every((m) => m.const !== undefined)) {
      return `one of ${members.map((m) => JSON.stringify(m.const)).join(', ')}`
    }
    return members.map(describe).join(' or ')
  }
  switch (schema.type) {
    case 'string':
      return 'a string'
    case 'integer':
      return 'an integer'
    case 'number':
      return 'a number'
    case 'boolean':
      return 'a boolean'
    case 'object':
      return 'an object'
    case 'array':
      return 'an array'
    case 'null':
      return 'null'
    default:
      return 'a valid value'
  }
}

// ---------------------------------------------------------------------------------------------
// Plain JSON Schemas (plugin tools) and assert.schema: Ajv

const AJV_OPTIONS = { strict: false, allErrors: true, validateFormats: true } as const
let ajv2020: Ajv2020 | undefined
let ajv07: Ajv | undefined

/**
 * Compiles a JSON Schema (draft 2020-12 by default; draft-04/06/07 when its `$schema` says so) with
 * format assertions. Throws whatever Ajv throws for a schema that does not compile.
 */
export function compileJsonSchema(schema: object | boolean): ValidateFunction {
  if (typeof schema === 'boolean') return instance2020().compile(schema)
  const { $schema, ...rest } = schema as Record<string, unknown>
  const legacy = typeof $schema === 'string' && /draft-0[4-7]/.test($schema)
  const ajv = legacy ? instance07() : instance2020()
  // A re-used `$id` would make Ajv refuse the second compile; the latest schema wins.
  if (typeof rest.$id === 'string' && ajv.getSchema(rest.$id) !== undefined)
    ajv.removeSchema(rest.$id)
  return ajv.compile(rest)
}

/** Ajv errors as `{path, message}` with JSON-pointer paths (`required` points at the missing key). */
export function ajvProblems(
  errors: ErrorObject[] | null | undefined,
): Array<{ path: string; message: string; keyword: string }> {
  return (errors ?? []).map((e) => {
    let path = e.instancePath
    const params = e.params as Record<string, unknown>
    if (e.keyword === 'required' && typeof params.missingProperty === 'string') {
      path = `${path}/${escapePointer(params.missingProperty)}`
    } else if (
      e.keyword === 'additionalProperties' &&
      typeof params.additionalProperty === 'string'
    ) {
      path = `${path}/${escapePointer(params.additionalProperty)}`
    }
    return { path, message: e.message ?? e.keyword, keyword: e.keyword }
  })
}

function instance2020(): Ajv2020 {
  if (ajv2020 === undefined) {
    ajv2020 = new Ajv2020(AJV_OPTIONS)
    addFormats(ajv2020)
  }
  return ajv2020
}

function instance07(): Ajv {
  if (ajv07 === undefined) {
    ajv07 = new Ajv(AJV_OPTIONS)
    addFormats(ajv07)
  }
  return ajv07
}

function jsonSchemaValidator(schema: object, actionName: string): Validator {
  let validate: ValidateFunction
  try {
    validate = compileJsonSchema(schema)
  } catch (err) {
    throw new AppError(
      'VALIDATION_ERROR',
      `action "${actionName}": params schema does not compile: ${(err as Error).message}`,
      { cause: err },
    )
  }
  return (params) => {
    if (validate(params)) return []
    const seen = new Set<string>()
    const out: Issue[] = []
    for (const p of ajvProblems(validate.errors)) {
      const key = `${p.path}\u0000${p.message}`
      if (seen.has(key)) continue
      seen.add(key)
      const name = paramName(p.path)
      out.push(
        p.keyword === 'additionalProperties'
          ? issue(p.path, `unknown param '${name}' is ignored`, 'warning', 'UNKNOWN_PARAM')
          : p.keyword === 'required'
            ? issue(p.path, `missing required param '${name}'`)
            : issue(p.path, name === '' ? `params ${p.message}` : `param '${name}' ${p.message}`),
      )
    }
    return out.sort(byPath)
  }
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function issue(
  path: string,
  message: string,
  severity: Issue['severity'] = 'error',
  code = 'VALIDATION_ERROR',
): Issue {
  return { path, code, message, severity }
}

function byPath(a: Issue, b: Issue): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0
}

/** `/auth/type` → `auth.type`, `/args/0` → `args[0]`. */
function paramName(pointer: string): string {
  let out = ''
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replaceAll('~1', '/').replaceAll('~0', '~')
    out += /^\d+$/.test(seg) ? `[${seg}]` : out === '' ? seg : `.${seg}`
  }
  return out
}

function escapePointer(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1')
}

/** JSON type of a value in words (values themselves never go into messages: they may be secrets). */
export function typeName(value: unknown): string {
  if (value === null) return 'null'
  if (value === undefined) return 'nothing'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a number'
  if (typeof value === 'object') return 'an object'
  return `a ${typeof value}`
}

function lowerFirst(s: string): string {
  return s.length === 0 ? s : s[0]!.toLowerCase() + s.slice(1)
}
