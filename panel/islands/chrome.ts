/** The layout's two small islands: the theme switch and the live-connection indicator. */
import { useEffect, useState } from 'preact/hooks'
import { html } from '../lib/html.ts'
import { island } from '../lib/island.ts'
import { type LiveStatus, onLiveStatus } from '../lib/live.ts'

const THEMES = ['system', 'light', 'dark'] as const
type Theme = (typeof THEMES)[number]

function applyTheme(theme: Theme): void {
  const root = document.documentElement
  if (theme === 'system') root.removeAttribute('data-theme')
  else root.setAttribute('data-theme', theme)
  // A cookie (not a secret) so the server renders the next page in the same theme, without flash.
  // biome-ignore lint/suspicious/noDocumentCookie: a display preference, not a credential; cookieStore is not in every browser
  document.cookie =
    theme === 'system'
      ? 'opcode_theme=; Path=/; Max-Age=0; SameSite=Strict'
      : `opcode_theme=${theme}; Path=/; Max-Age=31536000; SameSite=Strict`
}

export const ThemeSwitch = island('theme-switch', ({ theme }: { theme: Theme }) => {
  const [current, setCurrent] = useState<Theme>(theme)
  const next = THEMES[(THEMES.indexOf(current) + 1) % THEMES.length] as Theme
  const icon = current === 'dark' ? '☾' : current === 'light' ? '☀' : '◐'
  return html`<button
    type="button"
    class="ghost theme-switch"
    title=${`Theme: ${current} (switch to ${next})`}
    aria-label=${`Theme: ${current}. Switch to ${next}`}
    onClick=${() => {
      applyTheme(next)
      setCurrent(next)
    }}
  >
    <span aria-hidden="true">${icon}</span> <span class="theme-name">${current}</span>
  </button>`
})

const LABEL: Record<LiveStatus, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  offline: 'Offline',
}

export const LiveIndicator = island('live-indicator', (_: { stream: boolean }) => {
  const [status, setStatus] = useState<LiveStatus>('connecting')
  useEffect(() => onLiveStatus(setStatus), [])
  if (!_.stream)
    return html`<span class="live-dot off" title="This page has no live updates"></span>`
  return html`<span class=${`live-status ${status}`} role="status" aria-live="polite">
    <span class="live-dot" aria-hidden="true"></span>${LABEL[status]}
  </span>`
})
