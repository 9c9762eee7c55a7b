/** Agents, secrets, scheduler, plugins, settings, audit and the sign-in page. */
import type { VNode } from 'preact'
import { Card, Empty, JsonBox, JsonInline, Time } from '../components/bits.ts'
import { pageHref } from '../components/pager.ts'
import { AgentsTable } from '../islands/agents.ts'
import { OperatorName } from '../islands/operator.ts'
import { PluginsTable } from '../islands/plugins.ts'
import { Scheduler } from '../islands/scheduler.ts'
import { SecretsManager } from '../islands/secrets.ts'
import { html } from '../lib/html.ts'
import type { AgentSummary, AuditRow, Plugin, Schedule } from '../lib/types.ts'
import { Layout, type PageContext } from './layout.ts'

export function AgentsPage({ ctx, agents }: { ctx: PageContext; agents: AgentSummary[] }): VNode {
  return html`<${Layout} ctx=${ctx} title=${`Agents · ${agents.length}`}>
    <section class="card"><${AgentsTable} agents=${agents} /></section>
  </${Layout}>`
}

export function SecretsPage({
  ctx,
  list,
}: {
  ctx: PageContext
  list: { secrets: Array<{ name: string }>; vault: 'ready' | 'uninitialized' }
}): VNode {
  return html`<${Layout} ctx=${ctx} title="Secrets"><${SecretsManager} list=${list} /></${Layout}>`
}

export function SchedulerPage({
  ctx,
  jobs,
  templates,
  error,
}: {
  ctx: PageContext
  jobs: Schedule[]
  templates: Array<{ name: string; versions: string[] }>
  error?: string
}): VNode {
  return html`<${Layout} ctx=${ctx} title="Scheduler">
    <${Scheduler} jobs=${jobs} templates=${templates} error=${error} />
  </${Layout}>`
}

export function PluginsPage({
  ctx,
  plugins,
  error,
}: {
  ctx: PageContext
  plugins: Plugin[]
  error?: string
}): VNode {
  return html`<${Layout} ctx=${ctx} title="Plugins">
    <section class="card"><${PluginsTable} plugins=${plugins} error=${error} /></section>
  </${Layout}>`
}

function Value({ v }: { v: unknown }): VNode {
  if (v === null || v === undefined) return html`<span class="muted">—</span>`
  if (typeof v === 'boolean')
    return html`<span class=${v ? 'text-ok' : 'muted'}>${v ? 'yes' : 'no'}</span>`
  if (typeof v === 'object') {
    if (Array.isArray(v) && v.length === 0) return html`<span class="muted">none</span>`
    if (!Array.isArray(v) && Object.keys(v as object).length === 0)
      return html`<span class="muted">defaults</span>`
    return html`<${JsonBox} label=${Array.isArray(v) ? `${v.length} item${v.length === 1 ? '' : 's'}` : 'show'} value=${v} />`
  }
  return html`<span class="mono">${String(v)}</span>`
}

const LABELS: Record<string, string> = {
  version: 'Version',
  listen_addr: 'Listen address',
  bound_port: 'Bound port',
  loopback: 'Loopback only',
  base_url: 'Base URL',
  db_path: 'Database',
  data_dir: 'Data directory',
  settings_path: 'Settings file',
  log_level: 'Log level',
  pool_size: 'Pool size',
  panel: 'Panel',
  recovery: 'Recovery',
  default_agent_id: 'Default agent id (CLI)',
  isolator: 'Process isolation',
  http: 'HTTP',
  limits: 'Limits',
  paths: 'Path rules',
  plugins: 'Plugins',
  circuit_breaker: 'Circuit breaker',
  other: 'Other settings',
}

export function SettingsPage({
  ctx,
  settings,
  operatorName,
}: {
  ctx: PageContext
  settings: Record<string, unknown>
  operatorName: string
}): VNode {
  const token = settings.token as { configured: boolean; required: boolean } | undefined
  const vault = settings.vault as { initialized: boolean } | undefined
  return html`<${Layout} ctx=${ctx} title="Settings">
    <div class="stack">
      <${Card} title="You">
        <p class="muted small">The panel records your changes in the audit log as <span class="mono">panel</span>${', or '}<span class="mono">${'panel:<name>'}</span> once you set a name.</p>
        <${OperatorName} name=${operatorName} />
      </${Card}>
      <${Card} title="Server (read-only)">
        <p class="muted small">${'Effective values: flags, then environment, then settings.json, then defaults. Change them in '}<span class="mono">${String(settings.settings_path ?? 'settings.json')}</span>${' and send SIGHUP (log level, panel, limits, paths, plugins) or restart.'}</p>
        <dl class="settings">
          <div><dt>Token</dt><dd>${token?.configured ? 'configured (hidden)' : 'not configured'}${token?.required ? ' · required (not loopback)' : ' · optional on loopback'}</dd></div>
          <div><dt>Vault</dt><dd>${vault?.initialized ? html`<span class="text-ok">unlocked</span>` : html`<span class="text-warn">locked (no OPCODE_VAULT_KEY)</span>`}</dd></div>
          ${Object.entries(LABELS).map(
            ([k, label]) =>
              html`<div key=${k}><dt>${label}</dt><dd><${Value} v=${settings[k]} /></dd></div>`,
          )}
        </dl>
      </${Card}>
    </div>
  </${Layout}>`
}

export function AuditPage({
  ctx,
  rows,
  agent,
  limit,
  now,
}: {
  ctx: PageContext
  rows: AuditRow[]
  agent: string
  limit: number
  now: number
}): VNode {
  return html`<${Layout} ctx=${ctx} title="Audit log">
    <form class="filters" method="get" action="/audit" role="search" aria-label="Filter the audit log">
      <label class="field"><span>Who</span><input name="agent_id" value=${agent} placeholder="any" /></label>
      <div class="field actions"><button type="submit">Filter</button><a class="button ghost" href="/audit">Reset</a></div>
    </form>
    <section class="card">
      ${
        rows.length === 0
          ? html`<${Empty}>No changes recorded.</${Empty}>`
          : html`<div class="table-wrap"><table class="table">
              <thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">Action</th>
                <th scope="col">Resource</th><th scope="col">Details</th></tr></thead>
              <tbody>${rows.map(
                (r) => html`<tr key=${r.id} data-audit=${r.action}>
                  <td><${Time} at=${r.timestamp} now=${now} /></td>
                  <td><strong>${r.agent_id}</strong></td>
                  <td class="mono">${r.action}</td>
                  <td>${
                    r.resource_type === 'workflow' && r.resource_id
                      ? html`<a class="mono" href=${`/workflows/${encodeURIComponent(r.resource_id)}`}>${r.resource_id}</a>`
                      : html`<span class="muted">${r.resource_type}</span> <span class="mono">${r.resource_id ?? ''}</span>`
                  }</td>
                  <td>${r.details === undefined ? null : html`<${JsonInline} value=${r.details} />`}</td>
                </tr>`,
              )}</tbody>
            </table></div>`
      }
      ${
        rows.length >= limit && limit < 1000
          ? html`<p class="pager"><span class="muted small">Newest ${rows.length}</span>
              <a class="button ghost" href=${pageHref('/audit', { agent_id: agent, limit: String(Math.min(1000, limit + 100)) }, 0)}>Show more</a></p>`
          : html`<p class="muted small">${rows.length} change${rows.length === 1 ? '' : 's'}</p>`
      }
    </section>
  </${Layout}>`
}

export function LoginPage({
  next,
  error,
  csrf,
}: {
  next: string
  error?: string
  csrf: string
}): VNode {
  return html`<main class="login" id="main">
    <form method="post" action="/login" class="card login-card" aria-label="Sign in">
      <h1>opcode</h1>
      <p class="muted">This server is reachable from other machines: sign in with its token
        (<span class="mono">auth_token</span> in settings.json, or <span class="mono">OPCODE_TOKEN</span>).</p>
      <input type="hidden" name="csrf" value=${csrf} />
      <input type="hidden" name="next" value=${next} />
      <label class="field"><span>Token</span>
        <input name="token" type="password" required autocomplete="current-password" autofocus />
      </label>
      <label class="field"><span>Your name <span class="muted small">(optional, for the audit log)</span></span>
        <input name="name" maxlength="64" pattern="[A-Za-z0-9._@\\-]*" autocomplete="username" />
      </label>
      ${error ? html`<p class="error-note" role="alert">${error}</p>` : null}
      <button type="submit">Sign in</button>
    </form>
  </main>`
}
