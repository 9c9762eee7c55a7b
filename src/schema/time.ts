/** Epoch milliseconds ↔ RFC 3339 text, the wire form of every time (spec server.md conventions). */

export function iso(ms: number | undefined | null): string | undefined {
  return ms === undefined || ms === null ? undefined : new Date(ms).toISOString()
}

/** Parses RFC 3339 text to epoch ms; undefined when it is not a time. */
export function parseTime(text: string): number | undefined {
  const ms = Date.parse(text)
  return Number.isNaN(ms) ? undefined : ms
}
