/** Hooks shared by the islands: a ticking clock, live events, and data refreshed by events. */
import { useEffect, useRef, useState } from 'preact/hooks'
import { type LiveEvent, onLiveEvent, onReconnect } from './live.ts'

/** The current time, re-read every `everyMs` in the browser (relative times stay right). */
export function useNow(everyMs = 10_000): number {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs)
    return () => clearInterval(t)
  }, [everyMs])
  return now
}

/** Calls `fn` for every live event (the latest `fn` is used). */
export function useLiveEvents(fn: (ev: LiveEvent) => void): void {
  const ref = useRef(fn)
  ref.current = fn
  useEffect(() => onLiveEvent((ev) => ref.current(ev)), [])
}

/**
 * State that starts from the server-rendered value and is reloaded by `load` when a live event
 * matches `when` (at most once per `throttleMs`, trailing) and after a reconnection. Returns the
 * value, a setter and a function to reload now.
 */
export function useLiveData<T>(
  initial: T,
  load: () => Promise<T>,
  when: (ev: LiveEvent) => boolean,
  throttleMs = 1000,
): [T, (v: T) => void, () => void] {
  const [value, setValue] = useState<T>(initial)
  const loadRef = useRef(load)
  loadRef.current = load
  const s = useRef({
    timer: undefined as ReturnType<typeof setTimeout> | undefined,
    last: 0,
    running: false,
    again: false,
  }).current
  // These closures only touch refs, so a stale copy behaves like a fresh one.
  const schedule = (): void => {
    if (s.timer !== undefined) return
    s.timer = setTimeout(run, Math.max(0, s.last + throttleMs - Date.now()))
  }
  const run = (): void => {
    s.timer = undefined
    if (s.running) {
      s.again = true
      return
    }
    s.running = true
    s.last = Date.now()
    loadRef
      .current()
      .then((v) => setValue(v))
      .catch(() => {
        // Keep what is shown; the next event or reconnection tries again.
      })
      .finally(() => {
        s.running = false
        if (s.again) {
          s.again = false
          schedule()
        }
      })
  }
  useLiveEvents((ev) => {
    if (when(ev)) schedule()
  })
  useEffect(() => onReconnect(schedule), [])
  useEffect(() => () => clearTimeout(s.timer), [])
  return [value, setValue, run]
}
