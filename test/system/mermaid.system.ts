/**
 * Our Mermaid output rendered by the real `mermaid` package in headless Chromium (decisions.md D9):
 * every diagram of the corpus — nasty labels included — must parse and render with one SVG node
 * per model node, the status classes applied, and user text shown as text, never as markup.
 * Needs Debian's chromium (`apt-get install -y chromium`); the page and mermaid.min.js are served
 * from a loopback Bun.serve, no CDN.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type BrowserContext, chromium, type Page } from 'playwright-core'
import {
  buildDiagramModel,
  type DiagramModel,
  type DiagramNode,
  renderMermaid,
  type StepStateLike,
} from '../../src/diagram/index.ts'
import {
  chainWorkflow,
  fanStates,
  fanWorkflow,
  mixedStates,
  mixedWorkflow,
  NASTY_LABELS,
  nastyWorkflow,
} from '../../src/diagram/samples.ts'
import type { WorkflowDefinition } from '../../src/schema/workflow.ts'

const CHROMIUM = '/usr/bin/chromium'
const MERMAID_JS = join(
  import.meta.dir,
  '..',
  '..',
  'node_modules',
  'mermaid',
  'dist',
  'mermaid.min.js',
)

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><script src="/mermaid.min.js"></script></head>
<body><div id="out"></div><script>
  mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' })
  window.renderChart = async (text, n) => {
    try {
      await mermaid.parse(text)
      const { svg } = await mermaid.render('chart' + n, text)
      document.getElementById('out').innerHTML = svg
      const root = document.querySelector('#out svg')
      const nodes = [...root.querySelectorAll('g.node')]
      return {
        ok: true,
        nodes: nodes.length,
        classes: nodes.map((g) => g.getAttribute('class')),
        text: root.textContent,
        scripts: root.querySelectorAll('script').length,
        bold: root.querySelectorAll('b').length,
        error: root.textContent.includes('Syntax error'),
      }
    } catch (err) {
      return { ok: false, message: String(err && err.message || err) }
    }
  }
  window.ready = true
</script></body></html>`

interface ChartResult {
  ok: boolean
  message?: string
  nodes: number
  classes: string[]
  text: string
  scripts: number
  bold: number
  error: boolean
}

/** Nested flow control: a condition whose branch holds a loop whose body holds a parallel. */
function nestedWorkflow(): WorkflowDefinition {
  return {
    steps: [
      {
        id: 'gate',
        type: 'condition',
        config: {
          expression: 'true',
          branches: {
            true: [
              {
                id: 'repeat',
                type: 'loop',
                config: {
                  mode: 'while',
                  condition: 'iter.index < 2',
                  max_iter: 5,
                  body: [
                    {
                      id: 'fan',
                      type: 'parallel',
                      config: {
                        branches: [
                          [{ id: 'left', action: 'workflow.log' }],
                          [{ id: 'right', action: 'workflow.log' }],
                        ],
                      },
                    },
                  ],
                },
              },
            ],
          },
        },
      },
      { id: 'after', action: 'workflow.log', depends_on: ['gate'] },
    ],
  }
}

const nestedStates: Record<string, StepStateLike> = {
  gate: { status: 'running' },
  'gate.true.repeat': { status: 'running' },
  'gate.true.repeat.iter_0.fan': { status: 'completed' },
  'gate.true.repeat.iter_1.fan': { status: 'running' },
  'gate.true.repeat.iter_1.fan.branch_0.left': { status: 'completed', duration_ms: 3 },
  'gate.true.repeat.iter_1.fan.branch_1.right': { status: 'retrying', retry_count: 1 },
}

/** 200 steps in 20 levels of 10, each depending on two steps of the level above. */
function gridWorkflow(n: number): WorkflowDefinition {
  const steps: WorkflowDefinition['steps'] = []
  for (let i = 0; i < n; i++) {
    const row = Math.floor(i / 10)
    const deps =
      row === 0
        ? []
        : [...new Set([`s${(row - 1) * 10 + (i % 10)}`, `s${(row - 1) * 10 + ((i + 1) % 10)}`])]
    steps.push({ id: `s${i}`, action: 'noop', ...(deps.length > 0 ? { depends_on: deps } : {}) })
  }
  return { steps }
}

function countNodes(nodes: DiagramNode[]): number {
  let n = 0
  for (const node of nodes) {
    n++
    for (const sub of node.subgraphs) n += countNodes(sub.nodes)
  }
  return n
}

function countStatus(nodes: DiagramNode[], status: string): number {
  let n = 0
  for (const node of nodes) {
    if (node.status === status) n++
    for (const sub of node.subgraphs) n += countStatus(sub.nodes, status)
  }
  return n
}

const corpus: [string, DiagramModel][] = [
  [
    'a 3-step chain with states',
    buildDiagramModel(chainWorkflow(3), {
      'step-1': { status: 'completed', duration_ms: 12 },
      'step-2': { status: 'running' },
    }),
  ],
  ['a 20-step fan-out/fan-in with every status', buildDiagramModel(fanWorkflow(20), fanStates(20))],
  [
    'loop, condition, parallel and a suspended reasoning step',
    buildDiagramModel(mixedWorkflow(), mixedStates()),
  ],
  ['the same without states', buildDiagramModel(mixedWorkflow())],
  ['nasty labels', buildDiagramModel(nastyWorkflow())],
  ['nested flow control three levels deep', buildDiagramModel(nestedWorkflow(), nestedStates)],
  ['200 steps in a grid', buildDiagramModel(gridWorkflow(200))],
]

let server: ReturnType<typeof Bun.serve> | undefined
let context: BrowserContext | undefined
let page: Page | undefined
let profile = ''

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (decisions.md D9)`)
  server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch(req) {
      const path = new URL(req.url).pathname
      if (path === '/mermaid.min.js')
        return new Response(Bun.file(MERMAID_JS), {
          headers: { 'content-type': 'text/javascript; charset=utf-8' },
        })
      if (path === '/')
        return new Response(PAGE, { headers: { 'content-type': 'text/html; charset=utf-8' } })
      return new Response('not found', { status: 404 })
    },
  })
  profile = mkdtempSync(join(tmpdir(), 'opcode-chromium-'))
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
  page = await context.newPage()
  await page.goto(`http://127.0.0.1:${server.port}/`)
  await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true)
}, 60_000)

afterAll(async () => {
  await context?.close()
  await server?.stop(true)
  if (profile !== '') rmSync(profile, { recursive: true, force: true })
})

async function render(text: string, n: number): Promise<ChartResult> {
  if (page === undefined) throw new Error('browser not started')
  return (await page.evaluate(
    ([t, i]) =>
      (
        window as unknown as { renderChart: (t: string, i: number) => Promise<unknown> }
      ).renderChart(t as string, i as number),
    [text, n] as const,
  )) as ChartResult
}

describe('mermaid.js renders our Mermaid output', () => {
  corpus.forEach(([name, model], i) => {
    test(`${name}: parses, renders every node once and applies the status classes`, async () => {
      const result = await render(renderMermaid(model), i)
      expect(result.message).toBeUndefined()
      expect(result.ok).toBe(true)
      expect(result.error).toBe(false)
      expect(result.nodes).toBe(countNodes(model.nodes))
      for (const status of [
        'completed',
        'failed',
        'running',
        'suspended',
        'pending',
        'skipped',
        'retrying',
      ]) {
        const want = countStatus(model.nodes, status)
        const got = result.classes.filter((c) => c.split(/\s+/).includes(status)).length
        expect(`${status}: ${got}`).toBe(`${status}: ${want}`)
      }
    })
  })

  test('nasty labels are shown as text: no markup, no injected script, every label present', async () => {
    const model = buildDiagramModel(nastyWorkflow())
    const result = await render(renderMermaid(model), 100)
    expect(result.ok).toBe(true)
    expect(result.scripts).toBe(0)
    expect(result.bold).toBe(0)
    for (const label of NASTY_LABELS) {
      // Control characters become spaces and bidi marks are dropped; everything else is verbatim.
      const shown = label
        .replace(/[\p{Cc}\u202a-\u202e]/gu, ' ')
        .replace(/ {2,}/g, ' ')
        .trim()
      expect(result.text).toContain(shown)
    }
    expect(result.text).toContain('<script>alert(1)</script>')
  })
})
