/**
 * Panel suite (issue 11): a real server on loopback with the panel mounted and a database holding
 * 10,000 workflows and ≈200,000 events (run through the engine, scripts/bench/panel-seed.ts).
 * Pages are fetched over HTTP, so the time is the server's (render included) plus a loopback round
 * trip. The event case streams /api/v1/events/stream like the browser does and reports the time
 * from the commit (the hub's publish) to the client's read of the frame.
 * Targets: dashboard, workflows list and workflow detail ≤ 50 ms; commit → client ≤ 100 ms.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { resolveConfig } from '../../src/config/index.ts'
import { mountPanel } from '../../src/http/panel/index.ts'
import { startServer } from '../../src/server.ts'
import type { BenchCase, BenchSuite } from './lib.ts'
import { benchFail, benchNoop, SEED_TEMPLATES, seedPanelData } from './panel-seed.ts'

const quiet = { debug() {}, info() {}, warn() {}, error() {} }

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN
}

export const suite: BenchSuite = {
  name: 'panel',
  async cases(): Promise<BenchCase[]> {
    const dir = mkdtempSync(join(tmpdir(), 'opcode-bench-panel-'))
    const config = resolveConfig({
      env: {},
      flags: { listenAddr: '127.0.0.1:0', dbPath: join(dir, 'opcode.db') },
      settings: {},
      home: dir,
      dataDir: join(dir, '.opcode'),
      settingsPath: join(dir, '.opcode', 'settings.json'),
      cwd: dir,
    })
    const server = await startServer({
      config,
      logger: quiet,
      version: 'bench',
      actions: [benchNoop, benchFail],
      platform: false,
      mount: (app, svc) => {
        mountPanel(app, svc)
      },
    })
    const seeded = await seedPanelData(server.runtime.store, server.runtime.engine)
    const url = server.url
    const [newest] = (
      (await (await fetch(`${url}/api/v1/workflows?limit=1&status=completed`)).json()) as {
        workflows: Array<{ id: string }>
      }
    ).workflows
    const detailId = newest?.id as string
    const page = (path: string) => async () => {
      const r = await fetch(`${url}${path}`)
      if (r.status !== 200) throw new Error(`${path}: HTTP ${r.status}`)
      await r.text()
    }
    // First views pay one-time costs (the bundle, the newest-events window, Graphviz): not measured.
    for (const p of ['/', '/workflows', `/workflows/${detailId}`]) await page(p)()
    const scale = `${seeded.workflows.toLocaleString('en-US')} workflows, ${seeded.events.toLocaleString('en-US')} events`

    // The live stream, read as a browser's EventSource would.
    const published = new Map<string, number>()
    const stopListen = server.hub.listen({ stored_only: true }, (ev) => {
      if (ev.event_type === 'workflow_completed')
        published.set(`${ev.workflow_id}:${ev.sequence}`, performance.now())
    })
    const abort = new AbortController()
    const stream = await fetch(`${url}/api/v1/events/stream?include_custom=false`, {
      signal: abort.signal,
    })
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader()
    const waiters = new Map<string, (at: number) => void>()
    const latencies: number[] = []
    void (async () => {
      const decoder = new TextDecoder()
      let buf = ''
      for (;;) {
        let chunk: Awaited<ReturnType<typeof reader.read>>
        try {
          chunk = await reader.read()
        } catch {
          return // aborted at teardown
        }
        if (chunk.done) return
        const at = performance.now()
        buf += decoder.decode(chunk.value, { stream: true })
        let end = buf.indexOf('\n\n')
        while (end !== -1) {
          const frame = buf.slice(0, end)
          buf = buf.slice(end + 2)
          end = buf.indexOf('\n\n')
          const id = /^id: (.+)$/m.exec(frame)?.[1]
          if (id === undefined || !frame.includes('"workflow_completed"')) continue
          const t0 = published.get(id)
          if (t0 !== undefined) {
            latencies.push(at - t0)
            published.delete(id)
          }
          const wf = id.slice(0, id.lastIndexOf(':'))
          waiters.get(wf)?.(at)
          waiters.delete(wf)
        }
      }
    })()
    const oneStep = SEED_TEMPLATES['nightly-etl'] as (typeof SEED_TEMPLATES)[string]

    const streamCase: BenchCase = {
      scenario: 'event committed → SSE client (1 run)',
      reference_ns: null,
      warmup: 5,
      iterations: 200,
      run: async () => {
        const started = server.runtime.engine.start({
          definition: oneStep,
          params: {},
          agentId: 'bench-live',
        })
        await new Promise<number>((resolve) => waiters.set(started.workflowId, resolve))
      },
      // The harness times whole runs; the delivery latency itself is reported in the note.
      teardown: async () => {
        const sorted = [...latencies].sort((a, b) => a - b)
        streamCase.note = `commit → client: median ${percentile(sorted, 0.5).toFixed(2)} ms, p95 ${percentile(sorted, 0.95).toFixed(2)} ms over ${sorted.length} events (a run = start, ~20 events, delivery); target ≤ 100 ms`
        stopListen()
        abort.abort()
        await server.stop(2000)
        rmSync(dir, { recursive: true, force: true })
      },
    }

    return [
      {
        scenario: 'page: dashboard',
        reference_ns: null,
        run: page('/'),
        note: `${scale}; target ≤ 50 ms`,
      },
      {
        scenario: 'page: workflows (newest 50 + total)',
        reference_ns: null,
        run: page('/workflows'),
        note: 'target ≤ 50 ms',
      },
      {
        scenario: 'page: workflows status=failed',
        reference_ns: null,
        run: page('/workflows?status=failed'),
        note: 'count of a terminal status scans the table',
      },
      {
        scenario: 'page: workflows agent + offset 1,000',
        reference_ns: null,
        run: page('/workflows?agent_id=agent-beta&offset=1000'),
      },
      {
        scenario: 'page: workflow detail (10 steps, SVG DAG)',
        reference_ns: null,
        run: page(`/workflows/${detailId}`),
        note: 'target ≤ 50 ms',
      },
      {
        scenario: 'page: events (newest 50)',
        reference_ns: null,
        run: page('/events'),
      },
      {
        scenario: 'api: GET /api/v1/dashboard',
        reference_ns: null,
        run: page('/api/v1/dashboard'),
      },
      {
        scenario: 'api: GET /api/v1/workflows/{id}',
        reference_ns: null,
        run: page(`/api/v1/workflows/${detailId}`),
      },
      streamCase,
    ]
  },
}
