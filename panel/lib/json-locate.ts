/**
 * Where a JSON pointer (`/steps/3/depends_on/0`) sits in a JSON text: the span of its value, or of
 * the deepest existing parent when the pointer names something missing (a required field). Used to
 * show the validator's problems at their place in the pasted definition. Tolerant: a text that is
 * not JSON yields undefined.
 */

export interface Span {
  start: number
  end: number
  /** 1-based line and column of `start`. */
  line: number
  column: number
  /** True when the pointer itself exists (false: the span is its closest parent). */
  exact: boolean
}

interface Found {
  start: number
  end: number
  keyStart?: number
}

/** Splits a JSON pointer into unescaped tokens. */
export function pointerTokens(pointer: string): string[] {
  if (pointer === '' || pointer === '/') return pointer === '/' ? [''] : []
  return pointer
    .replace(/^\//, '')
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'))
}

export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1
  let last = -1
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++
      last = i
    }
  }
  return { line, column: offset - last }
}

export function locatePointer(text: string, pointer: string): Span | undefined {
  const tokens = pointerTokens(pointer)
  const spans = new Map<string, Found>()
  let i = 0
  const ws = (): void => {
    while (i < text.length && /\s/.test(text[i] as string)) i++
  }
  const fail = (): never => {
    throw new Error('not JSON')
  }
  const str = (): void => {
    if (text[i] !== '"') fail()
    i++
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1
    if (i >= text.length) fail()
    i++
  }
  // Only values on the pointer's route are recorded, keyed by their depth.
  const value = (depth: number, onRoute: boolean, keyStart?: number): void => {
    ws()
    const start = i
    const ch = text[i]
    if (ch === '{') {
      i++
      ws()
      if (text[i] === '}') i++
      else {
        for (;;) {
          ws()
          const ks = i
          str()
          const key = JSON.parse(text.slice(ks, i)) as string
          ws()
          if (text[i] !== ':') fail()
          i++
          value(depth + 1, onRoute && tokens[depth] === key, ks)
          ws()
          if (text[i] === ',') {
            i++
            continue
          }
          if (text[i] === '}') {
            i++
            break
          }
          fail()
        }
      }
    } else if (ch === '[') {
      i++
      ws()
      if (text[i] === ']') i++
      else {
        for (let n = 0; ; n++) {
          value(depth + 1, onRoute && tokens[depth] === String(n))
          ws()
          if (text[i] === ',') {
            i++
            continue
          }
          if (text[i] === ']') {
            i++
            break
          }
          fail()
        }
      }
    } else if (ch === '"') {
      str()
    } else {
      const m = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|^true|^false|^null/.exec(text.slice(i, i + 400))
      if (m === null) fail()
      i += (m as RegExpExecArray)[0].length
    }
    if (onRoute) {
      const f: Found = { start, end: i }
      if (keyStart !== undefined) f.keyStart = keyStart
      spans.set(String(depth), f)
    }
  }
  try {
    value(0, true)
  } catch {
    return undefined
  }
  for (let d = tokens.length; d >= 0; d--) {
    const f = spans.get(String(d))
    if (f === undefined) continue
    const exact = d === tokens.length
    // A missing member points at its parent's opening brace; an existing one at its key.
    const start = exact ? (f.keyStart ?? f.start) : f.start
    const end = exact ? f.end : Math.min(f.end, f.start + 1)
    return { start, end, ...lineColumn(text, start), exact }
  }
  return undefined
}
