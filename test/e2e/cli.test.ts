/**
 * The CLI end to end through real child processes with HOME in a temp dir: serve, the client
 * commands over /api/v1, local read-only commands beside the server, refusals (port in use,
 * database held), graceful SIGTERM, install/stop, version, and the stdio bridge.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { cliEnv, freePort, MAIN, opcode, type ServeProcess, serve } from '../support/cli.ts'
import { tempDir } from '../support/tmp.ts'

const chain = {
  steps: [
    { id: 'a', action: 'crypto.uuid' },
    { id: 'b', action: 'assert.truthy', params: { value: true }, depends_on: ['a'] },
  ],
}
const review = {
  steps: [
    {
      id: 'review',
      type: 'reasoning',
      config: { prompt_context: 'go?', options: [{ id: 'go' }, { id: 'stop' }] },
    },
    { id: 'after', action: 'crypto.uuid', depends_on: ['review'] },
  ],
}

describe('with a running server', () => {
  const tmp = tempDir('opcode-cli-')
  let srv: ServeProcess
  let env: Record<string, string>
  const db = tmp.path('data/opcode.db')

  beforeAll(async () => {
    writeFileSync(tmp.path('chain.json'), JSON.stringify(chain))
    writeFileSync(tmp.path('review.json'), JSON.stringify(review))
    writeFileSync(tmp.path('bad.json'), JSON.stringify({ steps: [{ id: 'x', action: 'nope' }] }))
    srv = await serve(tmp.dir, ['--db-path', db])
    env = { OPCODE_LISTEN_ADDR: srv.url.replace('http://', '') }
  })
  afterAll(async () => {
    srv.proc.kill('SIGTERM')
    await srv.proc.exited
    tmp.cleanup()
  })

  test('define, run --template, status, query and diagram talk to the server', async () => {
    const d = await opcode(tmp.dir, ['define', 'chain', 'chain.json'], { env })
    expect(d).toMatchObject({ code: 0, stdout: 'defined chain v1\n' })
    const bad = await opcode(tmp.dir, ['define', 'bad', 'bad.json'], { env })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('unknown action "nope"')
    const r = await opcode(tmp.dir, ['run', '--template', 'chain', '--json'], { env })
    expect(r.code).toBe(0)
    const result = JSON.parse(r.stdout) as { workflow_id: string; status: string }
    expect(result.status).toBe('completed')
    const s = await opcode(tmp.dir, ['status', result.workflow_id], { env })
    expect(s.code).toBe(0)
    expect(s.stdout).toContain(`workflow ${result.workflow_id}: completed`)
    const q = await opcode(tmp.dir, ['query', 'workflows', '--filter', '{"status":"completed"}'], {
      env,
    })
    expect(q.code).toBe(0)
    expect((JSON.parse(q.stdout) as { workflows: unknown[] }).workflows.length).toBe(1)
    const dt = await opcode(tmp.dir, ['diagram', '--template', 'chain', '--format', 'mermaid'], {
      env,
    })
    expect(dt.code).toBe(0)
    expect(dt.stdout).toStartWith('graph TD')
    const dw = await opcode(tmp.dir, ['diagram', '--workflow', result.workflow_id], { env })
    expect(dw.code).toBe(0)
    expect(dw.stdout).toContain('[OK]')
    const audit = (await (await fetch(`${srv.url}/api/v1/audit?agent_id=cli`)).json()) as {
      audit: Array<{ action: string }>
    }
    expect(audit.audit.map((a) => a.action)).toContain('workflow.run')
  }, 60_000)

  test('run exits 3 on a decision; signal resolves it and exits 0', async () => {
    expect((await opcode(tmp.dir, ['define', 'review', 'review.json'], { env })).code).toBe(0)
    const r = await opcode(tmp.dir, ['run', '--template', 'review', '--json'], { env })
    expect(r.code).toBe(3)
    const id = (JSON.parse(r.stdout) as { workflow_id: string }).workflow_id
    const s = await opcode(
      tmp.dir,
      ['signal', id, '--type', 'decision', '--step', 'review', '--payload', '{"choice":"go"}'],
      { env },
    )
    expect(s.code).toBe(0)
    expect(s.stdout).toContain('workflow completed')
    const again = await opcode(tmp.dir, ['signal', id, '--type', 'cancel'], { env })
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('[CONFLICT]')
  }, 60_000)

  test('read-only local commands work beside the server; local writers are refused', async () => {
    const q = await opcode(tmp.dir, ['query', 'templates', '--db-path', db])
    expect(q.code).toBe(0)
    expect((JSON.parse(q.stdout) as { templates: unknown[] }).templates.length).toBeGreaterThan(0)
    const d = await opcode(tmp.dir, ['define', 'x', 'chain.json', '--db-path', db])
    expect(d.code).toBe(1)
    expect(d.stderr).toContain(
      `database in use by the server at ${srv.url.replace('http://', '')}; drop --db-path to talk to it`,
    )
  }, 60_000)

  test('a second server on the same port or the same database: one line, exit 1', async () => {
    const addr = srv.url.replace('http://', '')
    const samePort = await opcode(tmp.dir, [
      'serve',
      '--listen-addr',
      addr,
      '--db-path',
      tmp.path('other.db'),
    ])
    expect(samePort.code).toBe(1)
    expect(samePort.stderr.trim().split('\n').at(-1)).toBe(
      `opcode: port ${addr} is already in use: stop the process holding it or choose another --listen-addr`,
    )
    expect(existsSync(tmp.path('other.db'))).toBe(false)
    const sameDb = await opcode(tmp.dir, [
      'serve',
      '--listen-addr',
      `127.0.0.1:${freePort()}`,
      '--db-path',
      db,
    ])
    expect(sameDb.code).toBe(1)
    expect(sameDb.stderr).toContain(`opcode: database in use by the server at ${addr}`)
  }, 60_000)

  test('opcode stdio bridges an MCP client to the running server', async () => {
    const transport = new StdioClientTransport({
      command: 'bun',
      args: [MAIN, 'stdio'],
      env: cliEnv(tmp.dir, env),
      stderr: 'pipe',
    })
    const client = new Client({ name: 'stdio-test', version: '1' })
    await client.connect(transport)
    const { tools } = await client.listTools()
    expect(tools.length).toBe(6)
    const r = await client.callTool({
      name: 'opcode.run',
      arguments: { template_name: 'chain', agent_id: 'stdio-agent' },
    })
    expect((r.structuredContent as { status: string }).status).toBe('completed')
    await client.close()
  }, 60_000)
})

describe('without a server', () => {
  const tmp = tempDir('opcode-cli2-')
  afterAll(() => tmp.cleanup())

  test('version, --version, --help and an unknown command', async () => {
    const v = await opcode(tmp.dir, ['version'])
    expect(v.code).toBe(0)
    expect(v.stdout).toMatch(/^opcode \d+\.\d+\.\d+\ncommit \S+\ntarget \w+-\w+\n$/)
    expect((await opcode(tmp.dir, ['--version'])).stdout).toBe(v.stdout)
    const h = await opcode(tmp.dir, ['--help'])
    expect(h.code).toBe(0)
    for (const c of ['serve', 'install', 'stop', 'stdio', 'define', 'status', 'query'])
      expect(h.stdout).toContain(`  ${c}`)
    expect((await opcode(tmp.dir, ['serve', '--help'])).stdout).toContain('--listen-addr')
    const u = await opcode(tmp.dir, ['frobnicate'])
    expect(u.code).toBe(2)
  }, 30_000)

  test('client commands and stdio name the address when no server runs', async () => {
    const port = freePort()
    const env = { OPCODE_LISTEN_ADDR: `:${port}` }
    const s = await opcode(tmp.dir, ['status', 'abc'], { env })
    expect(s.code).toBe(1)
    expect(s.stderr).toContain(`no opcode server is reachable at http://127.0.0.1:${port}`)
    const b = await opcode(tmp.dir, ['stdio'], { env })
    expect(b.code).toBe(1)
    expect(b.stderr).toContain(`no opcode server is running at http://127.0.0.1:${port}`)
  }, 30_000)

  test('an exposed address without a token refuses to start', async () => {
    const r = await opcode(tmp.dir, [
      'serve',
      '--listen-addr',
      `0.0.0.0:${freePort()}`,
      '--db-path',
      tmp.path('x.db'),
    ])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('needs a token')
    expect(existsSync(tmp.path('x.db'))).toBe(false)
  }, 30_000)

  test('SIGTERM shuts down gracefully: exit 0, pidfile removed, log says so', async () => {
    const home = tempDir('opcode-term-')
    try {
      const srv = await serve(home.dir, ['--db-path', home.path('t.db')])
      const pidfile = join(home.dir, '.opcode', 'opcode.pid')
      expect(readFileSync(pidfile, 'utf8')).toBe(String(srv.proc.pid))
      const t0 = Date.now()
      srv.proc.kill('SIGTERM')
      expect(await srv.proc.exited).toBe(0)
      expect(Date.now() - t0).toBeLessThan(10_000)
      expect(existsSync(pidfile)).toBe(false)
      expect(srv.logs()).toContain('"msg":"opcode shutdown complete"')
    } finally {
      home.cleanup()
    }
  }, 30_000)

  test('SIGHUP reloads the log level from settings.json', async () => {
    const home = tempDir('opcode-hup-')
    try {
      const srv = await serve(home.dir, ['--db-path', home.path('h.db')])
      try {
        await fetch(`${srv.url}/api/v1/workflows/none/status`)
        expect(srv.logs()).not.toContain('"level":"DEBUG"')
        writeFileSync(
          join(home.dir, '.opcode', 'settings.json'),
          JSON.stringify({ log_level: 'debug' }),
        )
        srv.proc.kill('SIGHUP')
        for (let i = 0; i < 100 && !srv.logs().includes('configuration reloaded'); i++)
          await Bun.sleep(20)
        expect(srv.logs()).toContain('"msg":"configuration reloaded","log_level":"debug"')
      } finally {
        srv.proc.kill('SIGTERM')
        await srv.proc.exited
      }
    } finally {
      home.cleanup()
    }
  }, 30_000)

  test('install writes settings 0600 (merging, token kept), starts the server; stop stops it', async () => {
    const home = tempDir('opcode-inst-')
    try {
      const port = freePort()
      const settings = join(home.dir, '.opcode', 'settings.json')
      const first = await opcode(home.dir, [
        'install',
        '--listen-addr',
        `:${port}`,
        '--db-path',
        home.path('i.db'),
        '--no-start',
      ])
      expect(first.code).toBe(0)
      expect(first.stdout).toContain(`Config written to ${settings}`)
      expect(statSync(settings).mode & 0o777).toBe(0o600)
      expect(statSync(join(home.dir, '.opcode')).mode & 0o777).toBe(0o700)
      const s1 = JSON.parse(readFileSync(settings, 'utf8')) as Record<string, unknown>
      expect(typeof s1.auth_token).toBe('string')
      writeFileSync(settings, JSON.stringify({ ...s1, limits: { memory_mb: 256 } }))
      const second = await opcode(
        home.dir,
        ['install', '--log-level', 'debug', '--vault-key', 'install-key-123'],
        {
          env: { OPCODE_VAULT_KEY: 'should-not-be-stored' },
        },
      )
      expect(second.code).toBe(0)
      expect(second.stdout).toContain(`opcode server started (PID`)
      const s2 = JSON.parse(readFileSync(settings, 'utf8')) as Record<string, unknown>
      expect(s2).toEqual({ ...s1, limits: { memory_mb: 256 }, log_level: 'debug' })
      expect(readFileSync(settings, 'utf8')).not.toContain('should-not-be-stored')
      const health = await fetch(`http://127.0.0.1:${port}/healthz`)
      expect(health.status).toBe(200)
      // The key went over a pipe: not in settings, not in the server's environment, vault open.
      const pid = readFileSync(join(home.dir, '.opcode', 'opcode.pid'), 'utf8')
      expect(readFileSync(`/proc/${pid}/environ`, 'utf8')).not.toContain('install-key-123')
      expect(readFileSync(settings, 'utf8')).not.toContain('install-key-123')
      const log = readFileSync(join(home.dir, '.opcode', 'opcode.log'), 'utf8')
      expect(log).toContain('"msg":"vault initialized"')
      expect(log).not.toContain('install-key-123')
      const stop = await opcode(home.dir, ['stop'])
      expect(stop.code).toBe(0)
      expect(stop.stdout).toContain('stopped opcode server')
      expect(existsSync(join(home.dir, '.opcode', 'opcode.pid'))).toBe(false)
      expect(readFileSync(join(home.dir, '.opcode', 'opcode.log'), 'utf8')).toContain(
        'opcode shutdown complete',
      )
      const none = await opcode(home.dir, ['stop'])
      expect(none.code).toBe(1)
    } finally {
      home.cleanup()
    }
  }, 60_000)
})
