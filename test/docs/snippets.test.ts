/**
 * Documentation cannot rot: every ```json block of skills/, docs/, README.md and
 * examples/README.md must be valid JSON, and every workflow in them — a definition with `steps`, a
 * `definition` inside a tool call, or a single step — must pass the validator with no errors
 * (and, for whole definitions, no warnings). A block preceded by `<!-- invalid -->` must fail
 * validation; `<!-- warnings -->` allows warnings. Other languages (```jsonc, ```text) are not
 * checked.
 */
import { describe, expect, test } from 'bun:test'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { builtinActionNames } from '../../src/actions/index.ts'
import { validateDefinition } from '../../src/validation/index.ts'

const ROOT = join(import.meta.dir, '..', '..')

// Every built-in action, shell.exec and fs.* included.
const ACTIONS = new Set(builtinActionNames())

interface Snippet {
  file: string
  line: number
  text: string
  marker?: 'invalid' | 'warnings'
}

function markdownFiles(dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out.push(...markdownFiles(p))
    else if (name.endsWith('.md')) out.push(p)
  }
  return out
}

/** Fenced ```json blocks with their line and the marker comment right above them. */
export function extractJsonBlocks(file: string, markdown: string): Snippet[] {
  const lines = markdown.split('\n')
  const out: Snippet[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```json\s*$/.exec(lines[i] as string)
    if (open === null) continue
    const indent = open[1] as string
    let j = i + 1
    while (j < lines.length && (lines[j] as string).trim() !== '```') j++
    const text = lines
      .slice(i + 1, j)
      .map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l))
      .join('\n')
    let k = i - 1
    while (k >= 0 && (lines[k] as string).trim() === '') k--
    const above = k >= 0 ? (lines[k] as string).trim() : ''
    const marker =
      above === '<!-- invalid -->'
        ? 'invalid'
        : above === '<!-- warnings -->'
          ? 'warnings'
          : undefined
    out.push({ file, line: i + 1, text, ...(marker === undefined ? {} : { marker }) })
    i = j
  }
  return out
}

type Json = Record<string, unknown>
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)

/** The workflow definitions a snippet holds, and whether each is a whole definition. */
function workflowsIn(value: unknown): Array<{ definition: Json; whole: boolean }> {
  if (!isObject(value)) return []
  if (Array.isArray(value.steps)) return [{ definition: value, whole: true }]
  if (isObject(value.definition) && Array.isArray(value.definition.steps))
    return [{ definition: value.definition, whole: true }]
  if (
    typeof value.id === 'string' &&
    (typeof value.action === 'string' || typeof value.type === 'string')
  )
    return [{ definition: { steps: [value] }, whole: false }]
  return []
}

const files = [
  ...markdownFiles(join(ROOT, 'skills')),
  ...markdownFiles(join(ROOT, 'docs')),
  join(ROOT, 'README.md'),
  join(ROOT, 'examples', 'README.md'),
]
const snippets = files.flatMap((f) => extractJsonBlocks(relative(ROOT, f), readFileSync(f, 'utf8')))

describe('documentation snippets', () => {
  test('the skill and the docs contain workflow snippets to check', () => {
    const workflows = snippets.filter((s) => {
      try {
        return workflowsIn(JSON.parse(s.text)).length > 0
      } catch {
        return false
      }
    })
    expect(workflows.filter((s) => s.file.startsWith('skills/')).length).toBeGreaterThanOrEqual(5)
    expect(workflows.filter((s) => s.file.startsWith('docs/')).length).toBeGreaterThanOrEqual(5)
  })

  test.each(snippets.map((s) => [`${s.file}:${s.line}`, s] as const))('%s', (_where, s) => {
    let value: unknown
    try {
      value = JSON.parse(s.text)
    } catch (err) {
      throw new Error(`${s.file}:${s.line}: not valid JSON (${(err as Error).message})`)
    }
    const found = workflowsIn(value)
    if (s.marker === 'invalid') {
      expect(found.length).toBeGreaterThan(0)
      for (const w of found)
        expect(validateDefinition(w.definition, { actions: ACTIONS }).ok).toBe(false)
      return
    }
    for (const w of found) {
      const r = validateDefinition(w.definition, { actions: ACTIONS })
      const errors = r.ok ? [] : r.errors.map((i) => `${i.path}: ${i.message}`)
      expect(errors).toEqual([])
      if (w.whole && s.marker !== 'warnings') {
        expect(r.warnings.map((i) => `${i.path}: ${i.message}`)).toEqual([])
      }
    }
  })
})

describe('snippet extraction', () => {
  test('finds json blocks, their line, indentation and markers; skips other languages', () => {
    const md = [
      '# t',
      '<!-- invalid -->',
      '',
      '```json',
      '{"steps": []}',
      '```',
      '```jsonc',
      '{ // no }',
      '```',
      '- item',
      '  ```json',
      '  {"a": 1}',
      '  ```',
    ].join('\n')
    expect(extractJsonBlocks('x.md', md)).toEqual([
      { file: 'x.md', line: 4, text: '{"steps": []}', marker: 'invalid' },
      { file: 'x.md', line: 11, text: '{"a": 1}' },
    ])
  })

  test('an invalid workflow marked invalid is recognised as invalid', () => {
    const r = validateDefinition({ steps: [{ id: 'a', depends_on: ['a'], action: 'crypto.uuid' }] })
    expect(r.ok).toBe(false)
  })
})
