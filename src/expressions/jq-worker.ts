/**
 * Worker thread that runs jq (jq-wasm, jq 1.8.2). jq runs synchronously and cannot be interrupted,
 * so it lives here: the main thread enforces a time limit by terminating this worker. Messages:
 * in `{id, filter, input}` (input = JSON text); out `{ready}` once loaded, then
 * `{id, exitCode, stdout, stderr}` or `{id, fatal}` when the wasm instance aborted (out of memory).
 */
import { loadJq } from 'jq-wasm/inline'

interface Request {
  id: number
  filter: string
  input: string
}

declare const self: {
  postMessage(message: unknown): void
  onmessage: ((event: MessageEvent<Request>) => void) | null
}

try {
  const jq = await loadJq()
  // jq-wasm prints "Aborted()" there when a filter exhausts memory; the reply says so instead.
  console.error = () => undefined
  self.onmessage = (event) => {
    const { id, filter, input } = event.data
    try {
      const r = jq.raw(input, filter, ['-c'])
      self.postMessage({ id, exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr })
    } catch (err) {
      self.postMessage({ id, fatal: err instanceof Error ? err.message : String(err) })
    }
  }
  self.postMessage({ ready: true })
} catch (err) {
  self.postMessage({ loadError: err instanceof Error ? err.message : String(err) })
}
