/**
 * `assert.equals` (alias `assert.equal`), `assert.contains`, `assert.matches`, `assert.schema`
 * (spec actions.md §5) and `assert.truthy` (decisions.md D7). Pure. A failed assertion throws
 * ASSERTION_FAILED (not retryable) with the details of §5; a bad argument throws VALIDATION_ERROR.
 * Regexes use RE2 (re2js): no look-around or back-references, and matching is linear-time, so a
 * hostile pattern cannot hang a worker.
 */
import { type Static, Type } from '@sinclair/typebox'
import type { ValidateFunction } from 'ajv/dist/2020'
import { RE2JS } from 're2js'
import type { Action } from '../engine/ports.ts'
import { AppError } from '../errors.ts'
import { assertParams, compileJsonSchema, typeName } from './registry.ts'

const message = Type.Optional(
  Type.String({ description: 'Failure message used instead of the default (when non-empty).' }),
)

const EqualsParams = Type.Object({
  expected: Type.Unknown({ description: 'Expected value (any JSON value, null included).' }),
  actual: Type.Unknown({ description: 'Actual value, usually ${{steps.<id>.output...}}.' }),
  message,
})

const ContainsParams = Type.Object({
  haystack: Type.Unknown({
    description:
      'A string (searched for the needle as text) or an array (searched for an element equal to the needle).',
  }),
  needle: Type.Unknown({
    description: 'What to find; for a string haystack numbers and booleans use their JSON text.',
  }),
  message,
})

const scalar = (description: string) =>
  Type.Union([Type.String(), Type.Number(), Type.Boolean()], { description })

const MatchesParams = Type.Object({
  value: scalar('Text to search (numbers and booleans are searched as their JSON text).'),
  pattern: Type.String({
    description:
      'RE2 regular expression, unanchored (use ^…$ to match the whole value). No look-around or back-references.',
  }),
  message,
})

const SchemaParams = Type.Object({
  data: Type.Unknown({ description: 'The object to validate.' }),
  schema: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Boolean()], {
    description:
      'JSON Schema draft 2020-12 (formats such as email, uri, date-time are checked; $ref only to local definitions).',
  }),
  message,
})

const TruthyParams = Type.Object({
  value: Type.Unknown({
    description:
      'Value that must be truthy: everything except false, null, 0, "" and empty arrays/objects.',
  }),
  message,
})

function failure(custom: string | undefined, fallback: string, details: unknown): AppError {
  const text = typeof custom === 'string' && custom !== '' ? custom : fallback
  return new AppError('ASSERTION_FAILED', text, { details })
}

function makeEquals(name: string): Action {
  const action: Action = {
    name,
    description:
      name === 'assert.equals'
        ? 'Fails unless expected and actual are deeply equal (1 equals 1.0, key order ignored, no type coercion).'
        : 'Alias of assert.equals.',
    params: EqualsParams,
    pure: true,
    execute(params) {
      assertParams(action, params)
      const p = params as Static<typeof EqualsParams>
      if (!deepEqual(p.expected, p.actual)) {
        throw failure(p.message, 'assertion failed: values are not equal', {
          expected: p.expected,
          actual: p.actual,
        })
      }
      return { pass: true }
    },
  }
  return action
}

export const assertEqualsAction: Action = makeEquals('assert.equals')
/** decisions.md D21: `assert.equal` is an alias of `assert.equals`. */
export const assertEqualAction: Action = makeEquals('assert.equal')

export const assertContainsAction: Action = {
  name: 'assert.contains',
  description:
    'Fails unless a string haystack contains the needle as text, or an array haystack has an element equal to the needle.',
  params: ContainsParams,
  pure: true,
  execute(params) {
    assertParams(assertContainsAction, params)
    const p = params as Static<typeof ContainsParams>
    let found: boolean
    if (typeof p.haystack === 'string') found = p.haystack.includes(textOf(p.needle))
    else if (Array.isArray(p.haystack)) found = p.haystack.some((el) => deepEqual(el, p.needle))
    else {
      throw new AppError(
        'VALIDATION_ERROR',
        `assert.contains: haystack must be string or array, got ${typeName(p.haystack)}`,
      )
    }
    if (!found) {
      throw failure(p.message, 'assertion failed: value not found', {
        haystack: p.haystack,
        needle: p.needle,
      })
    }
    return { pass: true }
  },
}

export const assertMatchesAction: Action = {
  name: 'assert.matches',
  description:
    'Fails unless the value contains a match of the RE2 pattern; returns {pass: true, matches: <leftmost match>}.',
  params: MatchesParams,
  pure: true,
  execute(params) {
    assertParams(assertMatchesAction, params)
    const p = params as Static<typeof MatchesParams>
    const value = textOf(p.value)
    const matcher = compileRegex(p.pattern).matcher(value)
    if (!matcher.find()) {
      throw failure(p.message, 'assertion failed: value does not match pattern', {
        value: p.value,
        pattern: p.pattern,
      })
    }
    return { pass: true, matches: matcher.group() }
  },
}

export const assertSchemaAction: Action = {
  name: 'assert.schema',
  description:
    'Fails unless the data object is valid against a JSON Schema (draft 2020-12, formats checked); the error lists every violation.',
  params: SchemaParams,
  pure: true,
  execute(params) {
    assertParams(assertSchemaAction, params)
    const p = params as Static<typeof SchemaParams>
    if (p.data === null || typeof p.data !== 'object' || Array.isArray(p.data)) {
      throw new AppError(
        'VALIDATION_ERROR',
        `assert.schema: data must be an object, got ${typeName(p.data)}`,
      )
    }
    const validate = compileSchema(p.schema)
    if (!validate(p.data)) {
      const violations = (validate.errors ?? []).map(
        (e) => `${e.instancePath === '' ? '/' : e.instancePath}: ${e.message ?? e.keyword}`,
      )
      throw failure(p.message, 'assertion failed: data does not match schema', {
        error: `data does not match schema: ${violations.join('; ')}`,
        violations,
      })
    }
    return { pass: true }
  },
}

export const assertTruthyAction: Action = {
  name: 'assert.truthy',
  description:
    'Fails unless the value is truthy (not false, null, 0, "", [] or {}), like an `if` in Go templates.',
  params: TruthyParams,
  pure: true,
  execute(params) {
    assertParams(assertTruthyAction, params)
    const p = params as Static<typeof TruthyParams>
    if (!isTruthy(p.value)) {
      throw failure(p.message, 'assertion failed: value is not truthy', { value: p.value })
    }
    return { pass: true }
  },
}

/** Every assert.* action, the `assert.equal` alias included. */
export function assertActions(): Action[] {
  return [
    assertEqualsAction,
    assertEqualAction,
    assertContainsAction,
    assertMatchesAction,
    assertSchemaAction,
    assertTruthyAction,
  ]
}

// ---------------------------------------------------------------------------------------------

/** Structural equality of JSON values: numbers as doubles, key order ignored, array order kept. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') {
    // Absent and null are the same "no value" here; everything else must be identical.
    return (a ?? null) === (b ?? null)
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false
  if (Array.isArray(a)) {
    const bb = b as unknown[]
    if (a.length !== bb.length) return false
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], bb[i])) return false
    return true
  }
  const ao = a as Record<string, unknown>
  const bo = b as Record<string, unknown>
  const keys = Object.keys(ao)
  if (keys.length !== Object.keys(bo).length) return false
  for (const k of keys) {
    if (!Object.hasOwn(bo, k) || !deepEqual(ao[k], bo[k])) return false
  }
  return true
}

/** Go-template truthiness: false, null, 0, "", [] and {} are falsy. */
export function isTruthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === '') {
    return false
  }
  if (typeof value === 'number') return !Number.isNaN(value)
  if (Array.isArray(value)) return value.length > 0
  if (typeof value === 'object') return Object.keys(value).length > 0
  return true
}

/** Text form (actions.md §9.7, A21): strings as they are, numbers as JS number text, rest as JSON. */
function textOf(value: unknown): string {
  if (typeof value === 'string') return value
  return JSON.stringify(value) ?? String(value)
}

const CACHE_SIZE = 256
const regexCache = new Map<string, RE2JS>()
const schemaCache = new Map<string, ValidateFunction>()

function remember<T>(cache: Map<string, T>, key: string, value: T): T {
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string)
  cache.set(key, value)
  return value
}

function compileRegex(pattern: string): RE2JS {
  const hit = regexCache.get(pattern)
  if (hit !== undefined) return hit
  try {
    return remember(regexCache, pattern, RE2JS.compile(pattern))
  } catch (err) {
    const why =
      err instanceof Error ? err.message.replace(/^error parsing regexp: /, '') : String(err)
    throw new AppError(
      'VALIDATION_ERROR',
      `invalid regex pattern: ${why} (RE2 syntax: no look-around or back-references)`,
      { details: { pattern }, cause: err },
    )
  }
}

function compileSchema(schema: object | boolean): ValidateFunction {
  const key = JSON.stringify(schema)
  const hit = schemaCache.get(key)
  if (hit !== undefined) return hit
  try {
    return remember(schemaCache, key, compileJsonSchema(schema))
  } catch (err) {
    throw new AppError(
      'VALIDATION_ERROR',
      `invalid input schema: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    )
  }
}
