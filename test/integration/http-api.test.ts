/**
 * The JSON API under /api/v1 with real fetch against a real server: routes generated from the ops,
 * HTTP statuses per D2/D21, list/detail/cancel, /healthz, and the SSE event stream with
 * Last-Event-ID resume and heartbeats.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { chain, startTestServer, type TestServer } from '../support/server.ts'

let srv: TestServer
const api = (path: string) => `${srv.url}/api/v1${path}`
const post = (path: string, body: unknown) =>
  fetch(api(path), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })

beforeAll(async () => {
  srv = await startTestServer({ settings: { http: { keep_alive_seconds: 0.2 } } })
  const r = await post('/templates', { name: 'c3', agent_id: 'api-agent', definition: chain(3) })
  expect(r.status).toBe(201)
})
afterAll(async () => {
  await srv.stop()
})

describe('JSON API', () => {
  test('GET /healthz answers status ok and the version', async () => {
    const r = await fetch(`${srv.url}/healthz`)
    expect(r.status).toBe(200)
    expect(await r.json()).toEqual({ status: 'ok', version: 'test' })
  })

  test('define 201, invalid definition 422 with issues, malformed body 400', async () => {
    const bad = await post('/templates', {
      name: 'x',
      agent_id: 'a',
      definition: { steps: [{ id: 'a', action: 'test.echo', depends_on: ['a'] }] },
    })
    expect(bad.status).toBe(422)
    const body = (await bad.json()) as { code: string; issues: unknown[] }
    expect(body.code).toBe('VALIDATION_ERROR')
    expect(body.issues.length).toBeGreaterThan(0)
    const malformed = await post('/templates', '{"name": ')
    expect(malformed.status).toBe(400)
    expect(((await malformed.json()) as { message: string }).message).toContain('not valid JSON')
    const missing = await post('/templates', { name: 'x' })
    expect(missing.status).toBe(400)
    expect(((await missing.json()) as { message: string }).message).toContain('is required')
  })

  test('run, list with filters and total, detail, events, status', async () => {
    const run = await post('/workflows', { template_name: 'c3', agent_id: 'api-agent' })
    expect(run.status).toBe(201)
    const result = (await run.json()) as { workflow_id: string; status: string }
    expect(result.status).toBe('completed')
    const list = (await (
      await fetch(api('/workflows?agent_id=api-agent&status=completed&limit=1'))
    ).json()) as { workflows: Array<{ id: string; definition?: unknown }>; total: number }
    expect(list.total).toBeGreaterThanOrEqual(1)
    expect(list.workflows.length).toBe(1)
    expect(list.workflows[0]?.definition).toBeUndefined()
    const detail = (await (await fetch(api(`/workflows/${result.workflow_id}`))).json()) as {
      workflow: { id: string; definition: { steps: unknown[] } }
      steps: Record<string, unknown>
      events_total: number
      decisions: unknown[]
      children: unknown[]
    }
    expect(detail.workflow.definition.steps.length).toBe(3)
    expect(Object.keys(detail.steps).sort()).toEqual(['s0', 's1', 's2'])
    expect(detail.decisions).toEqual([])
    const ev = (await (
      await fetch(api(`/workflows/${result.workflow_id}/events?after_sequence=2&limit=3`))
    ).json()) as { events: Array<{ sequence: number }> }
    expect(ev.events.map((e) => e.sequence)).toEqual([3, 4, 5])
    const st = (await (
      await fetch(api(`/workflows/${result.workflow_id}/status?verbose=true`))
    ).json()) as {
      events: unknown[]
      events_total: number
    }
    expect(st.events.length).toBe(st.events_total)
  })

  test('404 for an unknown workflow and an unknown route, 409 for cancelling a finished run', async () => {
    const nf = await fetch(api('/workflows/nope/status'))
    expect(nf.status).toBe(404)
    expect(((await nf.json()) as { code: string }).code).toBe('NOT_FOUND')
    const route = await fetch(api('/planets'))
    expect(route.status).toBe(404)
    const run = (await (
      await post('/workflows', { template_name: 'c3', agent_id: 'a' })
    ).json()) as {
      workflow_id: string
    }
    const c = await post(`/workflows/${run.workflow_id}/cancel`, { agent_id: 'ops' })
    expect(c.status).toBe(409)
    expect(((await c.json()) as { code: string }).code).toBe('CONFLICT')
  })

  test('cancel stops a running workflow; signals and templates, decisions, agents, audit lists', async () => {
    await post('/templates', {
      name: 'sleepy',
      agent_id: 'a',
      definition: { steps: [{ id: 'nap', action: 'test.sleep', params: { ms: 5000 } }] },
    })
    const run = (await (
      await post('/workflows', { template_name: 'sleepy', agent_id: 'a', wait: false })
    ).json()) as { workflow_id: string }
    const c = await post(`/workflows/${run.workflow_id}/cancel`, {
      agent_id: 'ops',
      reason: 'test',
    })
    expect(c.status).toBe(200)
    expect(await c.json()).toEqual({ workflow_id: run.workflow_id, status: 'cancelled' })
    const sig = await post(`/workflows/${run.workflow_id}/signals`, { signal_type: 'cancel' })
    expect(sig.status).toBe(409)
    const tpl = (await (await fetch(api('/templates/c3'))).json()) as {
      name: string
      version: string
    }
    expect(tpl).toMatchObject({ name: 'c3', version: 'v1' })
    expect((await fetch(api('/templates/c3?version=v9'))).status).toBe(404)
    const all = (await (await fetch(api('/templates?latest=true'))).json()) as {
      templates: unknown[]
    }
    expect(all.templates.length).toBeGreaterThanOrEqual(2)
    expect(
      ((await (await fetch(api('/decisions?status=pending'))).json()) as { decisions: unknown[] })
        .decisions,
    ).toEqual([])
    const agents = (await (await fetch(api('/agents'))).json()) as { agents: Array<{ id: string }> }
    expect(agents.agents.map((a) => a.id)).toContain('api-agent')
    const audit = (await (await fetch(api('/audit?agent_id=ops'))).json()) as {
      audit: Array<{ action: string; details: { via: string } }>
    }
    expect(audit.audit[0]).toMatchObject({ action: 'workflow.cancel', details: { via: 'http' } })
    const stats = (await (await fetch(api('/stats'))).json()) as {
      workflows: Record<string, number>
    }
    expect(stats.workflows.cancelled).toBeGreaterThanOrEqual(1)
  })

  test('query and diagram are mounted too', async () => {
    const q = (await (
      await post('/query', { resource: 'templates', filter: { name: 'c3' } })
    ).json()) as {
      templates: unknown[]
    }
    expect(q.templates.length).toBe(1)
    const d = (await (await fetch(api('/diagram?format=ascii&template_name=c3'))).json()) as {
      format: string
      diagram: string
    }
    expect(d.format).toBe('ascii')
    expect(d.diagram).toContain('s2')
  })
})

/** Reads SSE frames from a response until `until` says stop. */
async function readFrames(
  res: Response,
  until: (frames: string[]) => boolean,
  timeoutMs = 5000,
): Promise<string[]> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader()
  const decoder = new TextDecoder()
  let buf = ''
  const frames: string[] = []
  const deadline = Date.now() + timeoutMs
  try {
    while (Date.now() < deadline && !until(frames)) {
      const { value, done } = await reader.read()
      if (done) break
      buf += decoder.decode(value, { stream: true })
      let i = buf.indexOf('\n\n')
      while (i !== -1) {
        frames.push(buf.slice(0, i))
        buf = buf.slice(i + 2)
        i = buf.indexOf('\n\n')
      }
    }
  } finally {
    await reader.cancel()
  }
  return frames
}

describe('event stream', () => {
  test('live events of a workflow carry id <workflow_id>:<seq>; heartbeats keep it open', async () => {
    const stream = await fetch(api('/events/stream?event_types=workflow_completed,step_completed'))
    expect(stream.headers.get('content-type')).toBe('text/event-stream')
    const run = post('/workflows', { template_name: 'c3', agent_id: 'sse' })
    const frames = await readFrames(
      stream,
      (f) =>
        f.some((x) => x.includes('workflow_completed')) && f.some((x) => x.includes('heartbeat')),
    )
    const id = ((await (await run).json()) as { workflow_id: string }).workflow_id
    const events = frames.filter((f) => f.startsWith('id: '))
    expect(events.length).toBe(4)
    expect(events[0]).toStartWith(`id: ${id}:`)
    const data = JSON.parse(events.at(-1)?.split('data: ')[1] ?? '{}') as Record<string, unknown>
    expect(data).toMatchObject({
      kind: 'stored',
      workflow_id: id,
      event_type: 'workflow_completed',
    })
    expect(frames.some((f) => f.includes(': heartbeat'))).toBe(true)
  })

  test('Last-Event-ID resumes after the given event with nothing missed or repeated', async () => {
    const run = (await (
      await post('/workflows', { template_name: 'c3', agent_id: 'sse' })
    ).json()) as {
      workflow_id: string
    }
    const id = run.workflow_id
    const total = (
      (await (await fetch(api(`/workflows/${id}/status`))).json()) as { events_total: number }
    ).events_total
    const res = await fetch(api(`/events/stream?workflow_id=${id}`), {
      headers: { 'Last-Event-ID': `${id}:3` },
    })
    const frames = await readFrames(
      res,
      (f) => f.filter((x) => x.startsWith('id: ')).length >= total - 3,
    )
    const seqs = frames
      .filter((f) => f.startsWith('id: '))
      .map((f) => Number(f.split('\n')[0]?.split(':').at(-1)))
    expect(seqs).toEqual(Array.from({ length: total - 3 }, (_, i) => i + 4))
  })

  test('workflow.emit events are streamed live as custom events', async () => {
    await post('/templates', {
      name: 'emitter',
      agent_id: 'a',
      definition: {
        steps: [
          { id: 'wait', action: 'test.sleep', params: { ms: 100 } },
          {
            id: 'e',
            action: 'workflow.emit',
            params: { event_type: 'deployed', payload: { v: 2 } },
            depends_on: ['wait'],
          },
        ],
      },
    })
    const stream = await fetch(api('/events/stream?event_types=deployed'))
    void post('/workflows', { template_name: 'emitter', agent_id: 'a' })
    const frames = await readFrames(stream, (f) => f.some((x) => x.includes('deployed')))
    const frame = frames.find((x) => x.includes('deployed')) ?? ''
    expect(frame.startsWith('id:')).toBe(false)
    expect(JSON.parse(frame.slice(frame.indexOf('data: ') + 6))).toMatchObject({
      kind: 'custom',
      event_type: 'deployed',
      payload: { v: 2 },
    })
  })
})
