import { afterAll, describe, expect, test } from 'bun:test'
import { AppError } from '../errors.ts'
import { checkJq, compileJq, evalJq, shutdownJq } from './jq.ts'

afterAll(() => {
  shutdownJq()
})

async function failure(p: Promise<unknown>): Promise<AppError> {
  try {
    throw new Error(`expected an error, got ${JSON.stringify(await p)}`)
  } catch (err) {
    if (err instanceof AppError) return err
    throw err
  }
}

describe('jq results (spec §10.3)', () => {
  test('one output → the value, several → an array, none → null', async () => {
    expect(await evalJq('.a', { a: { b: [1] } })).toEqual({ b: [1] })
    expect(await evalJq('.[]', [1, 'x', null])).toEqual([1, 'x', null])
    expect(await evalJq('.[] | select(. > 5)', [1, 2])).toBe(null)
    expect(await evalJq('.', null)).toBe(null)
    expect(await evalJq('.missing', {})).toBe(null)
  })

  test('strings with quotes, newlines and unicode round-trip', async () => {
    const s = 'a "quoted"\nline\twith é and 🎉 and \u0000'
    expect(await evalJq('.s', { s })).toBe(s)
    expect(await evalJq('.s | length', { s })).toBe([...s].length)
  })

  test('numbers keep JSON semantics', async () => {
    expect(await evalJq('.n + 1', { n: 1000000 })).toBe(1000001)
    expect(await evalJq('.x * 3', { x: 0.1 })).toBeCloseTo(0.3)
    expect(await evalJq('[.[] | tostring]', [1, 1.5])).toEqual(['1', '1.5'])
    expect(await evalJq('.[0] * 2', [1e21])).toBe(2e21)
  })

  test('a realistic workflow filter over the scope document', async () => {
    const scope = {
      steps: {
        fetch: {
          body: {
            items: [
              { id: 1, tags: ['a'] },
              { id: 2, tags: [] },
            ],
          },
        },
      },
      inputs: { min: 1 },
      workflow: { run_id: 'r1' },
      context: {},
    }
    expect(
      await evalJq(
        '.inputs.min as $m | [.steps.fetch.body.items[] | select((.tags | length) >= $m) | .id]',
        scope,
      ),
    ).toEqual([1])
    expect(
      await evalJq(
        '.inputs.min as $m | [.steps.fetch.body.items[] | select(.id > $m)] | length',
        scope,
      ),
    ).toBe(1)
  })

  test('concurrent calls are queued and each caller gets its own result', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => evalJq('.i * 10', { i })),
    )
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i * 10))
  })
})

describe('jq errors', () => {
  test('compile errors: VALIDATION_ERROR with jq message, line, column and position', async () => {
    const err = await failure(evalJq('.a |\n  .b | nope', null))
    expect(err.code).toBe('VALIDATION_ERROR')
    expect(err.message).toBe(
      'invalid jq filter: nope/0 is not defined at <top-level>, line 2, column 8',
    )
    expect(err.details).toMatchObject({ engine: 'jq', line: 2, column: 8, position: 12 })
  })

  test('run-time errors: EXECUTION_ERROR with the message of jq', async () => {
    const err = await failure(evalJq('.a + 1', { a: 'x' }))
    expect(err.code).toBe('EXECUTION_ERROR')
    expect(err.message).toBe('jq error: string ("x") and number (1) cannot be added')
    expect((await failure(evalJq('error({code: 7})', null))).message).toContain('{"code":7}')
  })

  test('checkJq and compileJq compile without running the filter', async () => {
    expect(await checkJq('def f: f; f')).toEqual({ ok: true })
    expect(await checkJq('[limit(3; repeat(1))]')).toEqual({ ok: true })
    expect(await checkJq('.a |')).toMatchObject({ ok: false, position: 3 })
    expect(await checkJq('')).toMatchObject({ ok: false, message: 'empty jq filter' })
    await compileJq('.a')
    expect((await failure(compileJq('{'))).code).toBe('VALIDATION_ERROR')
  })

  test('modules cannot be imported', async () => {
    expect((await failure(evalJq('include "x"; .', null))).code).toBe('VALIDATION_ERROR')
  })
})
