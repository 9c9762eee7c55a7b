/**
 * `expr.eval` (spec actions.md §6): evaluates an Expr expression (workflow.md §10.2). Pure.
 * Variables: every key of the action scope (run params at top level, `steps` — outputs without
 * `.output` —, `inputs`, `workflow`, `context`, `workflow_id`, `step_id`, `agent_id`) and `data`.
 * Unlike the reference, an explicit `data` param wins over a run param named `data`
 * (docs/expressions.md). Undefined names are nil.
 */
import { type Static, Type } from '@sinclair/typebox'
import type { Action } from '../engine/ports.ts'
import { AppError } from '../errors.ts'
import { compileExpr } from '../expressions/index.ts'
import { assertParams } from './registry.ts'

const ExprEvalParams = Type.Object({
  expression: Type.String({
    description:
      'Expr-language expression, e.g. "len(filter(data, {.level == \'ERROR\'}))" or "steps[\'fetch\'].body.count > inputs.threshold". Step outputs are read without .output.',
  }),
  data: Type.Optional(
    Type.Unknown({
      description: 'Any JSON value, exposed to the expression as the variable `data`.',
    }),
  ),
})

export const exprEvalAction: Action = {
  name: 'expr.eval',
  description:
    'Evaluates an Expr expression (filter/map/sum, arithmetic, string functions…) over `data` and the run scope; returns {result}.',
  params: ExprEvalParams,
  pure: true,
  execute(params, ctx) {
    if (typeof params.expression === 'string' && params.expression.trim() === '') {
      throw new AppError('VALIDATION_ERROR', 'empty expr expression', {
        details: { engine: 'Expr', position: 0 },
      })
    }
    assertParams(exprEvalAction, params)
    const p = params as Static<typeof ExprEvalParams>
    const program = compileExpr(p.expression)
    const env: Record<string, unknown> = { data: null, ...ctx.scope }
    if (Object.hasOwn(params, 'data')) env.data = p.data === undefined ? null : p.data
    return { result: program.run(env) }
  },
}
