/**
 * AppError → HTTP (decisions.md D2, D21): the status from the error table, except that a definition
 * failing validation (a VALIDATION_ERROR carrying definition issues) is 422 while a malformed
 * request stays 400. The body is the error object `{code, message, details?, step_id?, issues?}`.
 */
import { AppError, ErrorCode, toAppError } from '../errors.ts'

export function httpStatusOf(e: AppError): number {
  if (e.code === 'VALIDATION_ERROR' && e.issues !== undefined && e.issues.length > 0) return 422
  return ErrorCode[e.code].http
}

export function errorResponse(err: unknown, extraHeaders?: Record<string, string>): Response {
  const e = toAppError(err, 'INTERNAL_ERROR')
  return jsonResponse(e.toJSON(), httpStatusOf(e), extraHeaders)
}

export function jsonResponse(
  body: unknown,
  status = 200,
  extraHeaders?: Record<string, string>,
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', ...extraHeaders },
  })
}

export function appError(code: ErrorCode, message: string): AppError {
  return new AppError(code, message)
}
