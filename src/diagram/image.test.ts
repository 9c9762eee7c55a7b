import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { renderPng, renderSvg, svgSize, svgToPng } from './image.ts'
import { buildDiagramModel } from './model.ts'
import { chainWorkflow, fanStates, fanWorkflow, mixedStates, mixedWorkflow } from './samples.ts'
import { decodePng } from './test-support.ts'

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

/** Pixels that are clearly not white. */
function inked(png: Uint8Array): number {
  const { rgb } = decodePng(png)
  let n = 0
  for (let i = 0; i < rgb.length; i += 3)
    if ((rgb[i] as number) + (rgb[i + 1] as number) + (rgb[i + 2] as number) < 600) n++
  return n
}

describe('SVG', () => {
  test('Graphviz lays out every step, with titles, shapes and status colours', async () => {
    const svg = await renderSvg(buildDiagramModel(mixedWorkflow(), mixedStates()))
    expect(svg).toContain('<svg')
    // Graphviz writes '-' as &#45;.
    for (const text of [
      'Order review',
      'fetch',
      'route',
      'each&#45;item',
      'price',
      'review',
      'End',
    ])
      expect(svg).toContain(`>${text}</text>`)
    expect(svg).toContain('fill="#b7791a"')
    expect(svg).toContain('each&#45;item: body (iteration 3)')
    expect(svg).toContain('font-family="DejaVu Sans')
    const { width, height } = svgSize(svg)
    expect(width).toBeGreaterThan(100)
    expect(height).toBeGreaterThan(100)
  })

  test('user text is escaped in the SVG', async () => {
    const svg = await renderSvg(
      buildDiagramModel({ steps: [{ id: '<script>alert(1)</script> & "q"', action: 'x' }] }),
    )
    expect(svg).not.toContain('<script>')
    expect(svg).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot;')
  })

  test('svgSize reads Graphviz points as CSS pixels', () => {
    expect(svgSize('<svg width="300pt" height="150pt" viewBox="0 0 300 150">')).toEqual({
      width: 400,
      height: 200,
    })
    expect(svgSize('<svg width="10" height="20">')).toEqual({ width: 10, height: 20 })
  })
})

describe('PNG', () => {
  test('text is drawn with the embedded font (resvg drops text it has no font for)', async () => {
    const text =
      '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40"><text x="5" y="28" font-family="Helvetica" font-size="24">Hello world</text></svg>'
    const blank = '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40"></svg>'
    expect(inked(await svgToPng(blank))).toBe(0)
    expect(inked(await svgToPng(text))).toBeGreaterThan(200)
  })

  test('a diagram PNG is a valid image at twice the SVG size, with its labels inked', async () => {
    const model = buildDiagramModel(chainWorkflow(3))
    const svg = await renderSvg(model)
    const png = await renderPng(model)
    const { width, height } = decodePng(png)
    const size = svgSize(svg)
    expect(Math.abs(width - size.width * 2)).toBeLessThanOrEqual(2)
    expect(Math.abs(height - size.height * 2)).toBeLessThanOrEqual(2)
    expect(inked(png)).toBeGreaterThan(1000)
  })

  test('a 20-step fan-out fits the pixel budget by lowering the zoom', async () => {
    const png = await renderPng(buildDiagramModel(fanWorkflow(20), fanStates(20)))
    const { width, height } = decodePng(png)
    expect(width * height).toBeLessThanOrEqual(3_100_000)
    expect(width).toBeGreaterThan(2000)
  })

  test('a graph that would be unreadable even at the size limit is refused as too large', async () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="60000pt" height="100pt"></svg>'
    const err = await svgToPng(svg).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' })
    expect(String((err as Error).message)).toContain('too large for this format')
  })

  test('300 renders in a row do not grow memory (every resvg object is freed)', async () => {
    const svg = await renderSvg(
      buildDiagramModel(chainWorkflow(3), { 'step-1': { status: 'completed' } }),
    )
    for (let i = 0; i < 50; i++) await svgToPng(svg)
    Bun.gc(true)
    const before = process.memoryUsage().rss
    for (let i = 0; i < 250; i++) await svgToPng(svg)
    Bun.gc(true)
    const grown = process.memoryUsage().rss - before
    // Without free() each render leaks its ~1.4 MB pixmap in WASM memory: 250 renders ≈ 350 MB.
    expect(grown).toBeLessThan(120 * 1024 * 1024)
  }, 120_000)
})

describe('lazy loading', () => {
  test('the WASM modules load only when SVG or PNG is asked for', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opcode-diagram-'))
    dirs.push(dir)
    const script = join(dir, 'lazy.ts')
    const index = join(import.meta.dir, 'index.ts')
    writeFileSync(
      script,
      `import { buildDiagramModel, renderDiagram } from ${JSON.stringify(index)}
const loaded = (re: RegExp) => Object.keys(require.cache).some((k) => re.test(k))
const viz = /@viz-js[\\\\/]viz[\\\\/].*\\.js$/
const resvg = /@resvg[\\\\/]resvg-wasm[\\\\/].*\\.m?js$/
const m = buildDiagramModel({ steps: [{ id: 'a', action: 'x' }] })
await renderDiagram(m, 'ascii')
await renderDiagram(m, 'mermaid')
const text = [loaded(viz), loaded(resvg)]
await renderDiagram(m, 'svg')
const svg = [loaded(viz), loaded(resvg)]
await renderDiagram(m, 'png')
const png = [loaded(viz), loaded(resvg)]
console.log(JSON.stringify({ text, svg, png }))
`,
    )
    const proc = Bun.spawn(['bun', script], { stdout: 'pipe', stderr: 'pipe' })
    const [out, err, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ])
    expect(err).toBe('')
    expect(code).toBe(0)
    expect(JSON.parse(out)).toEqual({
      text: [false, false],
      svg: [true, false],
      png: [true, true],
    })
  }, 60_000)
})
