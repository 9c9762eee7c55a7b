/** Secrets (panel.md §7 item 6): names only; set, replace, delete. Values are write-only. */
import { useState } from 'preact/hooks'
import { Empty, ErrorNote } from '../components/bits.ts'
import { api, errorText } from '../lib/api.ts'
import { html } from '../lib/html.ts'
import { island } from '../lib/island.ts'
import { operator } from '../lib/page.ts'

interface SecretList {
  secrets: Array<{ name: string }>
  vault: 'ready' | 'uninitialized'
}

export const SecretsManager = island('secrets', ({ list: initial }: { list: SecretList }) => {
  const [list, setList] = useState(initial)
  const [name, setName] = useState('')
  const [value, setValue] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | undefined>(undefined)
  const [note, setNote] = useState<string | undefined>(undefined)
  const ready = list.vault === 'ready'
  const reload = async (): Promise<void> => setList(await api<SecretList>('GET', '/secrets'))

  const save = async (e: Event): Promise<void> => {
    e.preventDefault()
    setBusy(true)
    setError(undefined)
    setNote(undefined)
    try {
      const r = await api<{ name: string; replaced: boolean }>('POST', '/secrets', {
        name: name.trim(),
        value,
        agent_id: operator(),
      })
      setNote(`${r.replaced ? 'Replaced' : 'Stored'} ${r.name}.`)
      setName('')
      setValue('')
      await reload()
    } catch (err) {
      setError(errorText(err))
    } finally {
      setBusy(false)
    }
  }

  const remove = async (n: string): Promise<void> => {
    if (!confirm(`Delete the secret ${n}? Workflows that use it will fail until it is set again.`))
      return
    setError(undefined)
    setNote(undefined)
    try {
      await api('DELETE', `/secrets/${encodeURIComponent(n)}`, { agent_id: operator() })
      setNote(`Deleted ${n}.`)
      await reload()
    } catch (err) {
      setError(errorText(err))
    }
  }

  return html`<div class="stack">
    ${
      ready
        ? null
        : html`<p class="note warn" role="status">${'The vault is locked: this server was started without '}<span class="mono">OPCODE_VAULT_KEY</span>, so secrets can be listed and deleted but not stored.</p>`
    }
    <form class="card form-inline" onSubmit=${save} autocomplete="off" aria-label="Set a secret">
      <h2>Set or replace a secret</h2>
      <div class="form-grid">
        <label class="field"><span>Name</span>
          <input name="name" required class="mono" pattern="[A-Za-z_][A-Za-z0-9_.\\-]{0,127}" value=${name}
            placeholder="API_TOKEN" disabled=${!ready} onInput=${(e: Event) => setName((e.target as HTMLInputElement).value)} />
        </label>
        <label class="field"><span>Value <span class="muted small">(write-only)</span></span>
          <input name="value" type="password" required autocomplete="new-password" value=${value}
            disabled=${!ready} onInput=${(e: Event) => setValue((e.target as HTMLInputElement).value)} />
        </label>
      </div>
      <div class="row">
        <button type="submit" disabled=${busy || !ready}>${busy ? 'Saving…' : 'Save secret'}</button>
        ${note ? html`<span class="text-ok" role="status">${note}</span>` : null}
        <${ErrorNote} text=${error} />
      </div>
      <p class="muted small">Referenced in workflows as <span class="mono">\${{secrets.NAME}}</span>. Setting an existing name replaces its value.</p>
    </form>
    <section class="card">
      <h2>${list.secrets.length} secret${list.secrets.length === 1 ? '' : 's'}</h2>
      ${
        list.secrets.length === 0
          ? html`<${Empty}>No secrets stored.</${Empty}>`
          : html`<ul class="list secrets">
              ${list.secrets.map(
                (s) => html`<li key=${s.name} data-secret=${s.name}>
                  <span class="mono">${s.name}</span>
                  <span class="muted small">value hidden</span>
                  <span class="right">
                    <button type="button" class="ghost small" disabled=${!ready} onClick=${() => {
                      setName(s.name)
                      setValue('')
                      document.querySelector<HTMLInputElement>('input[name=value]')?.focus()
                    }}>Replace</button>
                    <button type="button" class="danger small" onClick=${() => void remove(s.name)}>Delete</button>
                  </span>
                </li>`,
              )}
            </ul>`
      }
    </section>
  </div>`
})
