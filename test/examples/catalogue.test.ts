/**
 * The examples as a whole: enough of them, each one valid with no errors and no warnings against
 * every built-in action, documented, exercised by a test, and listed in examples/README.md (whose
 * catalogue and feature index are generated from the files and must be current). Together they
 * must cover every feature the project promises to demonstrate.
 */
import { describe, expect, test } from 'bun:test'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { builtinActionNames } from '../../src/actions/index.ts'
import { validateDefinition } from '../../src/validation/index.ts'
import {
  CATEGORIES,
  EXAMPLES_DIR,
  FEATURES,
  loadExamples,
  README,
  renderCatalogue,
  withCatalogue,
} from './catalogue.ts'

const examples = loadExamples()

/** Markdown tables without the padding the formatter adds. */
function normaliseTables(md: string): string {
  return md
    .split('\n')
    .map((line) =>
      line.startsWith('|')
        ? line
            .split('|')
            .map((c) => c.trim().replace(/^-+$/, '---'))
            .join('|')
        : line,
    )
    .join('\n')
}
// Every built-in action, shell.exec and fs.* included (unknown actions are errors here).
const ACTIONS = new Set(builtinActionNames())
const tests = readdirSync(import.meta.dir)
  .filter((f) => f.endsWith('.test.ts'))
  .map((f) => readFileSync(join(import.meta.dir, f), 'utf8'))
  .join('\n')

describe('examples catalogue', () => {
  test('there are at least 44 examples, each in a category', () => {
    expect(examples.length).toBeGreaterThanOrEqual(44)
    const categorised = Object.values(CATEGORIES).flat()
    expect(examples.map((e) => e.name).sort()).toEqual([...categorised].sort())
  })

  test.each(examples.map((e) => [e.name]))(
    '%s validates with no errors and no warnings',
    (name) => {
      const ex = examples.find((e) => e.name === name)
      for (const { file, definition } of ex?.definitions ?? []) {
        const r = validateDefinition(definition, { actions: ACTIONS })
        const problems = [...(r.ok ? [] : r.errors), ...r.warnings].map(
          (i) => `${file} ${i.path}: ${i.message}`,
        )
        expect(problems).toEqual([])
      }
    },
  )

  test.each(examples.map((e) => [e.name]))('%s has a README, metadata and a test', (name) => {
    const dir = join(EXAMPLES_DIR, name)
    const readme = readFileSync(join(dir, 'README.md'), 'utf8')
    expect(readme.startsWith('# ')).toBe(true)
    expect(readme).toContain('## Run it')
    expect(readme).toContain('## What the test checks')
    const ex = examples.find((e) => e.name === name)
    expect(ex?.description.length).toBeGreaterThan(20)
    expect(tests).toContain(`defineExample('${name}')`)
    if (existsSync(join(dir, 'triggers.json'))) {
      expect(readme).toContain('triggers.json')
    }
    // Every input the workflow declares is documented.
    for (const key of Object.keys(ex?.definitions[0]?.definition.inputs ?? {})) {
      expect(readme).toMatch(new RegExp(`\\| \`${key}\` +\\|`))
    }
  })

  test('together they use every feature of the index', () => {
    const missing = FEATURES.filter((f) => !examples.some((e) => e.features.has(f)))
    expect(missing).toEqual([])
  })

  test('examples/README.md lists them with a current feature index', () => {
    const readme = readFileSync(README, 'utf8')
    const expected = withCatalogue(readme, renderCatalogue(examples))
    // On failure: bun test/examples/catalogue.ts --write (then biome pads the tables again).
    expect(normaliseTables(readme)).toBe(normaliseTables(expected))
  })

  test('the opcode validate command accepts an example (exit 0, valid JSON report)', async () => {
    const proc = Bun.spawn(
      [
        'bun',
        join(import.meta.dir, '..', '..', 'src', 'main.ts'),
        'validate',
        '--json',
        join(EXAMPLES_DIR, 'order-processing', 'workflow.json'),
      ],
      { stdout: 'pipe', stderr: 'pipe' },
    )
    const out = await new Response(proc.stdout).text()
    expect(await proc.exited).toBe(0)
    expect(JSON.parse(out)).toEqual({ valid: true, errors: [], warnings: [] })
  })
})
