/**
 * Parsing of `${{ … }}` templates (spec workflow.md §9, recommendations A5–A7): a string is split
 * into literal text and references once, and the parsed form is cached by the string's text, so
 * interpolating the same params on every attempt parses nothing.
 *
 * Reference grammar: `<namespace>` then segments `.name` (any characters but `.` and `[`),
 * `['quoted key']` / `["quoted key"]`, or `[n]`. Whitespace just inside `${{ }}` is ignored.
 */
import { AppError } from '../errors.ts'

export const NAMESPACES = ['steps', 'inputs', 'workflow', 'context', 'secrets', 'loop'] as const
export type Namespace = (typeof NAMESPACES)[number]

/** One step of a path: a key (`.name`, `['name']`) or an array index (`[n]`). */
export type Segment = { key: string; dotted: boolean } | { index: number }

export interface Reference {
  /** The trimmed text inside `${{ }}`, e.g. `steps.fetch.output.body`. */
  text: string
  namespace: Namespace
  segments: Segment[]
  /** Text after `<namespace>.` (spec §9.3: tried first as one literal key; the secret name). */
  rest: string
}

/** A parsed template: plain text, exactly one reference, or text with embedded references. */
export type Template =
  | { kind: 'whole'; ref: Reference; secret: boolean }
  | { kind: 'parts'; parts: Array<string | Reference>; secret: boolean }
  | { kind: 'error'; error: AppError }

const MAX_CACHE = 10_000
/** Longer strings are parsed on every use (linear) rather than pinned in the cache. */
const MAX_CACHED_LENGTH = 4_096
const cache = new Map<string, Template>()

/** Whether `text` contains a template at all (the cheap test done before everything else). */
export function hasTemplate(text: string): boolean {
  return text.includes('${{')
}

/** Parses (cached) a string known to contain `${{`. Never throws: errors are a `kind: 'error'`. */
export function parseTemplate(text: string): Template {
  let t = cache.get(text)
  if (t === undefined) {
    t = parseUncached(text)
    if (text.length > MAX_CACHED_LENGTH) return t
    if (cache.size >= MAX_CACHE) cache.clear()
    cache.set(text, t)
  }
  return t
}

function fail(message: string, details: Record<string, unknown>): Template {
  return { kind: 'error', error: new AppError('INTERPOLATION_ERROR', message, { details }) }
}

function parseUncached(text: string): Template {
  const parts: Array<string | Reference> = []
  let secret = false
  let pos = 0
  for (;;) {
    const open = text.indexOf('${{', pos)
    if (open === -1) break
    const close = text.indexOf('}}', open + 3)
    if (close === -1) {
      return fail(`unclosed "\${{" at character ${open + 1} of ${JSON.stringify(clip(text))}`, {
        position: open,
      })
    }
    const inner = text.slice(open + 3, close)
    if (inner.includes('${{')) {
      return fail(`nested interpolation not allowed in ${JSON.stringify(clip(text))}`, {
        position: open,
      })
    }
    const expression = inner.trim()
    if (expression === '') {
      return fail(`empty interpolation "\${{}}" at character ${open + 1}`, { position: open })
    }
    const ref = parseReference(expression)
    if (ref instanceof AppError) return { kind: 'error', error: ref }
    if (ref.namespace === 'secrets') secret = true
    if (open > pos) parts.push(text.slice(pos, open))
    parts.push(ref)
    pos = close + 2
  }
  if (pos < text.length) parts.push(text.slice(pos))
  if (parts.length === 1 && typeof parts[0] !== 'string') {
    return { kind: 'whole', ref: parts[0] as Reference, secret }
  }
  return { kind: 'parts', parts, secret }
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*/

/** Parses the text inside `${{ }}`. Returns an INTERPOLATION_ERROR (not thrown) when malformed. */
export function parseReference(expression: string): Reference | AppError {
  const text = expression.trim()
  const m = IDENT.exec(text)
  const ns = m === null ? '' : m[0]
  const bad = (why: string, extra: Record<string, unknown> = {}) =>
    new AppError('INTERPOLATION_ERROR', `invalid reference "\${{${text}}}": ${why}`, {
      details: { reference: text, ...extra },
    })
  if (!(NAMESPACES as readonly string[]).includes(ns)) {
    return bad(
      `unknown namespace "${ns || text}"; available namespaces: ${NAMESPACES.join(', ')}`,
      { available_namespaces: [...NAMESPACES] },
    )
  }
  const namespace = ns as Namespace
  const after = text.slice(ns.length)
  if (after === '') return { text, namespace, segments: [], rest: '' }
  if (after[0] !== '.' && after[0] !== '[') return bad(`unexpected "${after[0]}" after "${ns}"`)
  const rest = after[0] === '.' ? after.slice(1) : after
  if (after === '.') return bad(`nothing after "${ns}."`)
  if (namespace === 'secrets' && after[0] === '.') {
    // spec §9.3: the secret name is everything after the first dot.
    return { text, namespace, segments: [{ key: rest, dotted: true }], rest }
  }
  const segments = parsePath(after)
  if (typeof segments === 'string') return bad(segments)
  return { text, namespace, segments, rest }
}

/** Parses `.a['b-c'][0].d` into segments; returns an error message for malformed text. */
function parsePath(path: string): Segment[] | string {
  const out: Segment[] = []
  let i = 0
  while (i < path.length) {
    const c = path[i]
    if (c === '.') {
      let j = i + 1
      while (j < path.length && path[j] !== '.' && path[j] !== '[') j++
      const key = path.slice(i + 1, j)
      if (key === '') return `empty path segment at character ${i + 1}`
      out.push({ key, dotted: true })
      i = j
      continue
    }
    if (c === '[') {
      const q = path[i + 1]
      if (q === "'" || q === '"') {
        let j = i + 2
        let key = ''
        while (j < path.length && path[j] !== q) {
          if (path[j] === '\\' && j + 1 < path.length) j++
          key += path[j]
          j++
        }
        if (j >= path.length) return `unterminated quoted key at character ${i + 1}`
        if (path[j + 1] !== ']') return `expected "]" after the quoted key at character ${j + 2}`
        out.push({ key, dotted: false })
        i = j + 2
        continue
      }
      const close = path.indexOf(']', i)
      if (close === -1) return `unclosed "[" at character ${i + 1}`
      const inner = path.slice(i + 1, close).trim()
      if (!/^\d+$/.test(inner)) {
        return `"[${inner}]" is neither an index [n] nor a quoted key ['name']`
      }
      const index = Number(inner)
      if (!Number.isSafeInteger(index)) return `index ${inner} is too large`
      out.push({ index })
      i = close + 1
      continue
    }
    return `unexpected "${c}" at character ${i + 1}`
  }
  return out
}

/** Renders segments back as a path, for messages: `.body.items[0]['a.b']`. */
export function formatSegments(segments: readonly Segment[]): string {
  let out = ''
  for (const s of segments) {
    if ('index' in s) out += `[${s.index}]`
    else if (/^[A-Za-z0-9_-]+$/.test(s.key)) out += `.${s.key}`
    else out += `[${JSON.stringify(s.key)}]`
  }
  return out
}
