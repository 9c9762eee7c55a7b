/**
 * Workflow definition validation (spec workflow.md §4–5; decisions.md D2, D8, D21): every problem
 * at once, as JSON-pointer issues. Pure: imports schema, errors, the engine's DAG module and the
 * expression compilers (CEL check, reference grammar) so that it agrees with run time.
 * Used at define time, before every run and by `opcode validate`.
 */
import { AppError, type Issue } from '../errors.ts'
import { findJsonError } from './json-location.ts'
import { LIMITS } from './limits.ts'
import {
  type ActionLookup,
  runValidation,
  type ValidateOptions,
  type ValidationResult,
} from './validate.ts'

export type { ActionLookup, ValidateOptions, ValidationResult }
export { LIMITS }

/**
 * Checks a parsed definition. Returns every error and warning at once; never throws. On success
 * `definition` is the input itself (unknown keys kept, decisions.md D8), typed.
 */
export function validateDefinition(
  input: unknown,
  options: ValidateOptions = {},
): ValidationResult {
  return runValidation(input, options)
}

/**
 * Parses definition text (JSON) and validates it. Malformed JSON becomes one VALIDATION_ERROR issue
 * whose message gives the line and column; text over LIMITS.maxTextBytes is refused unread.
 */
export function parseDefinitionText(text: string, options: ValidateOptions = {}): ValidationResult {
  const fail = (message: string): ValidationResult => ({
    ok: false,
    errors: [{ path: '', code: 'VALIDATION_ERROR', message, severity: 'error' }],
    warnings: [],
  })
  if (typeof text !== 'string') return fail('the definition must be JSON text')
  if (text.length > LIMITS.maxTextBytes / 3 && Buffer.byteLength(text) > LIMITS.maxTextBytes) {
    return fail(
      `the definition is ${Buffer.byteLength(text)} bytes; the limit is ${LIMITS.maxTextBytes} bytes (16 MiB)`,
    )
  }
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
  if (body.trim() === '') return fail('the definition is empty: expected a JSON object')
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch (err) {
    const where = findJsonError(body)
    if (where === undefined) return fail(`invalid JSON: ${(err as Error).message}`)
    return fail(`invalid JSON at line ${where.line}, column ${where.column}: ${where.reason}`)
  }
  return runValidation(parsed, options)
}

/**
 * The failure of a validation as an AppError VALIDATION_ERROR: message = the only error's message
 * or `validation failed with N errors`; `issues` = errors then warnings; details
 * `{error_count, warning_count}`.
 */
export function toValidationError(result: { errors: Issue[]; warnings: Issue[] }): AppError {
  const { errors, warnings } = result
  const only = errors.length === 1 ? errors[0] : undefined
  const message =
    only !== undefined
      ? only.message
      : errors.length === 0
        ? 'validation failed'
        : `validation failed with ${errors.length} errors`
  return new AppError('VALIDATION_ERROR', message, {
    details: { error_count: errors.length, warning_count: warnings.length },
    issues: [...errors, ...warnings],
  })
}
