/**
 * Redaction of secret values (spec server.md §13 Ours): once a secret is known to a redactor,
 * its exact text and the forms it commonly travels in — JSON-escaped, base64 (standard and URL
 * alphabets, padded or not, and at any byte offset inside a longer encoded text such as a Basic
 * auth header), hex (either case) and URL/percent-encoding (either hex case, `+` or `%20` for a
 * space) — are replaced by `[REDACTED]` in strings, in object keys, and in errors. Values shorter
 * than MIN_REDACT_LENGTH characters are not redacted: scrubbing every "a" or "42" would mangle
 * outputs while protecting nothing a guess would not find.
 */
import { AppError } from '../errors.ts'

export const REDACTED = '[REDACTED]'
/** Shortest secret value (in characters) that is redacted. */
export const MIN_REDACT_LENGTH = 4
/** Shortest fragment of an offset base64 encoding used as a pattern (shorter ones false-match). */
const MIN_FRAGMENT = 8

export interface Redactor {
  /** Adds a secret value (its forms are redacted from then on). */
  add(secret: string): void
  /** Number of secret values known. */
  readonly size: number
  /** `text` with every known secret form replaced by `[REDACTED]`. */
  redactText(text: string): string
  /**
   * A copy of `value` with secrets removed from every string and key (the same object when
   * nothing changed). AppErrors and Errors come back as new errors with redacted message and details.
   */
  redact<T>(value: T): T
}

/** A redactor, optionally seeded with secret values. */
export function createRedactor(secrets: Iterable<string> = []): Redactor {
  const known = new Set<string>()
  let pattern: RegExp | undefined
  let dirty = false

  const regex = (): RegExp | undefined => {
    if (dirty) {
      const forms = new Set<string>()
      for (const s of known) for (const f of encodedForms(s)) forms.add(f)
      const sorted = [...forms].sort((a, b) => b.length - a.length)
      pattern = sorted.length === 0 ? undefined : new RegExp(sorted.map(escapeRegex).join('|'), 'g')
      dirty = false
    }
    return pattern
  }

  const redactText = (text: string): string => {
    const re = regex()
    if (re === undefined || text.length < MIN_REDACT_LENGTH) return text
    re.lastIndex = 0
    return re.test(text) ? text.replace(re, REDACTED) : text
  }

  const walk = (value: unknown, seen: WeakSet<object>): unknown => {
    if (typeof value === 'string') return redactText(value)
    if (typeof value === 'number' || typeof value === 'bigint') {
      const t = String(value)
      return redactText(t) === t ? value : REDACTED
    }
    if (value === null || typeof value !== 'object') return value
    if (seen.has(value)) return value
    seen.add(value)
    if (value instanceof AppError) {
      return new AppError(value.code, redactText(value.message), {
        ...(value.details === undefined ? {} : { details: walk(value.details, seen) }),
        ...(value.stepId === undefined ? {} : { stepId: value.stepId }),
        ...(value.issues === undefined
          ? {}
          : { issues: walk(value.issues, seen) as AppError['issues'] }),
      })
    }
    if (value instanceof Error) {
      const e = new Error(redactText(value.message))
      e.name = value.name
      return e
    }
    if (Array.isArray(value)) {
      let out: unknown[] | undefined
      for (let i = 0; i < value.length; i++) {
        const v = value[i]
        const r = walk(v, seen)
        if (r !== v && out === undefined) out = value.slice(0, i)
        if (out !== undefined) out.push(r)
      }
      return out ?? value
    }
    if (
      Object.getPrototypeOf(value) !== Object.prototype &&
      Object.getPrototypeOf(value) !== null
    ) {
      return value // class instances (dates, buffers) are not JSON data
    }
    let changed = false
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) {
      const rk = redactText(k)
      const rv = walk(v, seen)
      if (rk !== k || rv !== v) changed = true
      out[rk] = rv
    }
    return changed ? out : value
  }

  const redactor: Redactor = {
    add(secret) {
      if (typeof secret !== 'string' || secret.length < MIN_REDACT_LENGTH || known.has(secret))
        return
      known.add(secret)
      dirty = true
    },
    get size() {
      return known.size
    },
    redactText,
    redact<T>(value: T): T {
      if (known.size === 0) return value
      return walk(value, new WeakSet()) as T
    },
  }
  for (const s of secrets) redactor.add(s)
  return redactor
}

/** The forms of `secret` that are redacted (exported for tests). */
export function encodedForms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8')
  const forms = new Set<string>([secret])
  forms.add(JSON.stringify(secret).slice(1, -1))
  const b64 = bytes.toString('base64')
  forms.add(b64)
  forms.add(b64.replace(/=+$/, ''))
  forms.add(bytes.toString('base64url'))
  // Inside a longer encoded text the secret starts at any byte offset modulo 3: keep the
  // characters that depend on the secret's bytes only.
  for (let offset = 1; offset <= 2; offset++) {
    const shifted = Buffer.concat([Buffer.alloc(offset), bytes])
    const from = Math.ceil((8 * offset) / 6)
    const to = Math.floor((8 * (offset + bytes.byteLength)) / 6)
    for (const enc of [shifted.toString('base64'), shifted.toString('base64url')]) {
      const fragment = enc.slice(from, to)
      if (fragment.length >= MIN_FRAGMENT) forms.add(fragment)
    }
  }
  const plainEnd = Math.floor((8 * bytes.byteLength) / 6)
  if (plainEnd >= MIN_FRAGMENT) {
    forms.add(b64.slice(0, plainEnd))
    forms.add(bytes.toString('base64url').slice(0, plainEnd))
  }
  const hex = bytes.toString('hex')
  forms.add(hex)
  forms.add(hex.toUpperCase())
  const uri = encodeURIComponent(secret)
  forms.add(uri)
  forms.add(uri.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()))
  forms.add(uri.replace(/%20/g, '+'))
  forms.add(new URLSearchParams({ x: secret }).toString().slice(2))
  forms.add(encodeURI(secret))
  return [...forms].filter((f) => f.length >= MIN_REDACT_LENGTH)
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')
}
