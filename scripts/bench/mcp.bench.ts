/**
 * MCP suite (issue 7): tool calls through the SDK's real Client against a real server on loopback
 * (durable SQLite file in a temp dir): `opcode.status` of a finished 10-step run and `opcode.run` of
 * a 10-step workflow of no-op steps, over Streamable HTTP and legacy SSE; throughput of 10 sessions
 * calling at once. Payload sizes (tools/list, opcode.status) are reported in the notes.
 * Targets: status p50 ≤ 0.5 ms, run p50 ≤ 1 ms, tools/list ≤ 16 KB, status of 10 steps ≤ 6 KB.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { Type } from '@sinclair/typebox'
import { resolveConfig } from '../../src/config/index.ts'
import type { Action } from '../../src/engine/ports.ts'
import { startServer } from '../../src/server.ts'
import type { BenchCase, BenchSuite } from './lib.ts'

const noop: Action = {
  name: 'noop',
  description: 'bench-only no-op',
  params: Type.Object({}),
  pure: true,
  execute: () => undefined,
}
const quiet = { debug() {}, info() {}, warn() {}, error() {} }

const tenSteps = {
  steps: Array.from({ length: 10 }, (_, i) => ({
    id: `step_${i}`,
    action: 'noop',
    ...(i === 0 ? {} : { depends_on: [`step_${i - 1}`] }),
  })),
}

async function client(url: string, kind: 'streamable' | 'sse'): Promise<Client> {
  const c = new Client({ name: 'bench', version: '1' })
  await c.connect(
    kind === 'sse'
      ? new SSEClientTransport(new URL(`${url}/sse`))
      : new StreamableHTTPClientTransport(new URL(`${url}/mcp`)),
  )
  return c
}

export const suite: BenchSuite = {
  name: 'mcp',
  async cases(): Promise<BenchCase[]> {
    const dir = mkdtempSync(join(tmpdir(), 'opcode-bench-mcp-'))
    const config = resolveConfig({
      env: {},
      flags: { listenAddr: '127.0.0.1:0', dbPath: join(dir, 'bench.db') },
      settings: { http: { rate_per_second: 1e9, rate_burst: 1e9 } },
      home: dir,
      dataDir: join(dir, '.opcode'),
      settingsPath: join(dir, '.opcode', 'settings.json'),
      cwd: dir,
    })
    const server = await startServer({ config, logger: quiet, version: 'bench', actions: [noop] })
    const streamable = await client(server.url, 'streamable')
    const sse = await client(server.url, 'sse')
    await streamable.callTool({
      name: 'opcode.define',
      arguments: { name: 'ten', agent_id: 'bench', definition: tenSteps },
    })
    const run = await streamable.callTool({
      name: 'opcode.run',
      arguments: { template_name: 'ten', agent_id: 'bench' },
    })
    const workflowId = (run.structuredContent as { workflow_id: string }).workflow_id
    const tools = await streamable.listTools()
    const toolsBytes = Buffer.byteLength(JSON.stringify(tools))
    const status = await streamable.callTool({
      name: 'opcode.status',
      arguments: { workflow_id: workflowId },
    })
    const statusBytes = Buffer.byteLength(JSON.stringify(status.structuredContent))
    const sizes = `tools/list ${toolsBytes} B (≤ 16384), status of a 10-step run ${statusBytes} B (≤ 6144)`

    const sessions = await Promise.all(
      Array.from({ length: 10 }, (_, i) => client(server.url, i % 2 === 0 ? 'streamable' : 'sse')),
    )
    let closed = false
    const teardown = async (): Promise<void> => {
      if (closed) return
      closed = true
      await Promise.allSettled([streamable, sse, ...sessions].map((c) => c.close()))
      await server.stop(1000)
      rmSync(dir, { recursive: true, force: true })
    }
    const statusArgs = { name: 'opcode.status', arguments: { workflow_id: workflowId } }
    const runArgs = { name: 'opcode.run', arguments: { template_name: 'ten', agent_id: 'bench' } }
    return [
      {
        scenario: 'tools/call opcode.status (streamable)',
        reference_ns: null,
        run: () => streamable.callTool(statusArgs),
        note: `target p50 ≤ 0.5 ms; ${sizes}`,
      },
      {
        scenario: 'tools/call opcode.status (sse)',
        reference_ns: null,
        run: () => sse.callTool(statusArgs),
        note: 'target p50 ≤ 0.5 ms',
      },
      {
        scenario: 'tools/call opcode.run 10 steps (streamable)',
        reference_ns: null,
        run: () => streamable.callTool(runArgs),
        note: 'target p50 ≤ 1 ms (durable SQLite)',
      },
      {
        scenario: 'tools/call opcode.run 10 steps (sse)',
        reference_ns: null,
        run: () => sse.callTool(runArgs),
        note: 'target p50 ≤ 1 ms (durable SQLite)',
      },
      {
        scenario: '10 sessions × 10 opcode.status calls',
        reference_ns: null,
        opsPerRun: 100,
        run: () =>
          Promise.all(
            sessions.map(async (c) => {
              for (let i = 0; i < 10; i++) await c.callTool(statusArgs)
            }),
          ),
        note: 'ops/s = tool calls per second across sessions',
      },
      {
        scenario: '10 sessions × 1 opcode.run 10 steps',
        reference_ns: null,
        opsPerRun: 10,
        run: () => Promise.all(sessions.map((c) => c.callTool(runArgs))),
        note: 'ops/s = workflows per second across sessions',
        teardown,
      },
    ]
  },
}
