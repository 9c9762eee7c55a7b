/**
 * mcporter (an outside MCP client, run as a child process) lists the server's tools and calls every
 * one of them over Streamable HTTP.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { join } from 'node:path'
import { startTestServer, type TestServer } from '../support/server.ts'

const CLI = join(import.meta.dir, '..', '..', 'node_modules', 'mcporter', 'dist', 'cli.js')
let srv: TestServer

beforeAll(async () => {
  srv = await startTestServer()
})
afterAll(async () => {
  await srv.stop()
})

async function mcporter(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const proc = Bun.spawn(
    ['bun', CLI, ...args, '--http-url', `${srv.url}/mcp`, '--allow-http', '--name', 'opcode'],
    { cwd: srv.dir, env: { ...process.env, HOME: srv.dir }, stdout: 'pipe', stderr: 'pipe' },
  )
  const timer = setTimeout(() => proc.kill(9), 30_000)
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ])
  clearTimeout(timer)
  return { code, out, err }
}

async function callTool(tool: string, args: unknown): Promise<Record<string, unknown>> {
  const r = await mcporter([
    'call',
    '--tool',
    tool,
    '--args',
    JSON.stringify(args),
    '--output',
    'json',
  ])
  expect({ tool, code: r.code }).toEqual({ tool, code: 0 })
  return JSON.parse(r.out) as Record<string, unknown>
}

test('mcporter lists the six tools with their schemas', async () => {
  const r = await mcporter(['list', '--json'])
  expect(r.code).toBe(0)
  const listed = JSON.parse(r.out) as {
    status: string
    tools: Array<{ name: string; inputSchema: unknown }>
  }
  expect(listed.status).toBe('ok')
  expect(listed.tools.map((t) => t.name).sort()).toEqual([
    'opcode.define',
    'opcode.diagram',
    'opcode.query',
    'opcode.run',
    'opcode.signal',
    'opcode.status',
  ])
}, 60_000)

test('mcporter calls every tool', async () => {
  const definition = {
    steps: [
      { id: 'ask', type: 'reasoning', config: { prompt_context: 'ok?', options: [{ id: 'yes' }] } },
      { id: 'done', action: 'test.echo', params: { ok: true }, depends_on: ['ask'] },
    ],
  }
  expect(
    await callTool('opcode.define', { name: 'porter', agent_id: 'mcporter', definition }),
  ).toEqual({
    name: 'porter',
    version: 'v1',
  })
  const run = await callTool('opcode.run', { template_name: 'porter', agent_id: 'mcporter' })
  expect(run.status).toBe('suspended')
  const id = run.workflow_id as string
  const status = await callTool('opcode.status', { workflow_id: id })
  expect((status.pending_decisions as unknown[]).length).toBe(1)
  const sig = await callTool('opcode.signal', {
    workflow_id: id,
    signal_type: 'decision',
    step_id: 'ask',
    payload: { choice: 'yes' },
  })
  expect(sig.status).toBe('completed')
  const q = await callTool('opcode.query', {
    resource: 'workflows',
    filter: { agent_id: 'mcporter' },
  })
  expect((q.workflows as unknown[]).length).toBe(1)
  const d = await callTool('opcode.diagram', { format: 'ascii', workflow_id: id })
  expect(d.diagram as string).toContain('[OK]')
}, 120_000)
