import { afterEach, describe, expect, test } from 'bun:test'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { checksums, defaultOutfile, hostTarget, sourceCommit, TARGETS } from './build.ts'

let dir: string | undefined

afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  dir = undefined
})

describe('scripts/build.ts', () => {
  test('checksums.txt lines are verified by sha256sum -c', () => {
    dir = mkdtempSync(join(tmpdir(), 'opcode-build-'))
    const files = ['opcode-linux-x64', 'opcode-windows-x64.exe'].map((name, i) => {
      const path = join(dir as string, name)
      writeFileSync(path, `binary ${i}\n`.repeat(1000))
      return path
    })
    const text = checksums(files)
    expect(text.split('\n').filter(Boolean)).toHaveLength(2)
    writeFileSync(join(dir, 'checksums.txt'), text)
    const ok = spawnSync('sha256sum', ['-c', 'checksums.txt'], { cwd: dir, encoding: 'utf8' })
    expect(ok.stdout).toBe('opcode-linux-x64: OK\nopcode-windows-x64.exe: OK\n')
    expect(ok.status).toBe(0)
    writeFileSync(files[0] as string, 'tampered')
    const bad = spawnSync('sha256sum', ['-c', 'checksums.txt'], { cwd: dir, encoding: 'utf8' })
    expect(bad.status).toBe(1)
  })

  test('the commit stamp comes from OPCODE_BUILD_COMMIT when set, else from git', () => {
    const saved = process.env.OPCODE_BUILD_COMMIT
    try {
      process.env.OPCODE_BUILD_COMMIT = 'abc123'
      expect(sourceCommit()).toBe('abc123')
      delete process.env.OPCODE_BUILD_COMMIT
      expect(sourceCommit()).toMatch(/^([0-9a-f]{12}(-dirty)?|unknown)$/)
    } finally {
      if (saved === undefined) delete process.env.OPCODE_BUILD_COMMIT
      else process.env.OPCODE_BUILD_COMMIT = saved
    }
  })

  test('every release target has its own file name; the host is one of them', () => {
    expect(TARGETS).toContain(hostTarget())
    const names = TARGETS.map((t) => defaultOutfile(t).split('/').pop())
    expect(names).toEqual([
      'opcode-linux-x64',
      'opcode-linux-arm64',
      'opcode-darwin-x64',
      'opcode-darwin-arm64',
      'opcode-windows-x64.exe',
    ])
    expect(defaultOutfile(undefined).endsWith(join('dist', 'opcode'))).toBe(true)
  })
})
