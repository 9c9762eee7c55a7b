/**
 * Go duration syntax (spec workflow.md §1.3, decisions.md D8): an optional sign, then one or more
 * `<decimal><unit>` groups with units ns, us, µs, μs, ms, s, m, h; a bare `0` is allowed.
 */

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
}

const GROUP = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y

/** Milliseconds of a Go duration, or `undefined` when the text is not one. */
export function parseDuration(text: string): number | undefined {
  if (typeof text !== 'string') return undefined
  let s = text.trim()
  if (s === '') return undefined
  let sign = 1
  if (s[0] === '-' || s[0] === '+') {
    if (s[0] === '-') sign = -1
    s = s.slice(1)
  }
  if (s === '0') return 0
  let total = 0
  let pos = 0
  GROUP.lastIndex = 0
  while (pos < s.length) {
    GROUP.lastIndex = pos
    const m = GROUP.exec(s)
    if (m === null) return undefined
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number)
    pos = GROUP.lastIndex
  }
  if (!Number.isFinite(total)) return undefined
  return sign * total
}

/** Formats milliseconds as a short Go duration (`1h30m`, `1.5s`, `250ms`). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s'
  const neg = ms < 0
  let rest = Math.abs(ms)
  let out = ''
  if (rest < 1000) return `${neg ? '-' : ''}${Number(rest.toFixed(3))}ms`
  const h = Math.floor(rest / 3_600_000)
  rest -= h * 3_600_000
  const m = Math.floor(rest / 60_000)
  rest -= m * 60_000
  if (h > 0) out += `${h}h`
  if (m > 0) out += `${m}m`
  if (rest > 0) out += `${Number((rest / 1000).toFixed(3))}s`
  return (neg ? '-' : '') + out
}
