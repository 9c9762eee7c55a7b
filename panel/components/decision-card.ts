/**
 * One pending decision (panel.md §3.6 Ours): the prompt and injected data shown readably, options as
 * buttons (free text only when there are none), optional reasoning. Resolving posts to
 * /api/v1/decisions/{id}/resolve, which takes the engine's signal path, so the workflow resumes.
 */
import type { VNode } from 'preact'
import { useState } from 'preact/hooks'
import { api, errorText } from '../lib/api.ts'
import { html } from '../lib/html.ts'
import { operator } from '../lib/page.ts'
import type { Decision } from '../lib/types.ts'
import { Badge, ErrorNote, JsonBox, Time, WorkflowLink } from './bits.ts'

interface Resolved {
  choice: string
  status: string
  workflow_id: string
}

interface ContextParts {
  prompt?: string
  /** `data_inject` values, shown as a list. */
  data?: Record<string, unknown>
  rest: Record<string, unknown>
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

function contextParts(context: unknown): ContextParts {
  if (!isRecord(context)) return { rest: context === undefined ? {} : { context } }
  const { prompt_context, data_inject, ...rest } = context
  const out: ContextParts = { rest }
  if (typeof prompt_context === 'string' && prompt_context !== '') out.prompt = prompt_context
  if (isRecord(data_inject) && Object.keys(data_inject).length > 0) out.data = data_inject
  else if (data_inject !== undefined) rest.data_inject = data_inject
  return out
}

function valueText(v: unknown): string {
  return typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v))
}

export function DecisionCard({
  decision: d,
  now,
  showWorkflow = true,
  onResolved,
}: {
  decision: Decision
  now: number
  showWorkflow?: boolean
  onResolved?: (r: Resolved) => void
}): VNode {
  const [choice, setChoice] = useState('')
  const [reasoning, setReasoning] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | undefined>(undefined)
  const [done, setDone] = useState<Resolved | undefined>(undefined)
  const { prompt, data, rest } = contextParts(d.context)
  const free = d.options.length === 0
  const pending = d.status === 'pending' && done === undefined

  const resolve = async (value: string): Promise<void> => {
    if (value.trim() === '') {
      setError('Choose an option (or type an answer) first.')
      return
    }
    setBusy(true)
    setError(undefined)
    try {
      const r = await api<Resolved>('POST', `/decisions/${encodeURIComponent(d.id)}/resolve`, {
        choice: value,
        ...(reasoning.trim() === '' ? {} : { reasoning: reasoning.trim() }),
        agent_id: operator(),
      })
      setDone(r)
      onResolved?.(r)
    } catch (err) {
      setError(errorText(err))
    } finally {
      setBusy(false)
    }
  }

  const idBase = `d-${d.id.replace(/[^A-Za-z0-9_-]/g, '_')}`
  return html`<article class=${`decision card ${pending ? '' : 'settled'}`} id=${d.id} data-decision=${d.id}>
    <header class="decision-head">
      <${Badge} status=${done ? 'resolved' : d.status} kind=${pending ? 'warn' : undefined} />
      <strong class="mono">${d.step_id}</strong>
      ${showWorkflow ? html`<span class="muted">in</span> <${WorkflowLink} id=${d.workflow_id} />` : null}
      <span class="muted small">
        for <strong>${d.target_agent_id ?? d.agent_id ?? 'anyone'}</strong> · waiting <${Time} at=${d.created_at} now=${now} />
        ${d.timeout_at ? html` · times out <${Time} at=${d.timeout_at} now=${now} />${d.fallback ? html` → <span class="mono">${d.fallback}</span>` : null}` : null}
      </span>
    </header>
    ${prompt === undefined ? null : html`<p class="prompt">${prompt}</p>`}
    ${
      data === undefined
        ? null
        : html`<dl class="facts decision-data">
            ${Object.entries(data).map(
              ([k, v]) =>
                html`<div key=${k}><dt>${k}</dt><dd class="mono">${valueText(v)}</dd></div>`,
            )}
          </dl>`
    }
    ${Object.keys(rest).length === 0 ? null : html`<${JsonBox} label="More context" value=${rest} />`}
    ${
      d.resolution && !pending
        ? html`<p class="resolution">Resolved: <strong class="mono">${d.resolution.choice}</strong>
            ${d.resolution.reasoning ? html` — ${d.resolution.reasoning}` : null}
            <span class="muted small"> by ${d.resolved_by ?? d.resolution.resolved_by ?? '?'}</span></p>`
        : null
    }
    ${
      done
        ? html`<p class="resolution" role="status">Resolved with <strong class="mono">${done.choice}</strong>; workflow is now <${Badge} status=${done.status} /></p>`
        : null
    }
    ${
      pending
        ? html`<form
            class="decision-form"
            onSubmit=${(e: Event) => {
              e.preventDefault()
              void resolve(choice)
            }}
          >
            ${
              free
                ? html`<label class="field"><span>Answer</span>
                    <input name="choice" required value=${choice} onInput=${(e: Event) => setChoice((e.target as HTMLInputElement).value)} />
                  </label>`
                : html`<fieldset class="options">
                    <legend>Choose</legend>
                    ${d.options.map(
                      (
                        o,
                      ) => html`<label class=${`option ${choice === o.id ? 'chosen' : ''}`} key=${o.id}>
                        <input
                          type="radio"
                          name=${`${idBase}-choice`}
                          value=${o.id}
                          checked=${choice === o.id}
                          onChange=${() => setChoice(o.id)}
                        />
                        <span class="mono">${o.id}</span>
                        ${o.description ? html`<span class="muted small">${o.description}</span>` : null}
                      </label>`,
                    )}
                  </fieldset>`
            }
            <label class="field"><span>Reasoning <span class="muted small">(optional, stored with the decision)</span></span>
              <textarea rows="2" name="reasoning" value=${reasoning} onInput=${(e: Event) => setReasoning((e.target as HTMLTextAreaElement).value)}></textarea>
            </label>
            <div class="row">
              <button type="submit" disabled=${busy}>${busy ? 'Resolving…' : 'Resolve'}</button>
              <${ErrorNote} text=${error} />
            </div>
          </form>`
        : null
    }
  </article>`
}
