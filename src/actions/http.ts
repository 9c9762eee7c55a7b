/**
 * `http.request`, `http.get`, `http.post` (spec actions.md §1, decisions.md D7). Redirects are
 * followed by hand (`redirect: 'manual'`) so the limit is exact and credentials are dropped when a
 * redirect leaves the origin; the body is streamed under a size cap that fails loudly instead of
 * truncating. Choices beyond the spec are listed in docs/actions.md.
 */
import { STATUS_CODES } from 'node:http'
import { type Static, type TSchema, Type } from '@sinclair/typebox'
import type { Action, ActionContext } from '../engine/ports.ts'
import { AppError } from '../errors.ts'
import { formatDuration, parseDuration } from '../schema/duration.ts'
import { assertParams } from './registry.ts'

export interface HttpOptions {
  /** Request timeout when the step sets none, in ms (default 30000). */
  timeoutMs?: number
  /** Largest response body accepted, in bytes (default 10 MiB); more fails the step. */
  maxResponseBytes?: number
  /** `max_redirects` when the step sets none or ≤ 0 (default 10): requests in total. */
  maxRedirects?: number
  /** User-Agent sent unless the step's headers set one (default `opcode`). */
  userAgent?: string
}

const DEFAULTS = {
  timeoutMs: 30_000,
  maxResponseBytes: 10 * 1024 * 1024,
  maxRedirects: 10,
  userAgent: 'opcode',
} satisfies Required<HttpOptions>

const BodyEncoding = ['json', 'form', 'text', 'raw'] as const
const AuthType = ['bearer', 'basic', 'api_key'] as const

function paramsSchema(forcedMethod?: 'GET' | 'POST') {
  const method = Type.Optional(
    Type.String({
      minLength: 1,
      description: "HTTP method, e.g. 'GET', 'PUT', 'DELETE' (upper-cased; default 'GET').",
    }),
  )
  return Type.Object(
    {
      url: Type.String({
        minLength: 1,
        description: 'Absolute URL with scheme http or https, e.g. https://api.example.com/items.',
      }),
      ...(forcedMethod === undefined ? { method } : {}),
      headers: Type.Optional(
        Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]), {
          description:
            'Request headers, name → value (numbers and booleans are sent as text). Applied after the content type, so they can override it.',
        }),
      ),
      body: Type.Optional(
        Type.Unknown({
          description:
            'Request body, sent when present and not null; encoded according to body_encoding.',
        }),
      ),
      body_encoding: Type.Optional(
        Type.Union(
          BodyEncoding.map((e) => Type.Literal(e)),
          {
            description:
              "How body is sent (default 'json'): 'json' = JSON with Content-Type application/json; 'form' = object as application/x-www-form-urlencoded (keys sorted, arrays as repeated keys); 'text' = text/plain; 'raw' = the text with no content type.",
          },
        ),
      ),
      auth: Type.Optional(
        Type.Object(
          {
            type: Type.Union(
              AuthType.map((t) => Type.Literal(t)),
              {
                description:
                  "'bearer' (needs token), 'basic' (username, password) or 'api_key' (header_name, header_value).",
              },
            ),
            token: Type.Optional(Type.String({ description: 'Bearer token.' })),
            username: Type.Optional(Type.String({ description: 'Basic auth user name.' })),
            password: Type.Optional(Type.String({ description: 'Basic auth password.' })),
            header_name: Type.Optional(
              Type.String({ description: "Header carrying the API key, e.g. 'X-API-Key'." }),
            ),
            header_value: Type.Optional(Type.String({ description: 'The API key.' })),
          },
          {
            description:
              'Credentials, applied after headers. Dropped when a redirect leads to another host.',
          },
        ),
      ),
      timeout: Type.Optional(
        Type.String({
          description:
            "Whole-request limit including the body read, Go duration (e.g. '10s', '1m'; default 30s).",
        }),
      ),
      follow_redirects: Type.Optional(
        Type.Boolean({
          description: 'Follow 3xx redirects (default true); false returns the 3xx response.',
        }),
      ),
      max_redirects: Type.Optional(
        Type.Integer({
          description:
            'With redirects followed, at most this many requests in total (so N−1 redirects); one more redirect fails the step. ≤ 0 means the default, 10.',
        }),
      ),
      tls_skip_verify: Type.Optional(
        Type.Boolean({
          description: 'Skip TLS certificate verification (default false). Only for test servers.',
        }),
      ),
      fail_on_error_status: Type.Optional(
        Type.Boolean({
          description:
            'Fail the step on status ≥ 400 (default false): 4xx not retryable except 408 and 429; 5xx retryable. The error details hold the response.',
        }),
      ),
      idempotency_key: Type.Optional(
        Type.Union([Type.Boolean(), Type.String({ minLength: 1 })], {
          description:
            'Send an Idempotency-Key header: true = a key stable across retries of this step (<workflow_id>:<step_key>), or the key text itself.',
        }),
      ),
    },
    { description: 'HTTP request parameters.' },
  )
}

const HttpRequestParams = paramsSchema()
// Built once: the registry compiles a checker per schema object.
const FORCED_SCHEMAS = { GET: paramsSchema('GET'), POST: paramsSchema('POST') }
type HttpParams = Static<typeof HttpRequestParams>

/** Step output of every http.* action. */
export interface HttpOutput {
  status_code: number
  status: string
  headers: Record<string, string>
  body: unknown
  content_type: string
  duration_ms: number
}

/** `http.request`, `http.get` and `http.post` configured with `options`. */
export function httpActions(options: HttpOptions = {}): Action[] {
  return [
    makeHttpAction('http.request', undefined, options),
    makeHttpAction('http.get', 'GET', options),
    makeHttpAction('http.post', 'POST', options),
  ]
}

export const httpRequestAction: Action = makeHttpAction('http.request', undefined, {})
export const httpGetAction: Action = makeHttpAction('http.get', 'GET', {})
export const httpPostAction: Action = makeHttpAction('http.post', 'POST', {})

function makeHttpAction(
  name: string,
  forcedMethod: 'GET' | 'POST' | undefined,
  options: HttpOptions,
): Action {
  const opts = { ...DEFAULTS, ...stripUndefined(options) }
  const params: TSchema =
    forcedMethod === undefined ? HttpRequestParams : FORCED_SCHEMAS[forcedMethod]
  const description =
    forcedMethod === undefined
      ? 'Sends an HTTP request and returns {status_code, status, headers, body, content_type, duration_ms}; JSON bodies are parsed.'
      : `Sends an HTTP ${forcedMethod} request (same params and output as http.request; method is fixed).`
  const action: Action = {
    name,
    description,
    params,
    pure: false,
    execute: (p, ctx) => {
      assertParams(action, p)
      return request(name, forcedMethod, opts, p as HttpParams, ctx)
    },
  }
  return action
}

// ---------------------------------------------------------------------------------------------

const TIMEOUT = Symbol('http timeout')
const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308])
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

async function request(
  name: string,
  forcedMethod: string | undefined,
  opts: Required<HttpOptions>,
  p: HttpParams,
  ctx: ActionContext,
): Promise<HttpOutput> {
  const invalid = (msg: string) => new AppError('VALIDATION_ERROR', `${name}: ${msg}`)
  let url: URL
  try {
    url = new URL(p.url)
  } catch {
    throw invalid('invalid url: expected an absolute http:// or https:// URL')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalid(`invalid url: scheme ${url.protocol.slice(0, -1)} is not http or https`)
  }
  let method = (forcedMethod ?? p.method ?? 'GET').toUpperCase()
  if (!TOKEN.test(method)) throw invalid(`invalid method '${method}'`)

  let timeoutMs = opts.timeoutMs
  if (p.timeout !== undefined) {
    const ms = parseDuration(p.timeout)
    if (ms === undefined || ms <= 0) {
      throw invalid(`invalid timeout '${p.timeout}': expected a positive Go duration such as '30s'`)
    }
    timeoutMs = ms
  }
  const maxRequests =
    p.max_redirects === undefined || p.max_redirects <= 0 ? opts.maxRedirects : p.max_redirects

  const headers = new Headers({ 'User-Agent': opts.userAgent })
  let body = encodeBody(p.body, p.body_encoding ?? 'json', invalid, headers)
  for (const [key, value] of Object.entries(p.headers ?? {})) {
    try {
      headers.set(key, String(value))
    } catch {
      throw invalid(`invalid header '${key}'`)
    }
  }
  const credentialHeaders = applyAuth(p.auth, headers, invalid)
  if (p.idempotency_key !== undefined && p.idempotency_key !== false) {
    headers.set(
      'Idempotency-Key',
      p.idempotency_key === true ? ctx.idempotencyKey : p.idempotency_key,
    )
  }
  if (body !== undefined && (method === 'GET' || method === 'HEAD')) {
    throw invalid(
      `a ${method} request cannot carry a body here; use http.post or http.request with another method`,
    )
  }

  if (ctx.signal.aborted) throw aborted(name, ctx.signal)
  const controller = new AbortController()
  // setTimeout fires at once beyond 2^31−1 ms; no request needs more than ~24 days anyway.
  const timer = setTimeout(() => controller.abort(TIMEOUT), Math.min(timeoutMs, 2 ** 31 - 1))
  const onAbort = () => controller.abort(ctx.signal.reason)
  ctx.signal.addEventListener('abort', onAbort, { once: true })
  const started = performance.now()
  try {
    let current = url
    let response: Response
    for (let count = 1; ; count++) {
      response = await fetch(current, {
        method,
        headers,
        // Bytes, not a string: fetch would add `text/plain` to a string body ('raw' sends none).
        body: body === undefined ? undefined : Buffer.from(body, 'utf8'),
        redirect: 'manual',
        signal: controller.signal,
        // An unverified connection must not be pooled and later reused by a verified request.
        keepalive: p.tls_skip_verify !== true,
        ...(p.tls_skip_verify === true ? { tls: { rejectUnauthorized: false } } : {}),
      })
      const location = response.headers.get('location')
      if (p.follow_redirects === false || !REDIRECT_STATUS.has(response.status) || !location) break
      await response.body?.cancel()
      if (count >= maxRequests) {
        throw new AppError(
          'EXECUTION_ERROR',
          `${name}: request failed: stopped after ${maxRequests} redirects`,
        )
      }
      let next: URL
      try {
        next = new URL(location, current)
      } catch {
        throw new AppError('EXECUTION_ERROR', `${name}: request failed: invalid redirect location`)
      }
      if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        throw new AppError(
          'EXECUTION_ERROR',
          `${name}: request failed: redirect to unsupported scheme ${next.protocol.slice(0, -1)}`,
        )
      }
      if (response.status <= 303 && method !== 'GET' && method !== 'HEAD') {
        // 301/302/303 turn the request into a body-less GET, as browsers and Go's client do.
        method = 'GET'
        body = undefined
        headers.delete('Content-Type')
      }
      if (
        next.host !== current.host ||
        (current.protocol === 'https:' && next.protocol === 'http:')
      ) {
        for (const h of credentialHeaders) headers.delete(h)
      }
      current = next
    }
    const bytes = await readCapped(response, opts.maxResponseBytes, name)
    const contentType = response.headers.get('content-type') ?? ''
    const output: HttpOutput = {
      status_code: response.status,
      status:
        `${response.status} ${response.statusText || STATUS_CODES[response.status] || ''}`.trim(),
      headers: canonicalHeaders(response.headers),
      body: decodeBody(bytes, contentType),
      content_type: contentType,
      duration_ms: Math.round(performance.now() - started),
    }
    if (p.fail_on_error_status === true && output.status_code >= 400) {
      const code = output.status_code
      // 408 and 429 say "try again later": retryable like a 5xx.
      const retryable = code >= 500 || code === 408 || code === 429
      throw new AppError(
        retryable ? 'EXECUTION_ERROR' : 'NON_RETRYABLE',
        `${name}: server returned ${code}`,
        {
          details: output,
        },
      )
    }
    return output
  } catch (err) {
    if (err instanceof AppError) throw err
    if (controller.signal.aborted) {
      if (controller.signal.reason === TIMEOUT) {
        throw new AppError(
          'EXECUTION_ERROR',
          `${name}: request failed: timed out after ${formatDuration(timeoutMs)}`,
          { cause: err },
        )
      }
      throw aborted(name, ctx.signal)
    }
    const message = err instanceof Error ? err.message || err.name : String(err)
    throw new AppError('EXECUTION_ERROR', `${name}: request failed: ${message}`, { cause: err })
  } finally {
    clearTimeout(timer)
    ctx.signal.removeEventListener('abort', onAbort)
  }
}

/** The engine's own reason when it aborted with an AppError (step timeout, cancel), else ours. */
function aborted(name: string, signal: AbortSignal): AppError {
  if (signal.reason instanceof AppError) return signal.reason
  return new AppError('EXECUTION_ERROR', `${name}: request failed: cancelled`, {
    cause: signal.reason,
  })
}

function encodeBody(
  body: unknown,
  encoding: (typeof BodyEncoding)[number],
  invalid: (msg: string) => AppError,
  headers: Headers,
): string | undefined {
  if (body === undefined || body === null) return undefined
  switch (encoding) {
    case 'form': {
      if (typeof body !== 'object' || Array.isArray(body)) {
        throw invalid("body_encoding 'form' needs an object body")
      }
      const form = new URLSearchParams()
      const obj = body as Record<string, unknown>
      for (const key of Object.keys(obj).sort()) {
        const value = obj[key]
        for (const v of Array.isArray(value) ? value : [value]) {
          form.append(key, v === null ? '' : textOf(v))
        }
      }
      headers.set('Content-Type', 'application/x-www-form-urlencoded')
      return form.toString()
    }
    case 'text':
      headers.set('Content-Type', 'text/plain; charset=utf-8')
      return textOf(body)
    case 'raw':
      return textOf(body)
    default:
      headers.set('Content-Type', 'application/json')
      return JSON.stringify(body)
  }
}

/** Sets the auth header; returns the header names that must not follow a cross-host redirect. */
function applyAuth(
  auth: HttpParams['auth'],
  headers: Headers,
  invalid: (msg: string) => AppError,
): string[] {
  const always = ['Authorization', 'Proxy-Authorization', 'Cookie']
  if (auth === undefined) return always
  try {
    switch (auth.type) {
      case 'bearer':
        if (!auth.token) throw invalid("auth type 'bearer' needs a non-empty auth.token")
        headers.set('Authorization', `Bearer ${auth.token}`)
        return always
      case 'basic': {
        if (auth.username === undefined) throw invalid("auth type 'basic' needs auth.username")
        const creds = Buffer.from(`${auth.username}:${auth.password ?? ''}`, 'utf8').toString(
          'base64',
        )
        headers.set('Authorization', `Basic ${creds}`)
        return always
      }
      case 'api_key':
        if (!auth.header_name)
          throw invalid("auth type 'api_key' needs a non-empty auth.header_name")
        headers.set(auth.header_name, auth.header_value ?? '')
        return [...always, auth.header_name]
    }
  } catch (err) {
    if (err instanceof AppError) throw err
    // The header value may be a secret: name the field, never the value.
    throw invalid('auth produces an invalid header (control characters or a bad header name)')
  }
  return always
}

async function readCapped(response: Response, cap: number, name: string): Promise<Uint8Array> {
  const tooBig = () =>
    new AppError(
      'EXECUTION_ERROR',
      `${name}: response body exceeds the ${formatBytes(cap)} limit (max response size); the response was not read`,
      { details: { status_code: response.status, max_response_bytes: cap } },
    )
  const declared = Number(response.headers.get('content-length'))
  if (!response.headers.has('content-encoding') && Number.isFinite(declared) && declared > cap) {
    await response.body?.cancel()
    throw tooBig()
  }
  if (response.body === null) return new Uint8Array(0)
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > cap) {
      await reader.cancel()
      throw tooBig()
    }
    chunks.push(value)
  }
  if (chunks.length === 1) return chunks[0] as Uint8Array
  const out = new Uint8Array(total)
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.byteLength
  }
  return out
}

function decodeBody(bytes: Uint8Array, contentType: string): unknown {
  if (bytes.byteLength === 0) return null
  const text = decodeText(bytes, contentType)
  if (/application\/json|\+json\b/i.test(contentType)) {
    try {
      return JSON.parse(text)
    } catch {
      return text
    }
  }
  return text
}

function decodeText(bytes: Uint8Array, contentType: string): string {
  const charset = /charset="?([^";\s]+)/i.exec(contentType)?.[1]
  if (charset !== undefined) {
    try {
      return new TextDecoder(charset).decode(bytes)
    } catch {
      // Unknown charset label: fall back to UTF-8.
    }
  }
  return new TextDecoder().decode(bytes)
}

/** Go's canonical header form (`content-type` → `Content-Type`); repeated headers as fetch joins them. */
function canonicalHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, value] of headers) {
    const name = canonicalName(key)
    if (!(name in out)) out[name] = value
  }
  const cookies = headers.getSetCookie()
  if (cookies.length > 0) out['Set-Cookie'] = cookies[0] as string
  return out
}

function canonicalName(key: string): string {
  if (!TOKEN.test(key)) return key
  return key
    .toLowerCase()
    .replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase())
}

/** Text form of a value: strings as they are, numbers as JS/JSON text (A21), the rest as JSON. */
function textOf(value: unknown): string {
  if (typeof value === 'string') return value
  if (value === undefined) return ''
  return JSON.stringify(value) ?? String(value)
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`
  return `${n} bytes`
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}

export { HttpRequestParams }
