/**
 * A raw battery against the HTTP surfaces: malformed JSON-RPC, wrong params, unknown tools and
 * sessions, huge bodies, bad Origin and Host (DNS rebinding), missing or wrong tokens, no CORS, and
 * the per-session bound on tool calls. Nothing here may crash or hang the server.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { call, connect, startTestServer, type TestServer } from '../support/server.ts'

const MCP_HEADERS = {
  'Content-Type': 'application/json',
  Accept: 'application/json, text/event-stream',
}
const init = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 'raw', version: '1' },
  },
}

/** Reads a Streamable HTTP response (JSON or one SSE message) as a JSON-RPC message. */
async function rpcBody(res: Response): Promise<Record<string, unknown>> {
  const text = await res.text()
  if ((res.headers.get('content-type') ?? '').includes('text/event-stream')) {
    const line = text.split('\n').find((l) => l.startsWith('data: '))
    return JSON.parse(line?.slice(6) ?? '{}') as Record<string, unknown>
  }
  return JSON.parse(text) as Record<string, unknown>
}

describe('loopback server without a token', () => {
  let srv: TestServer
  beforeAll(async () => {
    srv = await startTestServer({
      settings: { http: { rate_per_second: 5, rate_burst: 5, max_body_bytes: 256 * 1024 } },
    })
  })
  afterAll(async () => {
    await srv.stop()
  })

  test('malformed JSON on /mcp and /message is a JSON-RPC parse error (400)', async () => {
    const r = await fetch(`${srv.url}/mcp`, {
      method: 'POST',
      headers: MCP_HEADERS,
      body: '{"jsonrpc": "2.0", ',
    })
    expect(r.status).toBe(400)
    expect(((await r.json()) as { error: { code: number } }).error.code).toBe(-32700)
    const m = await fetch(`${srv.url}/message?sessionId=nope`, { method: 'POST', body: '{' })
    expect(m.status).toBe(400)
    expect(((await m.json()) as { error: { message: string } }).error.message).toBe(
      'Invalid session ID',
    )
    const noSid = await fetch(`${srv.url}/message`, { method: 'POST', body: '{}' })
    expect(((await noSid.json()) as { error: { message: string } }).error.message).toBe(
      'Missing sessionId',
    )
  })

  test('requests without a session, with an unknown session, or that are not JSON-RPC are refused', async () => {
    const noSession = await fetch(`${srv.url}/mcp`, {
      method: 'POST',
      headers: MCP_HEADERS,
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    })
    expect(noSession.status).toBe(400)
    const unknown = await fetch(`${srv.url}/mcp`, {
      method: 'POST',
      headers: { ...MCP_HEADERS, 'mcp-session-id': 'forged' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    })
    expect(unknown.status).toBe(404)
    const batch = await fetch(`${srv.url}/mcp`, {
      method: 'POST',
      headers: MCP_HEADERS,
      body: '[1, 2, 3]',
    })
    expect(batch.status).toBe(400)
  })

  test('a raw session: unknown method -32601, unknown tool -32602, wrong params isError', async () => {
    const r = await fetch(`${srv.url}/mcp`, {
      method: 'POST',
      headers: MCP_HEADERS,
      body: JSON.stringify(init),
    })
    expect(r.status).toBe(200)
    const sid = r.headers.get('mcp-session-id') as string
    expect(sid).toBeTruthy()
    await rpcBody(r)
    const send = async (msg: unknown) =>
      fetch(`${srv.url}/mcp`, {
        method: 'POST',
        headers: { ...MCP_HEADERS, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' },
        body: JSON.stringify(msg),
      })
    expect((await send({ jsonrpc: '2.0', method: 'notifications/initialized' })).status).toBe(202)
    const m = await rpcBody(await send({ jsonrpc: '2.0', id: 2, method: 'resources/list' }))
    expect((m.error as { code: number }).code).toBe(-32601)
    const t = await rpcBody(
      await send({
        jsonrpc: '2.0',
        id: 3,
        method: 'tools/call',
        params: { name: 'nope', arguments: {} },
      }),
    )
    expect((t.error as { code: number; message: string }).code).toBe(-32602)
    expect((t.error as { message: string }).message).toContain("tool 'nope' not found")
    const w = await rpcBody(
      await send({
        jsonrpc: '2.0',
        id: 4,
        method: 'tools/call',
        params: { name: 'opcode.status', arguments: { workflow_id: { id: 42 } } },
      }),
    )
    const result = w.result as { isError: boolean; structuredContent: { code: string } }
    expect(result.isError).toBe(true)
    expect(result.structuredContent.code).toBe('VALIDATION_ERROR')
    const del = await fetch(`${srv.url}/mcp`, {
      method: 'DELETE',
      headers: { 'mcp-session-id': sid },
    })
    expect(del.status).toBe(200)
    expect((await send({ jsonrpc: '2.0', id: 5, method: 'tools/list' })).status).toBe(404)
  })

  test('bodies over the limit are refused with 413 before they are read', async () => {
    const big = JSON.stringify({
      name: 'x',
      agent_id: 'a',
      definition: { steps: [], pad: 'x'.repeat(300_000) },
    })
    const r = await fetch(`${srv.url}/api/v1/templates`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: big,
    })
    expect(r.status).toBe(413)
    expect(((await r.json()) as { code: string }).code).toBe('PAYLOAD_TOO_LARGE')
    const m = await fetch(`${srv.url}/mcp`, { method: 'POST', headers: MCP_HEADERS, body: big })
    expect(m.status).toBe(413)
  })

  test('a foreign Origin is refused on every protected path; the own origin is accepted', async () => {
    for (const path of ['/mcp', '/sse', '/message?sessionId=x', '/api/v1/workflows']) {
      const r = await fetch(`${srv.url}${path}`, { headers: { Origin: 'https://evil.example' } })
      expect({ path, status: r.status }).toEqual({ path, status: 403 })
      expect(r.headers.get('access-control-allow-origin')).toBeNull()
    }
    const nullOrigin = await fetch(`${srv.url}/api/v1/workflows`, { headers: { Origin: 'null' } })
    expect(nullOrigin.status).toBe(403)
    const own = await fetch(`${srv.url}/api/v1/workflows`, { headers: { Origin: srv.url } })
    expect(own.status).toBe(200)
    const preflight = await fetch(`${srv.url}/api/v1/workflows`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' },
    })
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull()
  })

  test('a Host that is not a loopback name is refused (DNS rebinding)', async () => {
    const r = await fetch(`${srv.url}/api/v1/workflows`, { headers: { Host: 'attacker.example' } })
    expect(r.status).toBe(403)
    expect(((await r.json()) as { message: string }).message).toContain('DNS rebinding')
  })

  test('a wrong token is refused even on loopback; no token is fine there', async () => {
    expect((await fetch(`${srv.url}/api/v1/workflows`)).status).toBe(200)
  })

  test('tool calls beyond the per-session rate get RATE_LIMITED', async () => {
    const client = await connect(srv.url, 'streamable')
    try {
      const codes: string[] = []
      for (let i = 0; i < 8; i++) {
        const r = await call(client, 'opcode.query', { resource: 'agents' })
        codes.push(r.result.isError ? (r.data.code as string) : 'ok')
      }
      expect(codes.slice(0, 5)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok'])
      expect(codes.slice(5)).toEqual(['RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED'])
    } finally {
      await client.close()
    }
  })
})

describe('token configured', () => {
  let srv: TestServer
  beforeAll(async () => {
    srv = await startTestServer({ settings: { auth_token: 'sekret-token-123' } })
  })
  afterAll(async () => {
    await srv.stop()
  })

  test('on loopback a missing token is accepted but a wrong one is 401', async () => {
    expect((await fetch(`${srv.url}/api/v1/agents`)).status).toBe(200)
    const wrong = await fetch(`${srv.url}/api/v1/agents`, {
      headers: { Authorization: 'Bearer nope' },
    })
    expect(wrong.status).toBe(401)
    expect(wrong.headers.get('www-authenticate')).toBe('Bearer')
    const right = await fetch(`${srv.url}/api/v1/agents`, {
      headers: { Authorization: 'Bearer sekret-token-123' },
    })
    expect(right.status).toBe(200)
  })
})

describe('exposed server (0.0.0.0)', () => {
  let srv: TestServer
  beforeAll(async () => {
    srv = await startTestServer({ listenAddr: '0.0.0.0:0', settings: { auth_token: 'tok-abcdef' } })
  })
  afterAll(async () => {
    await srv.stop()
  })

  test('the token is required on /mcp, /sse and /api; /healthz stays open', async () => {
    const url = srv.url
    for (const path of ['/mcp', '/sse', '/api/v1/agents']) {
      const r = await fetch(`${url}${path}`)
      expect({ path, status: r.status }).toEqual({ path, status: 401 })
    }
    expect((await fetch(`${url}/healthz`)).status).toBe(200)
    const ok = await fetch(`${url}/api/v1/agents`, {
      headers: { Authorization: 'Bearer tok-abcdef' },
    })
    expect(ok.status).toBe(200)
  })

  test('MCP clients with the token work over both transports', async () => {
    for (const kind of ['streamable', 'sse'] as const) {
      const client = await connect(srv.url, kind, { Authorization: 'Bearer tok-abcdef' })
      const { tools } = await client.listTools()
      expect(tools.length).toBe(6)
      await client.close()
    }
    await expect(connect(srv.url, 'streamable')).rejects.toThrow()
  })
})
