/**
 * Text helpers shared by the renderers: make user text safe to print (no control characters, no
 * bidi overrides, one line), measure it in terminal columns and cut it to a width.
 */

// C0/C1 controls, DEL, line/paragraph separators and bidi embedding/override/isolate marks: any of
// them can move the cursor, clear a terminal or reorder what a reader sees.
const UNSAFE = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f]/gu

/** One printable line: control and bidi characters become spaces, runs of spaces collapse. */
export function cleanText(text: string): string {
  return text.replace(UNSAFE, ' ').replace(/ {2,}/g, ' ').trim()
}

/** Columns a string takes in a terminal (wide CJK and emoji count 2, combining marks 0). */
export function displayWidth(text: string): number {
  return Bun.stringWidth(text)
}

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' })

/** Cuts `text` to at most `max` columns, ending with `…` when cut; never splits a grapheme. */
export function truncate(text: string, max: number): string {
  if (displayWidth(text) <= max) return text
  let out = ''
  let width = 0
  for (const { segment } of segmenter.segment(text)) {
    const w = displayWidth(segment)
    if (width + w > max - 1) break
    out += segment
    width += w
  }
  return `${out}…`
}

/** Pads with spaces on the right to `width` columns. */
export function padEnd(text: string, width: number): string {
  const w = displayWidth(text)
  return w >= width ? text : text + ' '.repeat(width - w)
}

/** `850ms`, `1.2s`, `2m05s`, `1h02m`: short and readable. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`
  const s = Math.round(ms / 1000)
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  const m = Math.floor(s / 60)
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`
}
