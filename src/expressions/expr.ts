/**
 * The Expr language of `expr.eval` (spec workflow.md §10.2): our own interpreter of the expr-lang
 * subset that workflows use (no published JavaScript library implements expr-lang). Compiled
 * programs are cached by source text. Sandboxed and bounded: values are plain JSON, property
 * access reads own keys only, the source size, nesting depth and evaluation steps are limited.
 * Undefined variables evaluate to nil. Errors: VALIDATION_ERROR for an empty or uncompilable
 * expression (with `position`, `line`, `column`), EXECUTION_ERROR at run time.
 */
import { AppError } from '../errors.ts'
import { ExprRuntimeError, type Frame } from './expr-builtins.ts'
import { compileTree, type ExprProgram } from './expr-compile.ts'
import { ExprSyntaxError } from './expr-lexer.ts'
import { parseExpr } from './expr-parser.ts'
import { isRecord } from './json.ts'

/** Longest Expr source accepted (characters). */
export const EXPR_MAX_SOURCE = 16_384
/** Default evaluation budget: predicate calls, range items, array items copied. */
export const EXPR_DEFAULT_STEPS = 1_000_000

const CACHE_SIZE = 2_000
const ENGINE = 'Expr'
type CacheEntry = { program: ExprProgram } | { error: AppError }
const cache = new Map<string, CacheEntry>()

/** A compiled Expr program; `run` evaluates it against an environment of variables. */
export interface CompiledExpr {
  source: string
  run(env: Record<string, unknown>, options?: EvalOptions): unknown
}

export interface EvalOptions {
  /** Evaluation step budget (default 1,000,000). */
  maxSteps?: number
}

/** Compiles (cached) `expression`. Throws VALIDATION_ERROR with the position of the problem. */
export function compileExpr(expression: string): CompiledExpr {
  let entry = cache.get(expression)
  if (entry === undefined) {
    entry = compileUncached(expression)
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string)
    cache.set(expression, entry)
  }
  if ('error' in entry) throw entry.error
  const program = entry.program
  return {
    source: expression,
    run: (env, options) => runProgram(expression, program, env, options),
  }
}

/** Compile-only check: `{ok: true}` or the message and position of the first problem. */
export function checkExpr(
  expression: string,
): { ok: true } | { ok: false; message: string; position?: number } {
  try {
    compileExpr(expression)
    return { ok: true }
  } catch (err) {
    const e = err as AppError
    const position = (e.details as { position?: number } | undefined)?.position
    return position === undefined
      ? { ok: false, message: e.message }
      : { ok: false, message: e.message, position }
  }
}

/** Evaluates `expression` with `env`'s keys as variables; returns plain JSON. */
export function evalExpr(
  expression: string,
  env: Record<string, unknown> = {},
  options?: EvalOptions,
): unknown {
  return compileExpr(expression).run(env, options)
}

function compileUncached(expression: string): CacheEntry {
  if (typeof expression !== 'string' || expression.trim() === '') {
    return {
      error: new AppError('VALIDATION_ERROR', 'empty expr expression', {
        details: { engine: ENGINE, position: 0, line: 1, column: 1 },
      }),
    }
  }
  if (expression.length > EXPR_MAX_SOURCE) {
    return {
      error: new AppError(
        'VALIDATION_ERROR',
        `expr expression is too long (${expression.length} characters, limit ${EXPR_MAX_SOURCE})`,
        { details: { engine: ENGINE, position: EXPR_MAX_SOURCE } },
      ),
    }
  }
  try {
    return { program: compileTree(parseExpr(expression)) }
  } catch (err) {
    if (err instanceof ExprSyntaxError) {
      const { line, column } = lineColumn(expression, err.pos)
      return {
        error: new AppError(
          'VALIDATION_ERROR',
          `invalid expr expression: ${err.message} (line ${line}, column ${column})`,
          { details: { engine: ENGINE, position: err.pos, line, column }, cause: err },
        ),
      }
    }
    if (err instanceof RangeError) {
      return {
        error: new AppError('VALIDATION_ERROR', 'invalid expr expression: nested too deeply', {
          details: { engine: ENGINE, position: 0 },
          cause: err,
        }),
      }
    }
    throw err
  }
}

function runProgram(
  source: string,
  program: ExprProgram,
  env: Record<string, unknown>,
  options: EvalOptions | undefined,
): unknown {
  const frame: Frame = {
    env: isRecord(env) ? env : {},
    slots: program.slots === 0 ? EMPTY_SLOTS : new Array(program.slots),
    steps: 0,
    limit: options?.maxSteps ?? EXPR_DEFAULT_STEPS,
  }
  let value: unknown
  try {
    value = program.fn(frame)
  } catch (err) {
    throw runtimeError(source, err)
  }
  return checkResult(value === undefined ? null : value, 0)
}

const EMPTY_SLOTS: unknown[] = []

function runtimeError(source: string, err: unknown): AppError {
  if (err instanceof AppError) return err
  if (err instanceof ExprRuntimeError) {
    const { line, column } = lineColumn(source, err.pos)
    return new AppError(
      'EXECUTION_ERROR',
      `expr evaluation failed: ${err.message} (line ${line}, column ${column})`,
      {
        details: { engine: ENGINE, position: err.pos, line, column },
        cause: err,
      },
    )
  }
  const message =
    err instanceof RangeError
      ? 'data nested too deeply or result too large'
      : err instanceof Error
        ? err.message
        : String(err)
  return new AppError('EXECUTION_ERROR', `expr evaluation failed: ${message}`, {
    details: { engine: ENGINE },
    cause: err,
  })
}

/** Results are JSON: no NaN or Infinity anywhere inside. */
function checkResult(v: unknown, depth: number): unknown {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) {
      throw new AppError(
        'EXECUTION_ERROR',
        `expr result contains ${v}, which JSON cannot represent`,
        {
          details: { engine: ENGINE },
        },
      )
    }
    return v
  }
  if (typeof v !== 'object' || v === null) return v
  if (depth > 256)
    throw new AppError('EXECUTION_ERROR', 'expr result is nested too deeply', {
      details: { engine: ENGINE },
    })
  if (Array.isArray(v)) {
    for (const x of v) if (typeof x === 'number' || typeof x === 'object') checkResult(x, depth + 1)
    return v
  }
  for (const k in v) {
    const x = (v as Record<string, unknown>)[k]
    if (typeof x === 'number' || typeof x === 'object') checkResult(x, depth + 1)
  }
  return v
}

function lineColumn(src: string, pos: number): { line: number; column: number } {
  let line = 1
  let start = 0
  for (let i = 0; i < pos && i < src.length; i++) {
    if (src[i] === '\n') {
      line++
      start = i + 1
    }
  }
  return { line, column: pos - start + 1 }
}
