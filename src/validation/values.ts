/**
 * Free-form JSON values of a definition (params, inputs, metadata, unknown keys): walked without
 * recursion, depth bounded by LIMITS.maxValueDepth, `${{…}}` references read where they resolve.
 */
import { LIMITS } from './limits.ts'
import { checkTemplate } from './references.ts'
import { child, quote, type Report } from './report.ts'

type Obj = Record<string, unknown>

/** Where problems and step references go. */
export interface ValueSink {
  readonly report: Report
  /** A `${{steps.<id>…}}` reference, checked once every id of the definition is known. */
  stepRef(id: string, text: string, at: string, subject: string): void
}

/**
 * A free-form JSON value, walked iteratively. Depth is
 * bounded by LIMITS.maxValueDepth. `interpolated`: true = `${{…}}` is resolved here (references
 * are checked), false = it is not (warn once), null = opaque (only the depth is checked).
 */
export function walkValue(
  sink: ValueSink,
  value: unknown,
  at: string,
  subject: string,
  field: string,
  interpolated: boolean | null,
  inLoop: boolean,
): void {
  if (typeof value === 'string') {
    checkString(sink, value, at, subject, field, interpolated, inLoop)
    return
  }
  if (typeof value !== 'object' || value === null) return
  interface Frame {
    v: object
    depth: number
    parent: Frame | undefined
    key: string | number
  }
  const pathOf = (f: Frame | undefined, key?: string | number): string => {
    const keys: (string | number)[] = key === undefined ? [] : [key]
    for (let x = f; x?.parent !== undefined; x = x.parent) keys.push(x.key)
    let p = at
    for (let i = keys.length - 1; i >= 0; i--) p = child(p, keys[i] as string | number)
    return p
  }
  const stack: Frame[] = [{ v: value, depth: 1, parent: undefined, key: '' }]
  let warnedLiteral = false
  while (stack.length > 0) {
    const f = stack.pop() as Frame
    if (f.depth > LIMITS.maxValueDepth) {
      sink.report.error(
        pathOf(f),
        `${subject}: ${field || 'value'} is nested more than ${LIMITS.maxValueDepth} levels deep`,
      )
      return
    }
    const visit = (v: unknown, key: string | number) => {
      if (typeof v === 'string') {
        if (!v.includes('${{')) return
        if (interpolated === false) {
          if (!warnedLiteral) checkString(sink, v, pathOf(f, key), subject, field, false, inLoop)
          warnedLiteral = true
        } else if (interpolated === true) {
          checkString(sink, v, pathOf(f, key), subject, field, true, inLoop)
        }
      } else if (typeof v === 'object' && v !== null) {
        stack.push({ v, depth: f.depth + 1, parent: f, key })
      }
    }
    if (Array.isArray(f.v)) {
      for (let i = 0; i < f.v.length; i++) visit(f.v[i], i)
    } else {
      const o = f.v as Obj
      for (const key in o) {
        if (!Object.hasOwn(o, key)) continue
        if (interpolated === true && key.includes('${{')) {
          sink.report.warn(
            pathOf(f, key),
            `${subject}: ${field} key ${quote(key)} is not interpolated; only values are`,
          )
        }
        visit(o[key], key)
      }
    }
  }
}

function checkString(
  sink: ValueSink,
  text: string,
  at: string,
  subject: string,
  field: string,
  interpolated: boolean | null,
  inLoop: boolean,
): void {
  if (interpolated === null || !text.includes('${{')) return
  if (interpolated === false) {
    sink.report.warn(
      at,
      `${subject}: ${field} values are not interpolated, so "\${{…}}" stays literal text`,
    )
    return
  }
  for (const found of checkTemplate(text, inLoop)) {
    if (found.kind === 'error')
      sink.report.error(at, `${subject}: ${found.message} in ${quote(text)}`)
    else if (found.kind === 'warning') sink.report.warn(at, `${subject}: ${found.message}`)
    else if (found.kind === 'step') sink.stepRef(found.id, found.text, at, subject)
  }
}
