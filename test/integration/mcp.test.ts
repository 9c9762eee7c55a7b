/**
 * The six MCP tools through the SDK's real Client, over Streamable HTTP and legacy SSE, against a
 * real server on loopback with a temp database.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import {
  type CallToolResult,
  LoggingMessageNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js'
import { listAudit } from '../../src/store/records.ts'
import {
  call,
  chain,
  connect,
  startTestServer,
  type TestServer,
  type TransportKind,
} from '../support/server.ts'

let srv: TestServer

beforeAll(async () => {
  srv = await startTestServer()
})
afterAll(async () => {
  await srv.stop()
})

const decisionFlow = {
  steps: [
    { id: 'prep', action: 'test.echo', params: { n: 1 } },
    {
      id: 'review',
      type: 'reasoning',
      depends_on: ['prep'],
      config: { prompt_context: 'ship it?', options: [{ id: 'yes' }, { id: 'no' }] },
    },
    { id: 'after', action: 'test.echo', params: { done: true }, depends_on: ['review'] },
  ],
}

describe.each(['streamable', 'sse'] as TransportKind[])('MCP over %s', (kind) => {
  let client: Client
  const agent = `agent-${kind}`
  beforeAll(async () => {
    client = await connect(srv.url, kind)
  })
  afterAll(async () => {
    await client.close()
  })

  test('initialize declares tools and logging, with instructions naming the six tools', () => {
    const caps = client.getServerCapabilities()
    expect(caps?.tools).toBeDefined()
    expect(caps?.logging).toBeDefined()
    expect(client.getServerVersion()).toEqual({ name: 'opcode', version: '1.0.0' })
    const instructions = client.getInstructions() ?? ''
    for (const t of ['define', 'run', 'status', 'signal', 'query', 'diagram'])
      expect(instructions).toContain(`opcode.${t}`)
  })

  test('tools/list: six tools, every parameter described, read-only ones annotated, under 16 KB', async () => {
    const { tools } = await client.listTools()
    expect(tools.map((t) => t.name)).toEqual([
      'opcode.define',
      'opcode.run',
      'opcode.status',
      'opcode.signal',
      'opcode.query',
      'opcode.diagram',
    ])
    for (const t of tools) {
      expect(t.description?.length).toBeGreaterThan(40)
      const props = (t.inputSchema.properties ?? {}) as Record<string, { description?: string }>
      for (const [name, p] of Object.entries(props)) {
        expect({ tool: t.name, name, d: (p.description ?? '').length > 10 }).toEqual({
          tool: t.name,
          name,
          d: true,
        })
      }
      const ro = ['opcode.status', 'opcode.query', 'opcode.diagram'].includes(t.name)
      expect(t.annotations?.readOnlyHint).toBe(ro)
    }
    expect(tools.find((t) => t.name === 'opcode.run')?.inputSchema.required).toEqual([
      'template_name',
      'agent_id',
    ])
    expect(JSON.stringify({ tools }).length).toBeLessThanOrEqual(16 * 1024)
  })

  test('define validates, stores v1 then v2, and registers the agent', async () => {
    const a = await call(client, 'opcode.define', {
      name: `chain-${kind}`,
      agent_id: agent,
      definition: chain(3),
    })
    expect(a.result.isError).toBeFalsy()
    expect(a.data).toEqual({ name: `chain-${kind}`, version: 'v1' })
    expect(JSON.parse((a.result.content[0] as { text: string }).text)).toEqual(a.data)
    const b = await call(client, 'opcode.define', {
      name: `chain-${kind}`,
      agent_id: agent,
      definition: chain(2),
    })
    expect(b.data.version).toBe('v2')
    const agents = await call(client, 'opcode.query', { resource: 'agents' })
    expect((agents.data.agents as Array<{ id: string }>).map((x) => x.id)).toContain(agent)
  })

  test('define of an invalid definition is an isError result with every issue', async () => {
    const r = await call(client, 'opcode.define', {
      name: 'broken',
      agent_id: agent,
      definition: {
        steps: [
          { id: 'a', action: 'no.such.action', depends_on: ['ghost'] },
          { id: 'a', action: 'test.echo' },
        ],
      },
    })
    expect(r.result.isError).toBe(true)
    expect((r.result.content[0] as { text: string }).text).toStartWith('[VALIDATION_ERROR] ')
    expect(r.data.code).toBe('VALIDATION_ERROR')
    const issues = r.data.issues as Array<{ path: string; severity: string; message: string }>
    expect(issues.length).toBeGreaterThanOrEqual(3)
    expect(issues.map((i) => i.path)).toContain('/steps/0/depends_on/0')
    const stored = await call(client, 'opcode.query', {
      resource: 'templates',
      filter: { name: 'broken' },
    })
    expect(stored.data.templates).toEqual([])
  })

  test('run waits for completion and returns the execution result', async () => {
    const r = await call(client, 'opcode.run', { template_name: `chain-${kind}`, agent_id: agent })
    expect(r.result.isError).toBeFalsy()
    expect(r.data.status).toBe('completed')
    const steps = r.data.steps as Record<string, { status: string }>
    expect(Object.keys(steps).sort()).toEqual(['s0', 's1'])
    const v1 = await call(client, 'opcode.run', {
      template_name: `chain-${kind}`,
      agent_id: agent,
      version: 'v1',
    })
    expect(Object.keys(v1.data.steps as object).sort()).toEqual(['s0', 's1', 's2'])
  })

  test('run with wait=false returns the id at once; status shows it finish', async () => {
    await call(client, 'opcode.define', {
      name: `slow-${kind}`,
      agent_id: agent,
      definition: { steps: [{ id: 'nap', action: 'test.sleep', params: { ms: 200 } }] },
    })
    const r = await call(client, 'opcode.run', {
      template_name: `slow-${kind}`,
      agent_id: agent,
      wait: false,
    })
    expect(['pending', 'active']).toContain(r.data.status as string)
    const id = r.data.workflow_id as string
    let status = ''
    for (let i = 0; i < 100 && status !== 'completed'; i++) {
      await Bun.sleep(20)
      status = (await call(client, 'opcode.status', { workflow_id: id })).data.status as string
    }
    expect(status).toBe('completed')
  })

  test('run sends progress notifications when the client asks for them', async () => {
    const seen: Array<{ progress: number; total?: number }> = []
    const r = (await client.callTool(
      {
        name: 'opcode.run',
        arguments: { template_name: `chain-${kind}`, agent_id: agent, version: 'v1' },
      },
      undefined,
      { onprogress: (p) => seen.push(p) },
    )) as CallToolResult
    expect((r.structuredContent as { status: string }).status).toBe('completed')
    expect(seen.map((p) => p.progress)).toEqual([1, 2, 3])
    expect(seen.every((p) => p.total === 3)).toBe(true)
  })

  test('a failed workflow is a normal result with status failed', async () => {
    await call(client, 'opcode.define', {
      name: `fails-${kind}`,
      agent_id: agent,
      definition: { steps: [{ id: 'bad', action: 'test.fail', params: { message: 'nope' } }] },
    })
    const r = await call(client, 'opcode.run', { template_name: `fails-${kind}`, agent_id: agent })
    expect(r.result.isError).toBeFalsy()
    expect(r.data.status).toBe('failed')
    expect((r.data.error as { message: string }).message).toContain('nope')
  })

  test('run checks params against input_schema after merging definition inputs', async () => {
    await call(client, 'opcode.define', {
      name: `typed-${kind}`,
      agent_id: agent,
      definition: {
        inputs: { region: 'eu' },
        steps: [
          {
            id: 'e',
            action: 'test.echo',
            params: { n: '${{inputs.count}}', r: '${{inputs.region}}' },
          },
        ],
      },
      input_schema: {
        type: 'object',
        required: ['count', 'region'],
        properties: { count: { type: 'integer', minimum: 1 }, region: { enum: ['eu', 'us'] } },
      },
    })
    const ok = await call(client, 'opcode.run', {
      template_name: `typed-${kind}`,
      agent_id: agent,
      params: { count: 2 },
    })
    expect(ok.data.status).toBe('completed')
    expect((ok.data.steps as Record<string, { output: unknown }>).e?.output).toEqual({
      n: 2,
      r: 'eu',
    })
    const bad = await call(client, 'opcode.run', {
      template_name: `typed-${kind}`,
      agent_id: agent,
      params: { count: 0, region: 'mars' },
    })
    expect(bad.result.isError).toBe(true)
    expect(bad.data.code).toBe('VALIDATION_ERROR')
    const problems = (bad.data.details as { problems: Array<{ path: string }> }).problems
    expect(problems.map((p) => p.path).sort()).toEqual(['/params/count', '/params/region'])
    const missing = await call(client, 'opcode.run', { template_name: 'nope', agent_id: agent })
    expect(missing.data.code).toBe('NOT_FOUND')
    expect((missing.result.content[0] as { text: string }).text).toBe(
      '[NOT_FOUND] template "nope" not found',
    )
  })

  test('decision flow: run suspends, status lists the decision, signal resumes to completion', async () => {
    await call(client, 'opcode.define', {
      name: `review-${kind}`,
      agent_id: agent,
      definition: decisionFlow,
    })
    const r = await call(client, 'opcode.run', { template_name: `review-${kind}`, agent_id: agent })
    expect(r.data.status).toBe('suspended')
    const id = r.data.workflow_id as string
    const pending = r.data.pending_decisions as Array<{
      step_id: string
      options: Array<{ id: string }>
    }>
    expect(pending[0]?.step_id).toBe('review')
    const s = await call(client, 'opcode.status', { workflow_id: id })
    expect((s.data.pending_decisions as unknown[]).length).toBe(1)
    const wrong = await call(client, 'opcode.signal', {
      workflow_id: id,
      signal_type: 'decision',
      step_id: 'review',
      payload: { choice: 'maybe' },
    })
    expect(wrong.data.code).toBe('VALIDATION_ERROR')
    const sig = await call(client, 'opcode.signal', {
      workflow_id: id,
      signal_type: 'decision',
      step_id: 'review',
      payload: { choice: 'yes' },
      agent_id: agent,
      reasoning: 'looks fine',
    })
    expect(sig.data).toMatchObject({
      ok: true,
      workflow_id: id,
      signal_type: 'decision',
      resumed: true,
      status: 'completed',
    })
    const again = await call(client, 'opcode.signal', {
      workflow_id: id,
      signal_type: 'decision',
      step_id: 'review',
      payload: { choice: 'no' },
    })
    expect(again.data.code).toBe('CONFLICT')
  })

  test('cancel signal ends a suspended workflow; unknown workflow is NOT_FOUND', async () => {
    const r = await call(client, 'opcode.run', { template_name: `review-${kind}`, agent_id: agent })
    const id = r.data.workflow_id as string
    const c = await call(client, 'opcode.signal', {
      workflow_id: id,
      signal_type: 'cancel',
      agent_id: agent,
    })
    expect(c.data).toMatchObject({ ok: true, status: 'cancelled' })
    const nf = await call(client, 'opcode.signal', {
      workflow_id: 'missing',
      signal_type: 'cancel',
    })
    expect(nf.data.code).toBe('NOT_FOUND')
    const bad = await call(client, 'opcode.signal', { workflow_id: id, signal_type: 'explode' })
    expect(bad.data.code).toBe('VALIDATION_ERROR')
  })

  test('status: latest 20 events and events_total by default, all with verbose', async () => {
    const r = await call(client, 'opcode.run', {
      template_name: `chain-${kind}`,
      agent_id: agent,
      version: 'v1',
    })
    const id = r.data.workflow_id as string
    const s = await call(client, 'opcode.status', { workflow_id: id })
    const total = s.data.events_total as number
    expect(total).toBeGreaterThan(6)
    const events = s.data.events as Array<{ sequence: number }>
    expect(events.length).toBe(Math.min(20, total))
    expect(events.at(-1)?.sequence).toBe(total)
    expect(s.data.children).toEqual([])
    const steps = s.data.steps as Record<string, { status: string; retry_count: number }>
    expect(steps.s2).toMatchObject({ status: 'completed', retry_count: 0 })
    const v = await call(client, 'opcode.status', { workflow_id: id, verbose: true })
    expect((v.data.events as unknown[]).length).toBe(total)
  })

  test('query: every resource, filters, paging, [] never null, unknown resource', async () => {
    const wf = await call(client, 'opcode.query', {
      resource: 'workflows',
      filter: { agent_id: agent, status: 'completed', limit: 2 },
    })
    const rows = wf.data.workflows as Array<{ agent_id: string; status: string }>
    expect(rows.length).toBe(2)
    expect(rows.every((w) => w.agent_id === agent && w.status === 'completed')).toBe(true)
    expect(wf.data.next_offset).toBe(2)
    const page2 = await call(client, 'opcode.query', {
      resource: 'workflows',
      filter: { agent_id: agent, status: 'completed', limit: 2, offset: 2 },
    })
    expect((page2.data.workflows as unknown[]).length).toBeGreaterThan(0)
    const none = await call(client, 'opcode.query', {
      resource: 'workflows',
      filter: { agent_id: 'nobody' },
    })
    expect(none.data.workflows).toEqual([])
    const tpl = await call(client, 'opcode.query', {
      resource: 'templates',
      filter: JSON.stringify({ name: `chain-${kind}` }),
    })
    expect((tpl.data.templates as Array<{ version: string }>).map((t) => t.version)).toEqual([
      'v2',
      'v1',
    ])
    const ev = await call(client, 'opcode.query', {
      resource: 'events',
      filter: { event_type: 'workflow_completed', limit: '3' },
    })
    expect(
      (ev.data.events as Array<{ event_type: string }>).every(
        (e) => e.event_type === 'workflow_completed',
      ),
    ).toBe(true)
    const dec = await call(client, 'opcode.query', {
      resource: 'decisions',
      filter: { status: 'resolved' },
    })
    expect((dec.data.decisions as unknown[]).length).toBeGreaterThan(0)
    const unknown = await call(client, 'opcode.query', { resource: 'planets' })
    expect(unknown.data.code).toBe('VALIDATION_ERROR')
  })

  test('diagram: ascii and mermaid text, PNG as an image content item', async () => {
    const a = await call(client, 'opcode.diagram', {
      format: 'ascii',
      template_name: `review-${kind}`,
    })
    expect(a.data.format).toBe('ascii')
    expect(a.data.diagram as string).toContain('review')
    const r = await call(client, 'opcode.run', { template_name: `chain-${kind}`, agent_id: agent })
    const m = await call(client, 'opcode.diagram', {
      format: 'mermaid',
      workflow_id: r.data.workflow_id,
      include_status: 'true',
    })
    expect(m.data.diagram as string).toStartWith('graph TD')
    expect(m.data.diagram as string).toContain('completed')
    const img = await call(client, 'opcode.diagram', {
      format: 'image',
      template_name: `chain-${kind}`,
    })
    const item = img.result.content[0] as { type: string; mimeType: string; data: string }
    expect(item.type).toBe('image')
    expect(item.mimeType).toBe('image/png')
    expect([...Buffer.from(item.data, 'base64').subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47])
    const none = await call(client, 'opcode.diagram', { format: 'ascii' })
    expect(none.data.code).toBe('VALIDATION_ERROR')
    const badFormat = await call(client, 'opcode.diagram', { format: 'pdf', template_name: 'x' })
    expect(badFormat.data.code).toBe('VALIDATION_ERROR')
  })

  test('workflow.notify reaches the owner agent as a logging notification', async () => {
    const messages: unknown[] = []
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      messages.push(n.params)
    })
    await call(client, 'opcode.define', {
      name: `notify-${kind}`,
      agent_id: agent,
      definition: {
        steps: [
          {
            id: 'tell',
            action: 'workflow.notify',
            params: { message: 'hello agent', data: { k: 1 } },
          },
        ],
      },
    })
    const r = await call(client, 'opcode.run', { template_name: `notify-${kind}`, agent_id: agent })
    expect((r.data.steps as Record<string, { output: unknown }>).tell?.output).toEqual({
      notified: true,
    })
    for (let i = 0; i < 50 && messages.length === 0; i++) await Bun.sleep(10)
    expect(messages[0]).toEqual({
      level: 'info',
      logger: 'opcode',
      data: {
        message: 'hello agent',
        workflow_id: r.data.workflow_id,
        step_id: 'tell',
        data: { k: 1 },
      },
    })
  })

  test('unknown tool is a JSON-RPC error; bad arguments are isError results', async () => {
    await expect(client.callTool({ name: 'opcode.explode', arguments: {} })).rejects.toThrow(
      "tool 'opcode.explode' not found",
    )
    const r = await call(client, 'opcode.run', { agent_id: agent })
    expect(r.result.isError).toBe(true)
    expect(r.data.code).toBe('VALIDATION_ERROR')
    expect(r.data.message).toContain('template_name is required')
  })

  test('mutations are audited with the agent and the transport', () => {
    const rows = listAudit(srv.server.runtime.store, { agent_id: agent, limit: 500 })
    const actions = new Set(rows.map((r) => r.action))
    expect(actions.has('template.define')).toBe(true)
    expect(actions.has('workflow.run')).toBe(true)
    expect(actions.has('workflow.signal.decision')).toBe(true)
    expect(rows[0]?.details).toMatchObject({ via: 'mcp' })
  })
})

describe('sub-workflows', () => {
  test('status lists children with their pending decisions', async () => {
    const client = await connect(srv.url, 'streamable')
    try {
      await call(client, 'opcode.define', {
        name: 'child-review',
        agent_id: 'p',
        definition: decisionFlow,
      })
      await call(client, 'opcode.define', {
        name: 'parent',
        agent_id: 'p',
        definition: {
          steps: [{ id: 'sub', action: 'workflow.run', params: { template_name: 'child-review' } }],
        },
      })
      const r = await call(client, 'opcode.run', { template_name: 'parent', agent_id: 'p' })
      expect(r.data.status).toBe('suspended')
      const s = await call(client, 'opcode.status', { workflow_id: r.data.workflow_id })
      const children = s.data.children as Array<{
        workflow_id: string
        status: string
        pending_decisions: Array<{ step_id: string }>
      }>
      expect(children.length).toBe(1)
      expect(children[0]?.status).toBe('suspended')
      expect(children[0]?.pending_decisions[0]?.step_id).toBe('review')
      const sig = await call(client, 'opcode.signal', {
        workflow_id: children[0]?.workflow_id,
        signal_type: 'decision',
        step_id: 'review',
        payload: { choice: 'yes' },
      })
      expect(sig.data.status).toBe('completed')
      let parent = ''
      for (let i = 0; i < 100 && parent !== 'completed'; i++) {
        await Bun.sleep(10)
        parent = (await call(client, 'opcode.status', { workflow_id: r.data.workflow_id })).data
          .status as string
      }
      expect(parent).toBe('completed')
    } finally {
      await client.close()
    }
  })
})
