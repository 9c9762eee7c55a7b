/**
 * Browser entry of the panel (bundled by src/http/panel/bundle.ts into one file embedded in the
 * binary): registers every island, hydrates those on the page, opens the live stream, and keeps
 * the relative times of the static parts of the page current.
 */
import './islands/agents.ts'
import './islands/chrome.ts'
import './islands/dashboard.ts'
import './islands/decisions.ts'
import './islands/events.ts'
import './islands/operator.ts'
import './islands/plugins.ts'
import './islands/scheduler.ts'
import './islands/secrets.ts'
import './islands/template.ts'
import './islands/template-editor.ts'
import './islands/workflow.ts'
import './islands/workflows.ts'
import { ago } from './lib/format.ts'
import { hydrateIslands } from './lib/island.ts'
import { startLive } from './lib/live.ts'

function refreshStaticTimes(): void {
  const now = Date.now()
  for (const el of document.querySelectorAll<HTMLTimeElement>('time[datetime]')) {
    if (el.closest('[data-island]') !== null) continue
    el.textContent = ago(el.dateTime, now)
  }
}

hydrateIslands()
startLive()
setInterval(refreshStaticTimes, 15_000)
document.documentElement.dataset.ready = 'true'
