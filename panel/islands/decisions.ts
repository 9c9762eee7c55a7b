/** Decisions queue (panel.md §3.6 Ours): pending decisions, each resolvable here; follows the stream. */
import { useState } from 'preact/hooks'
import { Empty } from '../components/bits.ts'
import { DecisionCard } from '../components/decision-card.ts'
import { api } from '../lib/api.ts'
import { useLiveData, useNow } from '../lib/hooks.ts'
import { html } from '../lib/html.ts'
import { island } from '../lib/island.ts'
import type { Decision } from '../lib/types.ts'

export const DecisionQueue = island(
  'decision-queue',
  ({ decisions: initial, status }: { decisions: Decision[]; status: string }) => {
    const now = useNow()
    const [decisions] = useLiveData<Decision[]>(
      initial,
      async () =>
        (
          await api<{ decisions: Decision[] }>('GET', '/decisions', undefined, {
            status,
            limit: 100,
          })
        ).decisions,
      (ev) =>
        ev.kind === 'stored' &&
        /^(decision_|workflow_(cancelled|failed|completed|timed_out))/.test(ev.event_type),
      500,
    )
    // Decisions answered on this page stay visible with their outcome until the next visit.
    const [answered, setAnswered] = useState<Decision[]>([])
    const shown = [
      ...decisions,
      ...answered.filter((a) => !decisions.some((d) => d.id === a.id)),
    ].sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0))
    if (shown.length === 0) {
      return html`<${Empty}>${status === 'pending' ? 'No pending decisions. All clear.' : `No ${status} decisions.`}</${Empty}>`
    }
    return html`<div class="stack decisions">
      ${shown.map(
        (d) =>
          html`<${DecisionCard}
            key=${d.id}
            decision=${d}
            now=${now}
            onResolved=${() => setAnswered([...answered, d])}
          />`,
      )}
    </div>`
  },
)
