/**
 * Retry arithmetic and failure wrapping (spec workflow.md §6.1–6.3, A9, A10, D21).
 */
import { AppError, ErrorCode as Codes, type ErrorCode, type ErrorObject } from '../errors.ts'
import { parseDuration } from '../schema/duration.ts'
import type { RetryPolicy } from '../schema/workflow.ts'

/** Delay in ms before retry number `n` (0 for the first retry). */
export function backoffDelay(policy: RetryPolicy, n: number): number {
  const base = policy.delay === undefined ? undefined : parseDuration(policy.delay)
  if (base === undefined || base <= 0) return 0
  let delay: number
  switch (policy.backoff) {
    case 'exponential':
      delay = base * 2 ** n
      break
    case 'linear':
      delay = base * (n + 1)
      break
    default:
      // 'constant' and 'none' (A17: the reference waits `delay` for 'none' too).
      delay = base
  }
  const cap = policy.max_delay === undefined ? undefined : parseDuration(policy.max_delay)
  if (cap !== undefined && cap > 0 && delay > cap) delay = cap
  return Number.isFinite(delay) ? delay : (cap ?? base)
}

/** Whether an attempt that failed with `err` may be retried (§6.2 with our code table). */
export function isRetryable(err: AppError): boolean {
  return Codes[err.code].retryable
}

/**
 * The workflow-level error for an unhandled step failure (§6.3 table): RETRY_EXHAUSTED when a
 * retry policy was used up, NON_RETRYABLE for a non-retryable inner error, else STEP_FAILED.
 */
export function wrapStepFailure(
  stepKey: string,
  inner: AppError,
  retry: RetryPolicy | undefined,
  attempts: number,
): AppError {
  // The inner error's own string form, without repeating the step key the wrapper already names.
  const text = inner.stepId === stepKey ? `[${inner.code}] ${inner.message}` : inner.toString()
  let code: ErrorCode
  let message: string
  if (retry !== undefined && retry.max > 0 && isRetryable(inner)) {
    code = 'RETRY_EXHAUSTED'
    message = `step ${stepKey}: retries exhausted after ${attempts} attempts: ${text}`
  } else if (!isRetryable(inner)) {
    code = 'NON_RETRYABLE'
    message = `step ${stepKey}: non-retryable error: ${text}`
  } else {
    code = 'STEP_FAILED'
    message = `step ${stepKey}: ${text}`
  }
  const details: Record<string, unknown> = { cause: innerObject(inner) }
  return new AppError(code, message, { stepId: stepKey, details, cause: inner })
}

/** The step's own recorded error (A23): `{code, message}` of the underlying failure. */
export function innerObject(err: AppError): ErrorObject {
  const out: ErrorObject = { code: err.code, message: err.message }
  if (err.details !== undefined) out.details = err.details
  return out
}
