import { afterAll, describe, expect, test } from 'bun:test'
import type { ActionContext } from '../engine/ports.ts'
import { AppError } from '../errors.ts'
import { shutdownJq } from '../expressions/index.ts'
import { jqEvalAction } from './jq-eval.ts'
import { createActionRegistry } from './registry.ts'

afterAll(() => {
  shutdownJq()
})

const scope = {
  region: 'eu',
  steps: {
    fetch: {
      body: {
        items: [
          { id: 1, ok: true },
          { id: 2, ok: false },
        ],
      },
    },
  },
  inputs: { region: 'eu' },
  workflow: { run_id: 'wf-1' },
  context: { intent: 'demo' },
  workflow_id: 'wf-1',
  step_id: 'pick',
  agent_id: 'agent-1',
}

function ctx(extra: Partial<ActionContext> = {}): ActionContext {
  return { scope, signal: new AbortController().signal, ...extra } as unknown as ActionContext
}

async function failure(params: Record<string, unknown>, c = ctx()): Promise<AppError> {
  try {
    await jqEvalAction.execute(params, c)
  } catch (err) {
    if (err instanceof AppError) return err
    throw err
  }
  throw new Error('expected an AppError')
}

describe('jq.eval (decisions.md D7)', () => {
  test('runs the filter on data', async () => {
    expect(await jqEvalAction.execute({ filter: '[.[] | . * 2]', data: [1, 2] }, ctx())).toEqual({
      result: [2, 4],
    })
    expect(await jqEvalAction.execute({ filter: '.', data: null }, ctx())).toEqual({ result: null })
  })

  test('without data the input is the workflow scope {steps, inputs, workflow, context}', async () => {
    expect(await jqEvalAction.execute({ filter: 'keys' }, ctx())).toEqual({
      result: ['context', 'inputs', 'steps', 'workflow'],
    })
    expect(
      await jqEvalAction.execute(
        { filter: '[.steps.fetch.body.items[] | select(.ok) | .id]' },
        ctx(),
      ),
    ).toEqual({ result: [1] })
    expect(
      await jqEvalAction.execute({ filter: '.workflow.run_id + ":" + .inputs.region' }, ctx()),
    ).toEqual({
      result: 'wf-1:eu',
    })
  })

  test('several outputs become an array, none becomes null', async () => {
    expect(await jqEvalAction.execute({ filter: '.steps.fetch.body.items[].id' }, ctx())).toEqual({
      result: [1, 2],
    })
    expect(await jqEvalAction.execute({ filter: 'empty' }, ctx())).toEqual({ result: null })
  })

  test('errors: empty or bad filter → VALIDATION_ERROR, run time → EXECUTION_ERROR', async () => {
    expect((await failure({ filter: '' })).message).toBe('empty jq filter')
    expect((await failure({})).code).toBe('VALIDATION_ERROR')
    expect((await failure({ filter: '.a |' })).code).toBe('VALIDATION_ERROR')
    expect((await failure({ filter: 'error("no")' })).message).toBe('jq error: no')
  })

  test('stops when the step is aborted or its deadline passes', async () => {
    const controller = new AbortController()
    const reason = new AppError('TIMEOUT_ERROR', 'step pick timed out')
    setTimeout(() => controller.abort(reason), 50)
    const aborted = await failure(
      { filter: 'def f: f; f', data: null },
      ctx({ signal: controller.signal }),
    )
    expect(aborted).toBe(reason)
    const late = await failure(
      { filter: 'def f: f; f', data: null },
      ctx({ deadline: Date.now() + 100 }),
    )
    expect(late.code).toBe('EXECUTION_ERROR')
    expect(late.message).toContain('did not finish')
  })

  test('is pure and registrable with a documented schema', () => {
    expect(jqEvalAction.pure).toBe(true)
    const registry = createActionRegistry([jqEvalAction])
    expect(registry.check(jqEvalAction, { filter: '.', data: [1] })).toEqual([])
    const props = (jqEvalAction.params as { properties: Record<string, { description?: string }> })
      .properties
    expect(props.filter?.description).toBeTruthy()
    expect(props.data?.description).toBeTruthy()
  })
})
