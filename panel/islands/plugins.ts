/** Plugins (panel.md §7 item 6): status, tools, errors, restart. */
import type { VNode } from 'preact'
import { useState } from 'preact/hooks'
import { Badge, Empty, ErrorNote, Time } from '../components/bits.ts'
import { api, errorText } from '../lib/api.ts'
import { useNow } from '../lib/hooks.ts'
import { html } from '../lib/html.ts'
import { island } from '../lib/island.ts'
import { operator } from '../lib/page.ts'
import type { Plugin } from '../lib/types.ts'

function PluginRow({
  p,
  now,
  reload,
}: {
  p: Plugin
  now: number
  reload: () => Promise<void>
}): VNode {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | undefined>(undefined)
  return html`<tr data-plugin=${p.name}>
    <td><strong>${p.name}</strong>${p.pid ? html` <span class="muted small">pid ${p.pid}</span>` : null}</td>
    <td><${Badge} status=${p.status} />${p.error ? html`<div class="step-error">${p.error}</div>` : null}</td>
    <td>${
      (p.tools ?? []).length === 0
        ? html`<span class="muted">—</span>`
        : html`<details><summary>${p.tools.length} tool${p.tools.length === 1 ? '' : 's'}</summary>
            <ul class="list">${p.tools.map((t) => html`<li><span class="mono">${t.action}</span> <span class="muted small">${t.description ?? ''}</span></li>`)}</ul>
          </details>`
    }</td>
    <td class="num">${p.restarts ?? 0}</td>
    <td>${p.active_since ? html`<${Time} at=${p.active_since} now=${now} />` : html`<span class="muted">—</span>`}</td>
    <td>
      <button type="button" class="small" disabled=${busy} onClick=${async () => {
        setBusy(true)
        setError(undefined)
        try {
          await api('POST', `/plugins/${encodeURIComponent(p.name)}/restart`, {
            agent_id: operator(),
          })
          await reload()
        } catch (err) {
          setError(errorText(err))
        } finally {
          setBusy(false)
        }
      }}>${busy ? 'Restarting…' : 'Restart'}</button>
      <${ErrorNote} text=${error} />
    </td>
  </tr>`
}

export const PluginsTable = island(
  'plugins',
  ({ plugins: initial, error }: { plugins: Plugin[]; error?: string }) => {
    const now = useNow()
    const [plugins, setPlugins] = useState(initial)
    const reload = async (): Promise<void> =>
      setPlugins((await api<{ plugins: Plugin[] }>('GET', '/plugins')).plugins)
    if (error !== undefined) return html`<p class="note warn">${error}</p>`
    if (plugins.length === 0)
      return html`<${Empty}>No plugins. Add MCP servers under <span class="mono">plugins</span> in settings.json or with <span class="mono">opcode plugin add</span>.</${Empty}>`
    return html`<div class="table-wrap"><table class="table">
    <thead><tr><th scope="col">Plugin</th><th scope="col">Status</th><th scope="col">Tools</th>
      <th scope="col" class="num">Restarts</th><th scope="col">Up since</th><th scope="col">Actions</th></tr></thead>
    <tbody>${plugins.map((p) => html`<${PluginRow} key=${p.name} p=${p} now=${now} reload=${reload} />`)}</tbody>
  </table></div>`
  },
)
