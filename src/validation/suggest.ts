/** "Did you mean" suggestions for misspelt keys and ids. */
import { quote } from './report.ts'

export function suggestKey(key: string, known: ReadonlySet<string>): string | undefined {
  const norm = (s: string) => s.toLowerCase().replaceAll(/[-_\s]/g, '')
  const k = norm(key)
  for (const candidate of known) {
    const c = norm(candidate)
    if (c === k || editDistance(k, c, 3) <= (c.length > 5 ? 2 : 1)) {
      return `did you mean ${quote(candidate)}?`
    }
  }
  return undefined
}

/** Levenshtein distance, giving up (returning `limit`) once it is certainly ≥ limit. */
export function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) >= limit) return limit
  let prev = new Array<number>(b.length + 1)
  let cur = new Array<number>(b.length + 1)
  for (let j = 0; j <= b.length; j++) prev[j] = j
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i
    let rowMin = i
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      const v = Math.min(
        (prev[j] as number) + 1,
        (cur[j - 1] as number) + 1,
        (prev[j - 1] as number) + cost,
      )
      cur[j] = v
      if (v < rowMin) rowMin = v
    }
    if (rowMin >= limit) return limit
    ;[prev, cur] = [cur, prev]
  }
  return Math.min(prev[b.length] as number, limit)
}

/** The candidate closest to `text` (case-insensitive), if one is close enough to be a typo. */
export function closest(text: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined
  let bestDistance = Math.min(3, Math.floor(text.length / 2) + 1)
  for (const known of candidates) {
    const d = editDistance(text.toLowerCase(), known.toLowerCase(), bestDistance)
    if (d < bestDistance) {
      best = known
      bestDistance = d
    }
  }
  return best
}
