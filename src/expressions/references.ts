/**
 * Static helpers over templates for the validator and the engine: every `${{…}}` reference in a
 * JSON tree with the pointer of its string, and the unwrapping of `${{ expr }}` step guards (A1).
 */

import { pointerOf } from './interpolate.ts'
import { isRecord } from './json.ts'
import { hasTemplate, parseTemplate } from './template.ts'

export interface FoundReference {
  /** The text inside `${{ }}`, trimmed, e.g. `steps.fetch.output.body`. */
  path: string
  /** JSON pointer of the string holding the reference, e.g. `/headers/Authorization`. */
  pointer: string
  /** Set when the string's template is malformed (unclosed, nested, empty, bad syntax). */
  error?: string
}

/**
 * Every `${{…}}` reference inside `value` (object keys are not templates and are skipped). A
 * malformed template yields one entry with `error` set and `path` = the string itself.
 */
export function findReferences(value: unknown): FoundReference[] {
  const out: FoundReference[] = []
  const path: Array<string | number> = []
  const visit = (v: unknown): void => {
    if (typeof v === 'string') {
      if (!hasTemplate(v)) return
      const t = parseTemplate(v)
      const pointer = pointerOf(path)
      if (t.kind === 'error') out.push({ path: v, pointer, error: t.error.message })
      else if (t.kind === 'whole') out.push({ path: t.ref.text, pointer })
      else for (const p of t.parts) if (typeof p !== 'string') out.push({ path: p.text, pointer })
      return
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        path.push(i)
        visit(v[i])
        path.pop()
      }
      return
    }
    if (isRecord(v)) {
      for (const k of Object.keys(v)) {
        path.push(k)
        visit(v[k])
        path.pop()
      }
    }
  }
  visit(value)
  return out
}

/** A1: a guard written `${{ expr }}` is the CEL expression `expr`; anything else is unchanged. */
export function unwrapGuard(text: string): string {
  const t = text.trim()
  if (!t.startsWith('${{') || !t.endsWith('}}')) return text
  const inner = t.slice(3, -2)
  // `${{ a }} && ${{ b }}` is not one wrapper: leave it for CEL to reject with a clear error.
  if (inner.includes('${{')) return text
  return inner.trim()
}
