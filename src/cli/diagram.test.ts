import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chainWorkflow, mixedWorkflow } from '../diagram/samples.ts'
import type { CommandIo } from './command.ts'
import { runCli } from './main.ts'

const MAIN = join(import.meta.dir, '..', 'main.ts')

let dir = ''
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'opcode-diagram-cli-'))
})
afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
})

function write(name: string, value: unknown): string {
  const path = join(dir, name)
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value))
  return path
}

async function cli(args: string[], stdin = '') {
  let stdout = ''
  let stderr = ''
  const io: CommandIo = {
    stdout: (t) => {
      stdout += t
    },
    stderr: (t) => {
      stderr += t
    },
    readStdin: async () => stdin,
    env: {},
    cwd: dir,
  }
  const code = await runCli(args, io)
  return { code, stdout, stderr }
}

describe('opcode diagram FILE', () => {
  test('prints ASCII by default, from a path relative to the working directory', async () => {
    write('chain.json', chainWorkflow(3))
    const r = await cli(['diagram', 'chain.json'])
    expect(r.code).toBe(0)
    expect(r.stdout).toStartWith('=== Chain of 3 ===\n')
    expect(r.stdout).toContain('│ step-2 │')
    expect(r.stderr).toBe('')
  })

  test('--format mermaid --out writes the file and says so', async () => {
    write('mixed.json', mixedWorkflow())
    const r = await cli(['diagram', 'mixed.json', '--format', 'mermaid', '--out', 'out.mmd'])
    expect(r.code).toBe(0)
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe('wrote out.mmd\n')
    expect(readFileSync(join(dir, 'out.mmd'), 'utf8')).toContain('review{{"review"}}')
  })

  test('--format image writes a PNG, and needs --out', async () => {
    write('chain.json', chainWorkflow(2))
    const ok = await cli(['diagram', 'chain.json', '-f', 'image', '-o', 'c.png'])
    expect(ok.code).toBe(0)
    expect([...readFileSync(join(dir, 'c.png')).subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47])
    const missing = await cli(['diagram', 'chain.json', '-f', 'image'])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('--format image writes binary PNG: give --out FILE.png')
  })

  test('--format svg prints SVG; - reads the definition from standard input', async () => {
    const r = await cli(['diagram', '-', '--format=svg'], JSON.stringify(chainWorkflow(1)))
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('<svg')
  })

  test('--width turns a graph that does not fit into the list form', async () => {
    write('mixed.json', mixedWorkflow())
    const r = await cli(['diagram', 'mixed.json', '--width', '20'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('(graph wider than 20 columns: steps listed by level)')
  })

  test('an invalid definition exits 2 with every problem listed', async () => {
    write(
      'bad.json',
      JSON.stringify({
        steps: [
          { id: 'a', action: 'x', depends_on: ['b'] },
          { id: 'b', action: 'x', depends_on: ['a', 'ghost'] },
        ],
      }),
    )
    const r = await cli(['diagram', 'bad.json'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('opcode diagram: [VALIDATION_ERROR] validation failed with 2 errors')
    expect(r.stderr).toContain(
      'error /steps/1/depends_on/1: step "b" depends on unknown step "ghost"',
    )
    expect(r.stderr).toContain('workflow contains a cycle')
  })

  test('a cycle alone exits 2 with CYCLE_DETECTED', async () => {
    write('cycle.json', { steps: [{ id: 'a', action: 'x', depends_on: ['a'] }] })
    const r = await cli(['diagram', 'cycle.json'])
    expect(r.code).toBe(2)
    expect(r.stderr).toBe('opcode diagram: [CYCLE_DETECTED] step "a" depends on itself\n')
  })

  test('malformed JSON exits 2 with the line and column', async () => {
    write('broken.json', '{"steps": [\n  {"id": "a",}\n]}')
    const r = await cli(['diagram', 'broken.json'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/\[VALIDATION_ERROR\] invalid JSON at line 2, column \d+/)
  })

  test('usage errors exit 2: no file, missing file, unknown format, bad width', async () => {
    write('chain.json', chainWorkflow(1))
    for (const [args, message] of [
      [['diagram'], 'name a definition FILE to draw'],
      [['diagram', 'nope.json'], 'no such file: nope.json'],
      [['diagram', 'chain.json', '-f', 'pdf'], 'format must be ascii, mermaid, svg or image (png)'],
      [['diagram', 'chain.json', '--width', 'wide'], '--width must be an integer from 20 to 1000'],
      [['diagram', 'chain.json', '--colour'], 'unknown flag --colour'],
    ] as const) {
      const r = await cli([...args])
      expect(r.code).toBe(2)
      expect(r.stderr).toContain(message)
    }
  })

  test('a graph too large for a format exits 1 and names the way out', async () => {
    write('huge.json', chainWorkflow(2000))
    const r = await cli(['diagram', 'huge.json', '-f', 'mermaid'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('[PAYLOAD_TOO_LARGE] diagram too large for this format (mermaid)')
    expect(r.stderr).toContain('use format ascii')
  })

  test('end to end in a real process: opcode diagram FILE --format ascii', async () => {
    const file = write('mixed.json', mixedWorkflow())
    const proc = Bun.spawn(['bun', MAIN, 'diagram', file, '--format', 'ascii'], {
      stdout: 'pipe',
      stderr: 'pipe',
      cwd: dir,
    })
    const [out, err, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ])
    expect(err).toBe('')
    expect(code).toBe(0)
    expect(out).toContain('⬡ review')
    expect(out).toContain('--- route sub-steps ---')
  }, 30_000)
})
