import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../../test/support/tmp.ts'
import { resolveReal } from '../isolation/index.ts'
import { BadPattern, compileGlob, glob } from './fs-glob.ts'

describe('compileGlob (Go filepath.Match semantics)', () => {
  const cases: Array<[string, string, boolean]> = [
    ['*.txt', 'a.txt', true],
    ['*.txt', '.hidden.txt', true],
    ['*.txt', 'dir/a.txt', false],
    ['a?c', 'abc', true],
    ['a?c', 'a/c', false],
    ['[a-c]x', 'bx', true],
    ['[a-c]x', 'dx', false],
    ['[^a-c]x', 'dx', true],
    ['[^a-c]x', 'ax', false],
    ['[^a]', '/', false],
    ['\\*', '*', true],
    ['\\*', 'a', false],
    ['[\\]]', ']', true],
    ['a.b', 'aXb', false],
    ['(x)+', '(x)+', true],
    ['é*', 'été', true],
    ['*/*.log', 'app/x.log', true],
  ]
  for (const [pattern, name, want] of cases) {
    test(`${JSON.stringify(pattern)} ${want ? 'matches' : 'does not match'} ${JSON.stringify(name)}`, () => {
      expect(compileGlob(pattern).test(name)).toBe(want)
    })
  }

  test('malformed patterns are refused', () => {
    for (const bad of ['[', '[]', '[a', 'a\\', '[z-a]', '[a-]', '[]a]']) {
      expect(() => compileGlob(bad)).toThrow(BadPattern)
    }
  })
})

describe('glob', () => {
  const tmp = tempDir('opcode-glob-')
  let root = ''
  beforeAll(() => {
    root = resolveReal(tmp.dir) as string
    for (const d of ['logs/app', 'logs/db', 'logs/db/old'])
      mkdirSync(join(root, d), { recursive: true })
    for (const f of [
      'logs/app/1.log',
      'logs/app/2.txt',
      'logs/db/b.log',
      'logs/db/a.log',
      'logs/top.log',
    ]) {
      writeFileSync(join(root, f), f)
    }
  })
  afterAll(() => tmp.cleanup())

  test('matches one level and sorts by name', () => {
    expect(glob(join(root, 'logs/db/*.log'))).toEqual([
      join(root, 'logs/db/a.log'),
      join(root, 'logs/db/b.log'),
    ])
  })

  test('patterns may span directories', () => {
    expect(glob(join(root, 'logs/*/*.log'))).toEqual([
      join(root, 'logs/app/1.log'),
      join(root, 'logs/db/a.log'),
      join(root, 'logs/db/b.log'),
    ])
  })

  test('a missing directory gives no match; a literal path matches when it exists', () => {
    expect(glob(join(root, 'nope/*.log'))).toEqual([])
    expect(glob(join(root, 'logs/top.log'))).toEqual([join(root, 'logs/top.log')])
    expect(glob(join(root, 'logs/none.log'))).toEqual([])
  })

  test('an invalid pattern is refused even when the directory is missing', () => {
    expect(() => glob(join(root, 'nope/[a'))).toThrow(BadPattern)
  })
})
