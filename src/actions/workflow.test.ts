import { describe, expect, test } from 'bun:test'
import type { ActionContext, Logger, LogLevel, WorkflowServices } from '../engine/ports.ts'
import { AppError } from '../errors.ts'
import type { WorkflowContext } from '../schema/run.ts'
import {
  workflowContextAction,
  workflowEmitAction,
  workflowFailAction,
  workflowLogAction,
  workflowNotifyAction,
  workflowRunAction,
} from './workflow.ts'

/** A small in-test implementation of the WorkflowServices port, recording every call. */
class TestServices implements WorkflowServices {
  contexts = new Map<string, WorkflowContext>()
  children: Array<{ template_name: string; version?: string; params?: Record<string, unknown> }> =
    []
  childResult: () => Promise<unknown> = async () => ({ sink: { ok: true } })
  emitted: Array<[string, unknown]> = []
  logged: Array<[LogLevel, string, unknown]> = []
  notifyResult: () => Promise<{ notified: boolean; reason?: string }> = async () => ({
    notified: true,
  })
  notified: Array<[string, unknown]> = []

  runChild(request: { template_name: string; version?: string; params?: Record<string, unknown> }) {
    this.children.push(request)
    return this.childResult()
  }

  async readContext(workflowId: string) {
    return this.contexts.get(workflowId)
  }

  async updateContext(
    workflowId: string,
    patch: {
      accumulated_data?: Record<string, unknown>
      agent_notes?: string
      original_intent?: string
      replace?: boolean
    },
  ) {
    const now = new Date(0).toISOString()
    const prev = this.contexts.get(workflowId)
    const next: WorkflowContext = {
      workflow_id: workflowId,
      agent_id: 'agent-1',
      original_intent: patch.original_intent ?? prev?.original_intent ?? '',
      accumulated_data: patch.replace
        ? (patch.accumulated_data ?? {})
        : { ...(prev?.accumulated_data ?? {}), ...(patch.accumulated_data ?? {}) },
      created_at: prev?.created_at ?? now,
      updated_at: now,
    }
    const notes = patch.agent_notes ?? prev?.agent_notes
    if (notes !== undefined) next.agent_notes = notes
    this.contexts.set(workflowId, next)
    return next
  }

  emit(eventType: string, payload: unknown) {
    this.emitted.push([eventType, payload])
  }

  notify(message: string, data?: unknown) {
    this.notified.push([message, data])
    return this.notifyResult()
  }

  log(level: LogLevel, message: string, data?: unknown) {
    this.logged.push([level, message, data])
  }
}

const warnings: unknown[] = []
const logger: Logger = {
  debug() {},
  info() {},
  warn: (msg, attrs) => warnings.push([msg, attrs]),
  error() {},
}

function makeCtx(
  services: WorkflowServices,
  signal: AbortSignal = new AbortController().signal,
): ActionContext {
  return {
    workflowId: 'wf-current',
    stepId: 'step-a',
    agentId: 'agent-1',
    attempt: 1,
    idempotencyKey: 'wf-current:step-a',
    signal,
    scope: {},
    services,
    log: logger,
  }
}

async function failure(run: () => unknown): Promise<AppError> {
  try {
    await run()
  } catch (err) {
    expect(err).toBeInstanceOf(AppError)
    return err as AppError
  }
  throw new Error('expected the action to fail')
}

describe('workflow.run', () => {
  test("runs the template as a child and returns the child's output", async () => {
    const s = new TestServices()
    const out = await workflowRunAction.execute(
      { template_name: 'etl', version: 'v2', params: { day: '2026-01-01' } },
      makeCtx(s),
    )
    expect(out).toEqual({ sink: { ok: true } })
    expect(s.children).toEqual([
      { template_name: 'etl', version: 'v2', params: { day: '2026-01-01' } },
    ])
    await workflowRunAction.execute({ template_name: 'etl' }, makeCtx(s))
    expect(s.children[1]).toEqual({ template_name: 'etl' })
  })

  test("the child's failure propagates unchanged", async () => {
    const s = new TestServices()
    const childErr = new AppError('EXECUTION_ERROR', 'workflow.run: child workflow failed: boom', {
      details: { child_workflow_id: 'c1', status: 'failed' },
    })
    s.childResult = () => Promise.reject(childErr)
    expect(await failure(() => workflowRunAction.execute({ template_name: 'x' }, makeCtx(s)))).toBe(
      childErr,
    )
  })

  test('stops waiting when the step signal aborts, surfacing the engine reason', async () => {
    const s = new TestServices()
    s.childResult = () => new Promise(() => {}) // a child that never ends
    const ac = new AbortController()
    const reason = new AppError('TIMEOUT_ERROR', 'step step-a timed out')
    setTimeout(() => ac.abort(reason), 10)
    const err = await failure(() =>
      workflowRunAction.execute({ template_name: 'slow' }, makeCtx(s, ac.signal)),
    )
    expect(err).toBe(reason)
    const plain = new AbortController()
    plain.abort()
    const cancelled = await failure(() =>
      workflowRunAction.execute({ template_name: 'slow' }, makeCtx(s, plain.signal)),
    )
    expect([cancelled.code, cancelled.message]).toEqual([
      'EXECUTION_ERROR',
      'workflow.run: cancelled',
    ])
  })

  test('template_name is required and params must be an object', async () => {
    const s = new TestServices()
    const err = await failure(() => workflowRunAction.execute({}, makeCtx(s)))
    expect([err.code, err.message]).toEqual([
      'VALIDATION_ERROR',
      "workflow.run: missing required param 'template_name'",
    ])
    const bad = await failure(() =>
      workflowRunAction.execute({ template_name: 'x', params: [1] }, makeCtx(s)),
    )
    expect(bad.issues?.[0]?.path).toBe('/params')
    expect(s.children).toEqual([])
  })
})

describe('workflow.emit', () => {
  test('publishes the event and returns {emitted: true}', async () => {
    const s = new TestServices()
    expect(
      await workflowEmitAction.execute(
        { event_type: 'progress', payload: { pct: 50 } },
        makeCtx(s),
      ),
    ).toEqual({ emitted: true })
    await workflowEmitAction.execute({ event_type: 'ping' }, makeCtx(s))
    expect(s.emitted).toEqual([
      ['progress', { pct: 50 }],
      ['ping', null],
    ])
  })

  test('event_type is required', async () => {
    const err = await failure(() =>
      workflowEmitAction.execute({ payload: 1 }, makeCtx(new TestServices())),
    )
    expect(err.code).toBe('VALIDATION_ERROR')
  })
})

describe('workflow.context', () => {
  function seeded(): TestServices {
    const s = new TestServices()
    s.contexts.set('wf-current', {
      workflow_id: 'wf-current',
      agent_id: 'agent-1',
      original_intent: 'import invoices',
      accumulated_data: { a: 1, b: { x: 1 } },
      agent_notes: 'first pass',
      created_at: 't0',
      updated_at: 't0',
    })
    return s
  }

  test('read returns the record of the current workflow by default, or of workflow_id', async () => {
    const s = seeded()
    const rec = (await workflowContextAction.execute(
      { action: 'read' },
      makeCtx(s),
    )) as WorkflowContext
    expect(rec.original_intent).toBe('import invoices')
    s.contexts.set('wf-other', { ...rec, workflow_id: 'wf-other' })
    const other = (await workflowContextAction.execute(
      { action: 'read', workflow_id: 'wf-other' },
      makeCtx(s),
    )) as WorkflowContext
    expect(other.workflow_id).toBe('wf-other')
  })

  test('read of a workflow without a record is EXECUTION_ERROR "read failed"', async () => {
    const err = await failure(() =>
      workflowContextAction.execute({ action: 'read', workflow_id: 'ghost' }, makeCtx(seeded())),
    )
    expect([err.code, err.message]).toEqual([
      'EXECUTION_ERROR',
      'workflow.context: read failed: workflow ghost has no context record',
    ])
  })

  test('update merges data by top-level key and keeps intent and notes unless given', async () => {
    const s = seeded()
    const out = await workflowContextAction.execute(
      { action: 'update', data: { b: { y: 2 }, c: 3 } },
      makeCtx(s),
    )
    expect(out).toEqual({ updated: true, workflow_id: 'wf-current' })
    const rec = s.contexts.get('wf-current') as WorkflowContext
    expect(rec.accumulated_data).toEqual({ a: 1, b: { y: 2 }, c: 3 })
    expect(rec.original_intent).toBe('import invoices')
    expect(rec.agent_notes).toBe('first pass')
  })

  test('update with replace: true swaps accumulated_data; notes and intent change when given', async () => {
    const s = seeded()
    await workflowContextAction.execute(
      {
        action: 'update',
        data: { only: true },
        replace: true,
        agent_notes: 'n2',
        original_intent: 'i2',
      },
      makeCtx(s),
    )
    const rec = s.contexts.get('wf-current') as WorkflowContext
    expect(rec.accumulated_data).toEqual({ only: true })
    expect([rec.agent_notes, rec.original_intent]).toEqual(['n2', 'i2'])
    await workflowContextAction.execute({ action: 'update', replace: true }, makeCtx(s))
    expect(s.contexts.get('wf-current')?.accumulated_data).toEqual({})
  })

  test('update of another workflow targets workflow_id', async () => {
    const s = seeded()
    const out = await workflowContextAction.execute(
      { action: 'update', workflow_id: 'wf-2', data: { k: 'v' } },
      makeCtx(s),
    )
    expect(out).toEqual({ updated: true, workflow_id: 'wf-2' })
    expect(s.contexts.get('wf-2')?.accumulated_data).toEqual({ k: 'v' })
  })

  test('an unknown action or non-object data is a VALIDATION_ERROR', async () => {
    const s = seeded()
    const err = await failure(() => workflowContextAction.execute({ action: 'delete' }, makeCtx(s)))
    expect(err.code).toBe('VALIDATION_ERROR')
    expect(err.message).toBe(
      'workflow.context: param \'action\' must be one of "read", "update", got a string',
    )
    const data = await failure(() =>
      workflowContextAction.execute({ action: 'update', data: 'x' }, makeCtx(s)),
    )
    expect(data.issues?.[0]?.path).toBe('/data')
    expect(s.contexts.get('wf-current')?.accumulated_data).toEqual({ a: 1, b: { x: 1 } })
  })
})

describe('workflow.fail', () => {
  test('always fails with NON_RETRYABLE and the reason', async () => {
    const s = new TestServices()
    const err = await failure(() =>
      workflowFailAction.execute({ reason: 'quota exceeded' }, makeCtx(s)),
    )
    expect([err.code, err.message, err.retryable]).toEqual([
      'NON_RETRYABLE',
      'quota exceeded',
      false,
    ])
    expect((await failure(() => workflowFailAction.execute({}, makeCtx(s)))).message).toBe(
      'workflow.fail invoked',
    )
  })
})

describe('workflow.log', () => {
  test('logs through the services with the level, mapping unknown levels to info', async () => {
    const s = new TestServices()
    expect(
      await workflowLogAction.execute({ message: 'm1', level: 'warn', data: { n: 1 } }, makeCtx(s)),
    ).toEqual({ logged: true })
    await workflowLogAction.execute({ message: 'm2' }, makeCtx(s))
    await workflowLogAction.execute({ message: 'm3', level: 'ERROR' }, makeCtx(s))
    await workflowLogAction.execute({ message: 'm4', level: 'loud' }, makeCtx(s))
    await workflowLogAction.execute({ message: 'm5', level: 'warning' }, makeCtx(s))
    expect(s.logged).toEqual([
      ['warn', 'm1', { n: 1 }],
      ['info', 'm2', undefined],
      ['error', 'm3', undefined],
      ['info', 'm4', undefined],
      ['warn', 'm5', undefined],
    ])
  })

  test('message is required', async () => {
    const err = await failure(() =>
      workflowLogAction.execute({ level: 'info' }, makeCtx(new TestServices())),
    )
    expect(err.message).toBe("workflow.log: missing required param 'message'")
  })
})

describe('workflow.notify', () => {
  test('returns {notified: true} when delivered', async () => {
    const s = new TestServices()
    expect(
      await workflowNotifyAction.execute({ message: 'done', data: { n: 2 } }, makeCtx(s)),
    ).toEqual({ notified: true })
    expect(s.notified).toEqual([['done', { n: 2 }]])
  })

  test('reports not_connected and no_notifier as given by the service', async () => {
    const s = new TestServices()
    s.notifyResult = async () => ({ notified: false, reason: 'not_connected' })
    expect(await workflowNotifyAction.execute({ message: 'x' }, makeCtx(s))).toEqual({
      notified: false,
      reason: 'not_connected',
    })
    s.notifyResult = async () => ({ notified: false, reason: 'no_notifier' })
    expect(await workflowNotifyAction.execute({ message: 'x' }, makeCtx(s))).toEqual({
      notified: false,
      reason: 'no_notifier',
    })
  })

  test('never fails the step: a throwing service gives {notified: false, reason: "send_failed"}', async () => {
    const s = new TestServices()
    s.notifyResult = () => Promise.reject(new Error('session closed'))
    warnings.length = 0
    expect(await workflowNotifyAction.execute({ message: 'x' }, makeCtx(s))).toEqual({
      notified: false,
      reason: 'send_failed',
    })
    expect(warnings).toHaveLength(1)
  })

  test('a notification still pending when the step aborts reports cancelled', async () => {
    const s = new TestServices()
    s.notifyResult = () => new Promise(() => {})
    const ac = new AbortController()
    setTimeout(() => ac.abort(), 10)
    expect(await workflowNotifyAction.execute({ message: 'x' }, makeCtx(s, ac.signal))).toEqual({
      notified: false,
      reason: 'cancelled',
    })
  })
})
