import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../../test/support/tmp.ts'
import { AppError } from '../errors.ts'
import {
  createPathPolicy,
  isUnder,
  parsePathRules,
  pathRulesFromSettings,
  resolveReal,
} from './paths.ts'

let tmp: ReturnType<typeof tempDir>
let root: string
beforeEach(() => {
  tmp = tempDir('opcode-paths-')
  root = resolveReal(tmp.dir) as string
  mkdirSync(join(root, 'data'))
  mkdirSync(join(root, 'database'))
  mkdirSync(join(root, 'pub'))
  mkdirSync(join(root, 'work'))
  writeFileSync(join(root, 'data', 'secret.db'), 'x')
})
afterEach(() => tmp.cleanup())

function denied(fn: () => unknown): AppError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(AppError)
    expect((err as AppError).code).toBe('PATH_DENIED')
    return err as AppError
  }
  throw new Error('expected PATH_DENIED')
}

describe('createPathPolicy', () => {
  test('allows everything when no list is configured', () => {
    const p = createPathPolicy({}, { cwd: root })
    expect(p.checkRead('/etc/hostname')).toBe('/etc/hostname')
    expect(p.checkWrite(join(root, 'new', 'file'))).toBe(join(root, 'new', 'file'))
  })

  test('makes relative paths absolute against its cwd and cleans them', () => {
    const p = createPathPolicy({}, { cwd: join(root, 'work') })
    expect(p.checkRead('a/../b/./c.txt')).toBe(join(root, 'work', 'b', 'c.txt'))
    expect(p.absolute('')).toBe(join(root, 'work'))
  })

  test('denies a path containing NUL as an invalid path', () => {
    const p = createPathPolicy({}, { cwd: root })
    expect(denied(() => p.checkRead('/tmp/a\0b')).message).toBe('invalid path')
  })

  test('denies the deny entry itself and everything below it, by whole components', () => {
    const p = createPathPolicy({ deny: [join(root, 'data')] }, { cwd: root })
    expect(denied(() => p.checkRead(join(root, 'data'))).message).toBe(
      `path "${join(root, 'data')}" is denied`,
    )
    denied(() => p.checkRead(join(root, 'data', 'secret.db')))
    denied(() => p.checkWrite(join(root, 'data', 'not-yet', 'deep.txt')))
    // /data does not cover /database
    expect(p.checkRead(join(root, 'database'))).toBe(join(root, 'database'))
  })

  test('resolves symlinks of the longest existing ancestor before checking', () => {
    symlinkSync(join(root, 'data'), join(root, 'pub', 'link'))
    const p = createPathPolicy({ deny: [join(root, 'data')] }, { cwd: root })
    denied(() => p.checkRead(join(root, 'pub', 'link', 'secret.db')))
    // a file that does not exist yet under the symlinked directory is judged by its real place
    denied(() => p.checkWrite(join(root, 'pub', 'link', 'new-file')))
    // `..` is cleaned lexically first, so pub/link/.. is pub, which is allowed
    expect(p.checkRead(join(root, 'pub', 'link', '..', 'x'))).toBe(join(root, 'pub', 'x'))
  })

  test('resolves deny entries through symlinks too', () => {
    symlinkSync(join(root, 'data'), join(root, 'alias'))
    const p = createPathPolicy({ deny: [join(root, 'alias')] }, { cwd: root })
    denied(() => p.checkRead(join(root, 'data', 'secret.db')))
  })

  test('a deny entry that cannot be resolved denies everything (fail closed)', () => {
    symlinkSync('loop-b', join(root, 'loop-a'))
    symlinkSync('loop-a', join(root, 'loop-b'))
    const p = createPathPolicy({ deny: [join(root, 'loop-a', 'x')] }, { cwd: root })
    expect(denied(() => p.checkRead('/etc/hostname')).message).toContain('cannot be resolved')
    const empty = createPathPolicy({ deny: [''] }, { cwd: root })
    denied(() => empty.checkRead('/etc/hostname'))
  })

  test('writes need a writable entry; read-only entries never grant writes', () => {
    const p = createPathPolicy({ read_only: [join(root, 'pub')] }, { cwd: root })
    expect(p.checkRead(join(root, 'pub', 'a'))).toBe(join(root, 'pub', 'a'))
    expect(denied(() => p.checkWrite(join(root, 'pub', 'a'))).message).toBe(
      `write access to "${join(root, 'pub', 'a')}" denied: no writable paths configured`,
    )
    const q = createPathPolicy(
      { read_only: [join(root, 'pub')], writable: [join(root, 'work')] },
      { cwd: root },
    )
    expect(q.checkWrite(join(root, 'work', 'out.txt'))).toBe(join(root, 'work', 'out.txt'))
    expect(denied(() => q.checkWrite(join(root, 'pub', 'a'))).message).toBe(
      `write access to "${join(root, 'pub', 'a')}" denied: not under any writable path`,
    )
  })

  test('reads are allowed under read-only or writable entries only, once a list is set', () => {
    const p = createPathPolicy(
      { read_only: [join(root, 'pub')], writable: [join(root, 'work')] },
      { cwd: root },
    )
    expect(p.checkRead(join(root, 'work', 'x'))).toBe(join(root, 'work', 'x'))
    expect(denied(() => p.checkRead(join(root, 'database'))).message).toBe(
      `read access to "${join(root, 'database')}" denied: not under any allowed path`,
    )
  })

  test('deny wins over writable', () => {
    const p = createPathPolicy(
      { deny: [join(root, 'work', 'private')], writable: [join(root, 'work')] },
      { cwd: root },
    )
    expect(p.checkWrite(join(root, 'work', 'ok'))).toBe(join(root, 'work', 'ok'))
    denied(() => p.checkWrite(join(root, 'work', 'private', 'k')))
  })

  test('invalid allow entries are skipped', () => {
    const p = createPathPolicy({ writable: ['', join(root, 'work')] }, { cwd: root })
    expect(p.checkWrite(join(root, 'work', 'a'))).toBe(join(root, 'work', 'a'))
  })

  test('checkWriteTree refuses a directory that contains a denied path', () => {
    const p = createPathPolicy({ deny: [join(root, 'data')] }, { cwd: root })
    expect(p.checkWrite(root)).toBe(root)
    expect(denied(() => p.checkWriteTree(root)).message).toContain('contains a denied path')
    expect(p.checkWriteTree(join(root, 'work'))).toBe(join(root, 'work'))
  })

  test('reload swaps the rules for the next checks (SIGHUP)', () => {
    const p = createPathPolicy({}, { cwd: root })
    expect(p.checkRead(join(root, 'data', 'secret.db'))).toBe(join(root, 'data', 'secret.db'))
    p.reload({ deny: [join(root, 'data')] })
    denied(() => p.checkRead(join(root, 'data', 'secret.db')))
    expect(p.rules.deny).toEqual([join(root, 'data')])
  })

  test('allows() answers without throwing', () => {
    const p = createPathPolicy({ deny: [join(root, 'data')] }, { cwd: root })
    expect(p.allows(join(root, 'data', 'x'), 'read')).toBe(false)
    expect(p.allows(join(root, 'pub'), 'write')).toBe(true)
  })
})

describe('settings', () => {
  test('the data directory and the database files are always denied', () => {
    const rules = pathRulesFromSettings(
      { writable: ['/srv'] },
      { dataDir: '/home/u/.opcode', dbPath: '/var/lib/opcode.db' },
    )
    expect(rules.deny).toEqual([
      '/home/u/.opcode',
      '/var/lib/opcode.db',
      '/var/lib/opcode.db-wal',
      '/var/lib/opcode.db-shm',
      '/var/lib/opcode.db-journal',
    ])
    expect(rules.writable).toEqual(['/srv'])
    const mem = pathRulesFromSettings(undefined, { dataDir: '/d', dbPath: ':memory:' })
    expect(mem).toEqual({ deny: ['/d'], read_only: [], writable: [] })
  })

  test('the default policy denies the data directory and nothing else', () => {
    const rules = pathRulesFromSettings(undefined, { dataDir: join(root, 'data') })
    const p = createPathPolicy(rules, { cwd: root })
    denied(() => p.checkRead(join(root, 'data', 'secret.db')))
    expect(p.checkWrite(join(root, 'work', 'x'))).toBe(join(root, 'work', 'x'))
  })

  test('malformed paths settings are a VALIDATION_ERROR naming the key', () => {
    expect(() => parsePathRules([])).toThrow('settings "paths" must be an object')
    expect(() => parsePathRules({ deny: '/x' })).toThrow('settings "paths.deny" must be a list')
    expect(() => parsePathRules({ allow: [] })).toThrow('settings "paths.allow" is unknown')
  })
})

test('isUnder compares whole components', () => {
  expect(isUnder('/data', '/data')).toBe(true)
  expect(isUnder('/data/x', '/data')).toBe(true)
  expect(isUnder('/database', '/data')).toBe(false)
  expect(isUnder('/anything', '/')).toBe(true)
})
