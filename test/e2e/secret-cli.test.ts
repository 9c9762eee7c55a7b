import { afterEach, describe, expect, test } from 'bun:test'
import { resolveConfig } from '../../src/config/index.ts'
import { type RunningServer, startServer } from '../../src/server.ts'
import { opcode } from '../support/cli.ts'
import { quiet } from '../support/server.ts'
import { tempDir } from '../support/tmp.ts'

let tmp: ReturnType<typeof tempDir>
let server: RunningServer | undefined
afterEach(async () => {
  await server?.stop(2000)
  server = undefined
  tmp?.cleanup()
})

describe('opcode secret (D1, D10)', () => {
  test('local form: the value comes from stdin, is sealed with the key, never printed; a wrong key is refused', async () => {
    tmp = tempDir()
    const env = { OPCODE_VAULT_KEY: 'correct horse battery staple' }
    const set = await opcode(tmp.dir, ['secret', 'set', 'API_TOKEN', '--db-path', 'v.db'], {
      stdin: 'tok-123456\n',
      env,
    })
    expect(set.code).toBe(0)
    expect(set.stdout).toBe('stored API_TOKEN\n')
    const again = await opcode(
      tmp.dir,
      ['secret', 'set', 'API_TOKEN', '--db-path', 'v.db', '--from-stdin'],
      {
        stdin: 'tok-654321',
        env,
      },
    )
    expect(again.stdout).toBe('replaced API_TOKEN\n')
    const list = await opcode(tmp.dir, ['secret', 'list', '--db-path', 'v.db', '--json'], { env })
    expect(JSON.parse(list.stdout)).toEqual({ secrets: [{ name: 'API_TOKEN' }], vault: 'ready' })
    expect(list.stdout).not.toContain('tok-')
    const wrong = await opcode(tmp.dir, ['secret', 'set', 'OTHER', '--db-path', 'v.db'], {
      stdin: 'x1234',
      env: { OPCODE_VAULT_KEY: 'wrong' },
    })
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toContain('[VAULT_ERROR]')
    const none = await opcode(tmp.dir, ['secret', 'set', 'OTHER', '--db-path', 'v.db'], {
      stdin: 'x1234',
    })
    expect(none.code).toBe(1)
    expect(none.stderr).toContain('vault not initialized')
    const del = await opcode(tmp.dir, ['secret', 'delete', 'API_TOKEN', '--db-path', 'v.db'])
    expect(del.code).toBe(0)
    const gone = await opcode(tmp.dir, ['secret', 'delete', 'API_TOKEN', '--db-path', 'v.db'])
    expect(gone.code).toBe(1)
    expect(gone.stderr).toContain('secret "API_TOKEN" not found')
    expect((await opcode(tmp.dir, ['secret'])).code).toBe(2)
  })

  test('client form: the running server stores it and workflows use it without ever showing it', async () => {
    tmp = tempDir()
    const config = resolveConfig({
      env: {},
      flags: { listenAddr: '127.0.0.1:0', dbPath: tmp.path('srv.db') },
      settings: {},
      home: tmp.dir,
      dataDir: tmp.path('.opcode'),
      settingsPath: tmp.path('.opcode/settings.json'),
      cwd: tmp.dir,
    })
    server = await startServer({ config, logger: quiet, version: 'test', vaultKey: 'server key' })
    const url = server.url
    const set = await opcode(tmp.dir, ['secret', 'set', 'WEBHOOK', '--server', url], {
      stdin: 'hush-hush-value',
    })
    expect(set.code).toBe(0)
    const list = await opcode(tmp.dir, ['secret', 'list', '--server', url])
    expect(list.stdout.trim()).toBe('WEBHOOK')
    const r = await server.runtime.engine.run({
      agentId: 'a',
      definition: {
        steps: [
          {
            id: 'use',
            action: 'crypto.hmac',
            params: { data: 'body', key: '${{secrets.WEBHOOK}}' },
          },
          {
            id: 'leak',
            action: 'expr.eval',
            params: { expression: 'data', data: 'x${{secrets.WEBHOOK}}x' },
          },
        ],
      },
    })
    expect(r.status).toBe('completed')
    expect(JSON.stringify(r)).not.toContain('hush-hush-value')
    const events = server.runtime.store.events(r.workflow_id)
    expect(JSON.stringify(events)).not.toContain('hush-hush-value')
    const del = await opcode(tmp.dir, ['secret', 'delete', 'WEBHOOK', '--server', url])
    expect(del.code).toBe(0)
  })
})
