import { describe, expect, test } from 'bun:test'
import { AppError, ErrorCode, toAppError } from './errors.ts'

describe('AppError', () => {
  test('prints the reference string forms', () => {
    expect(String(new AppError('NOT_FOUND', 'workflow "x" not found'))).toBe(
      '[NOT_FOUND] workflow "x" not found',
    )
    expect(String(new AppError('STEP_FAILED', 'boom', { stepId: 'a' }))).toBe(
      '[STEP_FAILED] step a: boom',
    )
  })

  test('serialises to the wire shape of decisions.md D2', () => {
    const err = new AppError('VALIDATION_ERROR', 'bad', { details: { n: 1 }, stepId: 's' })
    expect(err.toJSON()).toEqual({
      code: 'VALIDATION_ERROR',
      message: 'bad',
      details: { n: 1 },
      step_id: 's',
    })
  })

  test('reads retryability from the code table', () => {
    expect(new AppError('EXECUTION_ERROR', 'x').retryable).toBe(true)
    expect(new AppError('ACTION_UNAVAILABLE', 'x').retryable).toBe(false)
    expect(new AppError('VAULT_ERROR', 'x').retryable).toBe(false)
    expect(ErrorCode.CANCELLED.retryable).toBe(false)
  })

  test('toAppError keeps AppErrors and wraps everything else with a cause', () => {
    const original = new AppError('CONFLICT', 'c')
    expect(toAppError(original)).toBe(original)
    const plain = new Error('plain')
    const wrapped = toAppError(plain)
    expect(wrapped.code).toBe('EXECUTION_ERROR')
    expect(wrapped.cause).toBe(plain)
    expect(toAppError({ code: 'NOT_FOUND', message: 'gone' }).code).toBe('NOT_FOUND')
    expect(toAppError('text').message).toBe('text')
  })
})
