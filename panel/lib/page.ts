/**
 * What the server tells the browser code about the page, through <meta> tags (never inline
 * scripts, so the Content-Security-Policy can forbid them): the CSRF token sent with every
 * mutation, the operator id recorded in the audit log, and the event stream to follow.
 */

function meta(name: string): string | undefined {
  if (typeof document === 'undefined') return undefined
  const el = document.querySelector(`meta[name="${name}"]`)
  return el?.getAttribute('content') ?? undefined
}

export function csrfToken(): string {
  return meta('opcode-csrf') ?? ''
}

/** Who the panel acts as (`panel` or `panel:<name>`). */
export function operator(): string {
  return meta('opcode-operator') ?? 'panel'
}

/** URL of the page's event stream, or undefined when the page has none. */
export function streamUrl(): string | undefined {
  return meta('opcode-stream')
}

export const IS_BROWSER = typeof window !== 'undefined' && typeof document !== 'undefined'
