/**
 * Collects validation problems (decisions.md D2) with a cap per severity, so that a definition with
 * thousands of problems yields a readable report of bounded size.
 */
import type { Issue } from '../errors.ts'
import { LIMITS } from './limits.ts'

export class Report {
  readonly errors: Issue[] = []
  readonly warnings: Issue[] = []
  private droppedErrors = 0
  private droppedWarnings = 0

  /** `always`: recorded even past the cap (for the problem that stops the walk). */
  error(path: string, message: string, code = 'VALIDATION_ERROR', always = false): void {
    if (always || this.errors.length < LIMITS.maxIssues) {
      this.errors.push({ path, code, message, severity: 'error' })
    } else this.droppedErrors++
  }

  warn(path: string, message: string, code = 'VALIDATION_ERROR'): void {
    if (this.warnings.length < LIMITS.maxIssues) {
      this.warnings.push({ path, code, message, severity: 'warning' })
    } else this.droppedWarnings++
  }

  add(severity: 'error' | 'warning', path: string, message: string, code: string): void {
    if (severity === 'error') this.error(path, message, code)
    else this.warn(path, message, code)
  }

  get hasErrors(): boolean {
    return this.errors.length > 0
  }

  /** Closes the report: a last issue per severity tells how many were left out. */
  finish(): { errors: Issue[]; warnings: Issue[] } {
    if (this.droppedErrors > 0) {
      this.errors.push({
        path: '',
        code: 'VALIDATION_ERROR',
        message: `${this.droppedErrors} more errors not listed (only the first ${LIMITS.maxIssues} are)`,
        severity: 'error',
      })
    }
    if (this.droppedWarnings > 0) {
      this.warnings.push({
        path: '',
        code: 'VALIDATION_ERROR',
        message: `${this.droppedWarnings} more warnings not listed (only the first ${LIMITS.maxIssues} are)`,
        severity: 'warning',
      })
    }
    return { errors: this.errors, warnings: this.warnings }
  }
}

/** A JSON pointer one level down (RFC 6901 escaping of `~` and `/`). */
export function child(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}/${key}`
  if (!key.includes('~') && !key.includes('/')) return `${path}/${key}`
  return `${path}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`
}

const PLAIN = /^[\w.:@/+-]*$/

/** Quotes a user-provided text for a message: JSON escaping (no raw control characters), clipped. */
export function quote(text: string, max = 80): string {
  if (text.length <= max && PLAIN.test(text)) return `"${text}"`
  const shown = text.length > max ? `${text.slice(0, max - 1)}…` : text
  return JSON.stringify(shown)
}
