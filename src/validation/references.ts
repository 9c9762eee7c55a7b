/**
 * Static reading of `${{ … }}` references (spec workflow.md §9): the syntax errors that always fail
 * at run time, and references that cannot resolve — an unknown namespace, `steps.X.result` instead
 * of `steps.X.output…` (decisions.md D21), `loop.*` outside a loop.
 */

export const NAMESPACES = ['steps', 'inputs', 'workflow', 'context', 'secrets', 'loop'] as const

export type TemplatePart = { kind: 'ref'; expression: string } | { kind: 'error'; message: string }

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

/** What a reference needs from its surroundings. */
export interface RefFacts {
  /** `steps.<id>` names this id (checked against the definition's ids afterwards). */
  stepId?: string
  /** A problem that makes the reference fail whatever the run's data. */
  warning?: string
}

const NAMESPACE_SET: ReadonlySet<string> = new Set(NAMESPACES)
const NO_FACTS: RefFacts = Object.freeze({})

/** Reads one reference expression (the text inside `${{ }}`). */
export function readReference(expression: string, inLoop: boolean): RefFacts {
  let cut = -1
  for (let i = 0; i < expression.length; i++) {
    const c = expression.charCodeAt(i)
    if (c === 0x2e || c === 0x5b) {
      cut = i
      break
    }
  }
  const ns = cut === -1 ? expression : expression.slice(0, cut)
  if (!NAMESPACE_SET.has(ns)) {
    return {
      warning: `"\${{${expression}}}" uses an unknown namespace "${ns}"; expected one of ${NAMESPACES.join(', ')}`,
    }
  }
  if (cut === expression.length - 1) return { warning: `"\${{${expression}}}" ends with a dot` }
  if (ns === 'loop' && !inLoop) {
    return { warning: `"\${{${expression}}}" is only available inside a loop body` }
  }
  if (ns === 'secrets' && cut === -1) {
    return { warning: `"\${{${expression}}}" needs a secret name: \${{secrets.NAME}}` }
  }
  if (ns !== 'steps') return NO_FACTS
  // steps.<id>.output[…]: the id runs to the second dot (spec §9.3), the third segment is `output`.
  const idEnd = cut === -1 || expression[cut] !== '.' ? -1 : expression.indexOf('.', cut + 1)
  const id = cut === -1 ? '' : expression.slice(cut + 1, idEnd === -1 ? undefined : idEnd)
  if (id === '' || idEnd === -1) {
    return {
      ...(id === '' ? {} : { stepId: id }),
      warning: `"\${{${expression}}}" is incomplete: step outputs are read as \${{steps.<id>.output}} or \${{steps.<id>.output.<field>}}`,
    }
  }
  const rest = expression.slice(idEnd + 1)
  if (rest === 'output' || rest.startsWith('output.') || rest.startsWith('output[')) {
    return { stepId: id }
  }
  return {
    stepId: id,
    warning: `"\${{${expression}}}" is not a valid reference: step outputs are read as steps.<id>.output…; did you mean "\${{steps.${id}.output}}" or "\${{steps.${id}.output.${rest}}}"?`,
  }
}
