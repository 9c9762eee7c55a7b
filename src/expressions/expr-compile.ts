/**
 * Compiles an Expr syntax tree into JavaScript closures (no `eval`, no `Function`): one closure
 * per node, `let` variables and predicate pointers in numbered slots. A light static pass rejects
 * what can never work whatever the data (`"a" + 1`, `not 5`, an invalid literal regex) at
 * compile time, as expr-lang does; everything else is checked at run time.
 */
import {
  builtin,
  checkLength,
  checkString,
  compare,
  containsOp,
  ExprRuntimeError,
  equal,
  type Fn,
  type Frame,
  matchRegex,
  member,
  tick,
  truthyBool,
  typeOf,
} from './expr-builtins.ts'
import { ExprSyntaxError } from './expr-lexer.ts'
import type { Node } from './expr-parser.ts'
import { isRecord, setOwn } from './json.ts'
import { compileRegex, RegexSyntaxError } from './regex.ts'

/** Static type of a node: known for literals and operators, `any` for data. */
type Ty = 'int' | 'float' | 'string' | 'bool' | 'nil' | 'array' | 'map' | 'any'

interface Compiled {
  fn: Fn
  ty: Ty
}

interface Scope {
  lets: Map<string, number>
  /** First of the three slots (`#`, `#index`, `#acc`) of the innermost predicate. */
  pointer: number | undefined
}

/** Marks an optional chain (`a?.b.c`) cut short by a nil: the whole chain is nil. */
const SHORT = Symbol('short')

export interface ExprProgram {
  /** Number of local slots an evaluation needs. */
  slots: number
  fn: Fn
}

export function compileTree(node: Node): ExprProgram {
  const c = new Compiler()
  const { fn } = c.node(node, { lets: new Map(), pointer: undefined })
  return { slots: c.slots, fn }
}

const isNum = (t: Ty) => t === 'int' || t === 'float'
const known = (t: Ty) => t !== 'any'

function mismatch(op: string, a: Ty, b: Ty, pos: number): never {
  throw new ExprSyntaxError(`invalid operation: ${op} (mismatched types ${a} and ${b})`, pos)
}

function tyOf(v: unknown, float?: boolean): Ty {
  if (typeof v === 'number') return float ? 'float' : Number.isInteger(v) ? 'int' : 'float'
  return typeOf(v) as Ty
}

class Compiler {
  slots = 0

  node(n: Node, s: Scope): Compiled {
    switch (n.k) {
      case 'lit': {
        const v = n.v
        return { fn: () => v, ty: tyOf(v, n.float) }
      }
      case 'var': {
        const slot = s.lets.get(n.name)
        if (slot !== undefined) return { fn: (f) => f.slots[slot], ty: 'any' }
        const name = n.name
        return {
          fn: (f) => {
            const env = f.env
            if (!Object.hasOwn(env, name)) return null
            const v = env[name]
            return v === undefined ? null : v
          },
          ty: 'any',
        }
      }
      case 'ptr': {
        if (s.pointer === undefined) {
          throw new ExprSyntaxError(`"${n.name}" is only valid inside a predicate`, n.pos)
        }
        const slot = s.pointer + (n.name === '#' ? 0 : n.name === '#index' ? 1 : 2)
        return { fn: (f) => f.slots[slot], ty: n.name === '#index' ? 'int' : 'any' }
      }
      case 'member':
      case 'slice': {
        const chain = this.access(n, s)
        if (!hasOptional(n)) return { fn: chain, ty: 'any' }
        return {
          fn: (f) => {
            const v = chain(f)
            return v === SHORT ? null : v
          },
          ty: 'any',
        }
      }
      case 'call':
        return this.call(n, s)
      case 'closure':
        throw new ExprSyntaxError('a predicate is only valid as a builtin argument', n.pos)
      case 'unary':
        return this.unary(n, s)
      case 'binary':
        return this.binary(n, s)
      case 'cond': {
        const c = this.node(n.c, s)
        if (known(c.ty) && c.ty !== 'bool') {
          throw new ExprSyntaxError(`non-bool condition (type ${c.ty})`, n.c.pos)
        }
        const a = this.node(n.a, s).fn
        const b = this.node(n.b, s).fn
        const cf = c.fn
        const pos = n.pos
        return { fn: (f) => (truthyBool(cf(f), 'condition', pos) ? a(f) : b(f)), ty: 'any' }
      }
      case 'array': {
        const items = n.items.map((i) => this.node(i, s).fn)
        return { fn: (f) => items.map((i) => i(f)), ty: 'array' }
      }
      case 'map': {
        const entries = n.entries.map(([k, v]) => [k, this.node(v, s).fn] as const)
        return {
          fn: (f) => {
            const out: Record<string, unknown> = {}
            for (const [k, v] of entries) setOwn(out, k, v(f))
            return out
          },
          ty: 'map',
        }
      }
      case 'let': {
        const slot = this.slots++
        const value = this.node(n.value, s).fn
        const lets = new Map(s.lets)
        lets.set(n.name, slot)
        const body = this.node(n.body, { lets, pointer: s.pointer })
        const bf = body.fn
        return {
          fn: (f) => {
            f.slots[slot] = value(f)
            return bf(f)
          },
          ty: body.ty,
        }
      }
    }
  }

  /** A member/slice chain; returns SHORT when an optional link met nil. */
  private access(n: Node, s: Scope): Fn {
    if (n.k !== 'member' && n.k !== 'slice') return this.node(n, s).fn
    const obj = this.access(n.obj, s)
    const pos = n.pos
    if (n.k === 'slice') {
      const from = n.from === undefined ? undefined : this.node(n.from, s).fn
      const to = n.to === undefined ? undefined : this.node(n.to, s).fn
      return (f) => {
        const o = obj(f)
        if (o === SHORT) return SHORT
        return slice(o, from?.(f), to?.(f), pos)
      }
    }
    const optional = n.optional
    if (n.prop.k === 'lit') {
      const key = n.prop.v
      return (f) => {
        const o = obj(f)
        if (o === SHORT || (optional && (o === null || o === undefined))) return SHORT
        return member(o, key, pos)
      }
    }
    const prop = this.node(n.prop, s).fn
    return (f) => {
      const o = obj(f)
      if (o === SHORT || (optional && (o === null || o === undefined))) return SHORT
      return member(o, prop(f), pos)
    }
  }

  private call(n: Node & { k: 'call' }, s: Scope): Compiled {
    const b = builtin(n.name)
    if (b === undefined) throw new ExprSyntaxError(`unknown function ${n.name}()`, n.pos)
    let slot = -1
    const args = n.args.map((a) => {
      if (a.k !== 'closure') return this.node(a, s).fn
      if (slot === -1) {
        slot = this.slots
        this.slots += 3
      }
      return this.node(a.body, { lets: s.lets, pointer: slot }).fn
    })
    if (n.name === 'matches') constantRegex(n.args[1])
    const pos = n.pos
    const run = b.run
    return { fn: (f) => run(f, args, pos, slot), ty: 'any' }
  }

  private unary(n: Node & { k: 'unary' }, s: Scope): Compiled {
    const x = this.node(n.x, s)
    const xf = x.fn
    const pos = n.pos
    if (n.op === 'not') {
      if (known(x.ty) && x.ty !== 'bool') {
        throw new ExprSyntaxError(`invalid operation: not ${x.ty}`, pos)
      }
      return { fn: (f) => !truthyBool(xf(f), 'operand of not', pos), ty: 'bool' }
    }
    if (known(x.ty) && !isNum(x.ty))
      throw new ExprSyntaxError(`invalid operation: ${n.op}${x.ty}`, pos)
    const neg = n.op === '-'
    return {
      fn: (f) => {
        const v = xf(f)
        if (typeof v !== 'number')
          throw new ExprRuntimeError(`invalid operation: ${n.op}${typeOf(v)}`, pos)
        return neg ? -v : v
      },
      ty: x.ty,
    }
  }

  private binary(n: Node & { k: 'binary' }, s: Scope): Compiled {
    const l = this.node(n.l, s)
    const r = this.node(n.r, s)
    const lf = l.fn
    const rf = r.fn
    const op = n.op
    const pos = n.pos
    const both = known(l.ty) && known(r.ty) && l.ty !== 'nil' && r.ty !== 'nil'
    switch (op) {
      case 'and':
      case '&&':
      case 'or':
      case '||': {
        for (const t of [l.ty, r.ty]) if (known(t) && t !== 'bool') mismatch(op, l.ty, r.ty, pos)
        const isAnd = op === 'and' || op === '&&'
        return {
          fn: isAnd
            ? (f) =>
                truthyBool(lf(f), `left side of ${op}`, pos) &&
                truthyBool(rf(f), `right side of ${op}`, pos)
            : (f) =>
                truthyBool(lf(f), `left side of ${op}`, pos) ||
                truthyBool(rf(f), `right side of ${op}`, pos),
          ty: 'bool',
        }
      }
      case '??':
        return {
          fn: (f) => {
            const v = lf(f)
            return v === null || v === undefined ? rf(f) : v
          },
          ty: 'any',
        }
      case '==':
        return { fn: (f) => equal(lf(f), rf(f)), ty: 'bool' }
      case '!=':
        return { fn: (f) => !equal(lf(f), rf(f)), ty: 'bool' }
      case '<':
      case '>':
      case '<=':
      case '>=': {
        if (both && !(isNum(l.ty) && isNum(r.ty)) && !(l.ty === 'string' && r.ty === 'string')) {
          mismatch(op, l.ty, r.ty, pos)
        }
        const test =
          op === '<'
            ? (c: number) => c < 0
            : op === '>'
              ? (c: number) => c > 0
              : op === '<='
                ? (c: number) => c <= 0
                : (c: number) => c >= 0
        return { fn: (f) => test(compare(lf(f), rf(f), op, pos)), ty: 'bool' }
      }
      case 'in':
        if (known(r.ty) && r.ty !== 'array' && r.ty !== 'map' && r.ty !== 'nil')
          mismatch(op, l.ty, r.ty, pos)
        return { fn: (f) => inOp(lf(f), rf(f), pos), ty: 'bool' }
      case 'contains':
      case 'startsWith':
      case 'endsWith':
      case 'matches': {
        if (op !== 'contains') {
          for (const t of [l.ty, r.ty])
            if (known(t) && t !== 'string') mismatch(op, l.ty, r.ty, pos)
        }
        if (op === 'matches') {
          constantRegex(n.r)
          return { fn: (f) => matchRegex(lf(f), rf(f), pos), ty: 'bool' }
        }
        if (op === 'contains') return { fn: (f) => containsOp(lf(f), rf(f), pos), ty: 'bool' }
        const starts = op === 'startsWith'
        return {
          fn: (f) => {
            const a = lf(f)
            const b = rf(f)
            if (typeof a !== 'string' || typeof b !== 'string') {
              throw new ExprRuntimeError(`invalid operation: ${typeOf(a)} ${op} ${typeOf(b)}`, pos)
            }
            return starts ? a.startsWith(b) : a.endsWith(b)
          },
          ty: 'bool',
        }
      }
      case '..':
        for (const t of [l.ty, r.ty]) if (known(t) && t !== 'int') mismatch(op, l.ty, r.ty, pos)
        return { fn: (f) => range(f, lf(f), rf(f), pos), ty: 'array' }
      case '+': {
        if (both && !(isNum(l.ty) && isNum(r.ty)) && l.ty !== r.ty) mismatch(op, l.ty, r.ty, pos)
        if (both && l.ty === r.ty && !['int', 'float', 'string', 'array'].includes(l.ty))
          mismatch(op, l.ty, r.ty, pos)
        return {
          fn: (f) => plus(f, lf(f), rf(f), pos),
          ty: numTy(l.ty, r.ty) ?? (l.ty === r.ty ? l.ty : 'any'),
        }
      }
      default: {
        if (both && !(isNum(l.ty) && isNum(r.ty))) mismatch(op, l.ty, r.ty, pos)
        if (op === '%' && known(l.ty) && known(r.ty) && (l.ty === 'float' || r.ty === 'float'))
          mismatch(op, l.ty, r.ty, pos)
        const fn = arithmetic(op)
        const ty: Ty =
          op === '/' || op === '**' || op === '^' ? 'float' : (numTy(l.ty, r.ty) ?? 'any')
        return {
          fn: (f) => {
            const a = lf(f)
            const b = rf(f)
            if (typeof a !== 'number' || typeof b !== 'number') {
              throw new ExprRuntimeError(`invalid operation: ${typeOf(a)} ${op} ${typeOf(b)}`, pos)
            }
            return fn(a, b, pos)
          },
          ty,
        }
      }
    }
  }
}

function numTy(a: Ty, b: Ty): Ty | undefined {
  if (!isNum(a) || !isNum(b)) return undefined
  return a === 'int' && b === 'int' ? 'int' : 'float'
}

function hasOptional(n: Node): boolean {
  for (let x: Node = n; x.k === 'member' || x.k === 'slice'; x = x.obj) {
    if (x.k === 'member' && x.optional) return true
  }
  return false
}

/** A literal pattern is checked when the expression compiles, not at its first evaluation. */
function constantRegex(n: Node | undefined): void {
  if (n?.k !== 'lit' || typeof n.v !== 'string') return
  try {
    compileRegex(n.v)
  } catch (err) {
    if (err instanceof RegexSyntaxError) throw new ExprSyntaxError(err.message, n.pos)
    throw err
  }
}

function arithmetic(op: string): (a: number, b: number, pos: number) => number {
  switch (op) {
    case '-':
      return (a, b) => a - b
    case '*':
      return (a, b) => a * b
    case '/':
      return (a, b, pos) => {
        if (b === 0) throw new ExprRuntimeError('division by zero', pos)
        return a / b
      }
    case '%':
      return (a, b, pos) => {
        if (!Number.isInteger(a) || !Number.isInteger(b)) {
          throw new ExprRuntimeError(
            `invalid operation: % needs ints, got ${typeOf(a)} and ${typeOf(b)}`,
            pos,
          )
        }
        if (b === 0) throw new ExprRuntimeError('integer divide by zero', pos)
        return a % b
      }
    default:
      return (a, b) => a ** b
  }
}

function plus(f: Frame, a: unknown, b: unknown, pos: number): unknown {
  if (typeof a === 'number' && typeof b === 'number') return a + b
  if (typeof a === 'string' && typeof b === 'string') {
    if (a.length + b.length > 4 * 1024 * 1024) checkString(a + b, pos)
    return a + b
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    checkLength(a.length + b.length, pos)
    tick(f, a.length + b.length, pos)
    return a.concat(b)
  }
  throw new ExprRuntimeError(`invalid operation: ${typeOf(a)} + ${typeOf(b)}`, pos)
}

function inOp(item: unknown, coll: unknown, pos: number): boolean {
  if (Array.isArray(coll)) {
    for (const x of coll) if (equal(x, item)) return true
    return false
  }
  if (isRecord(coll)) {
    // Map keys are strings; `1 in {1: "a"}` finds the key written 1.
    if (typeof item === 'number') return Object.hasOwn(coll, String(item))
    return typeof item === 'string' && Object.hasOwn(coll, item)
  }
  if (coll === null || coll === undefined) return false
  throw new ExprRuntimeError(`invalid operation: in ${typeOf(coll)} (need an array or a map)`, pos)
}

function range(f: Frame, a: unknown, b: unknown, pos: number): number[] {
  if (
    typeof a !== 'number' ||
    typeof b !== 'number' ||
    !Number.isInteger(a) ||
    !Number.isInteger(b)
  ) {
    throw new ExprRuntimeError(`invalid operation: ${typeOf(a)} .. ${typeOf(b)} (need ints)`, pos)
  }
  const n = b < a ? 0 : b - a + 1
  checkLength(n, pos)
  tick(f, n, pos)
  const out = new Array<number>(n)
  for (let i = 0; i < n; i++) out[i] = a + i
  return out
}

function slice(o: unknown, from: unknown, to: unknown, pos: number): unknown {
  const bound = (v: unknown, len: number, dflt: number): number => {
    if (v === undefined || v === null) return dflt
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      throw new ExprRuntimeError(`slice bound must be an int, got ${typeOf(v)}`, pos)
    }
    const i = v < 0 ? len + v : v
    return Math.min(Math.max(i, 0), len)
  }
  if (Array.isArray(o)) return o.slice(bound(from, o.length, 0), bound(to, o.length, o.length))
  if (typeof o === 'string') {
    const chars = Array.from(o)
    return chars.slice(bound(from, chars.length, 0), bound(to, chars.length, chars.length)).join('')
  }
  throw new ExprRuntimeError(`cannot slice ${typeOf(o)}`, pos)
}
