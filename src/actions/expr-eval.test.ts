import { describe, expect, test } from 'bun:test'
import type { ActionContext } from '../engine/ports.ts'
import { AppError } from '../errors.ts'
import { exprEvalAction } from './expr-eval.ts'
import { createActionRegistry } from './registry.ts'

function ctx(scope: Record<string, unknown>): ActionContext {
  return { scope } as unknown as ActionContext
}

const scope = {
  region: 'eu', // a run param, at top level
  steps: { 'fetch-data': { body: { count: 5, items: [{ level: 'ERROR' }, { level: 'INFO' }] } } },
  inputs: { region: 'eu', threshold: 3 },
  workflow: { run_id: 'wf-1' },
  context: { intent: 'demo' },
  workflow_id: 'wf-1',
  step_id: 'calc',
  agent_id: 'agent-1',
}

function run(params: Record<string, unknown>, s: Record<string, unknown> = scope): unknown {
  return exprEvalAction.execute(params, ctx(s))
}

function failure(params: Record<string, unknown>): AppError {
  try {
    run(params)
  } catch (err) {
    if (err instanceof AppError) return err
    throw err
  }
  throw new Error('expected an AppError')
}

describe('expr.eval (actions.md §6)', () => {
  test('the spec examples', () => {
    expect(run({ expression: 'sum(data, {#})', data: [1, 2, 3] })).toEqual({ result: 6 })
    expect(
      run({
        expression: "len(filter(data, {.level == 'ERROR'}))",
        data: [{ level: 'ERROR' }, { level: 'x' }],
      }),
    ).toEqual({
      result: 1,
    })
    expect(
      run({ expression: "filter(steps['fetch-data'].body.items, {.level == 'ERROR'})" }),
    ).toEqual({ result: [{ level: 'ERROR' }] })
  })

  test('sees run params at top level, the namespaces and the ids', () => {
    expect(run({ expression: 'region + "/" + inputs.region + "/" + workflow.run_id' })).toEqual({
      result: 'eu/eu/wf-1',
    })
    expect(run({ expression: "steps['fetch-data'].body.count > inputs.threshold" })).toEqual({
      result: true,
    })
    expect(run({ expression: '[workflow_id, step_id, agent_id, context.intent]' })).toEqual({
      result: ['wf-1', 'calc', 'agent-1', 'demo'],
    })
  })

  test('undefined names are nil; data absent is nil', () => {
    expect(run({ expression: 'nothing ?? "dflt"' })).toEqual({ result: 'dflt' })
    expect(run({ expression: 'data == nil' })).toEqual({ result: true })
  })

  test('an explicit data param wins over a run param named data', () => {
    const withDataParam = { ...scope, data: 'from run params' }
    expect(run({ expression: 'data', data: [1] }, withDataParam)).toEqual({ result: [1] })
    expect(run({ expression: 'data' }, withDataParam)).toEqual({ result: 'from run params' })
  })

  test('empty expression → VALIDATION_ERROR "empty expr expression"; compile → VALIDATION_ERROR; run time → EXECUTION_ERROR', () => {
    expect(failure({ expression: '' }).message).toBe('empty expr expression')
    expect(failure({ expression: '  ' }).code).toBe('VALIDATION_ERROR')
    expect(failure({}).code).toBe('VALIDATION_ERROR')
    expect(failure({ expression: 42 }).code).toBe('VALIDATION_ERROR')
    expect(failure({ expression: '"a" + 1' }).code).toBe('VALIDATION_ERROR')
    const runtime = failure({ expression: 'data[3]', data: [1] })
    expect(runtime.code).toBe('EXECUTION_ERROR')
    expect(runtime.message).toContain('index out of range')
  })

  test('is pure, registrable, and its params schema documents both fields', () => {
    expect(exprEvalAction.pure).toBe(true)
    const registry = createActionRegistry([exprEvalAction])
    expect(registry.check(exprEvalAction, { expression: '1', data: { any: ['json'] } })).toEqual([])
    expect(registry.check(exprEvalAction, { data: 1 }).some((i) => i.severity === 'error')).toBe(
      true,
    )
    const props = (
      exprEvalAction.params as { properties: Record<string, { description?: string }> }
    ).properties
    expect(props.expression?.description).toBeTruthy()
    expect(props.data?.description).toBeTruthy()
  })
})
