/**
 * Browser sessions of the panel (panel.md §7 item 1; decisions.md D17, D21):
 *
 * - every browser gets an `opcode_session` cookie (random, HttpOnly, SameSite=Strict); its CSRF
 *   token is an HMAC of that id under a per-process key, put in the page as a <meta> tag and sent
 *   back on every mutation (`X-Opcode-Csrf` header, or a `csrf` form field);
 * - signing in (required off loopback) checks the server token in constant time and stores it in
 *   the HttpOnly, SameSite=Strict `opcode_token` cookie that the request guard accepts; failed
 *   attempts are rate-limited;
 * - who acts is `panel`, or `panel:<name>` once the operator gave a name (audit log).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

export const SESSION_COOKIE = 'opcode_session'
export const TOKEN_COOKIE = 'opcode_token'
export const OPERATOR_COOKIE = 'opcode_operator'
export const THEME_COOKIE = 'opcode_theme'
export const CSRF_HEADER = 'x-opcode-csrf'

export function parseCookies(request: Request): Record<string, string> {
  const out: Record<string, string> = {}
  const header = request.headers.get('cookie')
  if (header === null) return out
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq <= 0) continue
    const k = part.slice(0, eq).trim()
    if (k in out) continue
    try {
      out[k] = decodeURIComponent(part.slice(eq + 1).trim())
    } catch {
      out[k] = part.slice(eq + 1).trim()
    }
  }
  return out
}

export interface CookieOptions {
  httpOnly?: boolean
  maxAge?: number
  secure?: boolean
}

export function serializeCookie(name: string, value: string, o: CookieOptions = {}): string {
  const parts = [`${name}=${encodeURIComponent(value)}`, 'Path=/', 'SameSite=Strict']
  if (o.httpOnly !== false) parts.push('HttpOnly')
  if (o.maxAge !== undefined) parts.push(`Max-Age=${o.maxAge}`)
  if (o.secure === true) parts.push('Secure')
  return parts.join('; ')
}

/** True when the request came over TLS (directly or through a proxy that says so). */
export function isHttps(request: Request, baseUrl: string): boolean {
  return (
    request.url.startsWith('https:') ||
    request.headers.get('x-forwarded-proto') === 'https' ||
    baseUrl.startsWith('https:')
  )
}

const NAME = /^[A-Za-z0-9._@-]{1,64}$/

/** `panel` or `panel:<name>` from the operator cookie (anything else is ignored). */
export function operatorOf(cookies: Record<string, string>): string {
  const n = cookies[OPERATOR_COOKIE]
  return n !== undefined && NAME.test(n) ? `panel:${n}` : 'panel'
}

export function cleanOperatorName(text: string): string | undefined {
  const t = text.trim()
  return NAME.test(t) ? t : undefined
}

/** A page of the panel may link back only to a path of this server. */
export function safeNext(next: string | null | undefined): string {
  if (next === null || next === undefined || !next.startsWith('/') || next.startsWith('//'))
    return '/'
  if (/[\\\r\n]/.test(next)) return '/'
  return next
}

export class PanelSessions {
  private readonly key = randomBytes(32)
  private failures: number[] = []

  /** Window and number of failed sign-ins tolerated before refusing for a while. */
  constructor(
    private readonly maxFailures = 10,
    private readonly windowMs = 60_000,
  ) {}

  newSessionId(): string {
    return randomBytes(18).toString('base64url')
  }

  csrfFor(sessionId: string): string {
    return createHmac('sha256', this.key).update(`csrf:${sessionId}`).digest('base64url')
  }

  /** True when `given` is the CSRF token of the request's session. */
  validCsrf(cookies: Record<string, string>, given: string | null | undefined): boolean {
    const sid = cookies[SESSION_COOKIE]
    if (sid === undefined || sid === '' || given === null || given === undefined || given === '')
      return false
    const want = Buffer.from(this.csrfFor(sid))
    const got = Buffer.from(given)
    return got.length === want.length && timingSafeEqual(got, want)
  }

  /** False while too many sign-ins failed recently. */
  mayTry(now = Date.now()): boolean {
    this.failures = this.failures.filter((t) => now - t < this.windowMs)
    return this.failures.length < this.maxFailures
  }

  recordFailure(now = Date.now()): void {
    this.failures.push(now)
  }

  /** Constant-time comparison of a submitted token with the configured one. */
  static tokenMatches(given: string, token: string | undefined): boolean {
    if (token === undefined) return false
    const a = Buffer.from(given)
    const b = Buffer.from(token)
    return a.length === b.length && timingSafeEqual(a, b)
  }
}

/**
 * Whether a request carries a browser's ambient credentials or browser-only headers: such a
 * mutation must prove it comes from a panel page (CSRF token, same-origin fetch metadata). API
 * clients that send `Authorization` themselves cannot be forged cross-site and are left alone.
 */
export function isBrowserRequest(request: Request, cookies: Record<string, string>): boolean {
  if (request.headers.get('authorization') !== null) return false
  return (
    request.headers.get('sec-fetch-site') !== null ||
    request.headers.get('sec-fetch-mode') !== null ||
    cookies[SESSION_COOKIE] !== undefined ||
    cookies[TOKEN_COOKIE] !== undefined
  )
}
