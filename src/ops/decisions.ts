/**
 * Resolving a decision by its id (panel.md §4 Ours: the panel's and a human's way in). It goes
 * through the engine's signal path exactly like `opcode.signal` with `signal_type: "decision"` —
 * `decision_resolved` is appended and a suspended workflow resumes — but answers as soon as the
 * decision is recorded instead of waiting for the resumed run to settle.
 *
 * A decision targeted at an agent (`target_agent`) is answered on that agent's behalf: whoever holds
 * the server's credentials may act for any agent (agent ids are not authentication here). The audit
 * row keeps who really answered (`agent_id`) and for whom (`on_behalf_of`).
 */
import { Type } from '@sinclair/typebox'
import { AppError } from '../errors.ts'
import type { Signal } from '../schema/run.ts'
import { decisionWire } from '../store/queries.ts'
import type { DecisionDbRow } from '../store/sqlite.ts'
import { defineOp } from './op.ts'
import { AgentId, AnyObject } from './params.ts'

const DecisionId = Type.String({ minLength: 1, maxLength: 512, description: 'Decision id.' })

export const resolveDecisionOp = defineOp({
  name: 'decisions.resolve',
  description:
    'Resolves a pending decision by id with one of its options (any text when it has none); the workflow resumes as with opcode.signal. Answers once the decision is recorded.',
  tool: false,
  readOnly: false,
  http: { method: 'POST', path: '/decisions/:decision_id/resolve' },
  input: Type.Object({
    decision_id: DecisionId,
    choice: Type.String({ minLength: 1, description: 'An option id (free text when none).' }),
    reasoning: Type.Optional(Type.String({ description: 'Why (stored with the resolution).' })),
    data: Type.Optional(AnyObject('Extra data handed to the workflow with the choice.')),
    agent_id: AgentId('Who answers (recorded in the audit log).'),
  }),
  audit: (input, result) => {
    const r = result as { workflow_id: string; step_id: string; on_behalf_of?: string }
    return {
      agent_id: input.agent_id,
      action: 'decision.resolve',
      resource_type: 'decision',
      resource_id: input.decision_id,
      details: {
        workflow_id: r.workflow_id,
        step_id: r.step_id,
        choice: input.choice,
        ...(r.on_behalf_of === undefined ? {} : { on_behalf_of: r.on_behalf_of }),
      },
    }
  },
  async handle(svc, input) {
    const row = svc.store.db
      .query('SELECT * FROM pending_decisions WHERE id = ?')
      .get(input.decision_id) as DecisionDbRow | null
    if (row === null) {
      throw new AppError('NOT_FOUND', `decision "${input.decision_id}" not found`, {
        details: { decision_id: input.decision_id },
      })
    }
    const d = decisionWire(row)
    if (d.status !== 'pending') {
      throw new AppError('CONFLICT', `decision "${d.id}" is already ${d.status}`, {
        details: { decision_id: d.id, status: d.status, resolution: d.resolution ?? null },
      })
    }
    const target = d.target_agent_id
    const signal: Signal = {
      type: 'decision',
      step_id: d.step_id,
      payload: { choice: input.choice, ...(input.data === undefined ? {} : { data: input.data }) },
      agent_id: target ?? input.agent_id,
    }
    if (input.reasoning !== undefined && input.reasoning !== '') signal.reasoning = input.reasoning
    const result = await svc.engine.signal(d.workflow_id, signal)
    // The resumed run reports itself through its events; nothing waits for it here.
    if (result.settled !== undefined) void result.settled.catch(() => {})
    const status = (await svc.engine.snapshot(d.workflow_id)).status
    return {
      decision_id: d.id,
      workflow_id: d.workflow_id,
      step_id: d.step_id,
      choice: input.choice,
      resumed: result.resumed,
      status,
      ...(target === undefined || target === input.agent_id ? {} : { on_behalf_of: target }),
    }
  },
})

export const pendingDecisionCountOp = defineOp({
  name: 'decisions.pending_count',
  description:
    'Number of decisions waiting for an answer (index-backed, cheap enough for every page).',
  tool: false,
  readOnly: true,
  http: { method: 'GET', path: '/decisions/pending/count' },
  input: Type.Object({}),
  handle(svc) {
    const r = svc.store.db
      .query("SELECT COUNT(*) AS n FROM pending_decisions WHERE status = 'pending'")
      .get() as { n: number }
    return { pending: r.n }
  },
})
