/**
 * Hostile inputs: deep nesting, huge literals, prototype access and runaway loops get a clean
 * AppError from every engine; nothing hangs, crashes or leaks a host object.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { AppError } from '../errors.ts'
import { CEL_MAX_ITERATIONS, celIterationBudgetInstalled, evalCel } from './cel.ts'
import { EXPR_MAX_SOURCE, evalExpr } from './expr.ts'
import { interpolate } from './interpolate.ts'
import { evalJq, shutdownJq } from './jq.ts'

async function failure(fn: () => unknown): Promise<AppError> {
  try {
    const v = await fn()
    throw new Error(`expected an AppError, got ${JSON.stringify(v)?.slice(0, 100)}`)
  } catch (err) {
    if (err instanceof AppError) return err
    throw err
  }
}

function nested(depth: number, leaf: unknown): unknown {
  let v = leaf
  for (let i = 0; i < depth; i++) v = [v]
  return v
}

afterAll(() => {
  shutdownJq()
})

describe('Expr', () => {
  test('deep nesting is a VALIDATION_ERROR', async () => {
    for (const source of [
      `${'('.repeat(5000)}1${')'.repeat(5000)}`,
      `${'['.repeat(5000)}${']'.repeat(5000)}`,
      `${'!'.repeat(10000)}true`,
      `${'-'.repeat(10000)}1`,
      `${'let a = 1; '.repeat(1000)}a`,
    ]) {
      expect((await failure(() => evalExpr(source))).code).toBe('VALIDATION_ERROR')
    }
  })

  test('long flat chains within the size limit evaluate', () => {
    expect(evalExpr(`1${'+1'.repeat(8000)}`)).toBe(8001)
  })

  test('huge literals and sources are VALIDATION_ERRORs', async () => {
    expect((await failure(() => evalExpr('99999999999999999999'))).message).toContain(
      'out of range',
    )
    expect((await failure(() => evalExpr('1e999'))).message).toContain('out of range')
    const long = await failure(() => evalExpr(`"${'x'.repeat(EXPR_MAX_SOURCE)}"`))
    expect(long.code).toBe('VALIDATION_ERROR')
    expect(long.message).toContain('too long')
  })

  test('constructor, __proto__ and prototype methods are never reachable', async () => {
    const env = { data: { a: 1 }, list: [1] }
    for (const source of [
      'data.constructor',
      'data.__proto__',
      'data["constructor"]',
      'data.hasOwnProperty',
      '{}.constructor',
      'get(data, "constructor")',
      'get(data, "__proto__")',
    ]) {
      expect({ source, v: evalExpr(source, env) }).toEqual({ source, v: null })
    }
    for (const source of [
      'list.constructor',
      'list.length',
      '"abc".constructor',
      'data.constructor.name',
    ]) {
      expect((await failure(() => evalExpr(source, env))).code).toBe('EXECUTION_ERROR')
    }
    expect((await failure(() => evalExpr('constructor(1)'))).message).toContain('unknown function')
    expect((await failure(() => evalExpr('toString(1)'))).message).toContain('unknown function')
  })

  test('__proto__ keys stay own data and never pollute prototypes', () => {
    const out = evalExpr('fromPairs([["__proto__", {polluted: true}]])') as Record<string, unknown>
    expect(Object.hasOwn(out, '__proto__')).toBe(true)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    const parsed = evalExpr('fromJSON(`{"__proto__": {"x": 1}}`).__proto__.x')
    expect(parsed).toBe(1)
    const map = evalExpr('{__proto__: 5}') as Record<string, unknown>
    expect(Object.getPrototypeOf(map)).toBe(Object.prototype)
    expect(Object.getOwnPropertyDescriptor(map, '__proto__')?.value).toBe(5)
  })

  test('runaway closures hit the step budget', async () => {
    const err = await failure(() => evalExpr('map(1..1000, map(1..1000, map(1..1000, #)))'))
    expect(err.code).toBe('EXECUTION_ERROR')
    expect(err.message).toContain('evaluation budget')
    expect(
      (await failure(() => evalExpr('count(1..100000, # > 0)', {}, { maxSteps: 1000 }))).message,
    ).toContain('budget of 1000 steps')
  })

  test('memory bombs are refused before they allocate', async () => {
    for (const [source, message] of [
      ['1..100000000', 'array too long'],
      ['repeat("x", 1000000000)', 'string result too long'],
      ['reduce(1..40, #acc + #acc, "xx")', 'string result too long'],
      ['reduce(1..30, #acc + #acc, [1])', /array too long|evaluation budget/],
      ['replace(repeat("a", 4000000), "a", "aaaa")', 'string result too long'],
    ] as const) {
      const err = await failure(() => evalExpr(source))
      expect({ source, code: err.code }).toEqual({ source, code: 'EXECUTION_ERROR' })
      expect(err.message).toMatch(message)
    }
  })

  test('a regex with catastrophic backtracking runs in linear time (RE2)', () => {
    expect(evalExpr('s matches "^(a+)+$"', { s: `${'a'.repeat(10000)}!` })).toBe(false)
    expect(evalExpr('s matches "(x|xx)*y"', { s: 'x'.repeat(10000) })).toBe(false)
  })

  test('deeply nested data is an EXECUTION_ERROR, not a crash or a quadratic blow-up', async () => {
    const wide = new Array(20000).fill(1)
    for (const [source, data] of [
      ['string(data)', nested(200000, [1, 2])],
      ['toJSON(data)', nested(200000, [1, 2])],
      ['toJSON(data)', nested(250, wide)],
      ['data == other', nested(200000, [1, 2])],
    ] as const) {
      const err = await failure(() => evalExpr(source, { data, other: nested(200000, [1, 2]) }))
      expect({ source, code: err.code }).toEqual({ source, code: 'EXECUTION_ERROR' })
    }
    expect(evalExpr('toJSON(data)', { data: nested(2, 1) })).toBe('[\n  [\n    1\n  ]\n]')
  })
})

describe('CEL', () => {
  test('deep nesting, huge literal lists and oversized sources are VALIDATION_ERRORs', async () => {
    for (const source of [
      `${'('.repeat(5000)}1${')'.repeat(5000)}`,
      `[${'1,'.repeat(3000)}1]`,
      `1${' + 1'.repeat(3000)}`,
      `"${'x'.repeat(20000)}"`,
    ]) {
      expect((await failure(() => evalCel(source, {}))).code).toBe('VALIDATION_ERROR')
    }
  })

  test('integers beyond JSON range are EXECUTION_ERRORs', async () => {
    expect((await failure(() => evalCel('99999999999999999999999999', {}))).code).toBe(
      'EXECUTION_ERROR',
    )
    expect((await failure(() => evalCel('9223372036854775807 + 1', {}))).message).toContain(
      'overflow',
    )
  })

  test('nested macros over large lists hit the iteration budget', async () => {
    expect(celIterationBudgetInstalled()).toBe(true)
    const l = Array.from({ length: 1000 }, (_, i) => i)
    const err = await failure(() =>
      evalCel('inputs.l.map(a, inputs.l.map(b, inputs.l.map(c, 1)))', { inputs: { l } }),
    )
    expect(err.code).toBe('EXECUTION_ERROR')
    expect(err.message).toContain(`budget of ${CEL_MAX_ITERATIONS} macro iterations`)
    // The budget is per evaluation: the next one starts from zero.
    expect(evalCel('inputs.l.filter(a, a > 997)', { inputs: { l } })).toEqual([998, 999])
  })

  test('prototype properties are not fields', async () => {
    for (const source of ['inputs.constructor', 'inputs.__proto__', 'inputs.hasOwnProperty']) {
      expect((await failure(() => evalCel(source, { inputs: {} }))).code).toBe('EXECUTION_ERROR')
    }
    expect(evalCel('has(inputs.constructor) || "constructor" in inputs', { inputs: {} })).toBe(
      false,
    )
  })
})

describe('jq', () => {
  test('an endless filter is stopped by the time limit, and the next call works', async () => {
    const err = await failure(() => evalJq('def f: f; f', null, { timeoutMs: 300 }))
    expect(err.code).toBe('EXECUTION_ERROR')
    expect(err.message).toContain('did not finish within 300 ms')
    expect(await evalJq('.a', { a: 1 })).toBe(1)
  })

  test('a filter exhausting memory is an EXECUTION_ERROR, and the next call works', async () => {
    const err = await failure(() => evalJq('"x" * 1000000000 | length', null, { timeoutMs: 5000 }))
    expect(err.code).toBe('EXECUTION_ERROR')
    expect(err.message).toContain('out of memory')
    expect(await evalJq('. + 1', 1)).toBe(2)
  })

  test('an aborted signal stops a running filter', async () => {
    const controller = new AbortController()
    const pending = evalJq('last(range(1e15))', null, {
      signal: controller.signal,
      timeoutMs: 30000,
    })
    setTimeout(() => controller.abort(), 50)
    expect((await failure(() => pending)).message).toContain('aborted')
    expect(await evalJq('"ok"', null)).toBe('ok')
  })

  test('a signal aborted while the worker starts stops the call before it runs', async () => {
    shutdownJq()
    const controller = new AbortController()
    const pending = evalJq('def f: f; f', null, { signal: controller.signal, timeoutMs: 30000 })
    setTimeout(() => controller.abort(), 5)
    expect((await failure(() => pending)).message).toContain('aborted')
    expect(await evalJq('1', null)).toBe(1)
  })

  test('deeply nested input is an EXECUTION_ERROR', async () => {
    expect((await failure(() => evalJq('.', nested(200000, 1)))).code).toBe('EXECUTION_ERROR')
    expect((await failure(() => evalJq('.', nested(20000, 1)))).message).toContain('depth limit')
  })

  test('$ENV, env and input_filename reveal nothing of the host', async () => {
    expect(await evalJq('[$ENV, env, ($ENV.PATH // "none")]', null)).toEqual([{}, {}, 'none'])
  })

  test('oversized filters and non-JSON input are refused', async () => {
    expect((await failure(() => evalJq(`.a${' | .a'.repeat(5000)}`, null))).code).toBe(
      'VALIDATION_ERROR',
    )
    expect((await failure(() => evalJq('.', { n: 10n }))).code).toBe('EXECUTION_ERROR')
  })
})

describe('interpolation', () => {
  const scope = { steps: {}, inputs: { a: 1 }, workflow: {}, context: {} }

  test('deeply nested params are a VALIDATION_ERROR, not a stack overflow', async () => {
    const err = await failure(() => interpolate(nested(200000, '${{inputs.a}}'), scope))
    expect(err.code).toBe('VALIDATION_ERROR')
  })

  test('a huge template string resolves in one pass', () => {
    const text = 'x${{inputs.a}}'.repeat(20000)
    expect(interpolate(text, scope)).toBe('x1'.repeat(20000))
  })

  test('references to prototype properties are missing fields', async () => {
    for (const ref of [
      '${{inputs.constructor}}',
      '${{inputs.__proto__}}',
      '${{inputs.a.toFixed}}',
    ]) {
      expect((await failure(() => interpolate(ref, scope))).code).toBe('INTERPOLATION_ERROR')
    }
  })
})
