/**
 * The listen-address rule (decisions.md D21): `:PORT` with no host means `127.0.0.1:PORT`; any
 * other host (including `0.0.0.0`) exposes the server and then requires the bearer token. The
 * public base URL is derived from the address when not configured (server.md §7.2 Ours).
 */
import { AppError } from '../errors.ts'

export interface ListenAddress {
  /** Host to bind (`127.0.0.1`, `0.0.0.0`, `::1`, a name…). */
  host: string
  /** TCP port; 0 asks the system for a free one (tests). */
  port: number
  /** True when only this machine can connect (127.0.0.0/8, ::1, localhost). */
  loopback: boolean
}

/** Parses `HOST:PORT`, `:PORT`, `[V6]:PORT` or a bare `PORT`. Throws VALIDATION_ERROR. */
export function parseListenAddr(text: string): ListenAddress {
  const raw = text.trim()
  let host: string
  let portText: string
  if (/^\d+$/.test(raw)) {
    host = ''
    portText = raw
  } else if (raw.startsWith('[')) {
    const end = raw.indexOf(']')
    if (end === -1 || raw[end + 1] !== ':') throw bad(text)
    host = raw.slice(1, end)
    portText = raw.slice(end + 2)
  } else {
    const colon = raw.lastIndexOf(':')
    if (colon === -1) throw bad(text)
    host = raw.slice(0, colon)
    portText = raw.slice(colon + 1)
    if (host.includes(':')) throw bad(text)
  }
  if (!/^\d+$/.test(portText)) throw bad(text)
  const port = Number(portText)
  if (port > 65535) throw bad(text)
  if (host === '') host = '127.0.0.1'
  return { host, port, loopback: isLoopbackHost(host) }
}

function bad(text: string): AppError {
  return new AppError(
    'VALIDATION_ERROR',
    `listen address ${JSON.stringify(text)} is not HOST:PORT or :PORT (e.g. :4100, 127.0.0.1:4100, 0.0.0.0:4100)`,
  )
}

export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '')
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h)
}

/** Formats an address for messages and the base URL (`127.0.0.1:4100`, `[::1]:4100`). */
export function formatAddress(a: { host: string; port: number }): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`
}

/**
 * The URL clients reach the server at: the configured base URL when it is a valid absolute
 * http(s) URL, else `http://<host>:<port>` with wildcard hosts shown as `localhost`.
 */
export function deriveBaseUrl(configured: string | undefined, a: ListenAddress): string {
  if (configured !== undefined && configured !== '') {
    try {
      const u = new URL(configured)
      if (u.protocol === 'http:' || u.protocol === 'https:') return configured.replace(/\/+$/, '')
    } catch {
      // not a URL: derive one below
    }
  }
  const host = a.host === '0.0.0.0' || a.host === '::' || a.host === '' ? 'localhost' : a.host
  return `http://${formatAddress({ host, port: a.port })}`
}
