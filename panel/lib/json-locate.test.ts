import { describe, expect, test } from 'bun:test'
import { lineColumn, locatePointer, pointerTokens } from './json-locate.ts'

const text = `{
  "steps": [
    { "id": "a", "action": "http.get" },
    { "id": "b", "depends_on": ["a", "zz"], "params": { "x/y": 1, "t~n": true } }
  ]
}`

describe('locatePointer', () => {
  test('finds an array element inside nested objects, at its own text', () => {
    const s = locatePointer(text, '/steps/1/depends_on/1')
    expect(s?.exact).toBe(true)
    expect(text.slice(s?.start, s?.end)).toBe('"zz"')
    expect([s?.line, s?.column]).toEqual([4, 38])
  })

  test('an object member spans from its key to the end of its value', () => {
    const s = locatePointer(text, '/steps/0/action')
    expect(text.slice(s?.start, s?.end)).toBe('"action": "http.get"')
  })

  test('escaped tokens (~1 for /, ~0 for ~) are unescaped', () => {
    expect(pointerTokens('/a~1b/c~0d')).toEqual(['a/b', 'c~d'])
    const s = locatePointer(text, '/steps/1/params/x~1y')
    expect(text.slice(s?.start, s?.end)).toBe('"x/y": 1')
    const t = locatePointer(text, '/steps/1/params/t~0n')
    expect(text.slice(t?.start, t?.end)).toBe('"t~n": true')
  })

  test('a missing member points at the nearest existing parent', () => {
    const s = locatePointer(text, '/steps/0/params/url')
    expect(s?.exact).toBe(false)
    expect(text[s?.start ?? -1]).toBe('{')
    expect(s?.line).toBe(3)
  })

  test('the root pointer is the whole document; not-JSON is undefined', () => {
    expect(locatePointer(text, '')?.start).toBe(0)
    expect(locatePointer('{"a": ', '/a')).toBeUndefined()
    expect(locatePointer('nope', '')).toBeUndefined()
  })

  test('lineColumn counts lines from 1 and columns from 1', () => {
    expect(lineColumn('ab\ncd', 4)).toEqual({ line: 2, column: 2 })
    expect(lineColumn('ab', 0)).toEqual({ line: 1, column: 1 })
  })
})
