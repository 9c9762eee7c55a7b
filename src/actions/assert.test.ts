import { describe, expect, test } from 'bun:test'
import type { Action, ActionContext } from '../engine/ports.ts'
import { AppError } from '../errors.ts'
import {
  assertContainsAction,
  assertEqualAction,
  assertEqualsAction,
  assertMatchesAction,
  assertSchemaAction,
  assertTruthyAction,
  deepEqual,
  isTruthy,
} from './assert.ts'

const ctx = {} as ActionContext

function run(action: Action, params: Record<string, unknown>): unknown {
  return action.execute(params, ctx)
}

function failure(action: Action, params: Record<string, unknown>): AppError {
  let out: unknown
  try {
    out = action.execute(params, ctx)
  } catch (err) {
    expect(err).toBeInstanceOf(AppError)
    return err as AppError
  }
  throw new Error(`expected the action to throw, got ${JSON.stringify(out)}`)
}

describe('deepEqual', () => {
  test('numbers compare as doubles, key order is ignored, array order matters, no coercion', () => {
    expect(deepEqual(1, 1.0)).toBe(true)
    expect(deepEqual({ a: 1, b: [1, { c: null }] }, { b: [1, { c: null }], a: 1 })).toBe(true)
    expect(deepEqual([1, 2], [2, 1])).toBe(false)
    expect(deepEqual('1', 1)).toBe(false)
    expect(deepEqual(0, false)).toBe(false)
    expect(deepEqual(null, {})).toBe(false)
    expect(deepEqual([], {})).toBe(false)
    expect(deepEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false)
    expect(deepEqual({ a: undefined }, { b: undefined })).toBe(false)
  })
})

describe('assert.equals and its alias assert.equal', () => {
  for (const action of [assertEqualsAction, assertEqualAction]) {
    test(`${action.name} passes on deep equality`, () => {
      expect(run(action, { expected: { n: 1, l: ['a'] }, actual: { l: ['a'], n: 1.0 } })).toEqual({
        pass: true,
      })
      expect(run(action, { expected: null, actual: null })).toEqual({ pass: true })
    })

    test(`${action.name} fails with ASSERTION_FAILED, the default or custom message and {expected, actual}`, () => {
      const err = failure(action, { expected: 1, actual: '1' })
      expect(err.code).toBe('ASSERTION_FAILED')
      expect(err.retryable).toBe(false)
      expect(err.message).toBe('assertion failed: values are not equal')
      expect(err.details).toEqual({ expected: 1, actual: '1' })
      expect(failure(action, { expected: 1, actual: 2, message: 'count is off' }).message).toBe(
        'count is off',
      )
      expect(failure(action, { expected: 1, actual: 2, message: '' }).message).toBe(
        'assertion failed: values are not equal',
      )
    })
  }

  test('two missing values no longer pass: the params are required', () => {
    const err = failure(assertEqualsAction, {})
    expect(err.code).toBe('VALIDATION_ERROR')
    expect(err.message).toBe(
      "assert.equals: missing required param 'actual'; missing required param 'expected'",
    )
  })
})

describe('assert.contains', () => {
  test('a string haystack contains the needle text; numbers use JS number text', () => {
    expect(run(assertContainsAction, { haystack: 'status: ok', needle: 'ok' })).toEqual({
      pass: true,
    })
    expect(run(assertContainsAction, { haystack: 'total 1000000 rows', needle: 1e6 })).toEqual({
      pass: true,
    })
    expect(run(assertContainsAction, { haystack: 'flag=true', needle: true })).toEqual({
      pass: true,
    })
  })

  test('an array haystack needs an element deep-equal to the needle', () => {
    expect(run(assertContainsAction, { haystack: [1, { a: [2] }], needle: { a: [2.0] } })).toEqual({
      pass: true,
    })
    const err = failure(assertContainsAction, { haystack: ['1', 2], needle: 1 })
    expect(err.code).toBe('ASSERTION_FAILED')
    expect(err.message).toBe('assertion failed: value not found')
    expect(err.details).toEqual({ haystack: ['1', 2], needle: 1 })
  })

  test('a missing needle in a string fails with the custom message', () => {
    const err = failure(assertContainsAction, { haystack: 'abc', needle: 'z', message: 'no z' })
    expect([err.code, err.message]).toEqual(['ASSERTION_FAILED', 'no z'])
  })

  test('any other haystack is a VALIDATION_ERROR', () => {
    for (const haystack of [{ a: 1 }, 42, null]) {
      const err = failure(assertContainsAction, { haystack, needle: 'a' })
      expect(err.code).toBe('VALIDATION_ERROR')
      expect(err.message).toStartWith('assert.contains: haystack must be string or array')
    }
  })
})

describe('assert.matches', () => {
  test('unanchored RE2 search returning the leftmost match', () => {
    expect(run(assertMatchesAction, { value: 'order #4521 shipped', pattern: '#(\\d+)' })).toEqual({
      pass: true,
      matches: '#4521',
    })
    expect(run(assertMatchesAction, { value: 'ABC', pattern: '(?i)b' })).toEqual({
      pass: true,
      matches: 'B',
    })
    expect(run(assertMatchesAction, { value: 'héllo', pattern: '(?P<w>\\pL+)' })).toEqual({
      pass: true,
      matches: 'héllo',
    })
    expect(run(assertMatchesAction, { value: 404, pattern: '^4\\d\\d$' })).toEqual({
      pass: true,
      matches: '404',
    })
  })

  test('no match fails with ASSERTION_FAILED and {value, pattern}', () => {
    const err = failure(assertMatchesAction, { value: 'abc', pattern: '^\\d+$' })
    expect(err.code).toBe('ASSERTION_FAILED')
    expect(err.message).toBe('assertion failed: value does not match pattern')
    expect(err.details).toEqual({ value: 'abc', pattern: '^\\d+$' })
  })

  test('look-around, back-references and broken patterns are rejected as invalid', () => {
    for (const pattern of [
      'a(?=b)',
      'a(?!b)',
      '(?<=a)b',
      '(?<!a)b',
      '(a)\\1',
      '(?<n>a)\\k<n>',
      '(a',
    ]) {
      const err = failure(assertMatchesAction, { value: 'ab', pattern })
      expect(err.code).toBe('VALIDATION_ERROR')
      expect(err.message).toStartWith('invalid regex pattern: ')
    }
  })

  test('a catastrophic-backtracking pattern runs in linear time on a long input', () => {
    const value = `${'a'.repeat(200_000)}!`
    const err = failure(assertMatchesAction, { value, pattern: '^(a+)+$' })
    expect(err.code).toBe('ASSERTION_FAILED')
    expect(run(assertMatchesAction, { value, pattern: '(a|aa)*!' })).toMatchObject({ pass: true })
  })
})

describe('assert.schema', () => {
  const schema = {
    type: 'object',
    required: ['email', 'age'],
    properties: {
      email: { type: 'string', format: 'email' },
      age: { type: 'integer', minimum: 0 },
      site: { type: 'string', format: 'uri' },
      when: { type: 'string', format: 'date-time' },
      tags: { type: 'array', items: { $ref: '#/$defs/tag' } },
    },
    $defs: { tag: { type: 'string', minLength: 1 } },
  }

  test('valid data passes (formats and local $ref included)', () => {
    const data = {
      email: 'a@example.com',
      age: 3,
      site: 'https://example.com/x',
      when: '2026-01-02T03:04:05Z',
      tags: ['x'],
    }
    expect(run(assertSchemaAction, { data, schema })).toEqual({ pass: true })
  })

  test('violations are listed with instance paths', () => {
    const err = failure(assertSchemaAction, {
      data: { email: 'nope', site: 'not a uri', when: 'yesterday', tags: [''] },
      schema,
    })
    expect(err.code).toBe('ASSERTION_FAILED')
    expect(err.message).toBe('assertion failed: data does not match schema')
    const details = err.details as { error: string; violations: string[] }
    expect(details.violations).toEqual([
      "/: must have required property 'age'",
      '/email: must match format "email"',
      '/site: must match format "uri"',
      '/when: must match format "date-time"',
      '/tags/0: must NOT have fewer than 1 characters',
    ])
    expect(details.error).toStartWith('data does not match schema: /: must have required')
  })

  test('custom message wins; the same schema compiled twice (even with an $id) still works', () => {
    const withId = { $id: 'https://example.com/s', type: 'object', required: ['a'] }
    expect(failure(assertSchemaAction, { data: {}, schema: withId, message: 'bad' }).message).toBe(
      'bad',
    )
    const changed = { ...withId, required: ['b'] }
    expect(run(assertSchemaAction, { data: { b: 1 }, schema: changed })).toEqual({ pass: true })
  })

  test('non-object data and uncompilable schemas are VALIDATION_ERRORs', () => {
    for (const data of [[1], 'x', null]) {
      const err = failure(assertSchemaAction, { data, schema })
      expect(err.code).toBe('VALIDATION_ERROR')
      expect(err.message).toStartWith('assert.schema: data must be an object')
    }
    const bad = failure(assertSchemaAction, { data: {}, schema: { type: 'nonsense' } })
    expect(bad.code).toBe('VALIDATION_ERROR')
    expect(bad.message).toStartWith('invalid input schema: ')
    const remote = failure(assertSchemaAction, {
      data: {},
      schema: { $ref: 'https://example.com/remote.json' },
    })
    expect(remote.message).toStartWith('invalid input schema: ')
  })
})

describe('assert.truthy', () => {
  test('truthiness follows Go templates: false, null, 0, "", [] and {} are falsy', () => {
    for (const v of [false, null, 0, '', [], {}]) expect(isTruthy(v)).toBe(false)
    for (const v of [true, 1, -1, 'false', '0', [0], { a: null }]) expect(isTruthy(v)).toBe(true)
  })

  test('passes on a truthy value and fails with ASSERTION_FAILED and {value}', () => {
    expect(run(assertTruthyAction, { value: 'yes' })).toEqual({ pass: true })
    const err = failure(assertTruthyAction, { value: [] })
    expect([err.code, err.message]).toEqual([
      'ASSERTION_FAILED',
      'assertion failed: value is not truthy',
    ])
    expect(err.details).toEqual({ value: [] })
    expect(failure(assertTruthyAction, { value: 0, message: 'zero rows' }).message).toBe(
      'zero rows',
    )
    expect(failure(assertTruthyAction, {}).code).toBe('VALIDATION_ERROR')
  })
})
