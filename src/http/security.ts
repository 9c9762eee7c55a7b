/**
 * Secure by default (issue 7, decisions.md D21): on /mcp, /sse, /message and /api every request is
 * checked for DNS rebinding (the `Origin`, when a browser sends one, must be the server's own or an
 * allowed one; on a loopback bind the `Host` must be a loopback name or the base URL's host) and for
 * the bearer token (required off loopback; on loopback optional, but a wrong one is refused).
 * No CORS headers are ever sent, so other web pages cannot read responses.
 */
import { timingSafeEqual } from 'node:crypto'
import { isLoopbackHost } from '../config/index.ts'
import { AppError } from '../errors.ts'

export interface SecurityPolicy {
  token?: string
  /** True when the server is reachable from other machines: the token is then mandatory. */
  requireToken: boolean
  /** Bound to loopback: check the Host header too. */
  loopback: boolean
  /** Extra allowed origins (settings) and the base URL's origin. */
  origins: string[]
  /** Hosts accepted besides loopback names (the base URL's host). */
  hosts: string[]
}

export class RequestGuard {
  private readonly origins = new Set<string>()
  private readonly hosts = new Set<string>()
  private readonly token: Buffer | undefined
  private port = 0

  constructor(private readonly policy: SecurityPolicy) {
    this.token = policy.token === undefined ? undefined : Buffer.from(policy.token)
    for (const h of policy.hosts) this.hosts.add(h.toLowerCase())
  }

  /** Called once the port is known (it may be 0 until the listener binds). */
  setPort(port: number): void {
    this.port = port
    this.origins.clear()
    for (const o of this.policy.origins) this.origins.add(normalizeOrigin(o))
    for (const h of ['localhost', '127.0.0.1', '[::1]']) {
      this.origins.add(`http://${h}:${port}`)
      this.origins.add(`https://${h}:${port}`)
    }
  }

  /** Undefined when the request may proceed, else the error to answer with. */
  check(request: Request): AppError | undefined {
    const origin = request.headers.get('origin')
    if (origin !== null && !this.originAllowed(origin)) {
      return new AppError(
        'FORBIDDEN',
        `origin ${JSON.stringify(origin)} is not allowed (cross-site requests are refused; add it to http.allowed_origins in settings.json to allow it)`,
      )
    }
    if (this.policy.loopback) {
      const host = hostName(request.headers.get('host') ?? '')
      if (host !== '' && !isLoopbackHost(host) && !this.hosts.has(host)) {
        return new AppError(
          'FORBIDDEN',
          `host ${JSON.stringify(host)} is not allowed for a server bound to loopback (DNS rebinding protection; set base_url to serve it under another name)`,
        )
      }
    }
    const given = bearerOf(request)
    if (given === undefined) {
      if (this.policy.requireToken) {
        return new AppError(
          'UNAUTHORIZED',
          'a bearer token is required: send Authorization: Bearer <token> (auth_token in ~/.opcode/settings.json or OPCODE_TOKEN)',
        )
      }
      return undefined
    }
    if (this.token === undefined) return undefined
    const g = Buffer.from(given)
    if (g.length !== this.token.length || !timingSafeEqual(g, this.token)) {
      return new AppError('UNAUTHORIZED', 'the bearer token is not valid')
    }
    return undefined
  }

  private originAllowed(origin: string): boolean {
    if (origin === 'null') return false
    const o = normalizeOrigin(origin)
    if (this.origins.has(o)) return true
    try {
      const u = new URL(o)
      // The server's own origin under any loopback name it was reached by.
      return (
        isLoopbackHost(u.hostname) && Number(u.port || 80) === this.port && this.policy.loopback
      )
    } catch {
      return false
    }
  }
}

function normalizeOrigin(o: string): string {
  try {
    return new URL(o).origin
  } catch {
    return o
  }
}

function hostName(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase()
  if (h.startsWith('[')) {
    const end = h.indexOf(']')
    return end === -1 ? h : h.slice(0, end + 1)
  }
  const colon = h.lastIndexOf(':')
  return colon === -1 ? h : h.slice(0, colon)
}

function bearerOf(request: Request): string | undefined {
  const auth = request.headers.get('authorization')
  if (auth !== null) {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim())
    return m?.[1]?.trim() ?? auth.trim()
  }
  // Browsers cannot set headers on EventSource: the panel may send the token as a cookie.
  const cookie = request.headers.get('cookie')
  if (cookie !== null) {
    for (const part of cookie.split(';')) {
      const [k, ...v] = part.trim().split('=')
      if (k === 'opcode_token') return decodeURIComponent(v.join('='))
    }
  }
  return undefined
}
