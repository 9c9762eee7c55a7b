import { describe, expect, test } from 'bun:test'
import type { InterpolationScope, SecretResolver } from '../engine/ports.ts'
import { AppError } from '../errors.ts'
import { interpolate } from './interpolate.ts'

function scope(extra: Partial<InterpolationScope> = {}): InterpolationScope {
  return {
    steps: {
      fetch: {
        status: 200,
        body: {
          items: [
            { id: 'a1', tags: ['x', 'y'] },
            { id: 'b2', tags: [] },
          ],
          total: 1000000,
          ratio: 0.00001,
        },
        ok: true,
        none: null,
        text: 'line1\nline2 "quoted" \\ back',
      },
      'fetch-data': { value: 42 },
      'loop1.iter_0.x': { n: 7 },
    },
    inputs: {
      count: 10,
      name: 'Ada',
      flag: false,
      'my.key': 'literal',
      my: { key: 'nested' },
      list: [1, 2],
    },
    workflow: { run_id: 'wf-1', name: 'demo' },
    context: { intent: 'test', agent_id: 'agent-7' },
    ...extra,
  }
}

function failure(fn: () => unknown): AppError {
  try {
    fn()
  } catch (err) {
    if (err instanceof AppError) return err
    throw err
  }
  throw new Error('expected an AppError')
}

function vault(values: Record<string, string>, calls: string[] = []): SecretResolver {
  return {
    resolve(name) {
      calls.push(name)
      if (!Object.hasOwn(values, name)) throw new AppError('NOT_FOUND', `secret ${name} not found`)
      return values[name] as string
    },
  }
}

describe('typed whole values (A5)', () => {
  test('a string that is exactly one reference becomes the value with its JSON type', () => {
    const out = interpolate(
      {
        count: '${{inputs.count}}',
        flag: '${{inputs.flag}}',
        none: '${{steps.fetch.output.none}}',
        body: '${{steps.fetch.output.body}}',
        items: '${{steps.fetch.output.body.items}}',
        name: '${{ inputs.name }}',
      },
      scope(),
    )
    expect(out).toEqual({
      count: 10,
      flag: false,
      none: null,
      body: scope().steps.fetch && (scope().steps.fetch as { body: unknown }).body,
      items: [
        { id: 'a1', tags: ['x', 'y'] },
        { id: 'b2', tags: [] },
      ],
      name: 'Ada',
    })
  })

  test('the whole step output, workflow and context namespaces resolve', () => {
    expect(interpolate('${{steps.fetch-data.output}}', scope())).toEqual({ value: 42 })
    expect(interpolate('${{workflow.run_id}}', scope())).toBe('wf-1')
    expect(interpolate('${{context.agent_id}}', scope())).toBe('agent-7')
    expect(interpolate('${{inputs}}', scope())).toEqual(scope().inputs)
  })
})

describe('embedded references are stringified (A5, A21)', () => {
  test('strings raw, numbers as JS number text, booleans and null as literals', () => {
    const s = scope()
    expect(interpolate('n=${{inputs.count}} big=${{steps.fetch.output.body.total}}', s)).toBe(
      'n=10 big=1000000',
    )
    expect(interpolate('r=${{steps.fetch.output.body.ratio}}', s)).toBe('r=0.00001')
    expect(
      interpolate('${{inputs.flag}}/${{steps.fetch.output.none}}/${{steps.fetch.output.ok}}', s),
    ).toBe('false/null/true')
    expect(interpolate('Hello ${{inputs.name}}!', s)).toBe('Hello Ada!')
  })

  test('objects and arrays are compact JSON', () => {
    expect(interpolate('tags: ${{steps.fetch.output.body.items[0].tags}}', scope())).toBe(
      'tags: ["x","y"]',
    )
    expect(interpolate('obj=${{steps.fetch-data.output}}', scope())).toBe('obj={"value":42}')
  })

  test('quotes, backslashes and newlines in values survive unchanged', () => {
    const text = 'line1\nline2 "quoted" \\ back'
    expect(interpolate({ body: '${{steps.fetch.output.text}}' }, scope())).toEqual({ body: text })
    expect(interpolate({ body: '<${{steps.fetch.output.text}}>' }, scope())).toEqual({
      body: `<${text}>`,
    })
  })

  test('a reference surrounded by spaces is embedded, so it is a string', () => {
    expect(interpolate(' ${{inputs.count}}', scope())).toBe(' 10')
  })
})

describe('paths (A6, A7, spec §9.3)', () => {
  test('array indexes with [n] and .n, quoted keys and hyphenated step ids', () => {
    const s = scope()
    expect(interpolate('${{steps.fetch.output.body.items[1].id}}', s)).toBe('b2')
    expect(interpolate('${{steps.fetch.output.body.items.0.tags.1}}', s)).toBe('y')
    expect(interpolate("${{steps['fetch-data'].output.value}}", s)).toBe(42)
    expect(interpolate('${{steps["fetch-data"].output["value"]}}', s)).toBe(42)
    expect(interpolate('${{inputs.list[1]}}', s)).toBe(2)
  })

  test('nested step keys with dots: quoted, or written with plain dots', () => {
    const s = scope()
    expect(interpolate("${{steps['loop1.iter_0.x'].output.n}}", s)).toBe(7)
    expect(interpolate('${{steps.loop1.iter_0.x.output.n}}', s)).toBe(7)
  })

  test('inputs/workflow/context first try the remainder as one literal key', () => {
    expect(interpolate('${{inputs.my.key}}', scope())).toBe('literal')
    expect(interpolate("${{inputs.my['key']}}", scope())).toBe('nested')
  })

  test('loop.item, loop.index and loop.item paths inside a loop', () => {
    const s = scope({ loop: { item: { id: 'x', n: [5, 6] }, index: 3 } })
    expect(
      interpolate({ i: '${{loop.index}}', id: '${{loop.item.id}}', n: '${{loop.item.n[1]}}' }, s),
    ).toEqual({
      i: 3,
      id: 'x',
      n: 6,
    })
    expect(interpolate('#${{loop.index}}', s)).toBe('#3')
  })
})

describe('missing references are INTERPOLATION_ERRORs naming the path and the first missing segment', () => {
  test('a missing field lists the available ones', () => {
    const err = failure(() =>
      interpolate({ a: { b: '${{steps.fetch.output.body.nope.deeper}}' } }, scope()),
    )
    expect(err.code).toBe('INTERPOLATION_ERROR')
    expect(err.message).toContain('steps.fetch.output.body.nope.deeper')
    expect(err.message).toContain('field "nope" not found in steps.fetch.output.body')
    expect(err.details).toMatchObject({
      reference: 'steps.fetch.output.body.nope.deeper',
      pointer: '/a/b',
      missing: 'nope',
      available_fields: ['items', 'ratio', 'total'],
    })
  })

  test('a missing step lists the steps with output', () => {
    const err = failure(() => interpolate('${{steps.nope.output}}', scope()))
    expect(err.code).toBe('INTERPOLATION_ERROR')
    expect(err.details).toMatchObject({
      missing: 'nope',
      available_steps: ['fetch', 'fetch-data', 'loop1.iter_0.x'],
    })
  })

  test('steps.X.result is not a path: the message suggests steps.X.output', () => {
    const err = failure(() => interpolate('${{steps.fetch.result}}', scope()))
    expect(err.message).toContain("only 'output' property is supported")
    expect(err.message).toContain('did you mean steps.fetch.output.result?')
    expect(failure(() => interpolate('${{steps.fetch}}', scope())).message).toContain(
      'expected steps.fetch.output',
    )
  })

  test('array index out of range, key on an array, traversal into a scalar', () => {
    expect(failure(() => interpolate('${{inputs.list[2]}}', scope())).message).toContain(
      'index 2 is out of range: inputs.list has 2 items',
    )
    expect(failure(() => interpolate('${{inputs.list.first}}', scope())).message).toContain(
      'inputs.list is an array',
    )
    expect(failure(() => interpolate('${{inputs.count.x}}', scope())).message).toContain(
      'cannot traverse into number inputs.count',
    )
    expect(failure(() => interpolate('${{steps.fetch.output.none.x}}', scope())).message).toContain(
      'cannot traverse into null',
    )
  })

  test('unknown namespaces list the six', () => {
    const err = failure(() => interpolate('${{env.HOME}}', scope()))
    expect(err.code).toBe('INTERPOLATION_ERROR')
    expect(err.details).toMatchObject({
      available_namespaces: ['steps', 'inputs', 'workflow', 'context', 'secrets', 'loop'],
    })
  })

  test('loop outside a loop, and unknown loop fields', () => {
    expect(failure(() => interpolate('${{loop.item}}', scope())).message).toContain(
      'referenced outside of a loop context',
    )
    const inLoop = scope({ loop: { item: 1, index: 0 } })
    expect(failure(() => interpolate('${{loop.count}}', inLoop)).message).toContain(
      '"item" and "index"',
    )
  })

  test('malformed templates: unclosed, nested, empty, bad brackets', () => {
    for (const [text, why] of [
      ['${{inputs.count', 'unclosed'],
      ['${{ ${{inputs.count}} }}', 'nested interpolation not allowed'],
      ['a ${{  }} b', 'empty interpolation'],
      ['${{inputs.list[x]}}', 'neither an index'],
      ['${{inputs..count}}', 'empty path segment'],
      ['${{inputs.}}', 'nothing after'],
    ] as const) {
      const err = failure(() => interpolate({ p: text }, scope()))
      expect({ text, code: err.code }).toEqual({ text, code: 'INTERPOLATION_ERROR' })
      expect(err.message).toContain(why)
      expect(err.details).toMatchObject({ pointer: '/p' })
    }
  })
})

describe('no re-expansion, keys untouched, trees not mutated', () => {
  test('a value containing ${{...}} is inserted literally, never expanded', () => {
    const calls: string[] = []
    const s = scope({ secrets: vault({ TOKEN: 's3cr3t' }, calls) })
    s.steps.evil = { text: '${{secrets.TOKEN}}', ref: '${{inputs.name}}' }
    expect(
      interpolate({ a: '${{steps.evil.output.text}}', b: 'x ${{steps.evil.output.ref}}' }, s),
    ).toEqual({
      a: '${{secrets.TOKEN}}',
      b: 'x ${{inputs.name}}',
    })
    expect(calls).toEqual([])
  })

  test('object keys are not interpolated', () => {
    expect(interpolate({ '${{inputs.name}}': '${{inputs.name}}' }, scope())).toEqual({
      '${{inputs.name}}': 'Ada',
    })
  })

  test('the input tree is not mutated, and template-free subtrees are returned as they are', () => {
    const params = {
      fixed: { deep: [1, { x: 'no template' }] },
      list: ['${{inputs.count}}', 'plain', 3],
      n: 1,
    }
    const copy = structuredClone(params)
    const out = interpolate(params, scope()) as typeof params
    expect(params).toEqual(copy)
    expect(out.fixed).toBe(params.fixed)
    expect(out.list).toEqual([10, 'plain', 3])
    expect(interpolate(params.fixed, scope())).toBe(params.fixed)
  })

  test('scalars and null pass through; a __proto__ key stays an own key', () => {
    expect(interpolate(null, scope())).toBe(null)
    expect(interpolate(5, scope())).toBe(5)
    const params = JSON.parse('{"__proto__": {"x": "${{inputs.name}}"}, "y": "${{inputs.count}}"}')
    const out = interpolate(params, scope()) as Record<string, unknown>
    expect(Object.hasOwn(out, '__proto__')).toBe(true)
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype)
    expect(JSON.stringify(out)).toBe('{"__proto__":{"x":"Ada"},"y":10}')
  })
})

describe('secrets', () => {
  test('resolved only through the vault, as strings, after every other reference', () => {
    const calls: string[] = []
    const s = scope({ secrets: vault({ TOKEN: 'tok', 'db.password': 'pw' }, calls) })
    const out = interpolate(
      {
        headers: { Authorization: 'Bearer ${{secrets.TOKEN}}', 'X-User': '${{inputs.name}}' },
        pw: '${{secrets.db.password}}',
        list: ['${{secrets.TOKEN}}', '${{inputs.count}}'],
        mixed: '${{inputs.count}}:${{secrets.TOKEN}}',
      },
      s,
    )
    expect(out).toEqual({
      headers: { Authorization: 'Bearer tok', 'X-User': 'Ada' },
      pw: 'pw',
      list: ['tok', 10],
      mixed: '10:tok',
    })
    expect(calls.sort()).toEqual(['TOKEN', 'db.password'])
  })

  test('a failing non-secret reference never touches the vault', () => {
    const calls: string[] = []
    const s = scope({ secrets: vault({ TOKEN: 'tok' }, calls) })
    const err = failure(() => interpolate({ a: '${{secrets.TOKEN}}', b: '${{inputs.missing}}' }, s))
    expect(err.code).toBe('INTERPOLATION_ERROR')
    expect(calls).toEqual([])
  })

  test('a secret value containing ${{...}} is not expanded', () => {
    const s = scope({ secrets: vault({ A: '${{inputs.name}}' }) })
    expect(interpolate('x${{secrets.A}}', s)).toBe('x${{inputs.name}}')
  })

  test('no vault → VAULT_ERROR "vault not initialized" (D17); unknown secret → INTERPOLATION_ERROR', () => {
    const noVault = failure(() => interpolate({ t: '${{secrets.TOKEN}}' }, scope()))
    expect(noVault.code).toBe('VAULT_ERROR')
    expect(noVault.message).toBe('vault not initialized')
    const missing = failure(() =>
      interpolate({ t: '${{secrets.NOPE}}' }, scope({ secrets: vault({}) })),
    )
    expect(missing.code).toBe('INTERPOLATION_ERROR')
    expect(missing.message).toContain('secret "NOPE" not found')
    expect(missing.details).toMatchObject({ secret: 'NOPE', pointer: '/t' })
  })

  test('other vault failures pass through unchanged', () => {
    const broken: SecretResolver = {
      resolve() {
        throw new AppError('VAULT_ERROR', 'wrong vault key')
      },
    }
    expect(failure(() => interpolate('${{secrets.A}}', scope({ secrets: broken }))).message).toBe(
      'wrong vault key',
    )
  })
})
