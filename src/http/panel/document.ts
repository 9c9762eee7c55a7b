/**
 * The HTML document around a rendered page: <head> with the asset links (content-hashed), the
 * page's meta tags for the browser code (CSRF token, operator, event stream), and the security
 * headers every panel response carries.
 */
import type { VNode } from 'preact'
import { renderToString } from 'preact-render-to-string'

export interface DocumentOptions {
  title: string
  body: VNode
  assetVersion: string
  csrf: string
  operator: string
  theme: 'system' | 'light' | 'dark'
  /** Event stream URL the page follows (absent: no live updates). */
  stream?: string
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ESC[c] as string)
}

/** Headers of every panel page: no caching of data, no framing, no inline scripts, same origin. */
export const PAGE_HEADERS: Record<string, string> = {
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-store',
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'same-origin',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
}

export function renderDocument(o: DocumentOptions): string {
  const meta = (name: string, content: string) =>
    `<meta name="${name}" content="${escapeHtml(content)}">`
  const theme = o.theme === 'system' ? '' : ` data-theme="${o.theme}"`
  return `<!doctype html>
<html lang="en"${theme}>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(o.title)} — opcode</title>
<meta name="color-scheme" content="light dark">
${meta('opcode-csrf', o.csrf)}
${meta('opcode-operator', o.operator)}
${o.stream === undefined ? '' : meta('opcode-stream', o.stream)}
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/panel.css?v=${o.assetVersion}">
<script type="module" src="/assets/panel.js?v=${o.assetVersion}"></script>
</head>
<body>
${renderToString(o.body)}
</body>
</html>
`
}

export const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect x="2" y="2" width="28" height="28" rx="7" fill="#5b3fd1"/><path d="M9 11h6v6H9zM17 15h6v6h-6z" fill="#fff"/></svg>`
