/**
 * The agent skill is installable: SKILL.md starts with YAML front matter whose `name` matches its
 * folder and whose `description` fits the limits skill managers apply; every reference it links
 * exists. And no relative link in the docs, the skill or the READMEs points to a missing file.
 */
import { describe, expect, test } from 'bun:test'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'

const ROOT = join(import.meta.dir, '..', '..')
const SKILL = join(ROOT, 'skills', 'opcode')

function markdownFiles(dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out.push(...markdownFiles(p))
    else if (name.endsWith('.md')) out.push(p)
  }
  return out
}

describe('agent skill', () => {
  const text = readFileSync(join(SKILL, 'SKILL.md'), 'utf8')

  test('SKILL.md has front matter with a name and a description', () => {
    const m = /^---\n([\s\S]*?)\n---\n/.exec(text)
    expect(m).not.toBeNull()
    const meta = Bun.YAML.parse(m?.[1] ?? '') as Record<string, unknown>
    expect(meta.name).toBe('opcode')
    expect(String(meta.name)).toMatch(/^[a-z0-9-]{1,64}$/)
    expect(typeof meta.description).toBe('string')
    const d = String(meta.description)
    expect(d.length).toBeGreaterThan(100)
    expect(d.length).toBeLessThanOrEqual(1024)
    expect(d).toContain('Use when')
  })

  test('SKILL.md stays short and links every reference file', () => {
    expect(text.split('\n').length).toBeLessThan(200)
    const refs = readdirSync(join(SKILL, 'references')).filter((f) => f.endsWith('.md'))
    expect(refs.sort()).toEqual([
      'actions.md',
      'error-handling.md',
      'expressions.md',
      'operations.md',
      'patterns.md',
      'workflow-schema.md',
    ])
    for (const r of refs) expect(text).toContain(`(references/${r})`)
  })
})

describe('relative links', () => {
  const files = [
    ...markdownFiles(join(ROOT, 'docs')),
    ...markdownFiles(join(ROOT, 'skills')),
    ...markdownFiles(join(ROOT, 'examples')),
    join(ROOT, 'README.md'),
  ]
  test.each(files.map((f) => [relative(ROOT, f), f]))(
    '%s links only to files that exist',
    (_n, file) => {
      const md = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '')
      const broken: string[] = []
      for (const m of md.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = (m[1] as string).split('#')[0] as string
        if (target === '' || /^[a-z]+:/.test(target)) continue
        if (!existsSync(join(dirname(file), target))) broken.push(m[1] as string)
      }
      expect(broken).toEqual([])
    },
  )
})
