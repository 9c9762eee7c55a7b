/**
 * One entry point for every format, with the size limits of each (chosen from the `diagram` bench
 * suite: beyond them a format is either refused by its consumer or too slow to be worth waiting
 * for). SVG and PNG load their WebAssembly on first use only.
 */
import { AppError } from '../errors.ts'
import { renderAscii } from './ascii.ts'
import { renderMermaid } from './mermaid.ts'
import type { DiagramModel } from './model.ts'

export const DiagramFormat = ['ascii', 'mermaid', 'svg', 'png'] as const
export type DiagramFormat = (typeof DiagramFormat)[number]

/**
 * Limits per format. Mermaid's are mermaid.js's own defaults (`maxEdges`, `maxTextSize`): past
 * them it renders an error instead of the chart. SVG/PNG: Graphviz needs ~1 s for 1,000 nodes and
 * a PNG of more than a few hundred steps is unreadable at any useful size.
 */
export const DIAGRAM_LIMITS = {
  mermaidEdges: 500,
  mermaidChars: 50_000,
  svgNodes: 1000,
  pngNodes: 500,
} as const

/** Parses a format name; `image` (the MCP and CLI name of PNG) is accepted for `png`. */
export function parseDiagramFormat(text: string): DiagramFormat {
  const name = text.trim().toLowerCase()
  if (name === 'image') return 'png'
  if ((DiagramFormat as readonly string[]).includes(name)) return name as DiagramFormat
  throw new AppError(
    'VALIDATION_ERROR',
    `format must be ascii, mermaid, svg or image (png), got ${JSON.stringify(text)}`,
  )
}

/** Renders a model: text for ascii, mermaid and svg; PNG bytes for png. */
export async function renderDiagram(
  model: DiagramModel,
  format: DiagramFormat,
): Promise<string | Uint8Array> {
  switch (format) {
    case 'ascii':
      return renderAscii(model)
    case 'mermaid': {
      const edges = model.edgeCount + countNestLinks(model)
      if (edges > DIAGRAM_LIMITS.mermaidEdges)
        throw tooLarge(
          'mermaid',
          `${edges} edges exceed the ${DIAGRAM_LIMITS.mermaidEdges} that Mermaid renders`,
        )
      const text = renderMermaid(model)
      if (text.length > DIAGRAM_LIMITS.mermaidChars)
        throw tooLarge(
          'mermaid',
          `${text.length} characters exceed the ${DIAGRAM_LIMITS.mermaidChars} that Mermaid renders`,
        )
      return text
    }
    case 'svg': {
      if (model.nodeCount > DIAGRAM_LIMITS.svgNodes)
        throw tooLarge('svg', `${model.nodeCount} nodes exceed ${DIAGRAM_LIMITS.svgNodes}`)
      const { renderSvg } = await import('./image.ts')
      return renderSvg(model)
    }
    case 'png': {
      if (model.nodeCount > DIAGRAM_LIMITS.pngNodes)
        throw tooLarge('png', `${model.nodeCount} nodes exceed ${DIAGRAM_LIMITS.pngNodes}`)
      const { renderPng } = await import('./image.ts')
      return renderPng(model)
    }
    default:
      throw new AppError('VALIDATION_ERROR', `unknown diagram format ${String(format)}`)
  }
}

function tooLarge(format: DiagramFormat, why: string): AppError {
  const others = format === 'png' || format === 'svg' ? 'ascii' : 'ascii or svg'
  return new AppError(
    'PAYLOAD_TOO_LARGE',
    `diagram too large for this format (${format}): ${why}; use format ${others}`,
    { details: { format, limits: DIAGRAM_LIMITS } },
  )
}

/** Mermaid also draws one dotted link from each flow-control step into each of its bodies. */
function countNestLinks(model: DiagramModel): number {
  let n = 0
  const walk = (nodes: DiagramModel['nodes']) => {
    for (const node of nodes) {
      n += node.subgraphs.length
      for (const sub of node.subgraphs) walk(sub.nodes)
    }
  }
  walk(model.nodes)
  return n
}
