/**
 * Glob patterns of `fs.list` (spec actions.md §2.2), with Go's `filepath.Match`/`Glob` semantics:
 * `*` any run of non-separator characters, `?` one non-separator character, `[...]` classes with
 * ranges and `^` negation, `\` escapes; no `**`, no braces, a leading dot is not special.
 */
import { lstatSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

export class BadPattern extends Error {
  constructor(pattern: string, why: string) {
    super(`invalid pattern ${JSON.stringify(pattern)}: ${why}`)
    this.name = 'BadPattern'
  }
}

/** True when `s` has a character that makes it a pattern rather than a literal name. */
export function hasMeta(s: string): boolean {
  return /[*?[\\]/.test(s)
}

/** Compiles a pattern (separators allowed, matched literally) to an anchored RegExp. */
export function compileGlob(pattern: string): RegExp {
  let re = '^'
  let i = 0
  const bad = (why: string): never => {
    throw new BadPattern(pattern, why)
  }
  const char = (): string => {
    // One pattern character, with `\` escaping the next one.
    if (i >= pattern.length) bad('unexpected end')
    let c = pattern[i] as string
    if (c === '\\') {
      i++
      if (i >= pattern.length) bad('trailing backslash')
      c = pattern[i] as string
    } else if (c === '-' || c === ']') {
      bad(`unexpected "${c}" in a character class`)
    }
    // Astral characters are two UTF-16 units.
    const cp = pattern.codePointAt(i) as number
    i += cp > 0xffff ? 2 : 1
    return String.fromCodePoint(cp)
  }
  while (i < pattern.length) {
    const c = pattern[i] as string
    if (c === '*') {
      re += '[^/]*'
      i++
    } else if (c === '?') {
      re += '[^/]'
      i++
    } else if (c === '[') {
      i++
      let negated = false
      if (pattern[i] === '^') {
        negated = true
        i++
      }
      let cls = ''
      let ranges = 0
      for (;;) {
        if (pattern[i] === ']' && ranges > 0) {
          i++
          break
        }
        const lo = char()
        let hi = lo
        if (pattern[i] === '-') {
          i++
          hi = char()
        }
        if ((lo.codePointAt(0) as number) > (hi.codePointAt(0) as number)) bad('reversed range')
        cls += lo === hi ? escapeClass(lo) : `${escapeClass(lo)}-${escapeClass(hi)}`
        ranges++
      }
      // A negated class never matches the separator, like Go.
      re += negated ? `[^/${cls}]` : `[${cls}]`
    } else if (c === '\\') {
      i++
      if (i >= pattern.length) bad('trailing backslash')
      const cp = pattern.codePointAt(i) as number
      re += escapeRegex(String.fromCodePoint(cp))
      i += cp > 0xffff ? 2 : 1
    } else {
      const cp = pattern.codePointAt(i) as number
      re += escapeRegex(String.fromCodePoint(cp))
      i += cp > 0xffff ? 2 : 1
    }
  }
  return new RegExp(`${re}$`, 'u')
}

/**
 * Every existing path matching `pattern` (absolute, clean), sorted lexically directory by
 * directory, like Go's `filepath.Glob`. Unreadable directories are skipped. Throws BadPattern.
 */
export function glob(pattern: string): string[] {
  compileGlob(pattern) // validate the whole pattern first, even when a directory is missing
  const segments = pattern.split('/').filter((s, idx) => s !== '' || idx === 0)
  let current = [segments[0] === '' ? '/' : (segments[0] as string)]
  for (const seg of segments.slice(1)) {
    const next: string[] = []
    if (!hasMeta(seg)) {
      for (const dir of current) next.push(join(dir, seg))
    } else {
      const re = compileGlob(seg)
      for (const dir of current) {
        let names: string[]
        try {
          if (!statSync(dir).isDirectory()) continue
          names = readdirSync(dir)
        } catch {
          continue
        }
        names.sort(compareNames)
        for (const n of names) if (re.test(n)) next.push(join(dir, n))
      }
    }
    current = next
  }
  return current.filter((p) => {
    try {
      lstatSync(p)
      return true
    } catch {
      return false
    }
  })
}

/** Byte-wise order of names, like Go's sort.Strings on UTF-8. */
export function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b))
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
}

function escapeClass(s: string): string {
  return s.replace(/[\\\]^-]/g, '\\$&')
}
