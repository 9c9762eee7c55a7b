/**
 * Pratt parser of the Expr language (spec workflow.md §10.2). Precedence follows expr-lang:
 * `|` 0, `or ||` 10, `and &&` 15, comparisons / `in` / `matches` / `contains` / `startsWith` /
 * `endsWith` 20, `..` 25, `+ -` 30, `* / %` 60, unary `not !` 50, unary `- +` 90, `** ^` 100
 * (right-associative), `??` 500; then the ternary `?:`, `let x = …; body` and `if c {a} else {b}`.
 * Builtins take predicates (`{# > 1}`, `.score > 5`) where their signature says so.
 */
import { builtinInfo } from './expr-builtins.ts'
import { ExprSyntaxError, type Token, tokenize } from './expr-lexer.ts'

export type Node =
  | { k: 'lit'; v: unknown; pos: number; float?: boolean }
  | { k: 'var'; name: string; pos: number }
  | { k: 'ptr'; name: '#' | '#index' | '#acc'; pos: number }
  | { k: 'member'; obj: Node; prop: Node; optional: boolean; pos: number }
  | { k: 'slice'; obj: Node; from?: Node; to?: Node; pos: number }
  | { k: 'call'; name: string; args: Node[]; pos: number }
  | { k: 'closure'; body: Node; pos: number }
  | { k: 'unary'; op: string; x: Node; pos: number }
  | { k: 'binary'; op: string; l: Node; r: Node; pos: number }
  | { k: 'cond'; c: Node; a: Node; b: Node; pos: number }
  | { k: 'array'; items: Node[]; pos: number }
  | { k: 'map'; entries: Array<[string, Node]>; pos: number }
  | { k: 'let'; name: string; value: Node; body: Node; pos: number }

/** Deepest nesting of sub-expressions accepted (keeps the parser and evaluator off the stack limit). */
export const MAX_NESTING = 100

const BINARY: Record<string, { prec: number; right?: boolean }> = {
  '|': { prec: 0 },
  or: { prec: 10 },
  '||': { prec: 10 },
  and: { prec: 15 },
  '&&': { prec: 15 },
  '==': { prec: 20 },
  '!=': { prec: 20 },
  '<': { prec: 20 },
  '>': { prec: 20 },
  '<=': { prec: 20 },
  '>=': { prec: 20 },
  in: { prec: 20 },
  matches: { prec: 20 },
  contains: { prec: 20 },
  startsWith: { prec: 20 },
  endsWith: { prec: 20 },
  '..': { prec: 25 },
  '+': { prec: 30 },
  '-': { prec: 30 },
  '*': { prec: 60 },
  '/': { prec: 60 },
  '%': { prec: 60 },
  '**': { prec: 100, right: true },
  '^': { prec: 100, right: true },
  '??': { prec: 500 },
}

/** Operators that may follow `not` (`x not in list`). */
const NEGATABLE = new Set(['in', 'matches', 'contains', 'startsWith', 'endsWith'])
const KEYWORDS = new Set(['true', 'false', 'nil', 'not', 'and', 'or', 'in', 'let', 'if', 'else'])

export function parseExpr(src: string): Node {
  const p = new Parser(tokenize(src))
  const node = p.expression(0)
  const t = p.peek()
  if (t.t !== 'eof') throw new ExprSyntaxError(`unexpected ${describe(t)}`, t.pos)
  return node
}

function describe(t: Token): string {
  if (t.t === 'eof') return 'end of expression'
  if (t.t === 'str') return `string ${JSON.stringify(t.v)}`
  return `token "${t.v}"`
}

class Parser {
  private i = 0
  private depth = 0
  /** > 0 while parsing a predicate body, where `#` and `.field` are allowed. */
  private closures = 0

  constructor(private readonly tokens: Token[]) {}

  peek(offset = 0): Token {
    return this.tokens[Math.min(this.i + offset, this.tokens.length - 1)] as Token
  }

  private next(): Token {
    const t = this.peek()
    if (this.i < this.tokens.length - 1) this.i++
    return t
  }

  private isOp(v: string, offset = 0): boolean {
    const t = this.peek(offset)
    return t.t === 'op' && t.v === v
  }

  private isWord(v: string, offset = 0): boolean {
    const t = this.peek(offset)
    return t.t === 'ident' && t.v === v
  }

  private expect(v: string): Token {
    const t = this.next()
    if (t.t !== 'op' || t.v !== v)
      throw new ExprSyntaxError(`expected "${v}", found ${describe(t)}`, t.pos)
    return t
  }

  private enter(pos: number): void {
    if (++this.depth > MAX_NESTING) {
      throw new ExprSyntaxError(
        `expression is nested too deeply (more than ${MAX_NESTING} levels)`,
        pos,
      )
    }
  }

  expression(minPrec: number): Node {
    const start = this.peek()
    this.enter(start.pos)
    try {
      if (this.isWord('let')) return this.letExpression()
      if (this.isWord('if') && !this.isOp('(', 1)) return this.ifExpression()
      let left = this.unary()
      for (;;) {
        const t = this.peek()
        let op: string | undefined
        let negate = false
        if (t.t === 'op' || t.t === 'ident') op = t.v
        if (op === 'not' && t.t === 'ident') {
          const after = this.peek(1)
          if (after.t === 'ident' && NEGATABLE.has(after.v)) {
            op = after.v
            negate = true
          }
        }
        const info = op !== undefined && Object.hasOwn(BINARY, op) ? BINARY[op] : undefined
        if (info === undefined || info.prec < minPrec) break
        this.next()
        if (negate) this.next()
        if (op === '|') {
          left = this.pipe(left)
          continue
        }
        const right = this.expression(info.right ? info.prec : info.prec + 1)
        left = { k: 'binary', op: op as string, l: left, r: right, pos: t.pos }
        if (negate) left = { k: 'unary', op: 'not', x: left, pos: t.pos }
      }
      if (minPrec === 0 && this.isOp('?')) {
        const q = this.next()
        const a = this.expression(0)
        this.expect(':')
        const b = this.expression(0)
        left = { k: 'cond', c: left, a, b, pos: q.pos }
      }
      return left
    } finally {
      this.depth--
    }
  }

  private letExpression(): Node {
    const kw = this.next()
    const name = this.next()
    if (name.t !== 'ident' || KEYWORDS.has(name.v)) {
      throw new ExprSyntaxError(`expected a variable name after "let"`, name.pos)
    }
    this.expect('=')
    const value = this.expression(0)
    this.expect(';')
    const body = this.expression(0)
    return { k: 'let', name: name.v, value, body, pos: kw.pos }
  }

  private ifExpression(): Node {
    const kw = this.next()
    const c = this.expression(0)
    this.expect('{')
    const a = this.expression(0)
    this.expect('}')
    if (!this.isWord('else'))
      throw new ExprSyntaxError('"if" needs an "else" branch', this.peek().pos)
    this.next()
    let b: Node
    if (this.isWord('if')) {
      b = this.ifExpression()
    } else {
      this.expect('{')
      b = this.expression(0)
      this.expect('}')
    }
    return { k: 'cond', c, a, b, pos: kw.pos }
  }

  /** `left | f(args)` is `f(left, args)`. */
  private pipe(left: Node): Node {
    const name = this.next()
    if (name.t !== 'ident' || !this.isOp('(')) {
      throw new ExprSyntaxError(
        'the right side of "|" must be a function call such as map(#)',
        name.pos,
      )
    }
    return this.call(name.v, name.pos, left)
  }

  private unary(): Node {
    const t = this.peek()
    if ((t.t === 'ident' && t.v === 'not') || (t.t === 'op' && t.v === '!')) {
      this.next()
      return { k: 'unary', op: 'not', x: this.expression(50), pos: t.pos }
    }
    if (t.t === 'op' && (t.v === '-' || t.v === '+')) {
      this.next()
      const x = this.expression(90)
      if (x.k === 'lit' && typeof x.v === 'number') {
        return { ...x, v: t.v === '-' ? -x.v : x.v, pos: t.pos }
      }
      return { k: 'unary', op: t.v, x, pos: t.pos }
    }
    return this.postfix(this.primary())
  }

  private primary(): Node {
    const t = this.next()
    switch (t.t) {
      case 'num':
        return t.int
          ? { k: 'lit', v: t.v, pos: t.pos }
          : { k: 'lit', v: t.v, pos: t.pos, float: true }
      case 'str':
        return { k: 'lit', v: t.v, pos: t.pos }
      case 'hash':
        if (this.closures === 0) {
          throw new ExprSyntaxError(
            `"${t.v}" is only valid inside a predicate such as filter(list, {# > 1})`,
            t.pos,
          )
        }
        return { k: 'ptr', name: t.v, pos: t.pos }
      case 'ident':
        return this.identifier(t)
      case 'op':
        return this.punctuation(t)
      default:
        throw new ExprSyntaxError('unexpected end of expression', t.pos)
    }
  }

  private identifier(t: Token & { t: 'ident' }): Node {
    switch (t.v) {
      case 'true':
        return { k: 'lit', v: true, pos: t.pos }
      case 'false':
        return { k: 'lit', v: false, pos: t.pos }
      case 'nil':
        return { k: 'lit', v: null, pos: t.pos }
    }
    if (this.isOp('(')) return this.call(t.v, t.pos)
    if (KEYWORDS.has(t.v)) throw new ExprSyntaxError(`unexpected keyword "${t.v}"`, t.pos)
    return { k: 'var', name: t.v, pos: t.pos }
  }

  private punctuation(t: Token & { t: 'op' }): Node {
    switch (t.v) {
      case '(': {
        const inner = this.expression(0)
        this.expect(')')
        return inner
      }
      case '[': {
        const items: Node[] = []
        while (!this.isOp(']')) {
          items.push(this.expression(0))
          if (!this.isOp(',')) break
          this.next()
        }
        this.expect(']')
        return { k: 'array', items, pos: t.pos }
      }
      case '{':
        return this.mapLiteral(t.pos)
      case '.': {
        // `.field` inside a predicate is `#.field`.
        const name = this.next()
        if (this.closures === 0 || name.t !== 'ident') {
          throw new ExprSyntaxError(
            '".field" is only valid inside a predicate such as filter(list, .x > 1)',
            t.pos,
          )
        }
        const member: Node = {
          k: 'member',
          obj: { k: 'ptr', name: '#', pos: t.pos },
          prop: { k: 'lit', v: name.v, pos: name.pos },
          optional: false,
          pos: t.pos,
        }
        return member
      }
    }
    throw new ExprSyntaxError(`unexpected ${describe(t)}`, t.pos)
  }

  private mapLiteral(pos: number): Node {
    const entries: Array<[string, Node]> = []
    while (!this.isOp('}')) {
      const k = this.next()
      let key: string
      if (k.t === 'ident' || k.t === 'str') key = k.v
      else if (k.t === 'num') key = String(k.v)
      else throw new ExprSyntaxError(`expected a map key, found ${describe(k)}`, k.pos)
      this.expect(':')
      entries.push([key, this.expression(0)])
      if (!this.isOp(',')) break
      this.next()
    }
    this.expect('}')
    return { k: 'map', entries, pos }
  }

  private postfix(node: Node): Node {
    let obj = node
    for (;;) {
      const t = this.peek()
      if (t.t !== 'op') return obj
      if (t.v === '.' || t.v === '?.') {
        this.next()
        const optional = t.v === '?.'
        if (optional && this.isOp('[')) {
          this.next()
          const prop = this.expression(0)
          this.expect(']')
          obj = { k: 'member', obj, prop, optional, pos: t.pos }
          continue
        }
        const name = this.next()
        if (name.t !== 'ident')
          throw new ExprSyntaxError(`expected a field name after "${t.v}"`, name.pos)
        if (this.isOp('(')) {
          throw new ExprSyntaxError(
            `method calls are not supported: call the builtin instead, e.g. ${name.v}(x)`,
            name.pos,
          )
        }
        obj = {
          k: 'member',
          obj,
          prop: { k: 'lit', v: name.v, pos: name.pos },
          optional,
          pos: t.pos,
        }
        continue
      }
      if (t.v === '[') {
        this.next()
        if (this.isOp(':')) {
          this.next()
          const to = this.isOp(']') ? undefined : this.expression(0)
          this.expect(']')
          obj = { k: 'slice', obj, ...(to === undefined ? {} : { to }), pos: t.pos }
          continue
        }
        const index = this.expression(0)
        if (this.isOp(':')) {
          this.next()
          const to = this.isOp(']') ? undefined : this.expression(0)
          this.expect(']')
          obj = { k: 'slice', obj, from: index, ...(to === undefined ? {} : { to }), pos: t.pos }
          continue
        }
        this.expect(']')
        obj = { k: 'member', obj, prop: index, optional: false, pos: t.pos }
        continue
      }
      return obj
    }
  }

  private call(name: string, pos: number, piped?: Node): Node {
    const info = builtinInfo(name)
    if (info === undefined) {
      throw new ExprSyntaxError(`unknown function ${name}()`, pos)
    }
    this.expect('(')
    const args: Node[] = piped === undefined ? [] : [piped]
    while (!this.isOp(')')) {
      const index = args.length
      if (info.predicates.includes(index)) args.push(this.predicate())
      else args.push(this.expression(0))
      if (!this.isOp(',')) break
      this.next()
    }
    this.expect(')')
    if (args.length < info.min || args.length > info.max) {
      const want =
        info.min === info.max
          ? `${info.min}`
          : info.max === Infinity
            ? `at least ${info.min}`
            : `${info.min} to ${info.max}`
      throw new ExprSyntaxError(
        `${name}() takes ${want} argument${info.max === 1 ? '' : 's'}, got ${args.length}`,
        pos,
      )
    }
    return { k: 'call', name, args, pos }
  }

  private predicate(): Node {
    const t = this.peek()
    this.closures++
    try {
      if (this.isOp('{')) {
        this.next()
        const body = this.expression(0)
        this.expect('}')
        return { k: 'closure', body, pos: t.pos }
      }
      return { k: 'closure', body: this.expression(0), pos: t.pos }
    } finally {
      this.closures--
    }
  }
}
