/**
 * What the per-type config checks (config-checks.ts) need from the validator (validate.ts), so that
 * neither file imports the other's implementation.
 */
import type { Report } from './report.ts'
import type { Shape } from './shapes.ts'

export type Obj = Record<string, unknown>

/** Where a step sits: top-level DAG node, nested in a body/branch, or a lifecycle hook. */
export interface Scope {
  kind: 'top' | 'nested' | 'hook'
  /** Loop/condition/parallel bodies around the step. */
  depth: number
  /** Inside a loop body (so `${{loop.*}}` resolves). */
  inLoop: boolean
}

export interface CheckContext {
  readonly report: Report
  /** The workflow timeout in ms, when it has a valid one. */
  readonly workflowTimeoutMs: number | undefined
  structure(
    shape: Shape,
    value: unknown,
    path: string,
    subject: string,
    keep?: (relativePath: string) => boolean,
    fieldPrefix?: string,
  ): void
  unknownKeys(
    value: Obj,
    known: ReadonlySet<string>,
    path: string,
    subject: string,
    hints: Record<string, string>,
    fieldPrefix?: string,
  ): void
  duration(
    text: string,
    at: string,
    subject: string,
    field: string,
    severity: 'error' | 'warning',
  ): number | undefined
  cel(expression: string, at: string, subject: string, field: string): void
  notInterpolated(text: string, at: string, subject: string, field: string): void
  freeValue(
    value: unknown,
    at: string,
    subject: string,
    field: string,
    interpolated: boolean | null,
    scope?: Scope,
  ): void
  reference(expression: string, at: string, subject: string, inLoop: boolean): void
}

export function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
