/**
 * The Expr builtin library (spec workflow.md §10.2) and the value helpers the evaluator shares
 * with it. Values are plain JSON (numbers, strings, booleans, null, arrays, records); nothing here
 * reaches a prototype, a constructor or a host object. Every loop charges the step budget and
 * every string or array a builtin builds is size-checked, so no expression can hang or exhaust
 * memory. Date/time functions are not provided (workflow results must replay identically).
 */
import { embedText, isRecord, setOwn } from './json.ts'
import { compileRegex, RegexSyntaxError } from './regex.ts'

/** Per-evaluation state: variables, local slots (let, #, #index, #acc) and the step budget. */
export interface Frame {
  env: Record<string, unknown>
  slots: unknown[]
  steps: number
  limit: number
}

export type Fn = (f: Frame) => unknown

/** A failure at run time, at a source offset. */
export class ExprRuntimeError extends Error {
  override name = 'ExprRuntimeError'
  constructor(
    message: string,
    readonly pos: number,
  ) {
    super(message)
  }
}

/** Longest string an expression may build (characters). */
export const MAX_STRING = 4 * 1024 * 1024
/** Longest array an expression may build. */
export const MAX_ARRAY = 1_000_000

export function tick(f: Frame, n: number, pos: number): void {
  f.steps += n
  if (f.steps > f.limit) {
    throw new ExprRuntimeError(`evaluation budget of ${f.limit} steps exceeded`, pos)
  }
}

export function checkString(s: string, pos: number): string {
  if (s.length > MAX_STRING) {
    throw new ExprRuntimeError(
      `string result too long (${s.length} characters, limit ${MAX_STRING})`,
      pos,
    )
  }
  return s
}

export function checkLength(n: number, pos: number): void {
  if (n > MAX_ARRAY)
    throw new ExprRuntimeError(`array too long (${n} items, limit ${MAX_ARRAY})`, pos)
}

// ---------------------------------------------------------------------------------------------
// Value helpers

export function typeOf(v: unknown): string {
  if (v === null || v === undefined) return 'nil'
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float'
  if (typeof v === 'string') return 'string'
  if (typeof v === 'boolean') return 'bool'
  if (Array.isArray(v)) return 'array'
  return 'map'
}

export function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (a === undefined) return b === null
  if (b === undefined) return a === null
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!equal(a[i], b[i])) return false
    return true
  }
  if (Array.isArray(b)) return false
  const ra = a as Record<string, unknown>
  const rb = b as Record<string, unknown>
  const ka = Object.keys(ra)
  if (ka.length !== Object.keys(rb).length) return false
  for (const k of ka) if (!Object.hasOwn(rb, k) || !equal(ra[k], rb[k])) return false
  return true
}

/** Orders two numbers or two strings; anything else is a run-time error. */
export function compare(a: unknown, b: unknown, op: string, pos: number): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0
  throw new ExprRuntimeError(`invalid operation: ${typeOf(a)} ${op} ${typeOf(b)}`, pos)
}

export function truthyBool(v: unknown, what: string, pos: number): boolean {
  if (typeof v === 'boolean') return v
  throw new ExprRuntimeError(`${what} must be a bool, got ${typeOf(v)}`, pos)
}

/** Field or index of a value: records by own key, arrays by (negative-from-end) index, strings by character. */
export function member(obj: unknown, key: unknown, pos: number): unknown {
  if (isRecord(obj)) {
    if (typeof key !== 'string') {
      if (typeof key === 'number') key = String(key)
      else throw new ExprRuntimeError(`cannot use ${typeOf(key)} as a map key`, pos)
    }
    const v = Object.hasOwn(obj, key as string) ? obj[key as string] : null
    return v === undefined ? null : v
  }
  if (Array.isArray(obj)) {
    if (typeof key === 'string') {
      throw new ExprRuntimeError(
        `cannot fetch ${JSON.stringify(key)} from array (use an index)`,
        pos,
      )
    }
    if (typeof key !== 'number' || !Number.isInteger(key)) {
      throw new ExprRuntimeError(`array index must be an int, got ${typeOf(key)}`, pos)
    }
    const i = key < 0 ? obj.length + key : key
    if (i < 0 || i >= obj.length) {
      throw new ExprRuntimeError(`index out of range: ${key} (array of length ${obj.length})`, pos)
    }
    const v = obj[i]
    return v === undefined ? null : v
  }
  if (typeof obj === 'string') {
    if (typeof key !== 'number' || !Number.isInteger(key)) {
      throw new ExprRuntimeError(`string index must be an int, got ${typeOf(key)}`, pos)
    }
    const chars = Array.from(obj)
    const i = key < 0 ? chars.length + key : key
    if (i < 0 || i >= chars.length) {
      throw new ExprRuntimeError(
        `index out of range: ${key} (string of length ${chars.length})`,
        pos,
      )
    }
    return chars[i]
  }
  if (obj === null || obj === undefined) {
    throw new ExprRuntimeError(
      `cannot fetch ${JSON.stringify(key)} from nil (use ?. to allow nil)`,
      pos,
    )
  }
  throw new ExprRuntimeError(`cannot fetch ${JSON.stringify(key)} from ${typeOf(obj)}`, pos)
}

function asArray(v: unknown, fn: string, pos: number): unknown[] {
  if (Array.isArray(v)) return v
  throw new ExprRuntimeError(`${fn}() expects an array, got ${typeOf(v)}`, pos)
}

function asString(v: unknown, fn: string, pos: number): string {
  if (typeof v === 'string') return v
  throw new ExprRuntimeError(`${fn}() expects a string, got ${typeOf(v)}`, pos)
}

function asNumber(v: unknown, fn: string, pos: number): number {
  if (typeof v === 'number') return v
  throw new ExprRuntimeError(`${fn}() expects a number, got ${typeOf(v)}`, pos)
}

function asInt(v: unknown, fn: string, pos: number): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v
  throw new ExprRuntimeError(`${fn}() expects an int, got ${typeOf(v)}`, pos)
}

function asRecord(v: unknown, fn: string, pos: number): Record<string, unknown> {
  if (isRecord(v)) return v
  throw new ExprRuntimeError(`${fn}() expects a map, got ${typeOf(v)}`, pos)
}

/** `string(x)`: strings as they are, numbers as JS number text, the rest as JSON. */
export function toText(v: unknown): string {
  if (v === null || v === undefined) return 'nil'
  return embedText(v)
}

function matchRegex(text: unknown, pattern: unknown, pos: number): boolean {
  if (typeof text !== 'string' || typeof pattern !== 'string') {
    throw new ExprRuntimeError(
      `matches needs strings, got ${typeOf(text)} and ${typeOf(pattern)}`,
      pos,
    )
  }
  try {
    return compileRegex(pattern).test(text)
  } catch (err) {
    if (err instanceof RegexSyntaxError) throw new ExprRuntimeError(err.message, pos)
    throw err
  }
}

export { matchRegex }

// ---------------------------------------------------------------------------------------------
// The library

export interface BuiltinInfo {
  min: number
  max: number
  /** Argument positions parsed as predicates (`{# > 1}` or a bare expression using `#`). */
  predicates: number[]
}

export interface Builtin extends BuiltinInfo {
  /** `args[i]` evaluates argument i; predicate bodies read `#`, `#index`, `#acc` from `slot`, `slot+1`, `slot+2`. */
  run(f: Frame, args: Fn[], pos: number, slot: number): unknown
}

type Plain = (v: unknown[], pos: number) => unknown

function plain(min: number, max: number, fn: Plain): Builtin {
  return {
    min,
    max,
    predicates: [],
    run(f, args, pos) {
      const v = new Array<unknown>(args.length)
      for (let i = 0; i < args.length; i++) v[i] = (args[i] as Fn)(f)
      return fn(v, pos)
    },
  }
}

type Iter = (f: Frame, list: unknown[], pred: Fn, slot: number, pos: number, rest: Fn[]) => unknown

function withPredicate(max: number, fn: Iter): Builtin {
  return {
    min: 2,
    max,
    predicates: [1],
    run(f, args, pos, slot) {
      const list = asArray((args[0] as Fn)(f), 'predicate', pos)
      return fn(f, list, args[1] as Fn, slot, pos, args.slice(2))
    },
  }
}

/** Runs the predicate on item i (sets `#` and `#index`, charges one step). */
function call(f: Frame, pred: Fn, slot: number, item: unknown, i: number, pos: number): unknown {
  tick(f, 1, pos)
  f.slots[slot] = item
  f.slots[slot + 1] = i
  return pred(f)
}

function test(
  f: Frame,
  pred: Fn,
  slot: number,
  item: unknown,
  i: number,
  pos: number,
  fn: string,
): boolean {
  const v = call(f, pred, slot, item, i, pos)
  if (typeof v === 'boolean') return v
  throw new ExprRuntimeError(`${fn}() predicate must return a bool, got ${typeOf(v)}`, pos)
}

function order(v: unknown, pos: number): 1 | -1 {
  if (v === undefined || v === 'asc') return 1
  if (v === 'desc') return -1
  throw new ExprRuntimeError(`sort order must be "asc" or "desc", got ${toText(v)}`, pos)
}

function sortValues<T>(items: T[], key: (t: T) => unknown, dir: 1 | -1, pos: number): T[] {
  const keyed = items.map((item) => ({ item, k: key(item) }))
  keyed.sort((a, b) => compare(a.k, b.k, '<', pos) * dir)
  return keyed.map((x) => x.item)
}

function numbersOf(v: unknown[], fn: string, pos: number): number[] {
  const list = v.length === 1 && Array.isArray(v[0]) ? (v[0] as unknown[]) : v
  return list.map((x) => asNumber(x, fn, pos))
}

function int64(v: unknown, fn: string, pos: number): bigint {
  return BigInt(asInt(v, fn, pos))
}

function fromInt64(n: bigint, pos: number): number {
  const v = BigInt.asIntN(64, n)
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new ExprRuntimeError(`integer result ${v} is outside the JSON-safe range`, pos)
  }
  return Number(v)
}

function splitN(s: string, sep: string, n: number | undefined, after: boolean): string[] {
  let parts: string[]
  if (sep === '') parts = Array.from(s)
  else parts = s.split(sep)
  if (after && sep !== '') parts = parts.map((p, i) => (i < parts.length - 1 ? p + sep : p))
  if (n === undefined || n < 0 || parts.length <= n) return parts
  if (n === 0) return []
  const head = parts.slice(0, n - 1)
  const tail = after ? parts.slice(n - 1).join('') : parts.slice(n - 1).join(sep)
  return [...head, tail]
}

function trimChars(s: string, chars: string, left: boolean, right: boolean): string {
  const set = new Set(Array.from(chars))
  const cs = Array.from(s)
  let a = 0
  let b = cs.length
  while (left && a < b && set.has(cs[a] as string)) a++
  while (right && b > a && set.has(cs[b - 1] as string)) b--
  return cs.slice(a, b).join('')
}

function flattenInto(out: unknown[], v: unknown[], f: Frame, pos: number, depth: number): void {
  if (depth > 100) throw new ExprRuntimeError('flatten(): array nested too deeply', pos)
  for (const x of v) {
    tick(f, 1, pos)
    if (Array.isArray(x)) flattenInto(out, x, f, pos, depth + 1)
    else out.push(x)
  }
  checkLength(out.length, pos)
}

/**
 * `toJSON`: JSON indented by two spaces (as expr-lang prints it). Written by hand so the size is
 * checked while writing: indentation grows quadratically with nesting, and JSON.stringify would
 * build a gigantic string before any check could run.
 */
function indentedJson(v: unknown, pos: number): string {
  const parts: string[] = []
  let size = 0
  const push = (s: string) => {
    size += s.length
    if (size > MAX_STRING) {
      throw new ExprRuntimeError(`toJSON(): result too long (limit ${MAX_STRING} characters)`, pos)
    }
    parts.push(s)
  }
  const write = (x: unknown, indent: string, depth: number): void => {
    if (depth > 256) throw new ExprRuntimeError('toJSON(): value nested too deeply', pos)
    if (Array.isArray(x)) {
      if (x.length === 0) {
        push('[]')
        return
      }
      const inner = `${indent}  `
      push('[')
      x.forEach((item, i) => {
        push(`${i === 0 ? '' : ','}\n${inner}`)
        write(item, inner, depth + 1)
      })
      push(`\n${indent}]`)
      return
    }
    if (isRecord(x)) {
      const keys = Object.keys(x)
      if (keys.length === 0) {
        push('{}')
        return
      }
      const inner = `${indent}  `
      push('{')
      keys.forEach((k, i) => {
        push(`${i === 0 ? '' : ','}\n${inner}${JSON.stringify(k)}: `)
        write(x[k], inner, depth + 1)
      })
      push(`\n${indent}}`)
      return
    }
    push(x === undefined ? 'null' : (JSON.stringify(x) ?? 'null'))
  }
  write(v, '', 0)
  return parts.join('')
}

const BUILTINS: Record<string, Builtin> = {
  // --- predicates over arrays
  all: withPredicate(2, (f, list, p, s, pos) =>
    list.every((x, i) => test(f, p, s, x, i, pos, 'all')),
  ),
  any: withPredicate(2, (f, list, p, s, pos) =>
    list.some((x, i) => test(f, p, s, x, i, pos, 'any')),
  ),
  none: withPredicate(
    2,
    (f, list, p, s, pos) => !list.some((x, i) => test(f, p, s, x, i, pos, 'none')),
  ),
  one: withPredicate(2, (f, list, p, s, pos) => {
    let n = 0
    for (let i = 0; i < list.length; i++)
      if (test(f, p, s, list[i], i, pos, 'one') && ++n > 1) return false
    return n === 1
  }),
  filter: withPredicate(2, (f, list, p, s, pos) =>
    list.filter((x, i) => test(f, p, s, x, i, pos, 'filter')),
  ),
  map: withPredicate(2, (f, list, p, s, pos) => list.map((x, i) => call(f, p, s, x, i, pos))),
  find: withPredicate(2, (f, list, p, s, pos) => {
    for (let i = 0; i < list.length; i++) if (test(f, p, s, list[i], i, pos, 'find')) return list[i]
    return null
  }),
  findIndex: withPredicate(2, (f, list, p, s, pos) => {
    for (let i = 0; i < list.length; i++) if (test(f, p, s, list[i], i, pos, 'findIndex')) return i
    return -1
  }),
  findLast: withPredicate(2, (f, list, p, s, pos) => {
    for (let i = list.length - 1; i >= 0; i--)
      if (test(f, p, s, list[i], i, pos, 'findLast')) return list[i]
    return null
  }),
  findLastIndex: withPredicate(2, (f, list, p, s, pos) => {
    for (let i = list.length - 1; i >= 0; i--)
      if (test(f, p, s, list[i], i, pos, 'findLastIndex')) return i
    return -1
  }),
  count: {
    min: 1,
    max: 2,
    predicates: [1],
    run(f, args, pos, slot) {
      const list = asArray((args[0] as Fn)(f), 'count', pos)
      const pred = args[1]
      let n = 0
      for (let i = 0; i < list.length; i++) {
        let ok: boolean
        if (pred === undefined) {
          tick(f, 1, pos)
          ok = truthyBool(list[i], 'count() item', pos)
        } else {
          ok = test(f, pred, slot, list[i], i, pos, 'count')
        }
        if (ok) n++
      }
      return n
    },
  },
  sum: {
    min: 1,
    max: 2,
    predicates: [1],
    run(f, args, pos, slot) {
      const list = asArray((args[0] as Fn)(f), 'sum', pos)
      const pred = args[1]
      let total = 0
      for (let i = 0; i < list.length; i++) {
        tick(f, 1, pos)
        const v = pred === undefined ? list[i] : call(f, pred, slot, list[i], i, pos)
        total += asNumber(v, 'sum', pos)
      }
      return total
    },
  },
  groupBy: withPredicate(2, (f, list, p, s, pos) => {
    const out: Record<string, unknown[]> = {}
    for (let i = 0; i < list.length; i++) {
      const key = toText(call(f, p, s, list[i], i, pos))
      const bucket = Object.hasOwn(out, key) ? out[key] : undefined
      if (bucket === undefined) setOwn(out, key, [list[i]])
      else bucket.push(list[i])
    }
    return out
  }),
  sortBy: withPredicate(3, (f, list, p, s, pos, rest) => {
    const dir = order(rest[0]?.(f), pos)
    const keys = list.map((x, i) => call(f, p, s, x, i, pos))
    tick(f, list.length, pos)
    return sortValues(
      list.map((_, i) => i),
      (i) => keys[i],
      dir,
      pos,
    ).map((i) => list[i])
  }),
  reduce: {
    min: 2,
    max: 3,
    predicates: [1],
    run(f, args, pos, slot) {
      const list = asArray((args[0] as Fn)(f), 'reduce', pos)
      const pred = args[1] as Fn
      let start = 0
      let acc: unknown
      if (args[2] !== undefined) acc = args[2](f)
      else {
        if (list.length === 0) return null
        acc = list[0]
        start = 1
      }
      for (let i = start; i < list.length; i++) {
        f.slots[slot + 2] = acc
        acc = call(f, pred, slot, list[i], i, pos)
      }
      return acc
    },
  },

  // --- arrays and maps
  len: plain(1, 1, ([v], pos) => {
    if (typeof v === 'string') {
      let n = 0
      for (const _ of v) n++
      return n
    }
    if (Array.isArray(v)) return v.length
    if (isRecord(v)) return Object.keys(v).length
    throw new ExprRuntimeError(`len() expects a string, array or map, got ${typeOf(v)}`, pos)
  }),
  first: plain(1, 1, ([v], pos) => asArray(v, 'first', pos)[0] ?? null),
  last: plain(1, 1, ([v], pos) => {
    const a = asArray(v, 'last', pos)
    return a.length === 0 ? null : a[a.length - 1]
  }),
  take: plain(2, 2, ([v, n], pos) =>
    asArray(v, 'take', pos).slice(0, Math.max(0, asInt(n, 'take', pos))),
  ),
  reverse: plain(1, 1, ([v], pos) => [...asArray(v, 'reverse', pos)].reverse()),
  sort: plain(1, 2, ([v, o], pos) =>
    sortValues([...asArray(v, 'sort', pos)], (x) => x, order(o, pos), pos),
  ),
  uniq: plain(1, 1, ([v], pos) => {
    const out: unknown[] = []
    for (const x of asArray(v, 'uniq', pos)) {
      if (out.length > 10_000)
        throw new ExprRuntimeError('uniq(): too many distinct items (limit 10000)', pos)
      if (!out.some((y) => equal(x, y))) out.push(x)
    }
    return out
  }),
  flatten: {
    min: 1,
    max: 1,
    predicates: [],
    run(f, args, pos) {
      const out: unknown[] = []
      flattenInto(out, asArray((args[0] as Fn)(f), 'flatten', pos), f, pos, 0)
      return out
    },
  },
  concat: {
    min: 1,
    max: Number.POSITIVE_INFINITY,
    predicates: [],
    run(f, args, pos) {
      const out: unknown[] = []
      for (const a of args) {
        const list = asArray(a(f), 'concat', pos)
        checkLength(out.length + list.length, pos)
        tick(f, list.length, pos)
        for (const x of list) out.push(x)
      }
      return out
    },
  },
  join: plain(1, 2, ([v, sep], pos) => {
    const parts = asArray(v, 'join', pos).map((x) => asString(x, 'join', pos))
    return checkString(parts.join(sep === undefined ? '' : asString(sep, 'join', pos)), pos)
  }),
  keys: plain(1, 1, ([v], pos) => Object.keys(asRecord(v, 'keys', pos))),
  values: plain(1, 1, ([v], pos) => Object.values(asRecord(v, 'values', pos))),
  toPairs: plain(1, 1, ([v], pos) => Object.entries(asRecord(v, 'toPairs', pos))),
  fromPairs: plain(1, 1, ([v], pos) => {
    const out: Record<string, unknown> = {}
    for (const pair of asArray(v, 'fromPairs', pos)) {
      if (!Array.isArray(pair) || pair.length !== 2) {
        throw new ExprRuntimeError('fromPairs() expects [key, value] pairs', pos)
      }
      const key = pair[0]
      if (typeof key !== 'string' && typeof key !== 'number') {
        throw new ExprRuntimeError(`fromPairs(): key must be a string, got ${typeOf(key)}`, pos)
      }
      setOwn(out, String(key), pair[1])
    }
    return out
  }),
  get: plain(2, 2, ([v, k], pos) => {
    if (isRecord(v) && (typeof k === 'string' || typeof k === 'number')) {
      const key = String(k)
      return Object.hasOwn(v, key) ? (v[key] ?? null) : null
    }
    if (Array.isArray(v) && typeof k === 'number' && Number.isInteger(k)) {
      const i = k < 0 ? v.length + k : k
      return i >= 0 && i < v.length ? (v[i] ?? null) : null
    }
    if (v === null || v === undefined) return null
    throw new ExprRuntimeError(`get() cannot index ${typeOf(v)} with ${typeOf(k)}`, pos)
  }),

  // --- numbers
  abs: plain(1, 1, ([v], pos) => Math.abs(asNumber(v, 'abs', pos))),
  ceil: plain(1, 1, ([v], pos) => Math.ceil(asNumber(v, 'ceil', pos))),
  floor: plain(1, 1, ([v], pos) => Math.floor(asNumber(v, 'floor', pos))),
  // Go's math.Round: half away from zero.
  round: plain(1, 1, ([v], pos) => {
    const n = asNumber(v, 'round', pos)
    return Math.sign(n) * Math.round(Math.abs(n))
  }),
  max: plain(1, Number.POSITIVE_INFINITY, (v, pos) => {
    const ns = numbersOf(v, 'max', pos)
    return ns.length === 0 ? null : ns.reduce((a, b) => Math.max(a, b))
  }),
  min: plain(1, Number.POSITIVE_INFINITY, (v, pos) => {
    const ns = numbersOf(v, 'min', pos)
    return ns.length === 0 ? null : ns.reduce((a, b) => Math.min(a, b))
  }),
  mean: plain(1, Number.POSITIVE_INFINITY, (v, pos) => {
    const ns = numbersOf(v, 'mean', pos)
    return ns.length === 0 ? 0 : ns.reduce((a, b) => a + b, 0) / ns.length
  }),
  median: plain(1, Number.POSITIVE_INFINITY, (v, pos) => {
    const ns = numbersOf(v, 'median', pos).sort((a, b) => a - b)
    if (ns.length === 0) return 0
    const mid = ns.length >> 1
    return ns.length % 2 === 1 ? ns[mid] : ((ns[mid - 1] as number) + (ns[mid] as number)) / 2
  }),
  int: plain(1, 1, ([v], pos) => {
    if (typeof v === 'number') return Math.trunc(v)
    if (typeof v === 'string') {
      const t = v.trim()
      if (/^[+-]?\d+$/.test(t) && Number.isSafeInteger(Number(t))) return Number(t)
      throw new ExprRuntimeError(`int(): cannot parse ${JSON.stringify(v)} as an int`, pos)
    }
    if (typeof v === 'boolean') return v ? 1 : 0
    throw new ExprRuntimeError(`int() expects a number or a string, got ${typeOf(v)}`, pos)
  }),
  float: plain(1, 1, ([v], pos) => {
    if (typeof v === 'number') return v
    if (typeof v === 'string') {
      const n = Number(v.trim())
      if (v.trim() !== '' && Number.isFinite(n)) return n
      throw new ExprRuntimeError(`float(): cannot parse ${JSON.stringify(v)} as a float`, pos)
    }
    throw new ExprRuntimeError(`float() expects a number or a string, got ${typeOf(v)}`, pos)
  }),
  bitand: plain(2, 2, ([a, b], pos) =>
    fromInt64(int64(a, 'bitand', pos) & int64(b, 'bitand', pos), pos),
  ),
  bitor: plain(2, 2, ([a, b], pos) =>
    fromInt64(int64(a, 'bitor', pos) | int64(b, 'bitor', pos), pos),
  ),
  bitxor: plain(2, 2, ([a, b], pos) =>
    fromInt64(int64(a, 'bitxor', pos) ^ int64(b, 'bitxor', pos), pos),
  ),
  bitnand: plain(2, 2, ([a, b], pos) =>
    fromInt64(int64(a, 'bitnand', pos) & ~int64(b, 'bitnand', pos), pos),
  ),
  bitnot: plain(1, 1, ([a], pos) => fromInt64(~int64(a, 'bitnot', pos), pos)),
  bitshl: plain(2, 2, ([a, b], pos) => fromInt64(int64(a, 'bitshl', pos) << shift(b, pos), pos)),
  bitshr: plain(2, 2, ([a, b], pos) => fromInt64(int64(a, 'bitshr', pos) >> shift(b, pos), pos)),
  bitushr: plain(2, 2, ([a, b], pos) =>
    fromInt64(BigInt.asUintN(64, int64(a, 'bitushr', pos)) >> shift(b, pos), pos),
  ),

  // --- strings
  upper: plain(1, 1, ([v], pos) => asString(v, 'upper', pos).toUpperCase()),
  lower: plain(1, 1, ([v], pos) => asString(v, 'lower', pos).toLowerCase()),
  trim: plain(1, 2, ([v, c], pos) =>
    c === undefined
      ? asString(v, 'trim', pos).trim()
      : trimChars(asString(v, 'trim', pos), asString(c, 'trim', pos), true, true),
  ),
  trimPrefix: plain(2, 2, ([v, p], pos) => {
    const s = asString(v, 'trimPrefix', pos)
    const pre = asString(p, 'trimPrefix', pos)
    return s.startsWith(pre) ? s.slice(pre.length) : s
  }),
  trimSuffix: plain(2, 2, ([v, p], pos) => {
    const s = asString(v, 'trimSuffix', pos)
    const suf = asString(p, 'trimSuffix', pos)
    return suf !== '' && s.endsWith(suf) ? s.slice(0, s.length - suf.length) : s
  }),
  split: plain(2, 3, ([v, sep, n], pos) =>
    splitN(
      asString(v, 'split', pos),
      asString(sep, 'split', pos),
      n === undefined ? undefined : asInt(n, 'split', pos),
      false,
    ),
  ),
  splitAfter: plain(2, 3, ([v, sep, n], pos) =>
    splitN(
      asString(v, 'splitAfter', pos),
      asString(sep, 'splitAfter', pos),
      n === undefined ? undefined : asInt(n, 'splitAfter', pos),
      true,
    ),
  ),
  replace: plain(3, 3, ([v, from, to], pos) => {
    const s = asString(v, 'replace', pos)
    const a = asString(from, 'replace', pos)
    const b = asString(to, 'replace', pos)
    if (a === '')
      throw new ExprRuntimeError('replace(): the text to replace must not be empty', pos)
    const size = s.length + (s.split(a).length - 1) * (b.length - a.length)
    if (size > MAX_STRING) {
      throw new ExprRuntimeError(
        `string result too long (${size} characters, limit ${MAX_STRING})`,
        pos,
      )
    }
    return s.replaceAll(a, b)
  }),
  repeat: plain(2, 2, ([v, n], pos) => {
    const s = asString(v, 'repeat', pos)
    const times = asInt(n, 'repeat', pos)
    if (times < 0) throw new ExprRuntimeError('repeat(): negative count', pos)
    if (s.length * times > MAX_STRING) {
      throw new ExprRuntimeError(
        `string result too long (${s.length * times} characters, limit ${MAX_STRING})`,
        pos,
      )
    }
    return s.repeat(times)
  }),
  indexOf: plain(2, 2, ([v, sub], pos) =>
    codePointIndex(asString(v, 'indexOf', pos), asString(sub, 'indexOf', pos), false),
  ),
  lastIndexOf: plain(2, 2, ([v, sub], pos) =>
    codePointIndex(asString(v, 'lastIndexOf', pos), asString(sub, 'lastIndexOf', pos), true),
  ),
  hasPrefix: plain(2, 2, ([v, p], pos) =>
    asString(v, 'hasPrefix', pos).startsWith(asString(p, 'hasPrefix', pos)),
  ),
  hasSuffix: plain(2, 2, ([v, p], pos) =>
    asString(v, 'hasSuffix', pos).endsWith(asString(p, 'hasSuffix', pos)),
  ),
  startsWith: plain(2, 2, ([v, p], pos) =>
    asString(v, 'startsWith', pos).startsWith(asString(p, 'startsWith', pos)),
  ),
  endsWith: plain(2, 2, ([v, p], pos) =>
    asString(v, 'endsWith', pos).endsWith(asString(p, 'endsWith', pos)),
  ),
  contains: plain(2, 2, ([v, x], pos) => containsOp(v, x, pos)),
  matches: plain(2, 2, ([v, p], pos) => matchRegex(v, p, pos)),

  // --- conversion
  type: plain(1, 1, ([v]) => typeOf(v)),
  string: plain(1, 1, ([v], pos) => checkString(toText(v), pos)),
  toJSON: plain(1, 1, ([v], pos) => indentedJson(v, pos)),
  fromJSON: plain(1, 1, ([v], pos) => {
    try {
      return JSON.parse(asString(v, 'fromJSON', pos)) as unknown
    } catch (err) {
      if (err instanceof ExprRuntimeError) throw err
      throw new ExprRuntimeError(`fromJSON(): ${(err as Error).message}`, pos)
    }
  }),
  toBase64: plain(1, 1, ([v], pos) =>
    checkString(Buffer.from(asString(v, 'toBase64', pos), 'utf8').toString('base64'), pos),
  ),
  fromBase64: plain(1, 1, ([v], pos) => {
    const s = asString(v, 'fromBase64', pos)
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) {
      throw new ExprRuntimeError('fromBase64(): not valid base64', pos)
    }
    return Buffer.from(s, 'base64').toString('utf8')
  }),
}

function shift(v: unknown, pos: number): bigint {
  const n = asInt(v, 'shift', pos)
  if (n < 0 || n > 63) throw new ExprRuntimeError(`shift count ${n} out of range 0..63`, pos)
  return BigInt(n)
}

function codePointIndex(s: string, sub: string, last: boolean): number {
  const i = last ? s.lastIndexOf(sub) : s.indexOf(sub)
  if (i <= 0) return i
  return Array.from(s.slice(0, i)).length
}

/** `a contains b`: substring for strings, element for arrays, key for maps. */
export function containsOp(a: unknown, b: unknown, pos: number): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a.includes(b)
  if (Array.isArray(a)) return a.some((x) => equal(x, b))
  if (isRecord(a) && typeof b === 'string') return Object.hasOwn(a, b)
  throw new ExprRuntimeError(`invalid operation: ${typeOf(a)} contains ${typeOf(b)}`, pos)
}

/** The builtin named `name`, or undefined (never an inherited property). */
export function builtin(name: string): Builtin | undefined {
  return Object.hasOwn(BUILTINS, name) ? BUILTINS[name] : undefined
}

export function builtinInfo(name: string): BuiltinInfo | undefined {
  return builtin(name)
}

/** Names of every builtin, sorted (for documentation and `--help`). */
export function builtinNames(): string[] {
  return Object.keys(BUILTINS).sort()
}
