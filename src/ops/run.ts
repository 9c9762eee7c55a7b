/**
 * `opcode.run` (spec server.md §4.2 with Ours; decisions.md D5, D19): resolves the template,
 * validates the run params against its input_schema after merging the definition's `inputs`
 * defaults, starts the workflow, and waits until it completes, fails or suspends — or returns the
 * workflow id at once with `wait: false`. While waiting, top-level step progress is reported to
 * clients that asked for it.
 */
import { Type } from '@sinclair/typebox'
import { mergeInputs } from '../engine/engine.ts'
import { ensureAgentCached } from './agents.ts'
import { defineOp } from './op.ts'
import { AgentId, AnyObject } from './params.ts'
import { checkInputs, runnableTemplate } from './templates.ts'

const SETTLED_STEP = new Set(['step_completed', 'step_failed', 'step_skipped'])

export const runWorkflowOp = defineOp({
  name: 'opcode.run',
  description:
    'Run a saved template. Waits until the workflow completes, fails or suspends (a reasoning step needing your decision, a signal wait, or a long timer) and returns workflow_id, status, per-step results, output, and any pending_decisions to answer with opcode.signal. A failed workflow is a normal result (status "failed" with error). Use wait=false to get the workflow_id at once and poll opcode.status.',
  tool: true,
  readOnly: false,
  http: { method: 'POST', path: '/workflows', status: 201 },
  input: Type.Object({
    template_name: Type.String({ minLength: 1, description: 'Name given to opcode.define.' }),
    agent_id: AgentId('Your agent id; you own the workflow and receive its notifications.'),
    version: Type.Optional(
      Type.String({ description: 'Exact version such as "v2" (default: the latest).' }),
    ),
    params: Type.Optional(
      AnyObject(
        'Workflow inputs, read in steps as ${{inputs.<name>}}; merged over the definition "inputs" defaults and checked against the template input_schema.',
      ),
    ),
    wait: Type.Optional(
      Type.Boolean({
        description:
          'true (default): wait for completion, failure or suspension. false: return {workflow_id, status} immediately.',
      }),
    ),
  }),
  audit: (input, result) => ({
    agent_id: input.agent_id,
    action: 'workflow.run',
    resource_type: 'workflow',
    resource_id: (result as { workflow_id: string }).workflow_id,
    details: {
      template_name: input.template_name,
      ...(input.version === undefined ? {} : { version: input.version }),
    },
  }),
  async handle(svc, input, call) {
    ensureAgentCached(svc, input.agent_id)
    svc.sessions.remember(input.agent_id, call.sessionId)
    const t = runnableTemplate(svc.store, svc.actions, input.template_name, input.version)
    const params = input.params ?? {}
    checkInputs(t, mergeInputs(t.definition, params))
    const started = svc.engine.start({
      definition: t.definition,
      params,
      agentId: input.agent_id,
      templateName: t.name,
      templateVersion: t.version,
    })
    const id = started.workflowId
    if (input.wait === false) {
      // Reported when it settles; nothing awaits it here.
      void started.settled.catch(() => {})
      await svc.engine.flush()
      return { workflow_id: id, status: svc.store.workflowRow(id)?.status ?? 'pending' }
    }
    const progress = call.progress
    let stop: (() => void) | undefined
    if (progress !== undefined) {
      const total = t.definition.steps.length
      let done = 0
      stop = svc.hub.listen({ workflow_id: id, stored_only: true }, (ev) => {
        if (ev.step_id === undefined || ev.step_id.includes('.')) return
        if (!SETTLED_STEP.has(ev.event_type)) return
        done++
        progress({
          progress: done,
          total,
          message: `step ${ev.step_id} ${ev.event_type.slice(5)}`,
        })
      })
    }
    try {
      return await started.settled
    } finally {
      stop?.()
    }
  },
})
