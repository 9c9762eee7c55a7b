/**
 * Scheduler (panel.md §3.7 Ours): jobs with next and last run, enable/disable, run now, delete,
 * per-job history with workflow links, and a new-job form whose cron is checked by the server as
 * you type, with the next fire times shown.
 */
import type { VNode } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { Badge, Empty, ErrorNote, Time, WorkflowLink } from '../components/bits.ts'
import { api, errorText } from '../lib/api.ts'
import { absTime } from '../lib/format.ts'
import { useLiveData, useNow } from '../lib/hooks.ts'
import { html } from '../lib/html.ts'
import { island } from '../lib/island.ts'
import { operator } from '../lib/page.ts'
import type { JobRun, Schedule } from '../lib/types.ts'

/** `Mon 25 Nov, 06:30 Europe/Paris` (the job's own zone), else UTC text. */
function inZone(iso: string, zone: string): string {
  try {
    const text = new Intl.DateTimeFormat('en-GB', {
      timeZone: zone,
      weekday: 'short',
      day: '2-digit',
      month: 'short',
      hour: '2-digit',
      minute: '2-digit',
    }).format(new Date(iso))
    return `${text} ${zone}`
  } catch {
    return absTime(iso)
  }
}

function History({ id, now }: { id: string; now: number }): VNode {
  const [runs, setRuns] = useState<JobRun[] | undefined>(undefined)
  const [error, setError] = useState<string | undefined>(undefined)
  useEffect(() => {
    api<{ runs: JobRun[] }>('GET', `/schedules/${encodeURIComponent(id)}`, undefined, { runs: 20 })
      .then((r) => setRuns(r.runs))
      .catch((err: unknown) => setError(errorText(err)))
  }, [id])
  if (error) return html`<${ErrorNote} text=${error} />`
  if (runs === undefined) return html`<p class="muted small">Loading…</p>`
  if (runs.length === 0) return html`<p class="muted small">No runs yet.</p>`
  return html`<ul class="list history">${runs.map(
    (r) => html`<li key=${r.id}>
      <${Badge} status=${r.status} /> <span class="small" title=${absTime(r.scheduled_for)}>for <${Time} at=${r.scheduled_for} now=${now} /></span>
      <span class="muted small">${r.kind}</span>
      ${r.workflow_id ? html`<${WorkflowLink} id=${r.workflow_id} />` : null}
      ${r.error ? html`<span class="text-bad small">${r.error.message}</span>` : null}
    </li>`,
  )}</ul>`
}

function JobRow({ job, now, reload }: { job: Schedule; now: number; reload: () => void }): VNode {
  const [busy, setBusy] = useState(false)
  const [open, setOpen] = useState(false)
  const [error, setError] = useState<string | undefined>(undefined)
  const act = async (fn: () => Promise<unknown>): Promise<void> => {
    setBusy(true)
    setError(undefined)
    try {
      await fn()
      reload()
    } catch (err) {
      setError(errorText(err))
    } finally {
      setBusy(false)
    }
  }
  const path = `/schedules/${encodeURIComponent(job.id)}`
  return html`<tbody data-job=${job.id}>
    <tr>
      <td><a href=${`/templates/${encodeURIComponent(job.template_name)}`}>${job.template_name}</a> <span class="muted small">${job.template_version ?? 'latest'}</span></td>
      <td><span class="mono">${job.cron_expression}</span>${job.timezone !== 'UTC' ? html` <span class="muted small">${job.timezone}</span>` : null}</td>
      <td>${job.agent_id}</td>
      <td>
        <button
          type="button"
          role="switch"
          class=${`switch ${job.enabled ? 'on' : ''}`}
          aria-checked=${job.enabled ? 'true' : 'false'}
          aria-label=${`${job.enabled ? 'Disable' : 'Enable'} this job`}
          disabled=${busy}
          onClick=${() => act(() => api('POST', `${path}/${job.enabled ? 'disable' : 'enable'}`, { agent_id: operator() }))}
        ><span></span></button>
      </td>
      <td>${
        job.last_run_at
          ? html`<${Time} at=${job.last_run_at} now=${now} /> ${job.last_run_status ? html`<${Badge} status=${job.last_run_status} />` : null}
            ${job.last_workflow_id ? html` <${WorkflowLink} id=${job.last_workflow_id} />` : null}`
          : html`<span class="muted">—</span>`
      }</td>
      <td>${job.next_run_at ? html`<${Time} at=${job.next_run_at} now=${now} />` : html`<span class="muted">—</span>`}</td>
      <td class="nowrap">
        <button type="button" class="small" disabled=${busy} onClick=${() => act(() => api('POST', `${path}/run`, { agent_id: operator() }))}>Run now</button>
        <button type="button" class="ghost small" aria-expanded=${open ? 'true' : 'false'} onClick=${() => setOpen(!open)}>History</button>
        <button
          type="button"
          class="danger small"
          disabled=${busy}
          onClick=${() => {
            if (confirm('Delete this scheduled job and its history?'))
              void act(() => api('DELETE', path, { agent_id: operator() }))
          }}
        >Delete</button>
        <${ErrorNote} text=${error} />
      </td>
    </tr>
    ${open ? html`<tr class="sub"><td colspan="7"><${History} id=${job.id} now=${now} /></td></tr>` : null}
  </tbody>`
}

function NewJob({
  templates,
  onCreated,
}: {
  templates: Array<{ name: string; versions: string[] }>
  onCreated: () => void
}): VNode {
  const [open, setOpen] = useState(false)
  const [template, setTemplate] = useState(templates[0]?.name ?? '')
  const [version, setVersion] = useState('')
  const [cron, setCron] = useState('*/5 * * * *')
  const [timezone, setTimezone] = useState('UTC')
  const [agent, setAgent] = useState('')
  const [params, setParams] = useState('')
  const [catchUp, setCatchUp] = useState('one')
  const [overlap, setOverlap] = useState('skip')
  const [preview, setPreview] = useState<{ next?: string[]; zone?: string; error?: string }>({})
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | undefined>(undefined)
  useEffect(() => {
    if (!open) return
    const t = setTimeout(() => {
      api<{ next: string[]; timezone: string }>('GET', '/cron/preview', undefined, {
        cron_expression: cron,
        timezone,
      })
        .then((r) => setPreview({ next: r.next, zone: r.timezone }))
        .catch((err: unknown) => setPreview({ error: errorText(err) }))
    }, 250)
    return () => clearTimeout(t)
  }, [cron, timezone, open])
  if (!open)
    return html`<button type="button" onClick=${() => setOpen(true)} disabled=${templates.length === 0}>New job…</button>`
  const versions = templates.find((t) => t.name === template)?.versions ?? []
  return html`<form
    class="card editor"
    aria-label="New scheduled job"
    onSubmit=${async (e: Event) => {
      e.preventDefault()
      setError(undefined)
      let p: unknown = {}
      if (params.trim() !== '') {
        try {
          p = JSON.parse(params)
        } catch (err) {
          setError(`Params are not valid JSON: ${(err as Error).message}`)
          return
        }
      }
      setBusy(true)
      try {
        await api('POST', '/schedules', {
          template_name: template,
          ...(version === '' ? {} : { template_version: version }),
          cron_expression: cron,
          timezone,
          params: p,
          agent_id: agent.trim() === '' ? operator() : agent.trim(),
          catch_up: catchUp,
          overlap,
        })
        setOpen(false)
        onCreated()
      } catch (err) {
        setError(errorText(err))
      } finally {
        setBusy(false)
      }
    }}
  >
    <header class="card-head"><h2>New scheduled job</h2><button type="button" class="ghost" onClick=${() => setOpen(false)}>Close</button></header>
    <div class="form-grid">
      <label class="field"><span>Template</span>
        <select name="template_name" value=${template} onChange=${(e: Event) => {
          setTemplate((e.target as HTMLSelectElement).value)
          setVersion('')
        }}>${templates.map((t) => html`<option value=${t.name}>${t.name}</option>`)}</select>
      </label>
      <label class="field"><span>Version</span>
        <select name="template_version" value=${version} onChange=${(e: Event) => setVersion((e.target as HTMLSelectElement).value)}>
          <option value="">latest at each fire</option>
          ${versions.map((v) => html`<option value=${v}>${v}</option>`)}
        </select>
      </label>
      <label class="field"><span>Cron</span>
        <input name="cron_expression" class="mono" required value=${cron} aria-describedby="cron-preview"
          onInput=${(e: Event) => setCron((e.target as HTMLInputElement).value)} />
      </label>
      <label class="field"><span>Time zone</span>
        <input name="timezone" value=${timezone} onInput=${(e: Event) => setTimezone((e.target as HTMLInputElement).value)} />
      </label>
      <label class="field"><span>Run as agent</span>
        <input name="agent_id" value=${agent} placeholder="panel" onInput=${(e: Event) => setAgent((e.target as HTMLInputElement).value)} />
      </label>
      <label class="field"><span>Missed fires</span>
        <select name="catch_up" value=${catchUp} onChange=${(e: Event) => setCatchUp((e.target as HTMLSelectElement).value)}>
          <option value="one">run the latest once</option><option value="none">skip them</option><option value="all">run each</option>
        </select>
      </label>
      <label class="field"><span>If still running</span>
        <select name="overlap" value=${overlap} onChange=${(e: Event) => setOverlap((e.target as HTMLSelectElement).value)}>
          <option value="skip">skip the fire</option><option value="allow">run anyway</option>
        </select>
      </label>
    </div>
    <div id="cron-preview" class="small" aria-live="polite">
      ${
        preview.error
          ? html`<span class="text-bad">${preview.error}</span>`
          : preview.next
            ? html`<span class="muted">Next fires: </span>${preview.next.map(
                (t, i) =>
                  html`${i > 0 ? ' · ' : ''}<span title=${absTime(t)}>${inZone(t, preview.zone ?? 'UTC')}</span>`,
              )}`
            : null
      }
    </div>
    <label class="field"><span>Params (JSON, optional)</span>
      <textarea class="code" rows="3" name="params" value=${params} onInput=${(e: Event) => setParams((e.target as HTMLTextAreaElement).value)}></textarea>
    </label>
    <div class="row"><button type="submit" disabled=${busy}>${busy ? 'Saving…' : 'Create job'}</button><${ErrorNote} text=${error} /></div>
  </form>`
}

export const Scheduler = island(
  'scheduler',
  ({
    jobs: initial,
    templates,
    error,
  }: {
    jobs: Schedule[]
    templates: Array<{ name: string; versions: string[] }>
    error?: string
  }) => {
    const now = useNow()
    const [jobs, , reload] = useLiveData<Schedule[]>(
      initial,
      async () =>
        (await api<{ schedules: Schedule[] }>('GET', '/schedules', undefined, { limit: 200 }))
          .schedules,
      (ev) =>
        ev.kind === 'stored' &&
        /^workflow_(started|completed|failed|cancelled|suspended)/.test(ev.event_type),
      2000,
    )
    if (error !== undefined) return html`<p class="note warn">${error}</p>`
    return html`<div class="stack">
      <${NewJob} templates=${templates} onCreated=${reload} />
      ${
        jobs.length === 0
          ? html`<${Empty}>No scheduled jobs configured.</${Empty}>`
          : html`<div class="table-wrap card"><table class="table">
              <thead><tr>
                <th scope="col">Template</th><th scope="col">Cron</th><th scope="col">Agent</th><th scope="col">Enabled</th>
                <th scope="col">Last run</th><th scope="col">Next run</th><th scope="col">Actions</th>
              </tr></thead>
              ${jobs.map((j) => html`<${JobRow} key=${j.id} job=${j} now=${now} reload=${reload} />`)}
            </table></div>`
      }
    </div>`
  },
)
