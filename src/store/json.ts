/** JSON columns: text in, values out; absent values stay NULL. */

export function jsonOrNull(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value)
}

/** Parses a JSON column; text that is not JSON (written by hand) comes back as the text. */
export function parseJson(text: string | null | undefined): unknown {
  if (text === null || text === undefined) return undefined
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}
