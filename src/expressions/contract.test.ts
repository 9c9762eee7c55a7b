/**
 * One contract, three engines (STYLE.md "Contract suites"): CEL, jq and Expr each compile with a
 * positioned VALIDATION_ERROR, fail at run time with EXECUTION_ERROR, and return plain JSON.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { AppError } from '../errors.ts'
import { checkCel, evalCel } from './cel.ts'
import { checkExpr, evalExpr } from './expr.ts'
import { checkJq, evalJq, shutdownJq } from './jq.ts'

type Data = Record<string, unknown>
type Check = { ok: true } | { ok: false; message: string; position?: number }

interface EngineUnderTest {
  /** Evaluates: `data`'s keys are the variables (CEL, Expr) or `data` is the input (jq). */
  evaluate(source: string, data: Data): Promise<unknown>
  check(source: string): Promise<Check>
  /** [source, data, expected result] */
  cases: Array<[string, Data, unknown]>
  /** [source, position of the problem] */
  syntaxErrors: Array<[string, number]>
  /** [source, data]: compiles, fails on this data */
  runtimeErrors: Array<[string, Data]>
  /** Reads `constructor` / `__proto__` / `toString` of the data; must never yield a host object. */
  hostileReads: Array<[string, Data]>
}

const items = [
  { name: 'a', score: 3 },
  { name: 'b', score: 9 },
  { name: 'c', score: 7 },
]

/** Throws unless `v` is plain JSON: finite numbers, no BigInt/undefined/functions, plain prototypes. */
function assertPlainJson(v: unknown, path = '$'): void {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`${path}: non-finite number ${v}`)
    return
  }
  if (Array.isArray(v)) {
    if (Object.getPrototypeOf(v) !== Array.prototype) throw new Error(`${path}: exotic array`)
    v.forEach((x, i) => {
      assertPlainJson(x, `${path}[${i}]`)
    })
    return
  }
  if (typeof v === 'object') {
    const proto = Object.getPrototypeOf(v)
    if (proto !== Object.prototype && proto !== null) throw new Error(`${path}: not a plain object`)
    for (const [k, x] of Object.entries(v)) assertPlainJson(x, `${path}.${k}`)
    return
  }
  throw new Error(`${path}: ${typeof v} is not JSON`)
}

async function failure(p: Promise<unknown>): Promise<AppError> {
  try {
    const v = await p
    throw new Error(`expected an error, got ${JSON.stringify(v)}`)
  } catch (err) {
    if (!(err instanceof AppError)) throw err
    return err
  }
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const x of Object.values(v)) deepFreeze(x)
    Object.freeze(v)
  }
  return v
}

function describeExpressionEngine(name: string, make: () => EngineUnderTest): void {
  const e = make()
  describe(`${name} expression engine contract`, () => {
    test('evaluates expressions to the expected JSON values', async () => {
      for (const [source, data, expected] of e.cases) {
        expect({ source, result: await e.evaluate(source, data) }).toEqual({
          source,
          result: expected,
        })
      }
    })

    test('returns plain JSON values only (no BigInt, no class instances, no NaN)', async () => {
      for (const [source, data] of e.cases) assertPlainJson(await e.evaluate(source, data))
    })

    test('compiled programs are cached by text, never by data', async () => {
      // cases[1] and cases[2] are the same source on different data.
      const [source, data, expected] = e.cases[1] as [string, Data, unknown]
      const [again, otherData, otherExpected] = e.cases[2] as [string, Data, unknown]
      expect(again).toBe(source)
      for (let i = 0; i < 3; i++) {
        expect(await e.evaluate(source, data)).toEqual(expected)
        expect(await e.evaluate(source, otherData)).toEqual(otherExpected)
      }
    })

    test('an empty or blank expression is a VALIDATION_ERROR at position 0', async () => {
      for (const source of ['', '   ', '\n\t']) {
        const err = await failure(e.evaluate(source, {}))
        expect(err.code).toBe('VALIDATION_ERROR')
        expect(err.retryable).toBe(false)
        expect((err.details as { position?: number }).position).toBe(0)
        expect(await e.check(source)).toMatchObject({ ok: false, position: 0 })
      }
    })

    test('a syntax error is a VALIDATION_ERROR carrying the position and a message', async () => {
      for (const [source, position] of e.syntaxErrors) {
        const err = await failure(e.evaluate(source, {}))
        expect({ source, code: err.code }).toEqual({ source, code: 'VALIDATION_ERROR' })
        expect(err.message.length).toBeGreaterThan(10)
        expect({ source, position: (err.details as { position?: number }).position }).toEqual({
          source,
          position,
        })
        const checked = await e.check(source)
        expect(checked.ok).toBe(false)
        expect(checked).toMatchObject({ position })
      }
    })

    test('check() accepts every valid expression without data', async () => {
      for (const [source] of e.cases)
        expect({ source, ...(await e.check(source)) }).toEqual({ source, ok: true })
    })

    test('a failure at run time is a retryable EXECUTION_ERROR', async () => {
      for (const [source, data] of e.runtimeErrors) {
        expect((await e.check(source)).ok).toBe(true)
        const err = await failure(e.evaluate(source, data))
        expect({ source, code: err.code }).toEqual({ source, code: 'EXECUTION_ERROR' })
        expect(err.retryable).toBe(true)
        expect(err.message).not.toBe('')
      }
    })

    test('constructor, __proto__ and toString never reach a host object', async () => {
      for (const [source, data] of e.hostileReads) {
        let result: unknown
        try {
          result = await e.evaluate(source, data)
        } catch (err) {
          expect(err).toBeInstanceOf(AppError)
          expect((err as AppError).code).toBe('EXECUTION_ERROR')
          continue
        }
        expect({ source, result }).toEqual({ source, result: null })
      }
    })

    test('the input data is never mutated (every case runs on deep-frozen data)', async () => {
      for (const [source, data, expected] of e.cases) {
        const frozen = deepFreeze(structuredClone(data))
        expect(await e.evaluate(source, frozen)).toEqual(expected)
        expect(frozen).toEqual(data)
      }
    })
  })
}

describeExpressionEngine('cel', () => ({
  evaluate: async (source, data) => evalCel(source, data),
  check: async (source) => checkCel(source),
  cases: [
    ['1 + 2 * 3', {}, 7],
    ['inputs.n * 2', { inputs: { n: 21 } }, 42],
    ['inputs.n * 2', { inputs: { n: 1.5 } }, 3],
    [
      "steps['fetch-data'].items.filter(i, i.score > 5).map(i, i.name)",
      { steps: { 'fetch-data': { items } } },
      ['b', 'c'],
    ],
    ['size(inputs.list) == 3 && "x" in inputs.list', { inputs: { list: ['x', 'y', 'z'] } }, true],
    ['inputs.name.startsWith("op") ? "yes" : "no"', { inputs: { name: 'opcode' } }, 'yes'],
    ['{"a": [1, 2.5, "s", null, true]}', {}, { a: [1, 2.5, 's', null, true] }],
    ['iter.index + 1', { iter: { index: 2, item: 'x' } }, 3],
    ['inputs.list.map(x, x * 2)', { inputs: { list: [3, 1, 2] } }, [6, 2, 4]],
  ],
  syntaxErrors: [
    ['1 +', 3],
    ['inputs.n == (1', 14],
    ['unknownVar > 1', 0],
  ],
  runtimeErrors: [
    ['steps.missing.value', { steps: {} }],
    ['1 / int(inputs.zero)', { inputs: { zero: 0 } }],
    ['inputs.list[5]', { inputs: { list: [1] } }],
  ],
  hostileReads: [
    ['inputs.constructor', { inputs: {} }],
    ["inputs['__proto__']", { inputs: {} }],
    ['inputs.toString', { inputs: { a: 1 } }],
  ],
}))

describeExpressionEngine('jq', () => ({
  evaluate: (source, data) => evalJq(source, data),
  check: (source) => checkJq(source),
  cases: [
    ['1 + 2 * 3', {}, 7],
    ['.n * 2', { n: 21 }, 42],
    ['.n * 2', { n: 1.5 }, 3],
    ['.items | map(select(.score > 5) | .name)', { items }, ['b', 'c']],
    ['.items[] | .name', { items }, ['a', 'b', 'c']],
    ['.list | length == 3 and index("x") == 0', { list: ['x', 'y', 'z'] }, true],
    ['empty', {}, null],
    ['.list | sort | reverse', { list: [3, 1, 2] }, [3, 2, 1]],
    ['{a: [1, 2.5, "s", null, true]}', {}, { a: [1, 2.5, 's', null, true] }],
  ],
  syntaxErrors: [
    ['.a |', 3],
    ['foo(1)', 0],
    ['.a | \n  .b | bar', 13],
  ],
  runtimeErrors: [
    ['error("boom")', {}],
    ['.n / 0', { n: 1 }],
    ['.list[] | ascii_downcase', { list: [1] }],
  ],
  hostileReads: [
    ['.constructor', {}],
    ['.__proto__', {}],
    ['.toString', { a: 1 }],
  ],
}))

describeExpressionEngine('expr', () => ({
  evaluate: async (source, data) => evalExpr(source, data),
  check: async (source) => checkExpr(source),
  cases: [
    ['1 + 2 * 3', {}, 7],
    ['inputs.n * 2', { inputs: { n: 21 } }, 42],
    ['inputs.n * 2', { inputs: { n: 1.5 } }, 3],
    [
      "map(filter(steps['fetch-data'].items, {.score > 5}), {.name})",
      { steps: { 'fetch-data': { items } } },
      ['b', 'c'],
    ],
    ['len(inputs.list) == 3 && "x" in inputs.list', { inputs: { list: ['x', 'y', 'z'] } }, true],
    ['inputs.name startsWith "op" ? "yes" : "no"', { inputs: { name: 'opcode' } }, 'yes'],
    ['{a: [1, 2.5, "s", nil, true]}', {}, { a: [1, 2.5, 's', null, true] }],
    ['sum(data, {#})', { data: [1, 2, 3] }, 6],
    ['sort(data) | reverse()', { data: [3, 1, 2] }, [3, 2, 1]],
  ],
  syntaxErrors: [
    ['1 +', 3],
    ['inputs.n == (1', 14],
    ['"a" + 1', 4],
  ],
  runtimeErrors: [
    ['steps.missing.value', { steps: {} }],
    ['1 / inputs.zero', { inputs: { zero: 0 } }],
    ['inputs.list[5]', { inputs: { list: [1] } }],
  ],
  hostileReads: [
    ['inputs.constructor', { inputs: {} }],
    ["inputs['__proto__']", { inputs: {} }],
    ['inputs.toString', { inputs: { a: 1 } }],
  ],
}))

afterAll(() => {
  shutdownJq()
})
