/** `opcode eval` through a real child process (`bun src/main.ts eval …`). */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const ROOT = join(import.meta.dir, '..', '..')
let dir = ''

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'opcode-eval-'))
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
  const proc = Bun.spawn([process.execPath, 'src/main.ts', 'eval', ...args], {
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

describe('opcode eval', () => {
  test('CEL (the default engine) prints the result as JSON, exit 0', async () => {
    const r = await opcode([
      'steps.fetch.status == 200 && size(inputs.items) > 1',
      '--data',
      '{"steps": {"fetch": {"status": 200}}, "inputs": {"items": [1, 2]}}',
    ])
    expect(r).toEqual({ code: 0, stdout: 'true\n', stderr: '' })
    const sum = await opcode(['--engine', 'cel', 'inputs.n + 1', '--data', '{"inputs": {"n": 41}}'])
    expect(sum.stdout).toBe('42\n')
  })

  test('Expr: the top-level keys of --data are the variables', async () => {
    const r = await opcode([
      '--engine',
      'expr',
      'filter(data, # > 1) | map(# * 10)',
      '--data',
      '{"data": [1, 2, 3]}',
    ])
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual([20, 30])
  })

  test('jq: the whole --data document is the input; without --data the input is null', async () => {
    const r = await opcode([
      '-e',
      'jq',
      '[.[] | select(.ok) | .id]',
      '--data',
      '[{"id": 1, "ok": true}, {"id": 2}]',
    ])
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual([1])
    expect((await opcode(['--engine', 'jq', '.'])).stdout).toBe('null\n')
  })

  test('a compile error prints the error with a caret under the position, exit 2', async () => {
    const r = await opcode(['--engine', 'expr', 'data[0] +'])
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe(
      '[VALIDATION_ERROR] invalid expr expression: unexpected end of expression (line 1, column 10)\n  data[0] +\n           ^\n',
    )
    const jq = await opcode(['--engine', 'jq', '.a |'])
    expect(jq.code).toBe(2)
    expect(jq.stderr).toContain('[VALIDATION_ERROR] invalid jq filter: syntax error')
  })

  test('an evaluation error exits 1', async () => {
    const r = await opcode(['--engine', 'expr', 'data[5]', '--data', '{"data": [1]}'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('[EXECUTION_ERROR] expr evaluation failed: index out of range')
    const cel = await opcode(['steps.x.y', '--data', '{"steps": {}}'])
    expect(cel.code).toBe(1)
    expect(cel.stderr).toContain('No such key: x')
  })

  test('a CEL variable outside the five gets a hint', async () => {
    const r = await opcode(['count > 1', '--data', '{"count": 2}'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('CEL variables are steps, inputs, workflow, context, iter')
  })

  test('--json prints {result} or {error}', async () => {
    const ok = await opcode(['--json', '--engine', 'expr', 'upper("x")'])
    expect(JSON.parse(ok.stdout)).toEqual({ result: 'X' })
    const bad = await opcode(['--json', '--engine', 'cel', '1 +'])
    expect(bad.code).toBe(2)
    expect(JSON.parse(bad.stdout)).toMatchObject({
      error: { code: 'VALIDATION_ERROR', details: { engine: 'CEL', position: 3 } },
    })
  })

  test('EXPR from stdin and --data from a file', async () => {
    const data = join(dir, 'data.json')
    writeFileSync(data, JSON.stringify({ inputs: { name: 'ada' } }))
    const r = await opcode(['-', '--data-file', data], 'inputs.name.upperAscii()\n')
    expect(r).toEqual({ code: 0, stdout: '"ADA"\n', stderr: '' })
  })

  test('usage errors exit 2', async () => {
    expect((await opcode([])).code).toBe(2)
    expect((await opcode(['--engine', 'lua', '1'])).stderr).toContain(
      '--engine must be cel, jq or expr',
    )
    expect((await opcode(['1', '--data', '{nope'])).stderr).toContain('--data is not valid JSON')
    expect((await opcode(['1', '--data', '[1]'])).stderr).toContain('--data must be a JSON object')
    expect((await opcode(['1', '2'])).stderr).toContain('quote the expression')
  })

  test('--help prints the usage', async () => {
    const r = await opcode(['--help'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('opcode eval [--engine cel|jq|expr] EXPR')
  })
})
