/**
 * Which live MCP sessions speak for which agent (spec server.md §5, decisions.md D20), and the
 * engine's Notifier on top: `workflow.notify` reaches every open session of the workflow's owner
 * agent. A session is remembered for an agent when it calls opcode.run, opcode.define or
 * opcode.signal with that agent_id, and forgotten when it closes.
 */
import type { Notifier } from '../engine/ports.ts'

export interface NotifyMessage {
  message: string
  workflow_id: string
  step_id: string
  data?: unknown
}

/** One live session, as the MCP layer registers it. */
export interface SessionSink {
  id: string
  /** Delivers a notification; false when the session could not take it. */
  notify(message: NotifyMessage): Promise<boolean>
}

export class SessionDirectory implements Notifier {
  private readonly sinks = new Map<string, SessionSink>()
  private readonly byAgent = new Map<string, Set<string>>()
  private readonly agentsOf = new Map<string, Set<string>>()

  attach(sink: SessionSink): void {
    this.sinks.set(sink.id, sink)
  }

  /** Forgets a closed session everywhere. */
  detach(sessionId: string): void {
    this.sinks.delete(sessionId)
    const agents = this.agentsOf.get(sessionId)
    if (agents === undefined) return
    this.agentsOf.delete(sessionId)
    for (const a of agents) {
      const set = this.byAgent.get(a)
      set?.delete(sessionId)
      if (set?.size === 0) this.byAgent.delete(a)
    }
  }

  /** Records that `sessionId` speaks for `agentId` (no-op for unknown or absent sessions). */
  remember(agentId: string, sessionId: string | undefined): void {
    if (sessionId === undefined || agentId === '' || !this.sinks.has(sessionId)) return
    let set = this.byAgent.get(agentId)
    if (set === undefined) {
      set = new Set()
      this.byAgent.set(agentId, set)
    }
    set.add(sessionId)
    let agents = this.agentsOf.get(sessionId)
    if (agents === undefined) {
      agents = new Set()
      this.agentsOf.set(sessionId, agents)
    }
    agents.add(agentId)
  }

  /** Session ids of an agent (tests, health). */
  sessionsOf(agentId: string): string[] {
    return [...(this.byAgent.get(agentId) ?? [])]
  }

  get sessionCount(): number {
    return this.sinks.size
  }

  async notify(
    agentId: string,
    message: NotifyMessage,
  ): Promise<{ notified: boolean; reason?: string }> {
    const ids = this.byAgent.get(agentId)
    if (ids === undefined || ids.size === 0)
      return { notified: false, reason: 'agent_not_connected' }
    let delivered = 0
    for (const id of [...ids]) {
      const sink = this.sinks.get(id)
      if (sink === undefined) {
        ids.delete(id)
        continue
      }
      try {
        if (await sink.notify(message)) delivered++
      } catch {
        // a broken session is simply not counted; it is detached when it closes
      }
    }
    return delivered > 0 ? { notified: true } : { notified: false, reason: 'delivery_failed' }
  }
}
