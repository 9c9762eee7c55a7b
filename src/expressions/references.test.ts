import { describe, expect, test } from 'bun:test'
import { findReferences, unwrapGuard } from './references.ts'
import { parseReference } from './template.ts'

describe('findReferences', () => {
  test('lists every reference with the JSON pointer of its string; keys are skipped', () => {
    const params = {
      url: 'https://x/${{inputs.id}}/${{ steps.a.output.path }}',
      headers: { 'a/b~c': '${{secrets.TOKEN}}', '${{inputs.key}}': 'plain' },
      list: [1, '${{steps.X.result}}', { deep: "${{steps['n.x'].output[0]}}" }],
      n: 3,
    }
    expect(findReferences(params)).toEqual([
      { path: 'inputs.id', pointer: '/url' },
      { path: 'steps.a.output.path', pointer: '/url' },
      { path: 'secrets.TOKEN', pointer: '/headers/a~1b~0c' },
      { path: 'steps.X.result', pointer: '/list/1' },
      { path: "steps['n.x'].output[0]", pointer: '/list/2/deep' },
    ])
  })

  test('a malformed template yields one entry with an error', () => {
    expect(findReferences({ a: 'x ${{inputs.id' })).toEqual([
      { path: 'x ${{inputs.id', pointer: '/a', error: expect.stringContaining('unclosed') },
    ])
    expect(findReferences('${{nope.x}}')[0]?.error).toContain('unknown namespace "nope"')
  })

  test('nothing to find in template-free values', () => {
    expect(findReferences({ a: [1, 'b', null, { c: true }] })).toEqual([])
    expect(findReferences(null)).toEqual([])
  })
})

describe('unwrapGuard (A1)', () => {
  test('a guard written ${{ expr }} is the expression inside', () => {
    expect(unwrapGuard('${{ steps.a.ok == true }}')).toBe('steps.a.ok == true')
    expect(unwrapGuard('  ${{inputs.n > 1}}  ')).toBe('inputs.n > 1')
    expect(unwrapGuard('${{ {"a": {"b": 1}}.a.b == 1 }}')).toBe('{"a": {"b": 1}}.a.b == 1')
  })

  test('anything else is returned unchanged', () => {
    expect(unwrapGuard('inputs.n > 1')).toBe('inputs.n > 1')
    expect(unwrapGuard('${{ a }} && ${{ b }}')).toBe('${{ a }} && ${{ b }}')
    expect(unwrapGuard('x ${{ a }}')).toBe('x ${{ a }}')
  })
})

describe('parseReference', () => {
  test('splits namespace and segments', () => {
    expect(parseReference("steps['a.b'].output.items[2].name")).toMatchObject({
      namespace: 'steps',
      segments: [
        { key: 'a.b', dotted: false },
        { key: 'output' },
        { key: 'items' },
        { index: 2 },
        { key: 'name' },
      ],
    })
    expect(parseReference('secrets.db.password')).toMatchObject({
      namespace: 'secrets',
      segments: [{ key: 'db.password' }],
    })
    expect(parseReference("inputs['it\\'s']")).toMatchObject({ segments: [{ key: "it's" }] })
  })

  test('reports malformed paths', () => {
    for (const bad of ['inputs[', "inputs['x", "inputs['x'", 'inputs[-1]', 'inputs!x', 'what.x']) {
      expect({ bad, code: (parseReference(bad) as { code?: string }).code }).toEqual({
        bad,
        code: 'INTERPOLATION_ERROR',
      })
    }
  })
})
