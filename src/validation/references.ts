/**
 * Static reading of `${{ … }}` references (spec workflow.md §9, decisions.md D21), with the
 * interpolation engine's reference parser (src/expressions), so that validation and run time
 * agree on the grammar (`steps.x.output.items[0]`, `steps['my.id'].output`). Syntax that always
 * fails at run time is an error; references that cannot resolve are warnings: an unknown
 * namespace, a bad path, `steps.X.result` instead of `steps.X.output…`, `loop.*` outside a loop.
 */
import { AppError } from '../errors.ts'
import { parseReference, type Reference } from '../expressions/index.ts'

export type TemplatePart = { kind: 'ref'; expression: string } | { kind: 'error'; message: string }

/** What one string's templates amount to, in order. */
export type TemplateFinding =
  | { kind: 'error' | 'warning'; message: string }
  | { kind: 'step'; id: string; text: string }

/** The `${{…}}` parts of a string, in order; stops at an unclosed one. */
export function templateParts(text: string): TemplatePart[] {
  const out: TemplatePart[] = []
  let pos = 0
  for (;;) {
    const open = text.indexOf('${{', pos)
    if (open === -1) return out
    const close = text.indexOf('}}', open + 3)
    if (close === -1) {
      out.push({ kind: 'error', message: `unclosed "\${{" at character ${open + 1}: add "}}"` })
      return out
    }
    const inner = text.slice(open + 3, close)
    pos = close + 2
    if (inner.includes('${{')) {
      out.push({ kind: 'error', message: 'nested "${{" inside a reference is not allowed' })
      continue
    }
    const expression = inner.trim()
    if (expression === '') out.push({ kind: 'error', message: 'empty reference "${{}}"' })
    else out.push({ kind: 'ref', expression })
  }
}

/** Findings for a string that contains `${{`, in order. */
export function checkTemplate(text: string, inLoop: boolean): TemplateFinding[] {
  const out: TemplateFinding[] = []
  for (const part of templateParts(text)) {
    if (part.kind === 'error') out.push({ kind: 'error', message: part.message })
    else addFacts(out, parseReference(part.expression), inLoop)
  }
  return out
}

function addFacts(out: TemplateFinding[], ref: Reference | AppError, inLoop: boolean): void {
  const facts = referenceFacts(ref, inLoop)
  if (facts.warning !== undefined) out.push({ kind: 'warning', message: facts.warning })
  else if (facts.stepId !== undefined && !(ref instanceof AppError)) {
    out.push({ kind: 'step', id: facts.stepId, text: ref.text })
  }
}

/** What a reference needs from its surroundings. */
export interface RefFacts {
  /** `steps.<id>` names this id (checked against the definition's ids afterwards). */
  stepId?: string
  /** A problem that makes the reference fail whatever the run's data. */
  warning?: string
}

const NO_FACTS: RefFacts = Object.freeze({})

/** Reads one reference expression (the text inside `${{ }}`, or a bare data_inject path). */
export function readReference(expression: string, inLoop: boolean): RefFacts {
  return referenceFacts(parseReference(expression), inLoop)
}

function referenceFacts(ref: Reference | AppError, inLoop: boolean): RefFacts {
  if (ref instanceof AppError) return { warning: ref.message }
  const shown = `"\${{${ref.text}}}"`
  if (ref.namespace === 'loop' && !inLoop) {
    return { warning: `${shown} is only available inside a loop body` }
  }
  if (ref.namespace === 'secrets' && ref.rest === '') {
    return { warning: `${shown} needs a secret name: \${{secrets.NAME}}` }
  }
  if (ref.namespace !== 'steps') return NO_FACTS
  const [first, second] = ref.segments
  const id = first !== undefined && 'key' in first ? first.key : undefined
  if (id === undefined || second === undefined) {
    return {
      ...(id === undefined ? {} : { stepId: id }),
      warning: `${shown} is incomplete: step outputs are read as \${{steps.<id>.output}} or \${{steps.<id>.output.<field>}}`,
    }
  }
  if ('key' in second && second.key === 'output') return { stepId: id }
  const tail = ref.segments
    .slice(1)
    .map((s) => ('index' in s ? `[${s.index}]` : `.${s.key}`))
    .join('')
  return {
    stepId: id,
    warning: `${shown} is not a valid reference: step outputs are read as steps.<id>.output…; did you mean "\${{steps.${id}.output}}" or "\${{steps.${id}.output${tail}}}"?`,
  }
}
