import { describe, expect, test } from 'bun:test'
import { AppError } from '../errors.ts'
import { checkCel, compileCel, evalCel } from './cel.ts'
import { createExpressions } from './engine.ts'

function error(fn: () => unknown): AppError {
  try {
    fn()
  } catch (err) {
    if (err instanceof AppError) return err
    throw err
  }
  throw new Error('expected an AppError')
}

describe('CEL typing (spec §10.1: JSON numbers are doubles, iter.index is an int)', () => {
  const scope = {
    steps: { x: { count: 3, ratio: 0.5 } },
    inputs: { n: 10 },
    iter: { index: 2, item: 'a' },
  }

  test('int/double comparisons work both ways', () => {
    expect(evalCel('steps.x.count == 3', scope)).toBe(true)
    expect(evalCel('steps.x.count > 2', scope)).toBe(true)
    expect(evalCel('1 == 1.0', {})).toBe(true)
    expect(evalCel('2 != 2.0', {})).toBe(false)
    expect(evalCel('1 < 1.5', {})).toBe(true)
    expect(evalCel('iter.index == 2.0', scope)).toBe(true)
  })

  test('mixed int/double arithmetic is allowed and yields a double', () => {
    expect(evalCel('steps.x.count + 1', scope)).toBe(4)
    expect(evalCel('1 + steps.x.count', scope)).toBe(4)
    expect(evalCel('inputs.n - 1', scope)).toBe(9)
    expect(evalCel('inputs.n * 2', scope)).toBe(20)
    expect(evalCel('steps.x.count / 2', scope)).toBe(1.5)
    expect(evalCel('inputs.n % 3 == 1', scope)).toBe(true)
    expect(evalCel('steps.x.ratio * 4 == 2', scope)).toBe(true)
  })

  test('integer arithmetic stays integral; int division truncates as in CEL', () => {
    expect(evalCel('7 / 2', {})).toBe(3)
    expect(evalCel('int(steps.x.count) / 2', scope)).toBe(1)
    expect(evalCel('iter.index * 3', scope)).toBe(6)
  })

  test('iter is {} outside loops and absent variables are bound to {}', () => {
    expect(evalCel('size(iter)', {})).toBe(0)
    expect(evalCel('size(steps) + size(inputs) + size(workflow) + size(context)', {})).toBe(0)
    expect(evalCel("has(iter.index) ? 'loop' : 'top'", {})).toBe('top')
  })

  test('step ids with hyphens and nested keys with dots are reachable by index', () => {
    const steps = { 'fetch-data': { body: { n: 1 } }, 'loop1.iter_0.x': { ok: true } }
    expect(evalCel("steps['fetch-data'].body.n == 1", { steps })).toBe(true)
    expect(evalCel("steps['loop1.iter_0.x'].ok", { steps })).toBe(true)
  })

  test('null-prototype scopes (as the engine builds them) are maps', () => {
    const steps = Object.assign(Object.create(null), { a: { v: 2 } })
    expect(evalCel('steps.a.v * 2', { steps })).toBe(4)
  })
})

describe('CEL results are plain JSON', () => {
  test('ints become numbers; unsafe integers are an EXECUTION_ERROR', () => {
    expect(evalCel('[1, 2][1]', {})).toBe(2)
    expect(evalCel('9007199254740991', {})).toBe(9007199254740991)
    const err = error(() => evalCel('9007199254740991 + 1', {}))
    expect(err.code).toBe('EXECUTION_ERROR')
    expect(err.message).toContain('JSON-safe integer range')
  })

  test('uint, timestamp, duration, bytes and type map to JSON values', () => {
    expect(evalCel('uint(3)', {})).toBe(3)
    expect(evalCel('timestamp("2024-01-02T03:04:05Z")', {})).toBe('2024-01-02T03:04:05.000Z')
    expect(evalCel('duration("90s")', {})).toBe('90s')
    expect(evalCel('b"ab"', {})).toBe('YWI=')
    expect(evalCel('type(1)', {})).toBe('int')
    expect(evalCel('{1: "a", "b": [true, null]}', {})).toEqual({ 1: 'a', b: [true, null] })
  })

  test('an infinite double is an EXECUTION_ERROR, not a silent null', () => {
    expect(error(() => evalCel('1.0 / 0.0', {})).code).toBe('EXECUTION_ERROR')
  })

  test('macros, string functions and timestamps work', () => {
    const scope = { inputs: { items: [1, 2, 3, 4], name: 'Opcode' } }
    expect(evalCel('inputs.items.filter(i, i > 2)', scope)).toEqual([3, 4])
    expect(evalCel('inputs.items.map(i, i * 2)', scope)).toEqual([2, 4, 6, 8])
    expect(evalCel('inputs.items.all(i, i > 0) && inputs.items.exists_one(i, i == 4)', scope)).toBe(
      true,
    )
    expect(evalCel('inputs.name.lowerAscii().contains("code")', scope)).toBe(true)
    expect(
      evalCel(
        'timestamp("2024-01-01T00:00:00Z") + duration("1h") > timestamp("2024-01-01T00:30:00Z")',
        {},
      ),
    ).toBe(true)
  })
})

describe('CEL matches runs RE2', () => {
  test('unanchored search with the method and the global form', () => {
    expect(evalCel('"abc".matches("b")', {})).toBe(true)
    expect(evalCel('"abc".matches("^b")', {})).toBe(false)
    expect(evalCel('matches("abc", "c$")', {})).toBe(true)
  })

  test('a catastrophic-backtracking pattern finishes (a backtracking engine would hang the test)', () => {
    const scope = { inputs: { s: `${'a'.repeat(5000)}!` } }
    expect(evalCel('inputs.s.matches("^(a+)+$")', scope)).toBe(false)
  })

  test('an invalid literal pattern is a compile error; a dynamic one a run-time error', () => {
    const compile = error(() => evalCel('"a".matches("(")', {}))
    expect(compile.code).toBe('VALIDATION_ERROR')
    expect(compile.message).toContain('missing closing )')
    expect(error(() => evalCel('"a".matches(inputs.p)', { inputs: { p: '(?=x)' } })).code).toBe(
      'EXECUTION_ERROR',
    )
    expect(error(() => evalCel('"a".matches(1)', {})).code).toBe('VALIDATION_ERROR')
  })
})

describe('CEL errors', () => {
  test('compile errors carry the position of the problem', () => {
    const err = error(() => evalCel('inputs.a &&', {}))
    expect(err.code).toBe('VALIDATION_ERROR')
    expect(err.details).toMatchObject({ engine: 'CEL', position: 11 })
    expect(err.message).toContain('position 11')
    expect(error(() => evalCel('nope.x', {})).message).toContain('Unknown variable: nope')
  })

  test('a missing key is an EXECUTION_ERROR naming the key', () => {
    const err = error(() => evalCel('steps.fetch.body', { steps: {} }))
    expect(err.code).toBe('EXECUTION_ERROR')
    expect(err.message).toContain('No such key: fetch')
    expect(err.details).toMatchObject({ position: 6 })
  })

  test('an over-long expression is rejected before parsing', () => {
    const err = error(() => evalCel(`1${' + 1'.repeat(5000)}`, {}))
    expect(err.code).toBe('VALIDATION_ERROR')
    expect(err.message).toContain('too long')
  })

  test('deep nesting is a VALIDATION_ERROR, not a stack overflow', () => {
    const err = error(() => evalCel(`${'('.repeat(2000)}1${')'.repeat(2000)}`, {}))
    expect(err.code).toBe('VALIDATION_ERROR')
  })

  test('checkCel reports without throwing', () => {
    expect(checkCel('steps.a.ok && inputs.n > 1')).toEqual({ ok: true })
    expect(checkCel('steps.a.ok &&')).toMatchObject({ ok: false, position: 13 })
    expect(checkCel('')).toMatchObject({ ok: false, message: 'empty CEL expression' })
  })

  test('compiled programs are cached: the same text compiles once', () => {
    expect(compileCel('inputs.cache_probe == 1')).toBe(compileCel('inputs.cache_probe == 1'))
  })
})

describe('createExpressions', () => {
  test('implements the engine port with CEL and interpolation', () => {
    const x = createExpressions()
    const scope = { steps: { a: { n: 2 } }, inputs: {}, workflow: {}, context: {}, iter: {} }
    expect(x.cel('steps.a.n > 1', scope)).toBe(true)
    expect(x.interpolate({ n: '${{steps.a.output.n}}' }, { ...scope })).toEqual({ n: 2 })
  })
})
