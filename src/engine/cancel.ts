/**
 * A cancellation token: what AbortController does, for a fraction of its cost on the hot path.
 * Actions still get a real AbortSignal (`signal`), created only when one asks for it.
 */

const noop = (): void => {}

export class Cancel {
  aborted = false
  reason: unknown = undefined
  private listeners: Array<(() => void) | undefined> | undefined
  private controller: AbortController | undefined

  abort(reason: unknown): void {
    if (this.aborted) return
    this.aborted = true
    this.reason = reason
    const ls = this.listeners
    this.listeners = undefined
    if (ls !== undefined) for (const fn of ls) fn?.()
    this.controller?.abort(reason)
  }

  /** Calls `fn` once when aborted (at once if already); returns an unsubscribe function. */
  onAbort(fn: () => void): () => void {
    if (this.aborted) {
      fn()
      return noop
    }
    if (this.listeners === undefined) this.listeners = []
    const ls = this.listeners
    const i = ls.push(fn) - 1
    return () => {
      if (this.listeners === ls) ls[i] = undefined
    }
  }

  /** A child token aborted with this one (and on its own). */
  child(): { cancel: Cancel; dispose: () => void } {
    const c = new Cancel()
    const dispose = this.onAbort(() => c.abort(this.reason))
    return { cancel: c, dispose }
  }

  /** A standard AbortSignal mirroring this token, for actions and fetch. */
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController()
      if (this.aborted) this.controller.abort(this.reason)
    }
    return this.controller.signal
  }
}
