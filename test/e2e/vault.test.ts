/**
 * The vault key and the server process (decisions.md D10, D21): a key given in the environment is
 * gone from the server's /proc/<pid>/environ after its one re-exec; `${{secrets.X}}` resolves in a
 * shell.exec step and the value is redacted from what the run reports; a wrong key stops start-up;
 * without a key a secret reference fails with `[VAULT_ERROR] vault not initialized`.
 */
import { afterAll, expect, test } from 'bun:test'
import { existsSync, readFileSync } from 'node:fs'
import { sqliteVaultStorage } from '../../src/platform.ts'
import { openStore } from '../../src/store/sqlite.ts'
import { openVault } from '../../src/vault/index.ts'
import { freePort, opcode, serve } from '../support/cli.ts'
import { tempDir } from '../support/tmp.ts'

const tmp = tempDir('opcode-vault-')
afterAll(() => tmp.cleanup())
const KEY = 'correct horse battery staple'
const SECRET = 's3cr3t-value-42'

const echoSecret = {
  steps: [
    {
      id: 'say',
      action: 'shell.exec',
      params: { command: 'echo', args: ['token=${{secrets.API_TOKEN}}'] },
    },
  ],
}

async function runOnce(url: string): Promise<Record<string, unknown>> {
  await fetch(`${url}/api/v1/templates`, {
    method: 'POST',
    body: JSON.stringify({ name: 'echo-secret', agent_id: 'v', definition: echoSecret }),
  })
  const r = await fetch(`${url}/api/v1/workflows`, {
    method: 'POST',
    body: JSON.stringify({ template_name: 'echo-secret', agent_id: 'v' }),
  })
  return (await r.json()) as Record<string, unknown>
}

test('env key is scrubbed from /proc/<pid>/environ; secrets resolve and are redacted', async () => {
  const db = tmp.path('v.db')
  const store = openStore(db)
  const vault = openVault(sqliteVaultStorage(store), KEY, { iterations: 1000 })
  vault.set('API_TOKEN', SECRET)
  vault.close()
  store.close()
  const srv = await serve(tmp.dir, ['--db-path', db], { OPCODE_VAULT_KEY: KEY })
  try {
    const environ = readFileSync(`/proc/${srv.proc.pid}/environ`, 'utf8')
    expect(environ).not.toContain(KEY)
    expect(environ.split('\0').some((v) => v.startsWith('OPCODE_VAULT_KEY='))).toBe(false)
    // The hand-over file on the memory filesystem was deleted as soon as it was read.
    const handover = environ.split('\0').find((v) => v.startsWith('OPCODE_VAULT_KEY_HANDOVER='))
    expect(handover).toBeDefined()
    expect(existsSync(handover?.split('=')[1] ?? '/')).toBe(false)
    const result = await runOnce(srv.url)
    expect(result.status).toBe('completed')
    const text = JSON.stringify(result)
    expect(text).not.toContain(SECRET)
    expect(text).toContain('[REDACTED]')
    const events = await (
      await fetch(`${srv.url}/api/v1/events?workflow_id=${result.workflow_id}&limit=0`)
    ).text()
    expect(events).not.toContain(SECRET)
    expect(srv.logs()).not.toContain(KEY)
  } finally {
    srv.proc.kill('SIGTERM')
    await srv.proc.exited
  }
}, 60_000)

test('a wrong key stops start-up with VAULT_ERROR; no key makes secrets fail clearly', async () => {
  const db = tmp.path('v.db')
  const bad = await opcode(
    tmp.dir,
    ['serve', '--listen-addr', `127.0.0.1:${freePort()}`, '--db-path', db],
    {
      env: { OPCODE_VAULT_KEY: 'wrong key' },
    },
  )
  expect(bad.code).toBe(1)
  expect(bad.stderr.trim().split('\n').at(-1)).toStartWith('opcode: ')
  expect(bad.stderr).not.toContain('wrong key')
  const srv = await serve(tmp.dir, ['--db-path', db])
  try {
    const result = await runOnce(srv.url)
    expect(result.status).toBe('failed')
    expect(JSON.stringify(result.error)).toContain('vault not initialized')
  } finally {
    srv.proc.kill('SIGTERM')
    await srv.proc.exited
  }
}, 60_000)
