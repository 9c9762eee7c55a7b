/** The operator's name recorded in the audit log (a plain cookie: a label, not a credential). */
import { useState } from 'preact/hooks'
import { html } from '../lib/html.ts'
import { island } from '../lib/island.ts'

export const OperatorName = island('operator-name', ({ name: initial }: { name: string }) => {
  const [name, setName] = useState(initial)
  const [saved, setSaved] = useState(false)
  return html`<form
    class="row"
    onSubmit=${(e: Event) => {
      e.preventDefault()
      const clean = name
        .trim()
        .replace(/[^A-Za-z0-9._@-]/g, '')
        .slice(0, 64)
      // biome-ignore lint/suspicious/noDocumentCookie: a display preference, not a credential; cookieStore is not in every browser
      document.cookie =
        clean === ''
          ? 'opcode_operator=; Path=/; Max-Age=0; SameSite=Strict'
          : `opcode_operator=${clean}; Path=/; Max-Age=31536000; SameSite=Strict`
      setName(clean)
      setSaved(true)
    }}
  >
    <label class="field inline"><span>Your name</span>
      <input name="operator" value=${name} maxlength="64" pattern="[A-Za-z0-9._@\\-]*" placeholder="alice"
        onInput=${(e: Event) => {
          setName((e.target as HTMLInputElement).value)
          setSaved(false)
        }} />
    </label>
    <button type="submit">Save</button>
    ${saved ? html`<span class="text-ok small" role="status">Saved: your changes are recorded as panel${name ? `:${name}` : ''} from the next page on.</span>` : null}
  </form>`
})
