/** GET /templates and GET /templates/:name. */
import type { VNode } from 'preact'
import { Card, Empty, JsonBox, Time } from '../components/bits.ts'
import { RunTemplate, VersionSelect } from '../islands/template.ts'
import { TemplateEditor } from '../islands/template-editor.ts'
import { WorkflowRows } from '../islands/workflows.ts'
import { pretty } from '../lib/format.ts'
import { html } from '../lib/html.ts'
import type { Template, Workflow } from '../lib/types.ts'
import { Layout, type PageContext } from './layout.ts'

export interface TemplateSummary {
  latest: Template
  versions: number
}

export function TemplatesPage({
  ctx,
  templates,
  now,
}: {
  ctx: PageContext
  templates: TemplateSummary[]
  now: number
}): VNode {
  return html`<${Layout} ctx=${ctx} title="Templates">
    <div class="stack">
      <${TemplateEditor} />
      <${Card} title=${`${templates.length} template${templates.length === 1 ? '' : 's'}`}>
        ${
          templates.length === 0
            ? html`<${Empty}>No templates defined yet. Create one above, or with opcode.define over MCP.</${Empty}>`
            : html`<div class="table-wrap"><table class="table">
              <thead><tr>
                <th scope="col">Name</th><th scope="col">Latest</th><th scope="col" class="num">Versions</th>
                <th scope="col">Description</th><th scope="col">Author</th><th scope="col">Updated</th>
              </tr></thead>
              <tbody>
                ${templates.map(
                  ({ latest: t, versions }) => html`<tr key=${t.name} data-template=${t.name}>
                    <td><a href=${`/templates/${encodeURIComponent(t.name)}`}><strong>${t.name}</strong></a></td>
                    <td><span class="badge idle">${t.version}</span></td>
                    <td class="num">${versions}</td>
                    <td class="clip">${t.description ?? html`<span class="muted">—</span>`}</td>
                    <td>${t.agent_id}</td>
                    <td><${Time} at=${t.created_at} now=${now} /></td>
                  </tr>`,
                )}
              </tbody>
            </table></div>`
        }
      </${Card}>
    </div>
  </${Layout}>`
}

export function TemplatePage({
  ctx,
  template: t,
  versions,
  diagram,
  runs,
  now,
  saved,
}: {
  ctx: PageContext
  template: Template
  versions: string[]
  diagram: { svg?: string; error?: string }
  runs: Workflow[]
  now: number
  saved: boolean
}): VNode {
  const def = t.definition as { inputs?: unknown; description?: string } | undefined
  const defaults = def?.inputs === undefined ? '{}' : pretty(def.inputs)
  return html`<${Layout}
    ctx=${ctx}
    title=${html`<a href="/templates" class="muted">Templates</a> / ${t.name}`}
    actions=${html`<${VersionSelect} name=${t.name} versions=${versions} current=${t.version} />`}
  >
    <div class="stack">
      ${saved ? html`<p class="note ok" role="status">Saved ${t.name} ${t.version}.</p>` : null}
      <section class="card summary">
        <dl class="facts">
          <div><dt>Version</dt><dd><span class="badge idle">${t.version}</span> <span class="muted small">of ${versions.length}</span></dd></div>
          <div><dt>Author</dt><dd>${t.agent_id}</dd></div>
          <div><dt>Created</dt><dd><${Time} at=${t.created_at} now=${now} /></dd></div>
          <div><dt>Runs</dt><dd><a href=${`/workflows?template_name=${encodeURIComponent(t.name)}`}>all runs →</a></dd></div>
        </dl>
        ${t.description ? html`<p>${t.description}</p>` : null}
      </section>
      <div class="grid-2 wide-first">
        <${Card} title="Diagram">
          ${diagram.svg ? html`<div class="diagram" dangerouslySetInnerHTML=${{ __html: diagram.svg }}></div>` : html`<p class="error-note">${diagram.error}</p>`}
        </${Card}>
        <div class="stack">
          <${Card} title="Run">
            <${RunTemplate} name=${t.name} version=${t.version} defaults=${defaults} />
          </${Card}>
          <${Card} title="Edit">
            <p class="muted small">Saving stores a new version; existing versions and their runs never change.</p>
            <${TemplateEditor} name=${t.name} description=${t.description ?? ''} definition=${pretty(t.definition)} />
          </${Card}>
        </div>
      </div>
      <${Card} title="Definition">
        <pre class="code-block">${pretty(t.definition)}</pre>
      </${Card}>
      ${t.input_schema === undefined ? null : html`<${Card} title="Input schema"><${JsonBox} label="input_schema" value=${t.input_schema} open=${true} /></${Card}>`}
      ${t.output_schema === undefined ? null : html`<${Card} title="Output schema"><${JsonBox} label="output_schema" value=${t.output_schema} /></${Card}>`}
      ${t.triggers === undefined ? null : html`<${Card} title="Triggers"><${JsonBox} label="triggers" value=${t.triggers} open=${true} /></${Card}>`}
      <${Card} title="Recent runs of this template">
        ${runs.length === 0 ? html`<${Empty}>Not run yet.</${Empty}>` : html`<${WorkflowRows} rows=${runs} now=${now} />`}
      </${Card}>
    </div>
  </${Layout}>`
}
