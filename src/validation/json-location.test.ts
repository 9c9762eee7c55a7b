import { describe, expect, test } from 'bun:test'
import { findJsonError } from './json-location.ts'

function parses(text: string): boolean {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

describe('findJsonError', () => {
  test('finds nothing in valid JSON of every kind', () => {
    for (const text of [
      '{}',
      '[]',
      ' \n\t{ "a" : [ 1 , -2.5e+3 , true , false , null , "x\\n\\u00e9\\"" , { } , [ ] ] } \r\n',
      '"just a string"',
      '0',
      '-0.0E-1',
      '{"é": "🚀", "": ""}',
    ]) {
      expect(findJsonError(text)).toBeUndefined()
    }
  })

  test('gives 1-based line and column of the first error', () => {
    expect(findJsonError('{\n  "a": 1,\n  "b": }')).toEqual({
      line: 3,
      column: 8,
      reason: 'expected a value before "}"',
    })
    expect(findJsonError('[1, 2')).toEqual({
      line: 1,
      column: 6,
      reason: "unexpected end of input: expected ',' or ']'",
    })
    expect(findJsonError('[1 2]')).toEqual({
      line: 1,
      column: 4,
      reason: `expected ',' or ']' after an array item, got "2"`,
    })
    expect(findJsonError('{"a" 1}')?.reason).toBe(`expected ':' after the property name, got "1"`)
    expect(findJsonError('[1,]')?.reason).toBe("trailing comma before ']'")
    expect(findJsonError('[-]')?.reason).toBe('invalid number')
    expect(findJsonError('["\\u12"]')?.reason).toBe('invalid \\u escape: expected 4 hex digits')
    expect(findJsonError('[\u0001]')?.reason).toBe('unexpected character U+0001')
    expect(findJsonError('')?.reason).toBe('unexpected end of input: expected a value')
  })

  test('agrees with JSON.parse on thousands of mutated texts', () => {
    const base =
      '{"steps": [{"id": "a", "action": "x", "params": {"n": -1.5e3, "s": "t\\"x", "l": [true, false, null]}}]}'
    const alphabet = [
      '{',
      '}',
      '[',
      ']',
      ',',
      ':',
      '"',
      '\\',
      ' ',
      'a',
      '1',
      '-',
      '.',
      'e',
      'n',
      '\n',
    ]
    let seed = 7
    const next = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648
      return seed % n
    }
    let invalid = 0
    for (let k = 0; k < 5_000; k++) {
      let text = base
      for (let m = 1 + next(3); m > 0; m--) {
        const at = next(text.length + 1)
        const op = next(3)
        const ch = alphabet[next(alphabet.length)] as string
        if (op === 0) text = text.slice(0, at) + text.slice(at + 1)
        else if (op === 1) text = text.slice(0, at) + ch + text.slice(at)
        else text = text.slice(0, at) + ch + text.slice(at + 1)
      }
      const found = findJsonError(text)
      expect({ text, valid: found === undefined }).toEqual({ text, valid: parses(text) })
      if (found !== undefined) invalid++
    }
    expect(invalid).toBeGreaterThan(1_000)
  })
})
