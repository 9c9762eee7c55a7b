/**
 * Where and why a JSON text is malformed. JSON.parse in Bun reports no position, so on failure the
 * text is scanned again here (iteratively: any nesting depth) to find the first error.
 */

export interface JsonSyntaxError {
  /** 1-based line and column (UTF-16 units) of the offending character. */
  line: number
  column: number
  reason: string
}

const OBJECT = 1
const ARRAY = 2
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y
const WORD = /[A-Za-z_$][\w$]*/y

/** The first syntax error of `text`, or undefined when it is valid JSON. */
export function findJsonError(text: string): JsonSyntaxError | undefined {
  const found = scan(text)
  if (found === undefined) return undefined
  return { ...lineColumn(text, found.offset), reason: found.reason }
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1
  let lineStart = 0
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++
    lineStart = i + 1
  }
  return { line, column: offset - lineStart + 1 }
}

interface Found {
  offset: number
  reason: string
}

function scan(text: string): Found | undefined {
  const n = text.length
  const stack: number[] = []
  let i = 0
  let expectValue = true

  const skipSpace = () => {
    while (i < n) {
      const c = text.charCodeAt(i)
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++
      else break
    }
  }
  const show = (at: number): string => {
    const ch = text.codePointAt(at) as number
    return ch < 0x20 || ch === 0x7f
      ? `U+${ch.toString(16).padStart(4, '0')}`
      : JSON.stringify(String.fromCodePoint(ch))
  }
  /** Scans the string starting at i (a quote); returns an error or moves i past it. */
  const stringAt = (): Found | undefined => {
    const open = i
    i++
    while (i < n) {
      const c = text.charCodeAt(i)
      if (c === 0x22) {
        i++
        return undefined
      }
      if (c === 0x5c) {
        const e = text[i + 1]
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
            return { offset: i, reason: 'invalid \\u escape: expected 4 hex digits' }
          }
          i += 6
          continue
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) {
          return { offset: i, reason: `invalid escape "\\${e ?? ''}" in a string` }
        }
        i += 2
        continue
      }
      if (c < 0x20) {
        return {
          offset: i,
          reason: 'control character in a string (write a newline as \\n, a tab as \\t)',
        }
      }
      i++
    }
    return { offset: open, reason: 'unterminated string' }
  }
  /** After `{` or `,` in an object: a key, a colon. */
  const keyAt = (): Found | undefined => {
    skipSpace()
    if (i >= n) return { offset: i, reason: 'unexpected end of input: expected a property name' }
    if (text[i] !== '"') {
      if (text[i] === "'") return { offset: i, reason: 'strings must use double quotes' }
      return { offset: i, reason: `expected a property name in double quotes, got ${show(i)}` }
    }
    const bad = stringAt()
    if (bad) return bad
    skipSpace()
    if (text[i] !== ':') {
      return i >= n
        ? { offset: i, reason: "unexpected end of input: expected ':'" }
        : { offset: i, reason: `expected ':' after the property name, got ${show(i)}` }
    }
    i++
    return undefined
  }

  for (;;) {
    skipSpace()
    if (expectValue) {
      if (i >= n) return { offset: i, reason: 'unexpected end of input: expected a value' }
      const c = text[i] as string
      if (c === '{' || c === '[') {
        i++
        skipSpace()
        if (text[i] === (c === '{' ? '}' : ']')) {
          i++
          expectValue = false
          continue
        }
        stack.push(c === '{' ? OBJECT : ARRAY)
        if (c === '{') {
          const bad = keyAt()
          if (bad) return bad
        }
        continue
      }
      if (c === '"') {
        const bad = stringAt()
        if (bad) return bad
        expectValue = false
        continue
      }
      if (c === '-' || (c >= '0' && c <= '9')) {
        NUMBER.lastIndex = i
        if (!NUMBER.test(text)) return { offset: i, reason: 'invalid number' }
        i = NUMBER.lastIndex
        expectValue = false
        continue
      }
      WORD.lastIndex = i
      if (WORD.test(text)) {
        const word = text.slice(i, WORD.lastIndex)
        if (word === 'true' || word === 'false' || word === 'null') {
          i = WORD.lastIndex
          expectValue = false
          continue
        }
        return { offset: i, reason: `unexpected word ${JSON.stringify(word.slice(0, 40))}` }
      }
      if (c === "'") return { offset: i, reason: 'strings must use double quotes' }
      if (c === '/') return { offset: i, reason: 'comments are not allowed in JSON' }
      if (c === ']' || c === '}') return { offset: i, reason: `expected a value before ${show(i)}` }
      return { offset: i, reason: `unexpected character ${show(i)}` }
    }
    const top = stack[stack.length - 1]
    if (top === undefined) {
      if (i < n)
        return { offset: i, reason: `unexpected ${show(i)} after the end of the JSON value` }
      return undefined
    }
    const close = top === OBJECT ? '}' : ']'
    if (i >= n) return { offset: i, reason: `unexpected end of input: expected ',' or '${close}'` }
    const c = text[i]
    if (c === close) {
      stack.pop()
      i++
      continue
    }
    if (c === ',') {
      i++
      skipSpace()
      if (text[i] === close) return { offset: i, reason: `trailing comma before '${close}'` }
      if (top === OBJECT) {
        const bad = keyAt()
        if (bad) return bad
      }
      expectValue = true
      continue
    }
    const where = top === OBJECT ? 'a property' : 'an array item'
    return { offset: i, reason: `expected ',' or '${close}' after ${where}, got ${show(i)}` }
  }
}
