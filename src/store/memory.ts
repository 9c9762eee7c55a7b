/**
 * An in-memory RunStore: the "in-memory" mode of the benchmarks (decisions.md D3) and fast engine
 * unit tests. Same contract as the SQLite store: commit applies a whole batch, reads return copies.
 */
import type {
  CommitBatch,
  ContextRow,
  DecisionRow,
  RunStore,
  StepRow,
  StoredEvent,
  TemplateRow,
  WorkflowRow,
} from '../engine/ports.ts'

export class MemoryRunStore implements RunStore {
  readonly workflows = new Map<string, WorkflowRow>()
  readonly events = new Map<string, StoredEvent[]>()
  readonly steps = new Map<string, Map<string, StepRow>>()
  readonly decisions = new Map<string, DecisionRow>()
  readonly contexts = new Map<string, ContextRow>()
  readonly templates: TemplateRow[] = []
  readonly signals = new Map<string, unknown>()
  commits = 0
  private lastId = 0

  commit(batch: CommitBatch): void {
    this.commits++
    // Rows of a batch are fresh objects the journal never touches again: no copies needed.
    for (const w of batch.newWorkflows) this.workflows.set(w.id, w)
    let lastWf: string | undefined
    let list: StoredEvent[] | undefined
    for (const ev of batch.events) {
      ev.id = ++this.lastId
      // Events of one workflow come in runs: look its list up once per run, not per event.
      if (ev.workflow_id !== lastWf) {
        lastWf = ev.workflow_id
        list = this.events.get(lastWf)
        if (list === undefined) {
          list = []
          this.events.set(lastWf, list)
        }
      }
      ;(list as StoredEvent[]).push(ev)
    }
    for (const p of batch.workflows) {
      const w = this.workflows.get(p.id)
      if (w !== undefined) Object.assign(w, p)
    }
    for (const s of batch.steps) {
      let m = this.steps.get(s.workflow_id)
      if (m === undefined) {
        m = new Map()
        this.steps.set(s.workflow_id, m)
      }
      m.set(s.step_id, s)
    }
    for (const d of batch.decisions) this.decisions.set(d.id, { ...d })
    for (const c of batch.contexts) this.contexts.set(c.workflow_id, { ...c })
    for (const s of batch.signals)
      this.signals.set(`${s.workflow_id}\u0000${s.signal_id}`, s.result)
  }

  async getWorkflow(id: string): Promise<WorkflowRow | undefined> {
    const w = this.workflows.get(id)
    return w === undefined ? undefined : { ...w }
  }

  async listEvents(workflowId: string, afterSequence = 0): Promise<StoredEvent[]> {
    return (this.events.get(workflowId) ?? [])
      .filter((e) => e.sequence > afterSequence)
      .map((e) => ({ ...e }))
  }

  async listWorkflowIds(status: string): Promise<string[]> {
    return [...this.workflows.values()].filter((w) => w.status === status).map((w) => w.id)
  }

  async getTemplate(name: string, version?: string): Promise<TemplateRow | undefined> {
    const all = this.templates.filter((t) => t.name === name)
    if (version !== undefined) return all.find((t) => t.version === version)
    return all.sort((a, b) => versionNumber(b.version) - versionNumber(a.version))[0]
  }

  async getContext(workflowId: string): Promise<ContextRow | undefined> {
    const c = this.contexts.get(workflowId)
    return c === undefined ? undefined : { ...c }
  }

  async getDecisions(workflowId: string): Promise<DecisionRow[]> {
    return [...this.decisions.values()].filter((d) => d.workflow_id === workflowId)
  }

  async getSignalResult(workflowId: string, signalId: string): Promise<unknown | undefined> {
    return this.signals.get(`${workflowId}\u0000${signalId}`)
  }

  async listChildren(parentId: string): Promise<WorkflowRow[]> {
    return [...this.workflows.values()].filter((w) => w.parent_workflow_id === parentId)
  }

  async listTimers(): Promise<{
    wakeups: Array<{ workflow_id: string; wake_at: number }>
    decisions: Array<{ workflow_id: string; step_id: string; timeout_at: number }>
  }> {
    const wakeups: Array<{ workflow_id: string; wake_at: number }> = []
    for (const w of this.workflows.values()) {
      if (w.status === 'suspended' && typeof w.wake_at === 'number')
        wakeups.push({ workflow_id: w.id, wake_at: w.wake_at })
    }
    const decisions: Array<{ workflow_id: string; step_id: string; timeout_at: number }> = []
    for (const d of this.decisions.values()) {
      if (d.status === 'pending' && d.timeout_at !== undefined) {
        decisions.push({ workflow_id: d.workflow_id, step_id: d.step_id, timeout_at: d.timeout_at })
      }
    }
    return { wakeups, decisions }
  }
}

/** Numeric value of a version string `v12` (non-numeric → 0). */
export function versionNumber(version: string): number {
  const m = /^v?(\d+)$/.exec(version)
  return m === null ? 0 : Number(m[1])
}
