/**
 * The one error type of opcode: a code from the table below, a message an agent can act on, and
 * optional details. Mapped outward in exactly two places: http/errors.ts and mcp/errors.ts.
 */

/** Every error code, with its HTTP status and whether the engine may retry a step that failed with it. */
export const ErrorCode = {
  VALIDATION_ERROR: { http: 400, retryable: false },
  EXECUTION_ERROR: { http: 500, retryable: true },
  TIMEOUT_ERROR: { http: 504, retryable: true },
  NOT_FOUND: { http: 404, retryable: false },
  CONFLICT: { http: 409, retryable: false },
  INVALID_TRANSITION: { http: 409, retryable: false },
  CYCLE_DETECTED: { http: 422, retryable: false },
  STEP_FAILED: { http: 500, retryable: true },
  // A cancellation is final: retrying a cancelled step would undo the caller's decision (spec §6.2).
  CANCELLED: { http: 409, retryable: false },
  SIGNAL_FAILED: { http: 503, retryable: true },
  RETRY_EXHAUSTED: { http: 500, retryable: true },
  STORE_ERROR: { http: 500, retryable: true },
  INTERPOLATION_ERROR: { http: 422, retryable: true },
  CIRCUIT_OPEN: { http: 503, retryable: false },
  NON_RETRYABLE: { http: 500, retryable: false },
  PERMISSION_DENIED: { http: 403, retryable: false },
  // decisions.md D16: an unknown action does not appear by waiting.
  ACTION_UNAVAILABLE: { http: 422, retryable: false },
  ASSERTION_FAILED: { http: 422, retryable: false },
  ISOLATION_ERROR: { http: 500, retryable: true },
  PATH_DENIED: { http: 403, retryable: false },
  // decisions.md D21: a wrong or missing vault key does not heal by retrying.
  VAULT_ERROR: { http: 500, retryable: false },
  // decisions.md D21: a step attempt cut short by three crashes in a row.
  INTERRUPTED: { http: 500, retryable: false },
  UNAUTHORIZED: { http: 401, retryable: false },
  FORBIDDEN: { http: 403, retryable: false },
  RATE_LIMITED: { http: 429, retryable: true },
  PAYLOAD_TOO_LARGE: { http: 413, retryable: false },
  INTERNAL_ERROR: { http: 500, retryable: false },
} as const satisfies Record<string, { http: number; retryable: boolean }>
export type ErrorCode = keyof typeof ErrorCode

/** A validation problem (decisions.md D2): `path` is a JSON pointer such as `/steps/3/depends_on/0`. */
export interface Issue {
  path: string
  code: string
  message: string
  severity: 'error' | 'warning'
}

/** Wire form of an error (decisions.md D2). */
export interface ErrorObject {
  code: ErrorCode
  message: string
  details?: unknown
  step_id?: string
  issues?: Issue[]
}

export interface AppErrorOptions {
  details?: unknown
  stepId?: string
  issues?: Issue[]
  cause?: unknown
}

export class AppError extends Error {
  readonly code: ErrorCode
  readonly details?: unknown
  readonly stepId?: string
  readonly issues?: Issue[]

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'AppError'
    this.code = code
    if (options.details !== undefined) this.details = options.details
    if (options.stepId !== undefined) this.stepId = options.stepId
    if (options.issues !== undefined) this.issues = options.issues
  }

  get retryable(): boolean {
    return ErrorCode[this.code].retryable
  }

  /** `[CODE] message` or `[CODE] step <id>: message`, the reference's string form. */
  override toString(): string {
    return this.stepId === undefined
      ? `[${this.code}] ${this.message}`
      : `[${this.code}] step ${this.stepId}: ${this.message}`
  }

  toJSON(): ErrorObject {
    const out: ErrorObject = { code: this.code, message: this.message }
    if (this.details !== undefined) out.details = this.details
    if (this.stepId !== undefined) out.step_id = this.stepId
    if (this.issues !== undefined) out.issues = this.issues
    return out
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ErrorCode, value)
}

/**
 * Turns anything thrown into an AppError, keeping the original as `cause`. Unknown failures become
 * `fallback` (EXECUTION_ERROR by default): a boundary never guesses a client-fault code.
 */
export function toAppError(err: unknown, fallback: ErrorCode = 'EXECUTION_ERROR'): AppError {
  if (err instanceof AppError) return err
  if (err instanceof Error) {
    if (err.name === 'AbortError') return new AppError('CANCELLED', err.message, { cause: err })
    if (err.name === 'TimeoutError')
      return new AppError('TIMEOUT_ERROR', err.message, { cause: err })
    return new AppError(fallback, err.message || err.name, { cause: err })
  }
  if (isPlainErrorObject(err)) {
    return new AppError(err.code, err.message, {
      ...(err.details === undefined ? {} : { details: err.details }),
      ...(err.step_id === undefined ? {} : { stepId: err.step_id }),
    })
  }
  return new AppError(fallback, typeof err === 'string' ? err : safeString(err), { cause: err })
}

/** Rebuilds an AppError from its wire form (used when replaying stored errors). */
export function fromErrorObject(obj: ErrorObject): AppError {
  return toAppError(obj)
}

function isPlainErrorObject(value: unknown): value is ErrorObject {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Record<string, unknown>
  return isErrorCode(v.code) && typeof v.message === 'string'
}

function safeString(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}
