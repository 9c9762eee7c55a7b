/**
 * SVG and PNG: DOT laid out by Graphviz compiled to WebAssembly (@viz-js/viz), then rasterised by
 * resvg (@resvg/resvg-wasm) with an embedded DejaVu Sans — resvg has no system fonts in WASM and
 * silently drops text without one. Both WASM modules and the font load lazily, on the first SVG
 * or PNG, and are reused. Every resvg object is freed after each render: WASM memory is not
 * garbage-collected, and without free() it grows until the process crashes.
 */
import wasmPath from '@resvg/resvg-wasm/index_bg.wasm' with { type: 'file' }
import { AppError } from '../errors.ts'
import fontPath from './assets/dejavu-sans.ttf' with { type: 'file' }
import { DOT_FONT, renderDot } from './dot.ts'
import type { DiagramModel } from './model.ts'
import { encodePng } from './png.ts'

type Viz = Awaited<ReturnType<typeof import('@viz-js/viz').instance>>
type ResvgModule = typeof import('@resvg/resvg-wasm')

let viz: Promise<Viz> | undefined
let resvg: Promise<{ mod: ResvgModule; font: Uint8Array }> | undefined

function loadViz(): Promise<Viz> {
  viz ??= import('@viz-js/viz')
    .then((m) => m.instance())
    .catch((err: unknown) => {
      viz = undefined
      throw err
    })
  return viz
}

function loadResvg(): Promise<{ mod: ResvgModule; font: Uint8Array }> {
  resvg ??= (async () => {
    const mod = await import('@resvg/resvg-wasm')
    const [wasm, font] = await Promise.all([
      Bun.file(wasmPath).arrayBuffer(),
      Bun.file(fontPath).bytes(),
    ])
    await mod.initWasm(wasm)
    return { mod, font }
  })().catch((err: unknown) => {
    resvg = undefined
    throw err
  })
  return resvg
}

/**
 * PNG scale: 2 (sharp on high-density screens) while the image stays under PNG_TARGET_PIXELS,
 * then smaller down to 1; below 1 only to respect the hard limits MAX_PNG_SIDE / MAX_PNG_PIXELS,
 * and never below MIN_PNG_ZOOM, where text becomes unreadable and the graph is refused.
 */
const PNG_ZOOM = 2
const PNG_TARGET_PIXELS = 3_000_000
const MAX_PNG_SIDE = 16384
const MAX_PNG_PIXELS = 24_000_000
const MIN_PNG_ZOOM = 0.5

/** SVG text of the model, laid out by Graphviz `dot`. */
export async function renderSvg(model: DiagramModel): Promise<string> {
  return dotToSvg(renderDot(model))
}

export async function dotToSvg(dot: string): Promise<string> {
  const instance = await loadViz()
  const result = instance.render(dot, { format: 'svg', engine: 'dot' })
  if (result.status !== 'success' || result.output === undefined) {
    const message = result.errors.map((e) => e.message.trim()).join('; ') || 'unknown error'
    throw new AppError('EXECUTION_ERROR', `image render failed: graphviz: ${message}`)
  }
  return result.output
}

/** PNG bytes of the model. */
export async function renderPng(model: DiagramModel): Promise<Uint8Array> {
  return svgToPng(await renderSvg(model))
}

/**
 * Rasterises an SVG with the embedded font. The zoom is 2 when the image fits MAX_PNG_SIDE and
 * MAX_PNG_PIXELS, less otherwise; below MIN_PNG_ZOOM the graph is refused as too large.
 */
export async function svgToPng(svg: string): Promise<Uint8Array> {
  const { mod, font } = await loadResvg()
  const { width, height } = svgSize(svg)
  const area = Math.max(width * height, 1)
  const zoom = Math.min(
    Math.max(1, Math.min(PNG_ZOOM, Math.sqrt(PNG_TARGET_PIXELS / area))),
    MAX_PNG_SIDE / Math.max(width, height, 1),
    Math.sqrt(MAX_PNG_PIXELS / area),
  )
  if (zoom < MIN_PNG_ZOOM)
    throw new AppError(
      'PAYLOAD_TOO_LARGE',
      `diagram too large for this format: a PNG of ${Math.round(width)}×${Math.round(height)} px would be unreadable once scaled to the ${MAX_PNG_SIDE} px limit; use format svg, mermaid or ascii`,
    )
  const renderer = new mod.Resvg(svg, {
    font: {
      fontBuffers: [font],
      defaultFontFamily: DOT_FONT,
      sansSerifFamily: DOT_FONT,
      serifFamily: DOT_FONT,
      monospaceFamily: DOT_FONT,
    },
    background: 'white',
    fitTo: { mode: 'zoom', value: zoom },
  })
  try {
    const image = renderer.render()
    try {
      return encodePng(image.width, image.height, image.pixels)
    } finally {
      image.free()
    }
  } finally {
    renderer.free()
  }
}

const UNIT_PX: Record<string, number> = {
  '': 1,
  px: 1,
  pt: 4 / 3,
  in: 96,
  cm: 96 / 2.54,
  mm: 9.6 / 2.54,
}

/** Size in CSS pixels from the root element's width and height (Graphviz writes points). */
export function svgSize(svg: string): { width: number; height: number } {
  const root = /<svg\b[^>]*>/.exec(svg)?.[0] ?? ''
  const read = (name: string) => {
    const m = new RegExp(`\\s${name}="([0-9.]+)(px|pt|in|cm|mm)?"`).exec(root)
    return m === null ? 0 : Number(m[1]) * (UNIT_PX[m[2] ?? ''] ?? 1)
  }
  return { width: read('width'), height: read('height') }
}
