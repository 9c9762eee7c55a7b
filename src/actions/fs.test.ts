/**
 * The eight fs actions on real files in a temp directory, under a path policy that denies a
 * `data` directory (as the server denies its data directory), with their outputs and error codes
 * (spec actions.md §2).
 */
import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { tempDir } from '../../test/support/tmp.ts'
import type { Action, ActionContext, Logger, WorkflowServices } from '../engine/ports.ts'
import { AppError } from '../errors.ts'
import { createPathPolicy, type PathRules, resolveReal } from '../isolation/index.ts'
import { fsActions } from './fs.ts'
import { createActionRegistry } from './registry.ts'

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} }
function makeCtx(signal = new AbortController().signal): ActionContext {
  return {
    workflowId: 'wf',
    stepId: 'fs',
    agentId: 'a',
    attempt: 1,
    idempotencyKey: 'wf:fs',
    signal,
    scope: {},
    services: {} as WorkflowServices,
    log: quiet,
  }
}

let tmp: ReturnType<typeof tempDir>
let root: string
let actions: Map<string, Action>
const p = (...parts: string[]) => join(root, ...parts)

function setup(
  rules: PathRules = { deny: [join('data')] },
  options: { maxReadBytes?: number; maxListEntries?: number } = {},
) {
  actions = new Map(
    fsActions({ paths: createPathPolicy(rules, { cwd: root }), ...options }).map((a) => [
      a.name,
      a,
    ]),
  )
}

beforeEach(() => {
  tmp = tempDir('opcode-fs-')
  root = resolveReal(tmp.dir) as string
  mkdirSync(p('data'))
  writeFileSync(p('data', 'opcode.db'), 'secret')
  mkdirSync(p('work'))
  setup()
})
afterEach(() => tmp.cleanup())

async function run(
  name: string,
  params: Record<string, unknown>,
  ctx = makeCtx(),
): Promise<Record<string, any>> {
  return (await (actions.get(name) as Action).execute(params, ctx)) as Record<string, any>
}

async function failure(
  name: string,
  params: Record<string, unknown>,
  ctx = makeCtx(),
): Promise<AppError> {
  try {
    await (actions.get(name) as Action).execute(params, ctx)
  } catch (err) {
    expect(err).toBeInstanceOf(AppError)
    return err as AppError
  }
  throw new Error(`expected ${name} to fail`)
}

test('the eight actions are declared, reads pure and writes not', () => {
  const names = [...actions.keys()].sort()
  expect(names).toEqual([
    'fs.append',
    'fs.copy',
    'fs.delete',
    'fs.list',
    'fs.move',
    'fs.read',
    'fs.stat',
    'fs.write',
  ])
  expect(
    [...actions.values()]
      .filter((a) => a.pure)
      .map((a) => a.name)
      .sort(),
  ).toEqual(['fs.list', 'fs.read', 'fs.stat'])
  // the registry compiles their schemas and reports problems by JSON pointer
  const registry = createActionRegistry([...actions.values()])
  const write = registry.get('fs.write') as Action
  expect(registry.check(write, { path: 'a', content: 1, extra: true })).toEqual([
    {
      path: '/content',
      code: 'VALIDATION_ERROR',
      message: "param 'content' must be a string, got an integer",
      severity: 'error',
    },
    {
      path: '/extra',
      code: 'UNKNOWN_PARAM',
      message: "unknown param 'extra' is ignored",
      severity: 'warning',
    },
  ])
})

describe('fs.read', () => {
  test('reads text with its size; relative paths are resolved against the cwd', async () => {
    writeFileSync(p('work', 'a.txt'), 'héllo\n')
    expect(await run('fs.read', { path: 'work/a.txt' })).toEqual({
      path: p('work', 'a.txt'),
      content: 'héllo\n',
      encoding: 'text',
      size: 7,
      truncated: false,
    })
  })

  test('auto picks base64 for a NUL byte or invalid UTF-8; explicit encodings are honoured', async () => {
    writeFileSync(p('work', 'bin'), Buffer.from([1, 0, 2, 255]))
    expect(await run('fs.read', { path: p('work', 'bin') })).toMatchObject({
      content: 'AQAC/w==',
      encoding: 'base64',
      size: 4,
    })
    writeFileSync(p('work', 'latin1'), Buffer.from([0x63, 0x61, 0x66, 0xe9]))
    expect(await run('fs.read', { path: p('work', 'latin1') })).toMatchObject({
      content: 'Y2Fm6Q==',
      encoding: 'base64',
    })
    expect(await run('fs.read', { path: p('work', 'latin1'), encoding: 'text' })).toMatchObject({
      content: 'caf\ufffd',
      encoding: 'text',
    })
    writeFileSync(p('work', 't'), 'plain')
    expect(await run('fs.read', { path: p('work', 't'), encoding: 'base64' })).toMatchObject({
      content: 'cGxhaW4=',
      encoding: 'base64',
    })
  })

  test('stops at the read cap and says truncated: true (a cut UTF-8 character is not mistaken for binary)', async () => {
    setup(undefined, { maxReadBytes: 5 })
    writeFileSync(p('work', 'big'), 'abcdé-and-more')
    expect(await run('fs.read', { path: p('work', 'big') })).toEqual({
      path: p('work', 'big'),
      content: 'abcd',
      encoding: 'text',
      size: 5,
      truncated: true,
    })
  })

  test('a file exactly at the cap is not truncated', async () => {
    setup(undefined, { maxReadBytes: 5 })
    writeFileSync(p('work', 'five'), '12345')
    expect(await run('fs.read', { path: p('work', 'five') })).toMatchObject({
      content: '12345',
      truncated: false,
    })
  })

  test('errors: missing file or directory EXECUTION_ERROR, denied PATH_DENIED, bad params VALIDATION_ERROR', async () => {
    const missing = await failure('fs.read', { path: p('work', 'nope') })
    expect(missing.code).toBe('EXECUTION_ERROR')
    expect(missing.message).toBe(`fs.read: stat ${p('work', 'nope')}: no such file or directory`)
    expect((await failure('fs.read', { path: p('work') })).message).toBe(
      `fs.read: read ${p('work')}: is a directory`,
    )
    const denied = await failure('fs.read', { path: p('data', 'opcode.db') })
    expect(denied.code).toBe('PATH_DENIED')
    expect(denied.message).toBe(`fs.read: path "${p('data', 'opcode.db')}" is denied`)
    expect((await failure('fs.read', {})).message).toBe("fs.read: missing required param 'path'")
    expect((await failure('fs.read', { path: 'x', encoding: 'utf16' })).code).toBe(
      'VALIDATION_ERROR',
    )
    expect((await failure('fs.read', { path: 'a\0b' })).message).toBe('fs.read: invalid path')
  })

  test('a FIFO is refused instead of blocking the step', async () => {
    Bun.spawnSync(['mkfifo', p('work', 'pipe')])
    const err = await failure('fs.read', { path: p('work', 'pipe') })
    expect(err.message).toBe(`fs.read: ${p('work', 'pipe')} is not a regular file`)
  })

  test('stops when the step is aborted, with the engine reason', async () => {
    writeFileSync(p('work', 'a'), 'x')
    const ac = new AbortController()
    ac.abort(new AppError('TIMEOUT_ERROR', 'step fs timed out'))
    expect((await failure('fs.read', { path: p('work', 'a') }, makeCtx(ac.signal))).code).toBe(
      'TIMEOUT_ERROR',
    )
  })
})

describe('fs.write and fs.append', () => {
  test('creates and truncates, reporting bytes written', async () => {
    expect(await run('fs.write', { path: p('work', 'w.txt'), content: 'first version' })).toEqual({
      path: p('work', 'w.txt'),
      size: 13,
    })
    expect(await run('fs.write', { path: p('work', 'w.txt'), content: 'né' })).toEqual({
      path: p('work', 'w.txt'),
      size: 3,
    })
    expect(readFileSync(p('work', 'w.txt'), 'utf8')).toBe('né')
  })

  test('mode applies when the file is created (integer or octal string); default 0644', async () => {
    await run('fs.write', { path: p('work', 'default'), content: '' })
    expect(statSync(p('work', 'default')).mode & 0o777).toBe(0o644 & ~process.umask())
    await run('fs.write', { path: p('work', 'private'), content: 'k', mode: 0o600 })
    expect(statSync(p('work', 'private')).mode & 0o777).toBe(0o600)
    await run('fs.write', { path: p('work', 'octal'), content: 'k', mode: '0640' })
    expect(statSync(p('work', 'octal')).mode & 0o777).toBe(0o640 & ~process.umask())
    expect(
      (await failure('fs.write', { path: p('work', 'x'), content: '', mode: '999' })).code,
    ).toBe('VALIDATION_ERROR')
  })

  test('create_dirs makes missing parents; without it a missing parent is EXECUTION_ERROR', async () => {
    const err = await failure('fs.write', { path: p('work', 'a', 'b', 'c.txt'), content: 'x' })
    expect(err.code).toBe('EXECUTION_ERROR')
    expect(err.message).toContain('no such file or directory')
    expect(
      await run('fs.write', {
        path: p('work', 'a', 'b', 'c.txt'),
        content: 'x',
        create_dirs: true,
      }),
    ).toEqual({
      path: p('work', 'a', 'b', 'c.txt'),
      size: 1,
    })
  })

  test('base64 content writes bytes; invalid base64 is VALIDATION_ERROR', async () => {
    await run('fs.write', { path: p('work', 'bin'), content: 'AQAC/w==', encoding: 'base64' })
    expect([...readFileSync(p('work', 'bin'))]).toEqual([1, 0, 2, 255])
    expect(
      (
        await failure('fs.write', {
          path: p('work', 'bin'),
          content: 'not base64!',
          encoding: 'base64',
        })
      ).code,
    ).toBe('VALIDATION_ERROR')
  })

  test('content must be a string (no silent empty file)', async () => {
    const err = await failure('fs.write', { path: p('work', 'n'), content: 42 })
    expect(err.code).toBe('VALIDATION_ERROR')
    expect(existsSync(p('work', 'n'))).toBe(false)
    expect((await failure('fs.write', { path: p('work', 'n') })).message).toBe(
      "fs.write: missing required param 'content'",
    )
  })

  test('writes obey the rules: denied paths, read-only entries, no writable entry', async () => {
    expect(
      (await failure('fs.write', { path: p('data', 'settings.json'), content: '{}' })).code,
    ).toBe('PATH_DENIED')
    setup({ read_only: [p('work')], writable: [p('out')] })
    const err = await failure('fs.write', { path: p('work', 'x'), content: '' })
    expect(err.message).toBe(
      `fs.write: write access to "${p('work', 'x')}" denied: not under any writable path`,
    )
  })

  test('append creates the file, then appends; size is the file size after', async () => {
    expect(await run('fs.append', { path: p('work', 'log'), content: 'one\n' })).toEqual({
      path: p('work', 'log'),
      size: 4,
    })
    expect(await run('fs.append', { path: p('work', 'log'), content: 'two\n' })).toEqual({
      path: p('work', 'log'),
      size: 8,
    })
    expect(readFileSync(p('work', 'log'), 'utf8')).toBe('one\ntwo\n')
    expect((await failure('fs.append', { path: p('data', 'log'), content: 'x' })).code).toBe(
      'PATH_DENIED',
    )
  })
})

describe('fs.list', () => {
  beforeEach(() => {
    mkdirSync(p('work', 'sub', 'deep'), { recursive: true })
    writeFileSync(p('work', 'b.log'), 'bb')
    writeFileSync(p('work', 'a.txt'), 'a')
    writeFileSync(p('work', 'sub', 'c.log'), 'ccc')
    writeFileSync(p('work', 'sub', 'deep', 'd.log'), 'dddd')
    utimesSync(p('work', 'a.txt'), 1_700_000_000, 1_700_000_000.75)
  })

  test('lists direct children sorted by name with size, modified_at (RFC 3339, whole seconds) and is_dir', async () => {
    const out = await run('fs.list', { path: p('work') })
    expect(out.path).toBe(p('work'))
    expect(out.truncated).toBe(false)
    expect(out.entries.map((e: any) => e.name)).toEqual(['a.txt', 'b.log', 'sub'])
    expect(out.entries[0]).toEqual({
      name: 'a.txt',
      path: p('work', 'a.txt'),
      size: 1,
      modified_at: '2023-11-14T22:13:20Z',
      is_dir: false,
    })
    expect(out.entries[2]).toMatchObject({ name: 'sub', is_dir: true })
  })

  test('recursive lists everything below, depth-first in name order; a pattern matches base names', async () => {
    const all = await run('fs.list', { path: p('work'), recursive: true })
    expect(all.entries.map((e: any) => e.path.slice(p('work').length + 1))).toEqual([
      'a.txt',
      'b.log',
      'sub',
      'sub/c.log',
      'sub/deep',
      'sub/deep/d.log',
    ])
    const logs = await run('fs.list', { path: p('work'), recursive: true, pattern: '*.log' })
    expect(logs.entries.map((e: any) => e.name)).toEqual(['b.log', 'c.log', 'd.log'])
  })

  test('a non-recursive pattern is globbed under the path and may contain a separator', async () => {
    const top = await run('fs.list', { path: p('work'), pattern: '*.log' })
    expect(top.entries.map((e: any) => e.name)).toEqual(['b.log'])
    const nested = await run('fs.list', { path: p('work'), pattern: 'sub/*/*.log' })
    expect(nested.entries.map((e: any) => e.path)).toEqual([p('work', 'sub', 'deep', 'd.log')])
    expect(await run('fs.list', { path: p('work', 'missing'), pattern: '*' })).toEqual({
      path: p('work', 'missing'),
      entries: [],
      truncated: false,
    })
  })

  test('errors: missing directory EXECUTION_ERROR, invalid pattern VALIDATION_ERROR', async () => {
    expect((await failure('fs.list', { path: p('work', 'missing') })).code).toBe('EXECUTION_ERROR')
    expect((await failure('fs.list', { path: p('work', 'missing'), recursive: true })).code).toBe(
      'EXECUTION_ERROR',
    )
    const bad = await failure('fs.list', { path: p('work'), pattern: '[a' })
    expect(bad.code).toBe('VALIDATION_ERROR')
    expect(bad.message).toContain('invalid pattern')
  })

  test('denied entries are neither shown nor entered', async () => {
    const out = await run('fs.list', { path: root, recursive: true })
    const paths = out.entries.map((e: any) => e.path)
    expect(paths).not.toContain(p('data'))
    expect(paths).not.toContain(p('data', 'opcode.db'))
    expect(paths).toContain(p('work', 'sub', 'deep', 'd.log'))
    expect((await run('fs.list', { path: root })).entries.map((e: any) => e.name)).toEqual(['work'])
    expect((await failure('fs.list', { path: p('data') })).code).toBe('PATH_DENIED')
  })

  test('listings stop at the entry cap with truncated: true', async () => {
    setup(undefined, { maxListEntries: 2 })
    const out = await run('fs.list', { path: p('work'), recursive: true })
    expect(out.entries.length).toBe(2)
    expect(out.truncated).toBe(true)
  })
})

describe('fs.stat', () => {
  test('describes a file (symlinks followed) with octal permissions', async () => {
    writeFileSync(p('work', 'f'), 'abc')
    chmodSync(p('work', 'f'), 0o640)
    symlinkSync(p('work', 'f'), p('work', 'link'))
    utimesSync(p('work', 'f'), 1_700_000_000, 1_700_000_000)
    expect(await run('fs.stat', { path: p('work', 'link') })).toEqual({
      path: p('work', 'link'),
      size: 3,
      modified_at: '2023-11-14T22:13:20Z',
      is_dir: false,
      permissions: '0640',
    })
    expect((await run('fs.stat', { path: p('work') })).is_dir).toBe(true)
  })

  test('missing is EXECUTION_ERROR; a symlink into a denied directory is PATH_DENIED', async () => {
    expect((await failure('fs.stat', { path: p('nope') })).code).toBe('EXECUTION_ERROR')
    symlinkSync(p('data', 'opcode.db'), p('work', 'sneaky'))
    expect((await failure('fs.stat', { path: p('work', 'sneaky') })).code).toBe('PATH_DENIED')
  })
})

describe('fs.copy', () => {
  test('copies a file with its permission bits', async () => {
    writeFileSync(p('work', 'run.sh'), '#!/bin/sh\n')
    chmodSync(p('work', 'run.sh'), 0o750)
    expect(await run('fs.copy', { src: p('work', 'run.sh'), dst: p('work', 'copy.sh') })).toEqual({
      src: p('work', 'run.sh'),
      dst: p('work', 'copy.sh'),
      size: 10,
      is_dir: false,
    })
    expect(statSync(p('work', 'copy.sh')).mode & 0o777).toBe(0o750)
  })

  test('copies a directory recursively, merged into dst; size is the bytes copied; symlinks stay links', async () => {
    mkdirSync(p('work', 'src', 'inner'), { recursive: true })
    writeFileSync(p('work', 'src', 'one'), '1')
    writeFileSync(p('work', 'src', 'inner', 'two'), '22')
    symlinkSync('one', p('work', 'src', 'alias'))
    mkdirSync(p('work', 'dst'))
    writeFileSync(p('work', 'dst', 'kept'), 'k')
    const out = await run('fs.copy', { src: p('work', 'src'), dst: p('work', 'dst') })
    expect(out).toEqual({ src: p('work', 'src'), dst: p('work', 'dst'), size: 3, is_dir: true })
    expect(readFileSync(p('work', 'dst', 'inner', 'two'), 'utf8')).toBe('22')
    expect(readFileSync(p('work', 'dst', 'kept'), 'utf8')).toBe('k')
    expect(readlinkSync(p('work', 'dst', 'alias'))).toBe('one')
  })

  test('create_dirs makes the parents of dst', async () => {
    writeFileSync(p('work', 'f'), 'x')
    await run('fs.copy', { src: p('work', 'f'), dst: p('work', 'x', 'y', 'f'), create_dirs: true })
    expect(readFileSync(p('work', 'x', 'y', 'f'), 'utf8')).toBe('x')
  })

  test('errors: a file onto a directory, a directory into itself, a missing source', async () => {
    writeFileSync(p('work', 'f'), 'x')
    mkdirSync(p('work', 'd'))
    expect((await failure('fs.copy', { src: p('work', 'f'), dst: p('work', 'd') })).code).toBe(
      'EXECUTION_ERROR',
    )
    const itself = await failure('fs.copy', { src: p('work'), dst: p('work', 'd', 'again') })
    expect(itself.code).toBe('VALIDATION_ERROR')
    expect(itself.message).toContain('inside itself')
    expect((await failure('fs.copy', { src: p('work', 'none'), dst: p('work', 'z') })).code).toBe(
      'EXECUTION_ERROR',
    )
  })

  test('the denied data directory cannot be copied out, even as part of a tree', async () => {
    expect(
      (await failure('fs.copy', { src: p('data', 'opcode.db'), dst: p('work', 'stolen') })).code,
    ).toBe('PATH_DENIED')
    const tree = await failure('fs.copy', { src: root, dst: p('work', 'backup') })
    expect(tree.code).toBe('VALIDATION_ERROR') // into itself comes first
    const out = mkdtempSync(join(resolveReal('/tmp') as string, 'opcode-fs-out-'))
    try {
      const err = await failure('fs.copy', { src: root, dst: join(out, 'backup') })
      expect(err.code).toBe('PATH_DENIED')
      expect(existsSync(join(out, 'backup', 'data', 'opcode.db'))).toBe(false)
    } finally {
      rmSync(out, { recursive: true, force: true })
    }
  })
})

describe('fs.move', () => {
  test('renames a file; size is the stat size', async () => {
    writeFileSync(p('work', 'a'), 'abc')
    expect(await run('fs.move', { src: p('work', 'a'), dst: p('work', 'b') })).toEqual({
      src: p('work', 'a'),
      dst: p('work', 'b'),
      size: 3,
      is_dir: false,
    })
    expect(existsSync(p('work', 'a'))).toBe(false)
    expect(readFileSync(p('work', 'b'), 'utf8')).toBe('abc')
  })

  const shmOther = existsSync('/dev/shm') && statSync('/dev/shm').dev !== statSync(tmpdir()).dev
  test.skipIf(!shmOther)(
    `moves across file systems by copy and delete${shmOther ? '' : ' (skipped: /dev/shm is not another file system here)'}`,
    async () => {
      const shm = mkdtempSync('/dev/shm/opcode-fs-')
      try {
        mkdirSync(p('work', 'tree', 'x'), { recursive: true })
        writeFileSync(p('work', 'tree', 'x', 'f'), '12345')
        const out = await run('fs.move', { src: p('work', 'tree'), dst: join(shm, 'tree') })
        expect(out).toEqual({
          src: p('work', 'tree'),
          dst: join(shm, 'tree'),
          size: 5,
          is_dir: true,
        })
        expect(existsSync(p('work', 'tree'))).toBe(false)
        expect(readFileSync(join(shm, 'tree', 'x', 'f'), 'utf8')).toBe('12345')
      } finally {
        rmSync(shm, { recursive: true, force: true })
      }
    },
  )

  test('needs write access on both ends; a tree holding a denied path cannot move', async () => {
    expect((await failure('fs.move', { src: p('data'), dst: p('work', 'data') })).code).toBe(
      'PATH_DENIED',
    )
    const err = await failure('fs.move', { src: root, dst: `${root}-moved` })
    expect(err.code).toBe('PATH_DENIED')
    expect(err.message).toContain('contains a denied path')
    writeFileSync(p('work', 'f'), 'x')
    expect((await failure('fs.move', { src: p('work', 'f'), dst: p('data', 'f') })).code).toBe(
      'PATH_DENIED',
    )
  })

  test('errors: a missing source, a directory into itself', async () => {
    expect((await failure('fs.move', { src: p('work', 'none'), dst: p('work', 'z') })).code).toBe(
      'EXECUTION_ERROR',
    )
    expect((await failure('fs.move', { src: p('work'), dst: p('work', 'in') })).code).toBe(
      'VALIDATION_ERROR',
    )
  })
})

describe('fs.delete', () => {
  test('removes a file or an empty directory', async () => {
    writeFileSync(p('work', 'f'), 'x')
    expect(await run('fs.delete', { path: p('work', 'f') })).toEqual({
      path: p('work', 'f'),
      deleted: true,
    })
    mkdirSync(p('work', 'empty'))
    await run('fs.delete', { path: p('work', 'empty') })
    expect(existsSync(p('work', 'empty'))).toBe(false)
  })

  test('non-recursive: a missing path or a non-empty directory is EXECUTION_ERROR', async () => {
    expect((await failure('fs.delete', { path: p('work', 'none') })).code).toBe('EXECUTION_ERROR')
    writeFileSync(p('work', 'f'), 'x')
    const err = await failure('fs.delete', { path: p('work') })
    expect(err.code).toBe('EXECUTION_ERROR')
    expect(err.message).toContain('directory not empty')
  })

  test('recursive removes a whole tree and succeeds for a missing path', async () => {
    mkdirSync(p('work', 't', 'u'), { recursive: true })
    writeFileSync(p('work', 't', 'u', 'f'), 'x')
    expect(await run('fs.delete', { path: p('work', 't'), recursive: true })).toEqual({
      path: p('work', 't'),
      deleted: true,
    })
    expect(existsSync(p('work', 't'))).toBe(false)
    expect(await run('fs.delete', { path: p('work', 't'), recursive: true })).toEqual({
      path: p('work', 't'),
      deleted: true,
    })
  })

  test('never deletes a denied path, a tree that holds one, or the root directory', async () => {
    expect((await failure('fs.delete', { path: p('data', 'opcode.db') })).code).toBe('PATH_DENIED')
    const tree = await failure('fs.delete', { path: root, recursive: true })
    expect(tree.code).toBe('PATH_DENIED')
    expect(existsSync(p('data', 'opcode.db'))).toBe(true)
    setup({})
    expect((await failure('fs.delete', { path: '/', recursive: true })).message).toBe(
      'fs.delete: refusing to delete the root directory',
    )
  })

  test('deleting a symlink removes the link, not its target', async () => {
    writeFileSync(p('work', 'target'), 'x')
    symlinkSync(p('work', 'target'), p('work', 'link'))
    await run('fs.delete', { path: p('work', 'link') })
    expect(() => lstatSync(p('work', 'link'))).toThrow()
    expect(existsSync(p('work', 'target'))).toBe(true)
  })
})
