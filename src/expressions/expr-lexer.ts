/**
 * Tokens of the Expr language (expr-lang 1.17 subset, spec workflow.md §10.2): numbers (decimal,
 * `0x`, `0o`, `0b`, `_` separators, floats), strings (`"…"`, `'…'` with escapes, raw `` `…` ``),
 * identifiers, `#`, `#index`, `#acc`, operators and `//` / `/* *\/` comments.
 */

export type Token =
  | { t: 'num'; v: number; int: boolean; pos: number }
  | { t: 'str'; v: string; pos: number }
  | { t: 'ident'; v: string; pos: number }
  | { t: 'hash'; v: '#' | '#index' | '#acc'; pos: number }
  | { t: 'op'; v: string; pos: number }
  | { t: 'eof'; v: ''; pos: number }

/** A compile-time problem at a source offset. */
export class ExprSyntaxError extends Error {
  override name = 'ExprSyntaxError'
  constructor(
    message: string,
    readonly pos: number,
  ) {
    super(message)
  }
}

const OPERATORS = [
  '?.',
  '??',
  '..',
  '**',
  '==',
  '!=',
  '<=',
  '>=',
  '&&',
  '||',
  '+',
  '-',
  '*',
  '/',
  '%',
  '^',
  '<',
  '>',
  '!',
  '?',
  ':',
  '.',
  ',',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  '|',
  ';',
  '=',
]

const IDENT_START = /[\p{L}_$]/u
const IDENT_PART = /[\p{L}\p{N}_$]/u

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9'
}

export function tokenize(src: string): Token[] {
  const out: Token[] = []
  let i = 0
  const n = src.length
  while (i < n) {
    const c = src[i] as string
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++
      continue
    }
    if (c === '/' && src[i + 1] === '/') {
      while (i < n && src[i] !== '\n') i++
      continue
    }
    if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2)
      if (end === -1) throw new ExprSyntaxError('unclosed comment', i)
      i = end + 2
      continue
    }
    if (isDigit(c)) {
      i = readNumber(src, i, out)
      continue
    }
    if (c === '"' || c === "'") {
      i = readString(src, i, c, out)
      continue
    }
    if (c === '`') {
      const end = src.indexOf('`', i + 1)
      if (end === -1) throw new ExprSyntaxError('unclosed raw string', i)
      out.push({ t: 'str', v: src.slice(i + 1, end), pos: i })
      i = end + 1
      continue
    }
    if (c === '#') {
      let j = i + 1
      while (j < n && IDENT_PART.test(src[j] as string)) j++
      const word = src.slice(i, j)
      if (word !== '#' && word !== '#index' && word !== '#acc') {
        throw new ExprSyntaxError(`unknown pointer "${word}" (use #, #index or #acc)`, i)
      }
      out.push({ t: 'hash', v: word, pos: i })
      i = j
      continue
    }
    if (IDENT_START.test(c)) {
      let j = i + 1
      while (j < n && IDENT_PART.test(src[j] as string)) j++
      out.push({ t: 'ident', v: src.slice(i, j), pos: i })
      i = j
      continue
    }
    let op: string | undefined
    for (const o of OPERATORS) {
      if (src.startsWith(o, i)) {
        // `a ?.5 : 1` is a ternary, not optional chaining.
        if (o === '?.' && isDigit(src[i + 2])) continue
        op = o
        break
      }
    }
    if (op === undefined) throw new ExprSyntaxError(`unexpected character ${JSON.stringify(c)}`, i)
    out.push({ t: 'op', v: op, pos: i })
    i += op.length
  }
  out.push({ t: 'eof', v: '', pos: n })
  return out
}

function readNumber(src: string, start: number, out: Token[]): number {
  let i = start
  const radix =
    src[i] === '0' ? { x: 16, X: 16, o: 8, O: 8, b: 2, B: 2 }[src[i + 1] ?? ''] : undefined
  if (radix !== undefined) {
    i += 2
    const from = i
    while (i < src.length && /[0-9a-fA-F_]/.test(src[i] as string)) i++
    const digits = src.slice(from, i).replaceAll('_', '')
    const valid = { 16: /^[0-9a-fA-F]+$/, 8: /^[0-7]+$/, 2: /^[01]+$/ }[radix as 16 | 8 | 2]
    if (!valid.test(digits))
      throw new ExprSyntaxError(`invalid number ${src.slice(start, i)}`, start)
    const v = Number.parseInt(digits, radix)
    pushInt(v, src.slice(start, i), start, out)
    return i
  }
  while (i < src.length && (isDigit(src[i]) || src[i] === '_')) i++
  let float = false
  if (src[i] === '.' && isDigit(src[i + 1])) {
    float = true
    i++
    while (i < src.length && (isDigit(src[i]) || src[i] === '_')) i++
  }
  if (src[i] === 'e' || src[i] === 'E') {
    let j = i + 1
    if (src[j] === '+' || src[j] === '-') j++
    if (isDigit(src[j])) {
      float = true
      i = j
      while (i < src.length && isDigit(src[i])) i++
    }
  }
  const text = src.slice(start, i)
  if (text.endsWith('_') || text.includes('__'))
    throw new ExprSyntaxError(`invalid number ${text}`, start)
  const v = Number(text.replaceAll('_', ''))
  if (float) {
    if (!Number.isFinite(v)) throw new ExprSyntaxError(`number ${text} is out of range`, start)
    out.push({ t: 'num', v, int: false, pos: start })
  } else {
    pushInt(v, text, start, out)
  }
  return i
}

function pushInt(v: number, text: string, pos: number, out: Token[]): void {
  if (!Number.isSafeInteger(v)) {
    throw new ExprSyntaxError(
      `integer ${text.length > 40 ? `${text.slice(0, 40)}…` : text} is out of range (±9007199254740991)`,
      pos,
    )
  }
  out.push({ t: 'num', v, int: true, pos })
}

const ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  b: '\b',
  f: '\f',
  v: '\v',
  a: '\x07',
  '\\': '\\',
  '"': '"',
  "'": "'",
}

function readString(src: string, start: number, quote: string, out: Token[]): number {
  let i = start + 1
  let s = ''
  for (;;) {
    if (i >= src.length) throw new ExprSyntaxError('unclosed string literal', start)
    const c = src[i] as string
    if (c === quote) break
    if (c === '\n') throw new ExprSyntaxError('newline in string literal', i)
    if (c !== '\\') {
      s += c
      i++
      continue
    }
    const e = src[i + 1] ?? ''
    const simple = ESCAPES[e]
    if (simple !== undefined) {
      s += simple
      i += 2
      continue
    }
    const width = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0
    if (width > 0) {
      const hex = src.slice(i + 2, i + 2 + width)
      if (hex.length !== width || !/^[0-9a-fA-F]+$/.test(hex)) {
        throw new ExprSyntaxError(`invalid escape \\${e}${hex}`, i)
      }
      const code = Number.parseInt(hex, 16)
      if (code > 0x10ffff) throw new ExprSyntaxError(`invalid code point \\${e}${hex}`, i)
      s += String.fromCodePoint(code)
      i += 2 + width
      continue
    }
    if (/[0-7]/.test(e)) {
      const oct = src.slice(i + 1, i + 4)
      if (!/^[0-7]{3}$/.test(oct)) throw new ExprSyntaxError(`invalid octal escape \\${oct}`, i)
      s += String.fromCharCode(Number.parseInt(oct, 8))
      i += 4
      continue
    }
    throw new ExprSyntaxError(`invalid escape \\${e}`, i)
  }
  out.push({ t: 'str', v: s, pos: start })
  return i + 1
}
