/**
 * Graphviz DOT (spec server.md §15.5), the source of the SVG and PNG formats: top-to-bottom, graph
 * label = title, shapes by step type, §15.2 status colours, each sub-graph a dashed cluster
 * (nested clusters for nested flow control). Text uses DejaVu Sans, the font the PNG embeds, so
 * Graphviz sizes boxes with the metrics of the glyphs that are finally drawn.
 */
import type { DiagramModel, DiagramNode, DiagramSubgraph, NodeKind } from './model.ts'
import { IMAGE_STYLE } from './status.ts'
import { cleanText, formatDuration, truncate } from './text.ts'

export const DOT_FONT = 'DejaVu Sans'

const SHAPES: Record<NodeKind, string> = {
  action: 'box',
  condition: 'diamond',
  reasoning: 'hexagon',
  wait: 'ellipse',
  parallel: 'box',
  loop: 'box',
  start: 'circle',
  end: 'circle',
}

export function renderDot(model: DiagramModel): string {
  const out: string[] = [
    'digraph workflow {',
    `  graph [rankdir=TB, label=${q(model.title)}, labelloc=t, fontname=${q(DOT_FONT)}, fontsize=16, nodesep=0.35, ranksep=0.45, bgcolor="white", pad=0.2]`,
    `  node [fontname=${q(DOT_FONT)}, fontsize=11, shape=box, style="rounded", color="#444444", margin="0.15,0.06"]`,
    `  edge [fontname=${q(DOT_FONT)}, fontsize=9, color="#555555", arrowsize=0.7]`,
  ]
  const links: string[] = []
  let clusters = 0
  // Node names are n0, n1…: step ids may differ only in characters that a label cleans away.
  const names = new Map<string, string>()
  const name = (id: string) => {
    let n = names.get(id)
    if (n === undefined) {
      n = `n${names.size}`
      names.set(id, n)
    }
    return n
  }
  const emitNode = (node: DiagramNode, indent: string) => {
    out.push(`${indent}${name(node.id)} [${nodeAttrs(node)}]`)
    for (const sub of node.subgraphs) emitSub(sub, indent)
  }
  const emitSub = (sub: DiagramSubgraph, indent: string) => {
    const inner = `${indent}  `
    out.push(`${indent}subgraph cluster_${clusters++} {`)
    out.push(
      `${inner}label=${q(sub.title)}; style="dashed,rounded"; color="#888888"; fontsize=10; fontcolor="#555555"`,
    )
    for (const child of sub.nodes) emitNode(child, inner)
    for (const e of sub.edges) out.push(`${inner}${name(e.from)} -> ${name(e.to)}`)
    out.push(`${indent}}`)
    const first = sub.nodes[0]
    if (first !== undefined)
      links.push(`  ${name(sub.parent)} -> ${name(first.id)} [style=dashed, color="#888888"]`)
  }
  for (const node of model.nodes) emitNode(node, '  ')
  // Heavier main edges keep the main flow straight; bodies hang beside it.
  for (const e of model.edges) out.push(`  ${name(e.from)} -> ${name(e.to)} [weight=8]`)
  out.push(...links, '}')
  return `${out.join('\n')}\n`
}

function nodeAttrs(node: DiagramNode): string {
  const attrs: string[] = []
  const lines = [truncate(cleanText(node.label), 48)]
  const details: string[] = []
  if (node.action !== undefined) details.push(truncate(cleanText(node.action), 32))
  if (node.durationMs !== undefined && node.durationMs > 0)
    details.push(formatDuration(node.durationMs))
  if (node.retryCount !== undefined)
    details.push(`${node.retryCount} ${node.retryCount === 1 ? 'retry' : 'retries'}`)
  if (node.iterations !== undefined) details.push(`×${node.iterations}`)
  if (details.length > 0) lines.push(details.join(' · '))
  attrs.push(`label=${q(lines.join('\n'))}`)
  attrs.push(`shape=${SHAPES[node.kind]}`)
  const style: string[] = []
  if (node.kind === 'start' || node.kind === 'end') {
    attrs.push('width=0.5, height=0.5, fixedsize=true, fontsize=9')
  } else if (node.kind === 'action' || node.kind === 'parallel' || node.kind === 'loop') {
    style.push('rounded')
  }
  if (node.kind === 'parallel' || node.kind === 'loop') attrs.push('peripheries=2')
  if (node.status !== undefined) {
    const s = IMAGE_STYLE[node.status]
    style.push('filled')
    if (s.dashed) style.push('dashed')
    attrs.push(`fillcolor=${q(s.fill)}, fontcolor=${q(s.font)}`)
    if (s.pen !== undefined) attrs.push(`color=${q(s.pen)}, penwidth=2.5`)
    attrs.push(
      `tooltip=${q(`${node.label}: ${node.status}${node.error ? ` — ${node.error}` : ''}`)}`,
    )
  }
  attrs.push(`style=${q(style.join(','))}`)
  return attrs.join(', ')
}

/**
 * A DOT double-quoted string. Backslashes are doubled (Graphviz reads `\N`, `\G`, `\l` … as
 * escapes), `&` becomes `&amp;` (Graphviz decodes HTML entities in labels), control characters
 * are dropped and the line breaks we put in become `\n`.
 */
function q(text: string): string {
  const body = text
    .split('\n')
    .map((line) =>
      cleanText(line).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/&/g, '&amp;'),
    )
    .join('\\n')
  return `"${body}"`
}
