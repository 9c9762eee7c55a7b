/**
 * Display helpers shared by the server rendering and the browser: relative times ("5m ago", "in
 * 5m"), absolute UTC times (the same text on both sides, so hydration never disagrees), durations,
 * short ids and the status → badge mapping of panel.md §2.
 */

/** "just now", "42s ago", "5m ago", "3h ago", "2d ago"; future instants: "in 5m". */
export function ago(time: string | number | undefined, now: number): string {
  if (time === undefined) return '—'
  const t = typeof time === 'number' ? time : Date.parse(time)
  if (Number.isNaN(t)) return '—'
  const diff = now - t
  const future = diff < 0
  const s = Math.abs(diff) / 1000
  let text: string
  if (s < 5) return future ? 'in a moment' : 'just now'
  if (s < 60) text = `${Math.floor(s)}s`
  else if (s < 3600) text = `${Math.floor(s / 60)}m`
  else if (s < 86400) text = `${Math.floor(s / 3600)}h`
  else text = `${Math.floor(s / 86400)}d`
  return future ? `in ${text}` : `${text} ago`
}

/** `2026-01-31 14:05:09 UTC`. */
export function absTime(time: string | number | undefined): string {
  if (time === undefined) return ''
  const d = new Date(time)
  if (Number.isNaN(d.getTime())) return ''
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`
}

/** 850 ms, 1.2 s, 3m 20s, 2h 5m. */
export function duration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return '—'
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m ${Math.floor((ms % 60_000) / 1000)}s`
  return `${Math.floor(ms / 3_600_000)}h ${Math.floor((ms % 3_600_000) / 60_000)}m`
}

/** Milliseconds between two instants, or undefined. */
export function between(start?: string, end?: string): number | undefined {
  if (start === undefined || end === undefined) return undefined
  const d = Date.parse(end) - Date.parse(start)
  return Number.isNaN(d) ? undefined : d
}

/**
 * The distinguishing part of an id. Workflow ids are UUIDv7: their first characters are a
 * timestamp shared by every workflow started in the same minute, so the tail is shown instead.
 */
export function shortId(id: string, n = 8): string {
  if (id.length <= n + 1) return id
  return id.slice(-n)
}

const BADGE: Record<string, string> = {
  completed: 'ok',
  resolved: 'ok',
  active: 'live',
  running: 'live',
  retrying: 'live',
  failed: 'bad',
  error: 'bad',
  suspended: 'warn',
  pending: 'idle',
  scheduled: 'idle',
  claimed: 'idle',
  cancelled: 'muted',
  skipped: 'muted',
  timed_out: 'muted',
  inactive: 'muted',
  starting: 'live',
  restarting: 'warn',
}

/** Badge colour class of a status (panel.md §2): ok, bad, live, warn, idle, muted. */
export function badgeClass(status: string): string {
  return BADGE[status] ?? 'idle'
}

/** Colour class of an event type by what it reports. */
export function eventClass(type: string): string {
  if (/failed|timed_out|circuit_breaker_open/.test(type)) return 'bad'
  if (/completed|resolved|closed/.test(type)) return 'ok'
  if (/suspended|requested|interrupted|retrying|half_open/.test(type)) return 'warn'
  if (/cancelled|skipped|ignored/.test(type)) return 'muted'
  if (/started|resumed|retried/.test(type)) return 'live'
  return 'idle'
}

/** Pretty JSON (2 spaces); undefined → ''. */
export function pretty(value: unknown): string {
  if (value === undefined) return ''
  try {
    return JSON.stringify(value, null, 2) ?? ''
  } catch {
    return String(value)
  }
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`
}

export const OPEN_STATUSES = ['pending', 'active', 'suspended']
export const WORKFLOW_STATUSES = [
  'pending',
  'active',
  'suspended',
  'completed',
  'failed',
  'cancelled',
]
