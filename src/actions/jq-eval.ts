/**
 * `jq.eval` (decisions.md D7): runs a jq filter (jq 1.8) on `data`, or, when `data` is absent, on
 * the workflow scope `{steps, inputs, workflow, context}` (`steps` maps step key → output). Pure.
 * One result → that value, several → an array, none → null. The run stops when the step times
 * out or is cancelled, and after 10 s at most.
 */
import { type Static, Type } from '@sinclair/typebox'
import type { Action } from '../engine/ports.ts'
import { AppError } from '../errors.ts'
import { evalJq, JQ_DEFAULT_TIMEOUT_MS } from '../expressions/index.ts'
import { assertParams } from './registry.ts'

const JqEvalParams = Type.Object({
  filter: Type.String({
    description:
      "jq filter, e.g. '[.steps.fetch.body.items[] | select(.score > 5) | .name]'. $ENV and env are empty.",
  }),
  data: Type.Optional(
    Type.Unknown({
      description:
        'Input document (any JSON value). Absent: the workflow scope {steps, inputs, workflow, context}.',
    }),
  ),
})

export const jqEvalAction: Action = {
  name: 'jq.eval',
  description:
    'Runs a jq filter on `data` (default: the workflow scope {steps, inputs, workflow, context}); returns {result}: one output, an array of several, or null.',
  params: JqEvalParams,
  pure: true,
  async execute(params, ctx) {
    if (typeof params.filter === 'string' && params.filter.trim() === '') {
      throw new AppError('VALIDATION_ERROR', 'empty jq filter', {
        details: { engine: 'jq', position: 0 },
      })
    }
    assertParams(jqEvalAction, params)
    const p = params as Static<typeof JqEvalParams>
    const input = Object.hasOwn(params, 'data')
      ? (p.data ?? null)
      : {
          steps: ctx.scope.steps ?? {},
          inputs: ctx.scope.inputs ?? {},
          workflow: ctx.scope.workflow ?? {},
          context: ctx.scope.context ?? {},
        }
    const left = ctx.deadline === undefined ? JQ_DEFAULT_TIMEOUT_MS : ctx.deadline - Date.now()
    const timeoutMs = Math.max(1, Math.min(JQ_DEFAULT_TIMEOUT_MS, left))
    return { result: await evalJq(p.filter, input, { timeoutMs, signal: ctx.signal }) }
  },
}
