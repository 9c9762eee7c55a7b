/**
 * Turning engine values into plain JSON: what every expression result and interpolated value must
 * be before it is stored in an event or handed to an action.
 */
import { AppError } from '../errors.ts'

/** The text of a value embedded in a larger string (spec A5, A21): strings raw, JSON otherwise. */
export function embedText(value: unknown): string {
  if (typeof value === 'string') return value
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null'
  if (value === null || value === undefined) return 'null'
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  return JSON.stringify(value) ?? 'null'
}

/** Copies `value` onto `obj[key]` as an own property, even for the key `__proto__`. */
export function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true })
  } else {
    obj[key] = value
  }
}

/** A plain JSON object or a null-prototype record (what JSON.parse and the engine produce). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/** JSON type name of a value, for error messages. */
export function jsonTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'null'
  if (Array.isArray(value)) return 'array'
  if (typeof value === 'object') return 'object'
  return typeof value
}

/** Throws EXECUTION_ERROR unless `n` is a finite number (JSON has no NaN or Infinity). */
export function finiteNumber(n: number, engine: string): number {
  if (Number.isFinite(n)) return n
  throw new AppError('EXECUTION_ERROR', `${engine} result ${n} is not a finite number`, {
    details: { engine },
  })
}

/** Converts a BigInt to a number, rejecting integers JSON consumers would silently round. */
export function safeInteger(n: bigint, engine: string): number {
  if (n <= BigInt(Number.MAX_SAFE_INTEGER) && n >= BigInt(Number.MIN_SAFE_INTEGER)) return Number(n)
  throw new AppError(
    'EXECUTION_ERROR',
    `${engine} result ${n} is outside the JSON-safe integer range (±9007199254740991)`,
    { details: { engine, value: n.toString() } },
  )
}
