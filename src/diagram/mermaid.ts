/**
 * Mermaid flowcharts (spec server.md §15.3, decisions.md D17): `graph TD`, a title comment, node
 * definitions with their sub-graphs (nested sub-graphs inside), edges, then the status classes.
 * Ids are made safe and unique; labels are quoted with Mermaid's `#name;` entities, so quotes,
 * brackets, `-->`, HTML and emoji in step ids cannot break the chart or inject markup.
 */
import type { DiagramModel, DiagramNode, DiagramSubgraph, NodeKind } from './model.ts'
import { MERMAID_CLASSDEFS } from './status.ts'
import { cleanText, formatDuration } from './text.ts'

const SHAPES: Record<NodeKind, [string, string]> = {
  action: ['[', ']'],
  condition: ['{', '}'],
  reasoning: ['{{', '}}'],
  wait: ['([', '])'],
  parallel: ['[[', ']]'],
  loop: ['[[', ']]'],
  start: ['((', '))'],
  end: ['((', '))'],
}

// Words the flowchart grammar treats as keywords when they stand alone as a node id.
const RESERVED = new Set([
  'end',
  'graph',
  'flowchart',
  'subgraph',
  'direction',
  'class',
  'classdef',
  'style',
  'linkstyle',
  'click',
  'call',
  'href',
  'default',
  'interpolate',
  'td',
  'tb',
  'bt',
  'rl',
  'lr',
])

export function renderMermaid(model: DiagramModel): string {
  const ids = new SafeIds()
  // Virtual nodes keep the reference's ids; steps get theirs in model order.
  for (const node of model.nodes)
    if (node.kind === 'start' || node.kind === 'end') ids.reserve(node)
  const lines = ['graph TD', `    %% ${cleanText(model.title)}`]
  const classes: string[] = []
  const links: string[] = []
  const emit = (node: DiagramNode, indent: string) => {
    lines.push(guard(`${indent}${nodeDef(ids.of(node.id), node)}`))
    if (node.status !== undefined) classes.push(`    class ${ids.of(node.id)} ${node.status}`)
    for (const sub of node.subgraphs) emitSub(sub, indent)
  }
  const emitSub = (sub: DiagramSubgraph, indent: string) => {
    const inner = `${indent}    `
    lines.push(guard(`${indent}subgraph ${ids.of(sub.id)}["${escapeLabel(sub.title)}"]`))
    for (const child of sub.nodes) emit(child, inner)
    for (const e of sub.edges) lines.push(`${inner}${ids.of(e.from)} --> ${ids.of(e.to)}`)
    lines.push(`${indent}end`)
    const first = sub.nodes[0]
    // Dotted link from the flow-control step into each of its bodies, so they sit beneath it.
    if (first !== undefined) links.push(`    ${ids.of(sub.parent)} -.-> ${ids.of(first.id)}`)
  }
  for (const node of model.nodes) emit(node, '    ')
  for (const e of model.edges) lines.push(`    ${ids.of(e.from)} --> ${ids.of(e.to)}`)
  lines.push(...links, '')
  for (const def of MERMAID_CLASSDEFS) lines.push(`    ${def}`)
  lines.push(...classes)
  return `${lines.join('\n')}\n`
}

function nodeDef(id: string, node: DiagramNode): string {
  const [open, close] = SHAPES[node.kind]
  const details: string[] = []
  if (node.action !== undefined) details.push(escapeLabel(node.action))
  if (node.durationMs !== undefined && node.durationMs > 0)
    details.push(formatDuration(node.durationMs))
  if (node.retryCount !== undefined)
    details.push(`${node.retryCount} ${node.retryCount === 1 ? 'retry' : 'retries'}`)
  if (node.iterations !== undefined)
    details.push(`${node.iterations} ${node.iterations === 1 ? 'iteration' : 'iterations'}`)
  let label = escapeLabel(node.label)
  if (details.length > 0) label += `<br/>${details.join(' · ')}`
  return `${id}${open}"${label}"${close}`
}

// Before parsing, Mermaid drops the last `;` of any line matching these (meant for style lines),
// which would eat the `;` of an entity in a label such as `style x fill:#f00;`.
const STYLE_LIKE = [/style.*:\S*#.*;/, /classDef.*:\S*#.*;/]

/** Ends such a line with a spare `;` (a statement terminator) for Mermaid to drop instead. */
function guard(line: string): string {
  return STYLE_LIKE.some((re) => re.test(line)) ? `${line};` : line
}

const ENTITIES: Record<string, string> = {
  '"': '#quot;',
  '#': '#35;',
  '&': '#amp;',
  '<': '#lt;',
  '>': '#gt;',
  '`': '#96;',
}

/**
 * Text inside a quoted Mermaid label. Mermaid decodes `#name;` / `#123;` entities, then renders the
 * label as HTML: encoding `"` ends no string early, `<`/`>`/`&` render as text, `#` stops user
 * text from forming entities, and a leading backtick cannot start a markdown string.
 */
export function escapeLabel(text: string): string {
  return cleanText(text).replace(/["#&<>`]/g, (c) => ENTITIES[c] as string)
}

/** Unique ids made of `[A-Za-z0-9_]`, never a flowchart keyword. */
class SafeIds {
  private readonly byModelId = new Map<string, string>()
  private readonly used = new Set<string>()

  /** Start and End keep the reference's ids, even when a step took `__start__` as its id. */
  reserve(node: DiagramNode): void {
    this.assign(node.id, node.kind === 'start' ? '__start__' : '__end__')
  }

  of(modelId: string): string {
    return this.byModelId.get(modelId) ?? this.assign(modelId)
  }

  private assign(modelId: string, preferred?: string): string {
    let base = preferred ?? modelId.replace(/[^A-Za-z0-9_]/g, '_')
    if (!/[A-Za-z0-9]/.test(base)) base = 's'
    else if (RESERVED.has(base.toLowerCase()) || /^[0-9]/.test(base)) base = `s_${base}`
    let id = base
    for (let n = 2; this.used.has(id); n++) id = `${base}_${n}`
    this.used.add(id)
    this.byModelId.set(modelId, id)
    return id
  }
}
