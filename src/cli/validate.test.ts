/** `opcode validate` through a real child process (`bun src/main.ts validate …`). */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const ROOT = join(import.meta.dir, '..', '..')
const FIXTURES = join(ROOT, 'test', 'fixtures', 'definitions')
let dir = ''

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'opcode-validate-'))
})
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

interface Run {
  code: number
  stdout: string
  stderr: string
}

async function opcode(args: string[], stdin?: string): Promise<Run> {
  const proc = Bun.spawn([process.execPath, 'src/main.ts', ...args], {
    cwd: ROOT,
    stdin: stdin === undefined ? 'ignore' : new TextEncoder().encode(stdin),
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ])
  return { code, stdout, stderr }
}

function file(name: string, content: unknown): string {
  const path = join(dir, name)
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content))
  return path
}

describe('opcode validate', () => {
  test('a valid file exits 0 and still prints its warnings', async () => {
    const path = join(FIXTURES, 'valid', 'readme-example.json')
    const run = await opcode(['validate', path])
    expect(run.code).toBe(0)
    const lines = run.stdout.trimEnd().split('\n')
    expect(lines[0]).toBe(`${path}: valid (1 warning)`)
    expect(lines[1]).toStartWith('  warning  /steps/1/params/body: step "transform": ')
    expect(lines).toHaveLength(2)
    expect(run.stderr).toBe('')
  })

  test('a clean file says valid and nothing else', async () => {
    const path = join(FIXTURES, 'valid', 'diamond.json')
    const run = await opcode(['validate', path])
    expect(run).toEqual({ code: 0, stdout: `${path}: valid\n`, stderr: '' })
  })

  test('an invalid file exits 2 and lists every problem with its pointer and severity', async () => {
    const path = join(FIXTURES, 'invalid', 'cycle.json')
    const run = await opcode(['validate', path])
    expect(run.code).toBe(2)
    expect(run.stdout).toBe(
      [
        `${path}: invalid — 2 errors, 1 warning`,
        '  error    /steps/5/depends_on/0: step "self" depends on itself [CYCLE_DETECTED]',
        '  error    /steps: workflow contains a cycle: a → b → c → a [CYCLE_DETECTED]',
        '  warning  /steps/4: step "after" can never run: it depends on a step in a cycle',
        '',
      ].join('\n'),
    )
  })

  test('--json prints {valid, errors, warnings}', async () => {
    const run = await opcode(['validate', '--json', join(FIXTURES, 'invalid', 'every-rule.json')])
    expect(run.code).toBe(2)
    const out = JSON.parse(run.stdout) as { valid: boolean; errors: unknown[]; warnings: unknown[] }
    expect(out.valid).toBe(false)
    expect(out.errors).toHaveLength(33)
    expect(out.errors[0]).toEqual({
      path: '/timeout',
      code: 'VALIDATION_ERROR',
      message:
        'workflow: invalid timeout "5 minutes": expected a duration such as "500ms", "30s", "5m" or "1h30m"',
      severity: 'error',
    })
    const ok = await opcode(['validate', join(FIXTURES, 'valid', 'linear.json'), '--json'])
    expect(ok.code).toBe(0)
    expect(JSON.parse(ok.stdout)).toEqual({ valid: true, errors: [], warnings: [] })
  })

  test('unknown actions are warnings locally (a plugin may provide them), built-ins are known', async () => {
    const path = file('plugin.json', {
      steps: [
        { id: 'a', action: 'workflow.log', params: { message: 'hi' } },
        { id: 'b', action: 'github.create_issue', depends_on: ['a'] },
      ],
    })
    const run = await opcode(['validate', '--json', path])
    expect(run.code).toBe(0)
    const out = JSON.parse(run.stdout)
    expect(out.valid).toBe(true)
    expect(out.warnings).toEqual([
      {
        path: '/steps/1/action',
        code: 'ACTION_UNAVAILABLE',
        message:
          'step "b": unknown action "github.create_issue"; the run fails unless a plugin provides it',
        severity: 'warning',
      },
    ])
  })

  test('reads standard input for -', async () => {
    const run = await opcode(
      ['validate', '-'],
      '{"steps": [{"id": "a", "action": "workflow.log"}]}',
    )
    expect(run).toEqual({ code: 0, stdout: '-: valid\n', stderr: '' })
  })

  test('malformed JSON: exit 2 with line and column', async () => {
    const path = join(FIXTURES, 'invalid', 'malformed-json.txt')
    const run = await opcode(['validate', path])
    expect(run.code).toBe(2)
    expect(run.stdout).toBe(
      `${path}: invalid — 1 error\n  error    invalid JSON at line 3, column 44: trailing comma before '}'\n`,
    )
  })

  test('a missing file exits 2 with a clear message, in JSON too', async () => {
    const run = await opcode(['validate', join(dir, 'nope.json')])
    expect(run.code).toBe(2)
    expect(run.stdout).toBe('')
    expect(run.stderr).toBe(
      `opcode validate: cannot read "${join(dir, 'nope.json')}": no such file\n`,
    )
    const json = await opcode(['validate', '--json', join(dir, 'nope.json')])
    expect(json.code).toBe(2)
    expect(JSON.parse(json.stdout).errors[0].code).toBe('NOT_FOUND')
  })

  test('usage errors exit 2; --help exits 0', async () => {
    const none = await opcode(['validate'])
    expect(none.code).toBe(2)
    expect(none.stderr).toStartWith('opcode validate: expected a FILE')
    const flag = await opcode(['validate', '--bogus', 'x.json'])
    expect(flag.code).toBe(2)
    expect(flag.stderr).toStartWith('opcode validate: unknown flag --bogus')
    const help = await opcode(['validate', '--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toStartWith('Usage:\n  opcode validate FILE [--json]')
  })

  test('terminal control characters from the file are escaped in the output', async () => {
    const evil = 'x\u001b[2J\u202e'
    const path = file('evil.json', {
      steps: [
        {
          id: 'c',
          type: 'condition',
          config: { expression: 'true', branches: { [evil]: [{ id: evil }] } },
        },
      ],
    })
    const run = await opcode(['validate', path])
    expect(run.code).toBe(2)
    expect(run.stdout).not.toContain('\u001b')
    expect(run.stdout).not.toContain('\u202e')
    expect(run.stdout).toContain('/config/branches/x\\u001b[2J\\u202e/0')
  })
})
