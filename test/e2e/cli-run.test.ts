import { afterEach, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { tempDir } from '../support/tmp.ts'

const main = join(import.meta.dir, '..', '..', 'src', 'main.ts')
let tmp: ReturnType<typeof tempDir>
afterEach(() => tmp?.cleanup())

async function cli(
  args: string[],
  stdin?: string,
): Promise<{ code: number; out: string; err: string }> {
  const p = Bun.spawn(['bun', main, ...args], {
    stdout: 'pipe',
    stderr: 'pipe',
    stdin: stdin === undefined ? 'ignore' : new Blob([stdin]),
    env: { ...process.env, HOME: tmp.dir },
  })
  const [out, err, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ])
  return { code, out, err }
}

const approval = {
  steps: [
    { id: 'hash', action: 'crypto.hash', params: { data: '${{inputs.text}}' } },
    {
      id: 'approve',
      type: 'reasoning',
      depends_on: ['hash'],
      config: { prompt_context: 'Ship it?', options: [{ id: 'yes' }, { id: 'no' }] },
    },
    {
      id: 'done',
      action: 'expr.eval',
      depends_on: ['approve'],
      params: { expression: "steps.approve.choice + ':' + steps.hash.hash" },
    },
  ],
}

describe('opcode run FILE / opcode signal --db-path (D1, D21)', () => {
  test('a run that needs a decision exits 3 and prints it; a signal on the same file finishes it', async () => {
    tmp = tempDir()
    const file = tmp.path('approval.json')
    const db = tmp.path('runs.db')
    await Bun.write(file, JSON.stringify(approval))
    const first = await cli(['run', file, '--params', '{"text":"hello"}', '--db-path', db])
    expect(first.code).toBe(3)
    expect(first.out).toContain('pending decision on step approve: Ship it?')
    expect(first.out).toContain('options: yes, no')
    const id = /workflow (\S+): suspended/.exec(first.out)?.[1] as string
    expect(id).toBeDefined()

    const bad = await cli([
      'signal',
      id,
      '--type',
      'decision',
      '--step',
      'approve',
      '--payload',
      '{"choice":"maybe"}',
      '--db-path',
      db,
    ])
    expect(bad.code).toBe(2)
    expect(bad.err).toContain('invalid choice "maybe"; valid choices: yes, no')

    const done = await cli([
      'signal',
      id,
      '--type',
      'decision',
      '--step',
      'approve',
      '--payload',
      '{"choice":"yes"}',
      '--db-path',
      db,
      '--json',
    ])
    expect(done.code).toBe(0)
    const result = JSON.parse(done.out)
    expect(result.status).toBe('completed')
    expect(result.output).toEqual({
      done: { result: 'yes:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824' },
    })
  })

  test('without --db-path the run is in memory; exit 0 completed, 1 failed, 2 invalid', async () => {
    tmp = tempDir()
    const ok = tmp.path('ok.json')
    await Bun.write(ok, JSON.stringify({ steps: [{ id: 'u', action: 'crypto.uuid' }] }))
    const r = await cli(['run', ok, '--json'])
    expect(r.code).toBe(0)
    expect(JSON.parse(r.out).status).toBe('completed')

    const failing = tmp.path('fail.json')
    await Bun.write(
      failing,
      JSON.stringify({
        steps: [{ id: 'f', action: 'workflow.fail', params: { reason: 'stop here' } }],
      }),
    )
    const f = await cli(['run', failing])
    expect(f.code).toBe(1)
    expect(f.out).toContain('stop here')

    const invalid = tmp.path('bad.json')
    await Bun.write(
      invalid,
      JSON.stringify({ steps: [{ id: 'a', depends_on: ['ghost'], action: 'crypto.uuid' }] }),
    )
    const v = await cli(['run', invalid])
    expect(v.code).toBe(2)
    expect(v.err).toContain('/steps/0/depends_on/0')

    const s = await cli(
      ['run', '-'],
      JSON.stringify({ steps: [{ id: 'w', type: 'wait', config: { duration: '1500ms' } }] }),
    )
    // a wait longer than the suspend threshold is waited through in-process, not reported as suspended
    expect(s.code).toBe(0)
  })

  test('a local writer is refused while another process holds the database', async () => {
    tmp = tempDir()
    const file = tmp.path('wait.json')
    const db = tmp.path('held.db')
    await Bun.write(
      file,
      JSON.stringify({ steps: [{ id: 'w', type: 'wait', config: { signal: 'go' } }] }),
    )
    const holder = Bun.spawn(
      ['bun', join(import.meta.dir, '..', 'fixtures', 'run-child.ts'), db, file],
      { stdout: 'pipe' },
    )
    const reader = (holder.stdout as ReadableStream<Uint8Array>).getReader()
    await reader.read()
    const r = await cli(['run', file, '--db-path', db])
    holder.kill(9)
    await holder.exited
    expect(r.code).toBe(1)
    expect(r.err).toContain('in use')
  })
})

describe('local runs have the server actions (shell.exec, fs.*, vault)', () => {
  test('shell.exec and fs.* run under the isolator; secrets come from the file and the key in the environment', async () => {
    tmp = tempDir()
    const wf = tmp.path('wf.json')
    await Bun.write(
      wf,
      JSON.stringify({
        steps: [
          { id: 'sh', action: 'shell.exec', params: { command: 'echo', args: ['{"n": 42}'] } },
          {
            id: 'w',
            action: 'fs.write',
            depends_on: ['sh'],
            params: { path: tmp.path('out.txt'), content: 'n=${{steps.sh.output.stdout.n}}' },
          },
          { id: 'r', action: 'fs.read', depends_on: ['w'], params: { path: tmp.path('out.txt') } },
          {
            id: 'k',
            action: 'crypto.hmac',
            depends_on: ['r'],
            params: { data: 'x', key: '${{secrets.K}}' },
          },
        ],
      }),
    )
    const db = tmp.path('v.db')
    const env = { ...process.env, HOME: tmp.dir, OPCODE_VAULT_KEY: 'local key' }
    const set = Bun.spawn(['bun', main, 'secret', 'set', 'K', '--db-path', db], {
      env,
      stdin: new Blob(['the-secret']),
      stdout: 'pipe',
    })
    expect(await set.exited).toBe(0)
    const p = Bun.spawn(['bun', main, 'run', wf, '--db-path', db, '--json'], {
      env,
      stdout: 'pipe',
      stderr: 'pipe',
    })
    const [out, code] = await Promise.all([new Response(p.stdout).text(), p.exited])
    expect(code).toBe(0)
    const r = JSON.parse(out)
    expect(r.steps.r.output.content).toBe('n=42')
    expect(r.steps.k.output.hmac).toMatch(/^[0-9a-f]{64}$/)
    expect(out).not.toContain('the-secret')
  })
})
