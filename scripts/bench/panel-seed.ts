/**
 * Fills a database with the panel benchmark's volume through the real engine: `workflows` runs of
 * a few templates by several agents (completed, failed, suspended on a decision), about
 * `eventsPerWorkflow` events each. Used by scripts/bench/panel.bench.ts.
 */
import { Type } from '@sinclair/typebox'
import type { Action } from '../../src/engine/ports.ts'
import type { WorkflowDefinition } from '../../src/schema/workflow.ts'
import { defineTemplate } from '../../src/store/records.ts'
import type { SqliteStore } from '../../src/store/sqlite.ts'

export const benchNoop: Action = {
  name: 'bench.noop',
  description: 'bench-only no-op',
  params: Type.Record(Type.String(), Type.Unknown()),
  pure: true,
  execute: (p) => ({ ok: true, ...p }),
}

export const benchFail: Action = {
  name: 'bench.fail',
  description: 'bench-only failure',
  params: Type.Record(Type.String(), Type.Unknown()),
  pure: true,
  execute: () => {
    throw new Error('bench failure')
  },
}

/** A chain of `n` no-op steps: 2n + 2 events per run. */
function chain(n: number, last?: Record<string, unknown>): WorkflowDefinition {
  const steps: Array<Record<string, unknown>> = Array.from({ length: n }, (_, i) => ({
    id: `step${i}`,
    action: 'bench.noop',
    params: { i },
    ...(i === 0 ? {} : { depends_on: [`step${i - 1}`] }),
  }))
  if (last !== undefined) steps.push({ ...last, depends_on: [`step${n - 1}`] })
  return { steps } as unknown as WorkflowDefinition
}

export const SEED_TEMPLATES: Record<string, WorkflowDefinition> = {
  'nightly-etl': chain(9),
  'deploy-service': chain(8, { id: 'explode', action: 'bench.fail' }),
  'refund-approval': chain(8, {
    id: 'approve',
    type: 'reasoning',
    config: {
      prompt_context: 'Approve the refund?',
      options: [{ id: 'approve' }, { id: 'reject' }],
    },
  }),
}

export interface SeedEngine {
  start(req: {
    definition: WorkflowDefinition
    params: Record<string, unknown>
    agentId: string
    templateName?: string
    templateVersion?: string
  }): { workflowId: string; settled: Promise<unknown> }
  flush(): Promise<void>
}

/** Runs `workflows` workflows in batches; returns the number of events stored. */
export async function seedPanelData(
  store: SqliteStore,
  engine: SeedEngine,
  workflows = 10_000,
): Promise<{ workflows: number; events: number }> {
  for (const [name, definition] of Object.entries(SEED_TEMPLATES)) {
    defineTemplate(store, { name, definition, agent_id: 'seed' })
  }
  const agents = ['agent-alpha', 'agent-beta', 'agent-gamma', 'agent-delta', 'agent-epsilon']
  const names = Object.keys(SEED_TEMPLATES)
  const batch = 250
  for (let start = 0; start < workflows; start += batch) {
    const runs: Promise<unknown>[] = []
    for (let i = start; i < Math.min(workflows, start + batch); i++) {
      // 90 % completed, 6 % failed, 4 % suspended on a decision.
      const r = i % 50
      const name = (r < 3 ? names[1] : r < 5 ? names[2] : names[0]) as string
      const definition = SEED_TEMPLATES[name] as WorkflowDefinition
      runs.push(
        engine.start({
          definition,
          params: { n: i },
          agentId: agents[i % agents.length] as string,
          templateName: name,
          templateVersion: 'v1',
        }).settled,
      )
    }
    await Promise.allSettled(runs)
  }
  await engine.flush()
  const events = (store.db.query('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n
  return { workflows, events }
}
