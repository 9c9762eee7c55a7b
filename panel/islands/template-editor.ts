/**
 * Create a template, or a new version of one, by pasting its JSON definition (panel.md §3.4 Ours).
 * Saving goes through `opcode.define` (POST /api/v1/templates), whose validator reports every
 * problem with a JSON pointer; each is shown inline under the line it points at, and clicking it
 * selects that place in the editor. A JSON syntax error is located the same way, before sending.
 */
import type { VNode } from 'preact'
import { useRef, useState } from 'preact/hooks'
import { ErrorNote } from '../components/bits.ts'
import { ApiError, api, errorText } from '../lib/api.ts'
import { html } from '../lib/html.ts'
import { island } from '../lib/island.ts'
import { lineColumn, locatePointer } from '../lib/json-locate.ts'
import { operator } from '../lib/page.ts'
import type { Problem } from '../lib/types.ts'

interface Located extends Problem {
  line?: number
  column?: number
  start?: number
  end?: number
}

const EXAMPLE = `{
  "description": "Fetch a page and check the status",
  "steps": [
    { "id": "fetch", "action": "http.get", "params": { "url": "https://example.com" } },
    {
      "id": "check",
      "action": "assert.truthy",
      "depends_on": ["fetch"],
      "params": { "value": "\${{steps.fetch.output.status_code == 200}}" }
    }
  ]
}`

/** The position of a JSON.parse error message, when the engine gives one. */
function syntaxError(text: string, err: unknown): Located {
  const message = String((err as Error)?.message ?? err)
  const pos = /position (\d+)/.exec(message)
  const lc = /line (\d+) column (\d+)/.exec(message)
  if (pos !== null) {
    const start = Number(pos[1])
    return { path: '', message, start, end: start + 1, ...lineColumn(text, start) }
  }
  if (lc !== null) return { path: '', message, line: Number(lc[1]), column: Number(lc[2]) }
  return { path: '', message }
}

function locate(text: string, problems: Problem[]): Located[] {
  return problems.map((p) => {
    const span = locatePointer(text, p.path)
    return span === undefined
      ? p
      : { ...p, line: span.line, column: span.column, start: span.start, end: span.end }
  })
}

/** The definition's lines with each problem printed under the line it points at. */
function Annotated({
  text,
  problems,
  pick,
}: {
  text: string
  problems: Located[]
  pick: (p: Located) => void
}): VNode {
  const lines = text.split('\n')
  const byLine = new Map<number, Located[]>()
  for (const p of problems) {
    const n = p.line ?? 1
    byLine.set(n, [...(byLine.get(n) ?? []), p])
  }
  const width = String(lines.length).length
  return html`<div class="annotated" aria-label="Definition with problems">
    ${lines.map((line, i) => {
      const here = byLine.get(i + 1)
      if (here === undefined) {
        // Lines far from any problem are folded away.
        const near = [...byLine.keys()].some((n) => Math.abs(n - (i + 1)) <= 2)
        return near
          ? html`<div class="code-line"><span class="ln">${String(i + 1).padStart(width)}</span>${line}</div>`
          : null
      }
      return html`<div class="code-line has-problem"><span class="ln">${String(i + 1).padStart(width)}</span>${line}</div>
        ${here.map(
          (
            p,
          ) => html`<button type="button" class=${`problem ${p.severity === 'warning' ? 'warning' : 'error'}`} onClick=${() => pick(p)}>
            <span class="ln">${' '.repeat(width)}</span>${' '.repeat(Math.max(0, (p.column ?? 1) - 1))}^ ${p.path ? html`<span class="mono">${p.path}</span> ` : null}${p.message}
          </button>`,
        )}`
    })}
  </div>`
}

export const TemplateEditor = island(
  'template-editor',
  ({
    name: initialName,
    definition: initialDefinition,
    description: initialDescription,
    open: startOpen,
  }: {
    name?: string
    definition?: string
    description?: string
    open?: boolean
  }) => {
    const [open, setOpen] = useState(startOpen === true)
    const [name, setName] = useState(initialName ?? '')
    const [description, setDescription] = useState(initialDescription ?? '')
    const [text, setText] = useState(initialDefinition ?? '')
    const [problems, setProblems] = useState<Located[]>([])
    const [error, setError] = useState<string | undefined>(undefined)
    const [busy, setBusy] = useState(false)
    const area = useRef<HTMLTextAreaElement>(null)
    const newVersion = initialName !== undefined

    const pick = (p: Located): void => {
      const el = area.current
      if (el === null || p.start === undefined) return
      el.focus()
      el.setSelectionRange(p.start, p.end ?? p.start + 1)
      // Scroll the selection into view: place the caret line near the top.
      const line = p.line ?? 1
      el.scrollTop = Math.max(0, (line - 3) * 20)
    }

    const save = async (e: Event): Promise<void> => {
      e.preventDefault()
      setError(undefined)
      setProblems([])
      if (name.trim() === '') {
        setError('Give the template a name.')
        return
      }
      let definition: unknown
      try {
        definition = JSON.parse(text)
      } catch (err) {
        const p = syntaxError(text, err)
        setProblems([p])
        setError(`The definition is not valid JSON: ${p.message}`)
        return
      }
      if (definition === null || typeof definition !== 'object' || Array.isArray(definition)) {
        setError('The definition must be a JSON object with a "steps" array.')
        return
      }
      setBusy(true)
      try {
        const r = await api<{ name: string; version: string }>('POST', '/templates', {
          name: name.trim(),
          definition,
          agent_id: operator(),
          ...(description.trim() === '' ? {} : { description: description.trim() }),
        })
        location.assign(
          `/templates/${encodeURIComponent(r.name)}?version=${encodeURIComponent(r.version)}&saved=1`,
        )
      } catch (err) {
        if (err instanceof ApiError && err.issues !== undefined && err.issues.length > 0) {
          setProblems(locate(text, err.issues))
          setError(
            `Not saved: ${err.issues.filter((i) => i.severity !== 'warning').length} problem(s) in the definition.`,
          )
        } else {
          setError(errorText(err))
        }
      } finally {
        setBusy(false)
      }
    }

    if (!open) {
      return html`<button type="button" onClick=${() => setOpen(true)}>${newVersion ? 'New version…' : 'New template…'}</button>`
    }
    return html`<form class="card editor" onSubmit=${save} aria-label=${newVersion ? 'New version' : 'New template'}>
      <header class="card-head"><h2>${newVersion ? `New version of ${initialName}` : 'New template'}</h2>
        <button type="button" class="ghost" onClick=${() => setOpen(false)}>Close</button>
      </header>
      <div class="form-grid">
        <label class="field"><span>Name</span>
          <input name="name" required value=${name} readOnly=${newVersion} placeholder="deploy-service"
            onInput=${(e: Event) => setName((e.target as HTMLInputElement).value)} />
        </label>
        <label class="field"><span>Description <span class="muted small">(optional)</span></span>
          <input name="description" value=${description} onInput=${(e: Event) => setDescription((e.target as HTMLInputElement).value)} />
        </label>
      </div>
      <label class="field"><span>Definition (JSON)</span>
        <textarea
          ref=${area}
          name="definition"
          class="code"
          rows="16"
          spellcheck="false"
          placeholder=${EXAMPLE}
          value=${text}
          aria-invalid=${problems.length > 0 ? 'true' : undefined}
          aria-describedby="editor-problems"
          onInput=${(e: Event) => setText((e.target as HTMLTextAreaElement).value)}
        ></textarea>
      </label>
      <div class="row">
        <button type="submit" disabled=${busy}>${busy ? 'Validating…' : newVersion ? 'Validate and save version' : 'Validate and save'}</button>
        ${text === '' ? html`<button type="button" class="ghost" onClick=${() => setText(EXAMPLE)}>Insert an example</button>` : null}
      </div>
      <div id="editor-problems" aria-live="polite">
        <${ErrorNote} text=${error} />
        ${
          problems.length > 0
            ? html`<ul class="problems">
                ${problems.map(
                  (p, i) => html`<li key=${i}>
                    <button type="button" class="linklike" onClick=${() => pick(p)}>
                      ${p.line === undefined ? '' : html`<span class="mono">${p.line}:${p.column}</span> `}
                      ${p.path ? html`<span class="mono path">${p.path}</span> ` : null}
                      <span class=${p.severity === 'warning' ? 'text-warn' : 'text-bad'}>${p.message}</span>
                    </button>
                  </li>`,
                )}
              </ul>
              <${Annotated} text=${text} problems=${problems} pick=${pick} />`
            : null
        }
      </div>
    </form>`
  },
)
