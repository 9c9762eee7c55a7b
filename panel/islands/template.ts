/** Template detail islands: the version switch and the run form (panel.md §3.5 Ours). */
import { useState } from 'preact/hooks'
import { ErrorNote } from '../components/bits.ts'
import { api, errorText } from '../lib/api.ts'
import { html } from '../lib/html.ts'
import { island } from '../lib/island.ts'
import { operator } from '../lib/page.ts'

export const VersionSelect = island(
  'version-select',
  ({ name, versions, current }: { name: string; versions: string[]; current: string }) => {
    return html`<form method="get" action=${`/templates/${encodeURIComponent(name)}`} class="inline version-select">
      <label class="field inline">
        <span>Version</span>
        <select
          name="version"
          onChange=${(e: Event) => {
            const v = (e.target as HTMLSelectElement).value
            location.assign(
              `/templates/${encodeURIComponent(name)}?version=${encodeURIComponent(v)}`,
            )
          }}
        >
          ${versions.map((v) => html`<option value=${v} selected=${v === current}>${v}</option>`)}
        </select>
      </label>
      <noscript><button type="submit" class="ghost small">Show</button></noscript>
    </form>`
  },
)

export const RunTemplate = island(
  'run-template',
  ({ name, version, defaults }: { name: string; version: string; defaults: string }) => {
    const [params, setParams] = useState(defaults)
    const [agent, setAgent] = useState('')
    const [busy, setBusy] = useState(false)
    const [error, setError] = useState<string | undefined>(undefined)
    return html`<form
      class="run-form"
      onSubmit=${async (e: Event) => {
        e.preventDefault()
        setError(undefined)
        let parsed: unknown = {}
        if (params.trim() !== '') {
          try {
            parsed = JSON.parse(params)
          } catch (err) {
            setError(`Params are not valid JSON: ${(err as Error).message}`)
            return
          }
          if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
            setError('Params must be a JSON object.')
            return
          }
        }
        setBusy(true)
        try {
          const r = await api<{ workflow_id: string }>('POST', '/workflows', {
            template_name: name,
            version,
            params: parsed,
            agent_id: agent.trim() === '' ? operator() : agent.trim(),
            wait: false,
          })
          location.assign(`/workflows/${encodeURIComponent(r.workflow_id)}`)
        } catch (err) {
          setError(errorText(err))
          setBusy(false)
        }
      }}
    >
      <label class="field"><span>Params (JSON)</span>
        <textarea class="code" rows="5" name="params" spellcheck="false" value=${params}
          onInput=${(e: Event) => setParams((e.target as HTMLTextAreaElement).value)}></textarea>
      </label>
      <label class="field"><span>Run as agent <span class="muted small">(default: you)</span></span>
        <input name="agent_id" value=${agent} placeholder=${'panel'} onInput=${(e: Event) => setAgent((e.target as HTMLInputElement).value)} />
      </label>
      <div class="row">
        <button type="submit" disabled=${busy}>${busy ? 'Starting…' : `Run ${version}`}</button>
        <${ErrorNote} text=${error} />
      </div>
    </form>`
  },
)
