/**
 * Regular expressions for CEL `matches` and Expr `matches`: RE2 semantics through re2js, so
 * matching is linear-time and a hostile pattern cannot hang the process (JavaScript's RegExp
 * backtracks exponentially on patterns such as `(a+)+$`). Compiled patterns are cached.
 */
import { RE2JS } from 're2js'

const CACHE_SIZE = 256
const cache = new Map<string, RE2JS>()

/** Thrown for a pattern RE2 rejects; callers map it to their engine's error code. */
export class RegexSyntaxError extends Error {
  override name = 'RegexSyntaxError'
}

/** Compiles an RE2 pattern (cached). Throws RegexSyntaxError for an invalid one. */
export function compileRegex(pattern: string): RE2JS {
  const hit = cache.get(pattern)
  if (hit !== undefined) return hit
  let re: RE2JS
  try {
    re = RE2JS.compile(pattern)
  } catch (err) {
    const why =
      err instanceof Error ? err.message.replace(/^error parsing regexp: /, '') : String(err)
    throw new RegexSyntaxError(
      `invalid regular expression ${JSON.stringify(pattern)}: ${why} (RE2 syntax: no look-around or back-references)`,
    )
  }
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string)
  cache.set(pattern, re)
  return re
}

/** Unanchored search, like CEL's and Expr's `matches`. */
export function regexFind(text: string, pattern: string): boolean {
  return compileRegex(pattern).test(text)
}
