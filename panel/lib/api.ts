/**
 * The panel's only way to the server's data and mutations: the JSON API under /api/v1 (decisions.md
 * D20), same-origin, with the session cookie and the CSRF token. Errors come back as ApiError with
 * the server's code, message, details and validation problems.
 */
import { csrfToken } from './page.ts'
import type { Problem } from './types.ts'

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly issues?: Problem[],
  ) {
    super(message)
  }
}

type Query = Record<string, string | number | boolean | undefined>

export function withQuery(path: string, query: Query = {}): string {
  const qs = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') qs.set(k, String(v))
  const s = qs.toString()
  return s === '' ? path : `${path}?${s}`
}

export async function api<T>(
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
  query?: Query,
): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' }
  if (method !== 'GET') {
    headers['Content-Type'] = 'application/json'
    headers['X-Opcode-Csrf'] = csrfToken()
  }
  let res: Response
  try {
    res = await fetch(withQuery(`/api/v1${path}`, query), {
      method,
      headers,
      credentials: 'same-origin',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
  } catch (err) {
    throw new ApiError(0, 'NETWORK_ERROR', `the server did not answer (${String(err)})`)
  }
  const text = await res.text()
  let data: unknown
  try {
    data = text === '' ? undefined : JSON.parse(text)
  } catch {
    data = undefined
  }
  if (res.ok) return data as T
  if (res.status === 401 && typeof location !== 'undefined') {
    location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`)
  }
  const e = (data ?? {}) as {
    code?: string
    message?: string
    details?: unknown
    issues?: Problem[]
  }
  throw new ApiError(
    res.status,
    e.code ?? `HTTP_${res.status}`,
    e.message ?? `request failed with HTTP ${res.status}`,
    e.details,
    e.issues,
  )
}

/** A one-line message for an error shown to the user. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) return `${err.message} (${err.code})`
  return String((err as Error)?.message ?? err)
}
