/** 20 MCP sessions at once (both transports), each defining and running workflows concurrently. */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { call, chain, connect, startTestServer, type TestServer } from '../support/server.ts'

let srv: TestServer
beforeAll(async () => {
  srv = await startTestServer()
})
afterAll(async () => {
  await srv.stop()
})

test('20 concurrent sessions run workflows without interfering', async () => {
  const clients = await Promise.all(
    Array.from({ length: 20 }, (_, i) => connect(srv.url, i % 2 === 0 ? 'streamable' : 'sse')),
  )
  expect(srv.server.mcp.sessionCount).toBe(20)
  try {
    const results = await Promise.all(
      clients.map(async (client, i) => {
        const agent = `agent-${i}`
        await call(client, 'opcode.define', {
          name: `wf-${i}`,
          agent_id: agent,
          definition: chain(5),
        })
        const runs = await Promise.all(
          Array.from({ length: 5 }, () =>
            call(client, 'opcode.run', { template_name: `wf-${i}`, agent_id: agent }),
          ),
        )
        const q = await call(client, 'opcode.query', {
          resource: 'workflows',
          filter: { agent_id: agent },
        })
        return {
          runs: runs.map((r) => r.data.status),
          listed: (q.data.workflows as unknown[]).length,
        }
      }),
    )
    for (const r of results) {
      expect(r.runs).toEqual(['completed', 'completed', 'completed', 'completed', 'completed'])
      expect(r.listed).toBe(5)
    }
    expect(srv.server.svc.sessions.sessionCount).toBe(20)
  } finally {
    // SSE sessions end with their stream; Streamable ones when the client deletes them (DELETE).
    await Promise.all(
      clients.map(async (c) => {
        const t = c.transport
        if (t instanceof StreamableHTTPClientTransport) await t.terminateSession()
        await c.close()
      }),
    )
  }
  for (let i = 0; i < 50 && srv.server.mcp.sessionCount > 0; i++) await Bun.sleep(10)
  expect(srv.server.mcp.sessionCount).toBe(0)
  expect(srv.server.svc.sessions.sessionCount).toBe(0)
}, 60_000)
