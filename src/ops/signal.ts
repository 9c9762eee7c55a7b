/**
 * `opcode.signal` (spec server.md §4.4; decisions.md D4, D21): decision, data, cancel, retry and
 * skip through the engine. A decision waits for the resumed run to settle and reports its status,
 * like the reference; other signals return at once with the workflow's current status.
 */
import { Type } from '@sinclair/typebox'
import type { Signal } from '../schema/run.ts'
import { SignalType } from '../schema/run.ts'
import { defineOp } from './op.ts'
import { AnyObject, WorkflowIdParam } from './params.ts'

export const signalOp = defineOp({
  name: 'opcode.signal',
  description:
    'Send a signal to a workflow. decision: answer a pending decision (step_id + payload {"choice": "<option id>"}); data: complete a wait-for-signal step (payload.signal = its name, or step_id) or merge payload into the context; cancel: cancel the workflow (with step_id: only that pending decision); retry: resume an interrupted/timed-out workflow, or with step_id re-run a failed step; skip: skip a suspended step. Decisions wait for the resumed run and return its status.',
  tool: true,
  readOnly: false,
  http: { method: 'POST', path: '/workflows/:workflow_id/signals' },
  input: Type.Object({
    workflow_id: WorkflowIdParam,
    signal_type: Type.Union(
      SignalType.map((s) => Type.Literal(s)),
      { description: 'decision | data | cancel | retry | skip' },
    ),
    payload: Type.Optional(
      AnyObject(
        'decision: {"choice": "<option id>", "data"?: {…}}; data: values to deliver ({"signal": "<wait name>", …}); cancel: {"reason"?: "…"}.',
      ),
    ),
    step_id: Type.Optional(
      Type.String({
        description:
          'Step the signal is for (required for decision and skip; see pending_decisions[].step_id).',
      }),
    ),
    agent_id: Type.Optional(
      Type.String({ description: 'Your agent id (recorded as who resolved or cancelled).' }),
    ),
    reasoning: Type.Optional(
      Type.String({ description: 'Why you chose this (stored with a decision).' }),
    ),
    signal_id: Type.Optional(
      Type.String({
        description:
          'Idempotency key: sending the same signal_id again returns the first result and changes nothing.',
      }),
    ),
  }),
  audit: (input) => ({
    agent_id: input.agent_id ?? 'unknown',
    action: `workflow.signal.${input.signal_type}`,
    resource_type: 'workflow',
    resource_id: input.workflow_id,
    details: {
      ...(input.step_id === undefined ? {} : { step_id: input.step_id }),
      ...(input.signal_id === undefined ? {} : { signal_id: input.signal_id }),
    },
  }),
  async handle(svc, input, call) {
    if (input.agent_id !== undefined) svc.sessions.remember(input.agent_id, call.sessionId)
    const signal: Signal = { type: input.signal_type }
    if (input.step_id !== undefined) signal.step_id = input.step_id
    if (input.payload !== undefined) signal.payload = input.payload
    if (input.agent_id !== undefined) signal.agent_id = input.agent_id
    if (input.reasoning !== undefined) signal.reasoning = input.reasoning
    if (input.signal_id !== undefined) signal.signal_id = input.signal_id
    const result = await svc.engine.signal(input.workflow_id, signal)
    const { settled, ...rest } = result
    let status: string | undefined
    if (input.signal_type === 'decision' && settled !== undefined) {
      status = (await settled).status
    } else {
      if (settled !== undefined) void settled.catch(() => {}) // the resumed run reports itself
      status = (await svc.engine.snapshot(input.workflow_id)).status
    }
    return status === undefined ? rest : { ...rest, status }
  },
})
