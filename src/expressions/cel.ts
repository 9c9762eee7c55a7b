/**
 * CEL (spec workflow.md §10.1) on @marcbachmann/cel-js: conditions, loop `over`/`condition` and
 * step guards. One environment with `steps`, `inputs`, `workflow`, `context` and `iter` declared as
 * `map(string, dyn)`; programs compiled once per source text and cached.
 *
 * Choices beyond standard CEL (docs/expressions.md):
 * - JSON numbers arrive as doubles and CEL literals are ints, so int/double arithmetic and equality
 *   are allowed both ways (`steps.x.count + 1`, `inputs.n % 2 == 0`, `1 == 1.0`); the result of a
 *   mixed operation is a double.
 * - `matches` runs RE2 (re2js), linear-time, instead of JavaScript's backtracking RegExp.
 * - Results are plain JSON: ints → numbers (unsafe integers rejected), uint → number, timestamp →
 *   RFC 3339 text, duration → `"90s"`, bytes → base64, type → its name, optional → value or null.
 */
import {
  TypeError as CelTypeError,
  Environment,
  EvaluationError,
  Optional,
  ParseError,
  type ParseResult,
} from '@marcbachmann/cel-js'
import type { CelScope } from '../engine/ports.ts'
import { AppError } from '../errors.ts'
import { finiteNumber, safeInteger, setOwn } from './json.ts'
import { compileRegex, RegexSyntaxError } from './regex.ts'

/** Longest CEL source accepted (characters). */
export const CEL_MAX_SOURCE = 16_384
const CACHE_SIZE = 2_000
const ENGINE = 'CEL'

export const CEL_VARIABLES = ['steps', 'inputs', 'workflow', 'context', 'iter'] as const

type Program = ParseResult
type CacheEntry = { program: Program } | { error: AppError }

let environment: Environment | undefined
const cache = new Map<string, CacheEntry>()

function env(): Environment {
  if (environment !== undefined) return environment
  const e = new Environment({
    homogeneousAggregateLiterals: false,
    limits: { maxAstNodes: 4_000, maxDepth: 64, maxListElements: 1_000, maxMapEntries: 1_000 },
  })
  for (const name of CEL_VARIABLES) e.registerVariable(name, 'map<string, dyn>')
  registerMixedArithmetic(e)
  registerRe2Matches(e)
  environment = e
  // Type-checking a `matches` call hands our macro a checker context; the iteration budget is
  // installed from it (see installIterationBudget).
  e.check('"".matches("")')
  return e
}

// ---------------------------------------------------------------------------------------------
// Iteration budget

/** Most macro iterations (`map`, `filter`, `all`, `exists`…, nested ones multiplied) per evaluation. */
export const CEL_MAX_ITERATIONS = 1_000_000
let iterations = 0
let budgetInstalled = false

/**
 * CEL has no loops, but nested macros over large lists multiply (`l.map(a, l.map(b, l.map(c,
 * 1)))` on 1,000 items is a billion steps) and cel-js has no evaluation limit. Every macro
 * iteration sets the loop variable through the iteration context's `setIterValue`; that method is
 * wrapped once to count iterations per evaluation. The context class is internal to cel-js 8.0.0
 * (pinned): it is reached through a context the checker hands to our `matches` macro, and the
 * hostile-input tests fail if a library upgrade moves it.
 */
function installIterationBudget(checkerCtx: unknown): void {
  if (budgetInstalled) return
  const fork = (checkerCtx as { forkWithVariable?: (name: string, type: unknown) => object })
    .forkWithVariable
  if (typeof fork !== 'function') return
  const overlay = fork.call(checkerCtx, '__opcode_probe', undefined)
  const proto = Object.getPrototypeOf(overlay) as {
    setIterValue?: (this: unknown, v: unknown, ev: unknown) => unknown
  }
  const original = proto.setIterValue
  if (typeof original !== 'function') return
  proto.setIterValue = function (this: unknown, v: unknown, ev: unknown) {
    if (++iterations > CEL_MAX_ITERATIONS) {
      throw new EvaluationError(
        `evaluation budget of ${CEL_MAX_ITERATIONS} macro iterations exceeded`,
      )
    }
    return original.call(this, v, ev)
  }
  budgetInstalled = true
}

/** Whether macro iterations are counted (false would mean cel-js changed its internals). */
export function celIterationBudgetInstalled(): boolean {
  env()
  return budgetInstalled
}

function registerMixedArithmetic(e: Environment): void {
  const num = (v: unknown): number => Number(v as number | bigint)
  const ops: Array<[string, (a: number, b: number) => unknown]> = [
    ['+', (a, b) => a + b],
    ['-', (a, b) => a - b],
    ['*', (a, b) => a * b],
    ['/', (a, b) => a / b],
    [
      '%',
      (a, b) => {
        if (b === 0) throw new EvaluationError('modulus by zero')
        return a % b
      },
    ],
    ['==', (a, b) => a === b],
    ['!=', (a, b) => a !== b],
  ]
  for (const [op, fn] of ops) {
    for (const sig of [`double ${op} int`, `int ${op} double`, `double ${op} double`]) {
      try {
        e.registerOperator(sig, (a: unknown, b: unknown) => fn(num(a), num(b)))
      } catch {
        // Already defined by the library (CEL's own double-double operators, or the mirror of
        // a symmetric equality registered a line earlier): keep the library's.
      }
    }
  }
}

/**
 * Replaces the library's RegExp-based `string.matches` with RE2. The library resolves macros by
 * name before overloads, so a macro declared on a private receiver type takes every
 * `x.matches(p)` call; the global form `matches(s, p)` is a plain function.
 */
function registerRe2Matches(e: Environment): void {
  class OpcodeRe2Receiver {}
  e.registerType('OpcodeRe2Receiver', OpcodeRe2Receiver)
  interface MatchesMacro {
    receiver: Parameters<Evaluator['run']>[0]
    pattern: Parameters<Evaluator['run']>[0]
  }
  interface Evaluator {
    run(node: unknown, ctx: unknown): unknown
  }
  interface Checker {
    check(node: unknown, ctx: unknown): { toString(): string }
    getType(name: string): unknown
    createError(code: string, message: string, node: unknown): Error
  }
  e.registerFunction('OpcodeRe2Receiver.matches(ast): bool', ((opts: {
    args: unknown[]
    receiver: unknown
  }) => ({
    receiver: opts.receiver,
    pattern: opts.args[0],
    typeCheck(checker: Checker, macro: MatchesMacro, ctx: unknown) {
      installIterationBudget(ctx)
      for (const node of [macro.receiver, macro.pattern]) {
        const type = String(checker.check(node, ctx))
        if (type !== 'string' && type !== 'dyn') {
          throw checker.createError(
            'no_matching_overload',
            `found no matching overload for '${type}.matches()': matches needs strings`,
            node,
          )
        }
      }
      const literal = macro.pattern as { op?: string; args?: unknown }
      if (literal.op === 'value' && typeof literal.args === 'string') {
        try {
          compileRegex(literal.args)
        } catch (err) {
          throw checker.createError('invalid_regular_expression', (err as Error).message, literal)
        }
      }
      return checker.getType('bool')
    },
    evaluate(ev: Evaluator, macro: MatchesMacro, ctx: unknown) {
      return re2Matches(ev.run(macro.receiver, ctx), ev.run(macro.pattern, ctx))
    },
  })) as never)
  e.registerFunction('matches(string, string): bool', (s: unknown, p: unknown) => re2Matches(s, p))
}

function re2Matches(text: unknown, pattern: unknown): boolean {
  if (typeof text !== 'string' || typeof pattern !== 'string') {
    throw new EvaluationError('matches needs a string receiver and a string pattern')
  }
  try {
    return compileRegex(pattern).test(text)
  } catch (err) {
    if (err instanceof RegexSyntaxError) throw new EvaluationError(err.message)
    throw err
  }
}

// ---------------------------------------------------------------------------------------------
// Compile

/** Compiles (or fetches from the cache) a CEL program. Throws VALIDATION_ERROR. */
export function compileCel(expression: string): Program {
  const hit = cache.get(expression)
  const entry = hit ?? remember(expression, compileUncached(expression))
  if ('error' in entry) throw entry.error
  return entry.program
}

function remember(expression: string, entry: CacheEntry): CacheEntry {
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string)
  cache.set(expression, entry)
  return entry
}

function compileUncached(expression: string): CacheEntry {
  if (typeof expression !== 'string' || expression.trim() === '') {
    return {
      error: new AppError('VALIDATION_ERROR', 'empty CEL expression', {
        details: { engine: ENGINE, position: 0 },
      }),
    }
  }
  if (expression.length > CEL_MAX_SOURCE) {
    return {
      error: new AppError(
        'VALIDATION_ERROR',
        `CEL expression is too long (${expression.length} characters, limit ${CEL_MAX_SOURCE})`,
        { details: { engine: ENGINE, position: CEL_MAX_SOURCE } },
      ),
    }
  }
  let program: Program
  try {
    program = env().parse(expression)
  } catch (err) {
    return { error: compileError(expression, err) }
  }
  const checked = program.check()
  if (!checked.valid) return { error: compileError(expression, checked.error) }
  return { program }
}

function compileError(expression: string, err: unknown): AppError {
  if (err instanceof ParseError || err instanceof CelTypeError || err instanceof EvaluationError) {
    const position = err.range?.start ?? 0
    const summary = err.summary || firstLine(err.message)
    return new AppError(
      'VALIDATION_ERROR',
      `invalid CEL expression at position ${position}: ${summary}`,
      { details: { engine: ENGINE, position, expression }, cause: err },
    )
  }
  const message = err instanceof Error ? err.message : String(err)
  return new AppError('VALIDATION_ERROR', `invalid CEL expression: ${firstLine(message)}`, {
    details: { engine: ENGINE, position: 0, expression },
    cause: err,
  })
}

function firstLine(text: string): string {
  const i = text.indexOf('\n')
  return i === -1 ? text : text.slice(0, i)
}

/** Compile-only check for the validator (parse + type check against the declared variables). */
export function checkCel(
  expression: string,
): { ok: true } | { ok: false; message: string; position?: number } {
  try {
    compileCel(expression)
    return { ok: true }
  } catch (err) {
    const e = err as AppError
    const position = (e.details as { position?: number } | undefined)?.position
    return position === undefined
      ? { ok: false, message: e.message }
      : { ok: false, message: e.message, position }
  }
}

// ---------------------------------------------------------------------------------------------
// Evaluate

const EMPTY: Record<string, unknown> = Object.freeze(Object.create(null))

/**
 * Evaluates `expression` against `scope` and returns plain JSON. Throws VALIDATION_ERROR for an
 * empty or uncompilable expression and EXECUTION_ERROR for a failure at run time.
 */
export function evalCel(expression: string, scope: Partial<CelScope>): unknown {
  const program = compileCel(expression)
  let value: unknown
  iterations = 0
  try {
    value = program({
      steps: scope.steps ?? EMPTY,
      inputs: scope.inputs ?? EMPTY,
      workflow: scope.workflow ?? EMPTY,
      context: scope.context ?? EMPTY,
      iter: celIter(scope.iter),
    })
  } catch (err) {
    throw runtimeError(expression, err)
  }
  return toJson(value, 0)
}

/** `iter.index` is a CEL int (spec §10.1); JSON numbers elsewhere stay doubles. */
function celIter(iter: Record<string, unknown> | undefined): Record<string, unknown> {
  if (iter === undefined) return EMPTY
  const index = iter.index
  if (typeof index !== 'number' || !Number.isInteger(index)) return iter
  return { ...iter, index: BigInt(index) }
}

function runtimeError(expression: string, err: unknown): AppError {
  if (err instanceof AppError) return err
  if (err instanceof EvaluationError || err instanceof CelTypeError) {
    const position = err.range?.start
    const summary = err.summary || firstLine(err.message)
    return new AppError(
      'EXECUTION_ERROR',
      position === undefined
        ? `CEL evaluation failed: ${summary}`
        : `CEL evaluation failed at position ${position}: ${summary}`,
      {
        details: { engine: ENGINE, expression, ...(position === undefined ? {} : { position }) },
        cause: err,
      },
    )
  }
  const message =
    err instanceof RangeError
      ? 'expression too deeply nested for the data'
      : err instanceof Error
        ? err.message
        : String(err)
  return new AppError('EXECUTION_ERROR', `CEL evaluation failed: ${message}`, {
    details: { engine: ENGINE, expression },
    cause: err,
  })
}

const MAX_DEPTH = 512

/** CEL value → plain JSON (see the file header for the mapping). */
export function toJson(value: unknown, depth: number): unknown {
  switch (typeof value) {
    case 'boolean':
    case 'string':
      return value
    case 'number':
      return finiteNumber(value, ENGINE)
    case 'bigint':
      return safeInteger(value, ENGINE)
    case 'undefined':
      return null
    case 'object':
      break
    default:
      throw notJson(typeof value)
  }
  if (value === null) return null
  if (depth > MAX_DEPTH) throw new AppError('EXECUTION_ERROR', 'CEL result is nested too deeply')
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length)
    for (let i = 0; i < value.length; i++) out[i] = toJson(value[i], depth + 1)
    return out
  }
  if (value instanceof Map) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of value) setOwn(out, String(toJson(k, depth + 1)), toJson(v, depth + 1))
    return out
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw notJson('invalid timestamp')
    return value.toISOString()
  }
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64')
  if (value instanceof Optional) return value.hasValue() ? toJson(value.value(), depth + 1) : null
  const proto = Object.getPrototypeOf(value)
  if (proto === Object.prototype || proto === null) {
    const out: Record<string, unknown> = {}
    for (const k of Object.keys(value))
      setOwn(out, k, toJson((value as Record<string, unknown>)[k], depth + 1))
    return out
  }
  const kind = (value as object).constructor?.name
  if (kind === 'UnsignedInt') {
    return safeInteger((value as { value: bigint }).value, ENGINE)
  }
  if (kind === 'Type') return String((value as { name: unknown }).name)
  if (kind === 'Duration') return String(value)
  throw notJson(kind ?? 'object')
}

function notJson(kind: string): AppError {
  return new AppError(
    'EXECUTION_ERROR',
    `CEL result of type ${kind} cannot be represented as JSON`,
    {
      details: { engine: ENGINE },
    },
  )
}
