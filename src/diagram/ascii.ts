/**
 * ASCII diagrams for terminals (spec server.md §15.4, with the **Ours** fixes): a title, the
 * top-level graph drawn with box-drawing characters (or, when too wide, a list by level), then the
 * sub-steps of every flow-control step, the errors of failed steps and a legend of the markers.
 * Widths are display columns, so CJK and emoji labels stay aligned.
 */
import { layoutGraph } from './ascii-layout.ts'
import type { DiagramModel, DiagramNode, DiagramSubgraph } from './model.ts'
import { ASCII_TAG, KIND_MARK } from './status.ts'
import { cleanText, displayWidth, formatDuration, truncate } from './text.ts'

export interface AsciiOptions {
  /** Widest line, in columns (default 100). Wider graphs are listed by level instead. */
  maxWidth?: number
  /** Longest step id shown in a box, in columns (default 32); longer ones end with `…`. */
  maxLabel?: number
}

/** Boxes plus pass-through lines beyond which the graph is listed instead of drawn. */
const MAX_LAYOUT_ITEMS = 400

export function renderAscii(model: DiagramModel, options: AsciiOptions = {}): string {
  const maxWidth = options.maxWidth ?? 100
  const maxLabel = options.maxLabel ?? 32
  const text = (node: DiagramNode) => nodeText(node, maxLabel)
  const out: string[] = [`=== ${truncate(cleanText(model.title), maxWidth - 8)} ===`, '']
  const drawn = layoutGraph(model, { maxWidth, maxItems: MAX_LAYOUT_ITEMS, text })
  if (drawn !== undefined) out.push(...drawn)
  else out.push(...listByLevel(model, text, maxWidth))

  for (const node of model.nodes) {
    if (node.subgraphs.length === 0 && !node.collapsed) continue
    out.push('', `--- ${truncate(cleanText(node.label), maxLabel)} sub-steps ---`)
    subSteps(out, node, '  ', text, maxWidth)
  }

  const failures: string[] = []
  collectErrors(model.nodes, failures, maxWidth)
  if (failures.length > 0) out.push('', 'Errors:', ...failures)

  const kinds = new Set<string>()
  collectKinds(model.nodes, kinds)
  const legend = Object.entries(KIND_MARK)
    .filter(([kind]) => kinds.has(kind))
    .map(([kind, mark]) => `${mark} ${kind}`)
  if (legend.length > 0) out.push('', legend.join('  '))
  return `${out.join('\n')}\n`
}

/** `◇ check [OK] 12ms ↺2 ×3`: marker, id, status tag, duration, retries, loop iterations. */
export function nodeText(node: DiagramNode, maxLabel = 32): string {
  if (node.kind === 'start' || node.kind === 'end') return node.label
  const parts: string[] = []
  const mark = KIND_MARK[node.kind]
  if (mark !== undefined) parts.push(mark)
  parts.push(truncate(cleanText(node.label), maxLabel))
  if (node.status !== undefined) parts.push(ASCII_TAG[node.status])
  if (node.durationMs !== undefined && node.durationMs > 0)
    parts.push(formatDuration(node.durationMs))
  if (node.retryCount !== undefined) parts.push(`↺${node.retryCount}`)
  if (node.iterations !== undefined) parts.push(`×${node.iterations}`)
  return parts.join(' ')
}

/** The fallback for graphs wider than the terminal: one line per step, grouped by level. */
function listByLevel(
  model: DiagramModel,
  text: (node: DiagramNode) => string,
  maxWidth: number,
): string[] {
  const byId = new Map(model.nodes.map((n) => [n.id, n]))
  const deps = new Map<string, string[]>()
  for (const e of model.edges) {
    if (byId.get(e.from)?.kind === 'start' || byId.get(e.to)?.kind === 'end') continue
    const list = deps.get(e.to) ?? []
    list.push(byId.get(e.from)?.label ?? e.from)
    deps.set(e.to, list)
  }
  const out = [`(graph wider than ${maxWidth} columns: steps listed by level)`]
  const steps = model.levels.slice(1, -1)
  steps.forEach((ids, i) => {
    out.push('', ids.length > 1 ? `level ${i + 1} (${ids.length} steps)` : `level ${i + 1}`)
    for (const id of ids) {
      const node = byId.get(id)
      if (node === undefined) continue
      out.push(truncate(`  ${text(node)}`, maxWidth))
      const after = deps.get(id)
      if (after !== undefined)
        out.push(
          ...wrap(
            after.map((d) => truncate(cleanText(d), 32)),
            '      after: ',
            maxWidth,
          ),
        )
    }
  })
  return out
}

/** Comma-separated words wrapped to `maxWidth`, continuation lines indented like the first. */
function wrap(words: string[], prefix: string, maxWidth: number): string[] {
  const lines: string[] = []
  const indent = ' '.repeat(displayWidth(prefix))
  let line = prefix
  words.forEach((word, i) => {
    const piece = i < words.length - 1 ? `${word},` : word
    const sep = line === prefix || line === indent ? '' : ' '
    if (displayWidth(line + sep + piece) > maxWidth && line !== prefix && line !== indent) {
      lines.push(line)
      line = indent + piece
    } else {
      line += sep + piece
    }
  })
  lines.push(line)
  return lines
}

function subSteps(
  out: string[],
  node: DiagramNode,
  indent: string,
  text: (node: DiagramNode) => string,
  maxWidth: number,
): void {
  if (node.collapsed) {
    out.push(`${indent}(nested steps not shown: nesting too deep)`)
    return
  }
  for (const sub of node.subgraphs) {
    out.push(truncate(`${indent}[${cleanText(subHeading(sub))}]`, maxWidth))
    sub.nodes.forEach((child, i) => {
      out.push(truncate(`${indent}  ${i + 1}. ${text(child)}`, maxWidth))
      if (child.subgraphs.length > 0 || child.collapsed)
        subSteps(out, child, `${indent}     `, text, maxWidth)
    })
  }
}

function subHeading(sub: DiagramSubgraph): string {
  const i = sub.title.lastIndexOf(' (iteration ')
  return i === -1 ? sub.label : `${sub.label}${sub.title.slice(i)}`
}

function collectErrors(nodes: DiagramNode[], out: string[], maxWidth: number): void {
  for (const node of nodes) {
    if (node.error !== undefined && node.status === 'failed')
      out.push(truncate(`  ${cleanText(node.id)}: ${cleanText(node.error)}`, maxWidth))
    for (const sub of node.subgraphs) collectErrors(sub.nodes, out, maxWidth)
  }
}

function collectKinds(nodes: DiagramNode[], kinds: Set<string>): void {
  for (const node of nodes) {
    kinds.add(node.kind)
    for (const sub of node.subgraphs) collectKinds(sub.nodes, kinds)
  }
}
