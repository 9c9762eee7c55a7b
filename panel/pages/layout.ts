/** The page frame: sidebar navigation (a scrolling bar on phones), header, main content. */
import type { ComponentChildren, VNode } from 'preact'
import { LiveIndicator, ThemeSwitch } from '../islands/chrome.ts'
import { html } from '../lib/html.ts'

export interface PageContext {
  path: string
  operator: string
  theme: 'system' | 'light' | 'dark'
  /** A login (token) is in force: show "Sign out". */
  signedIn: boolean
  /** The page follows the event stream. */
  stream: boolean
  pendingDecisions: number
  version: string
  /** CSRF token of this session (forms that post without script). */
  csrf: string
}

const NAV: Array<{ href: string; label: string; icon: string }> = [
  { href: '/', label: 'Dashboard', icon: '◫' },
  { href: '/workflows', label: 'Workflows', icon: '⇶' },
  { href: '/templates', label: 'Templates', icon: '❏' },
  { href: '/decisions', label: 'Decisions', icon: '⬡' },
  { href: '/scheduler', label: 'Scheduler', icon: '◷' },
  { href: '/events', label: 'Events', icon: '≋' },
  { href: '/agents', label: 'Agents', icon: '◉' },
  { href: '/plugins', label: 'Plugins', icon: '⊕' },
  { href: '/secrets', label: 'Secrets', icon: '✱' },
  { href: '/audit', label: 'Audit log', icon: '✎' },
  { href: '/settings', label: 'Settings', icon: '⚙' },
]

function active(path: string, href: string): boolean {
  return href === '/' ? path === '/' : path === href || path.startsWith(`${href}/`)
}

export function Layout({
  ctx,
  title,
  actions,
  children,
}: {
  ctx: PageContext
  title: ComponentChildren
  actions?: ComponentChildren
  children: ComponentChildren
}): VNode {
  return html`<div class="shell">
    <a class="skip" href="#main">Skip to content</a>
    <aside class="sidebar">
      <a class="brand" href="/" aria-label="opcode dashboard">
        <svg viewBox="0 0 32 32" width="26" height="26" aria-hidden="true">
          <rect x="2" y="2" width="28" height="28" rx="7" fill="currentColor" opacity="0.18" />
          <path d="M9 11h6v6H9zM17 15h6v6h-6z" fill="currentColor" />
          <path d="M15 14h2v2" stroke="currentColor" stroke-width="2" fill="none" />
        </svg>
        <span><strong>opcode</strong><small>workflows for agents</small></span>
      </a>
      <nav aria-label="Main">
        <ul>
          ${NAV.map(
            (n) => html`<li>
              <a href=${n.href} aria-current=${active(ctx.path, n.href) ? 'page' : undefined}>
                <span class="nav-icon" aria-hidden="true">${n.icon}</span>
                <span>${n.label}</span>
                ${
                  n.href === '/decisions' && ctx.pendingDecisions > 0
                    ? html`<span class="count" title="pending decisions">${ctx.pendingDecisions}</span>`
                    : null
                }
              </a>
            </li>`,
          )}
        </ul>
      </nav>
      <footer class="sidebar-foot">
        <span class="muted small">v${ctx.version}</span>
      </footer>
    </aside>
    <div class="main-col">
      <header class="topbar">
        <h1>${title}</h1>
        <div class="topbar-tools">
          ${actions}
          <${LiveIndicator} stream=${ctx.stream} />
          <span class="operator muted small" title="Recorded as the author of your changes in the audit log">as <strong>${ctx.operator}</strong></span>
          <${ThemeSwitch} theme=${ctx.theme} />
          ${
            ctx.signedIn
              ? html`<form method="post" action="/logout" class="inline"><input type="hidden" name="csrf" value=${ctx.csrf} /><button type="submit" class="ghost">Sign out</button></form>`
              : null
          }
        </div>
      </header>
      <main id="main" tabindex="-1">${children}</main>
    </div>
  </div>`
}
