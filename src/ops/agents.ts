/**
 * Agent auto-registration (spec server.md §6): an agent row is created on first contact and its
 * `last_seen_at` refreshed on later ones. Refreshes are coalesced to one write per agent per second,
 * which is the precision anyone reads it at, so the run hot path does not write for every call.
 */
import { ensureAgent } from '../store/records.ts'
import type { OpServices } from './op.ts'

const seen = new WeakMap<object, Map<string, number>>()

export function ensureAgentCached(svc: OpServices, agentId: string): void {
  let m = seen.get(svc.store)
  if (m === undefined) {
    m = new Map()
    seen.set(svc.store, m)
  }
  const now = svc.now()
  const last = m.get(agentId)
  if (last !== undefined && now - last < 1000) return
  ensureAgent(svc.store, agentId, 'llm', now)
  if (m.size > 10_000) m.clear()
  m.set(agentId, now)
}
