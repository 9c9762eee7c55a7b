/**
 * Layered top-down layout of the top-level graph in box-drawing characters (Sugiyama style):
 * levels → dummy nodes for edges that skip levels → crossing reduction by barycenters → x
 * placement under the parents → edge routing in channels between levels.
 *
 * Edges are drawn as buses: all sources with the same set of targets share one horizontal track,
 * so a fan-out is one `┬` bus and a fan-in one `┴` bus, and every bus means "each of these
 * sources leads to each of these targets" exactly. Buses that overlap get separate track rows; a
 * line crossing another bus is drawn as `│` through it, never as a junction `┼`.
 */
import type { DiagramModel, DiagramNode } from './model.ts'
import { displayWidth, padEnd } from './text.ts'

export interface LayoutOptions {
  /** Widest output allowed, in columns. */
  maxWidth: number
  /** Most boxes plus pass-through lines the layout takes on. */
  maxItems: number
  /** Box content of a node (one line). */
  text: (node: DiagramNode) => string
}

interface Item {
  id: string
  node: DiagramNode | undefined
  level: number
  text: string
  width: number
  x: number
  preds: Item[]
  succs: Item[]
  /** Hyperedges arriving at this item, in port order (left to right). */
  incoming: Hyperedge[]
  inPort: Map<Hyperedge, number>
}

interface Hyperedge {
  sources: Item[]
  targets: Item[]
  track: number
}

const U = 1
const D = 2
const L = 4
const R = 8
const GLYPH: Record<number, string> = {
  [U]: '│',
  [D]: '│',
  [U | D]: '│',
  [L]: '─',
  [R]: '─',
  [L | R]: '─',
  [D | R]: '┌',
  [D | L]: '┐',
  [U | R]: '└',
  [U | L]: '┘',
  [U | D | R]: '├',
  [U | D | L]: '┤',
  [D | L | R]: '┬',
  [U | L | R]: '┴',
  [U | D | L | R]: '┼',
}

/** Lines of the drawing, or undefined when it would exceed `maxWidth` or `maxItems`. */
export function layoutGraph(model: DiagramModel, options: LayoutOptions): string[] | undefined {
  const levels = buildItems(model, options)
  if (levels === undefined) return undefined
  // Boxes only grow from here (ports, placement): a level already too wide decides it cheaply.
  for (const level of levels) {
    let width = -2
    for (const item of level)
      width += (item.node === undefined ? 1 : displayWidth(item.text) + 4) + 2
    if (width > options.maxWidth) return undefined
  }
  orderLevels(levels)
  const channels: Hyperedge[][] = []
  for (let l = 0; l + 1 < levels.length; l++) channels.push(hyperedges(levels[l] as Item[]))
  for (const level of levels)
    for (const item of level) {
      if (item.node === undefined) continue
      const need = 2 * item.incoming.length + 1
      item.width = Math.max(displayWidth(item.text) + 4, need)
    }
  const width = placeX(levels)
  if (width > options.maxWidth) return undefined
  for (const channel of channels) assignPorts(channel)
  return draw(levels, channels, width)
}

function buildItems(model: DiagramModel, options: LayoutOptions): Item[][] | undefined {
  const levelOf = new Map<string, number>()
  model.levels.forEach((ids, l) => {
    for (const id of ids) levelOf.set(id, l)
  })
  const byId = new Map<string, Item>()
  const levels: Item[][] = model.levels.map(() => [])
  let count = 0
  for (const node of model.nodes) {
    const level = levelOf.get(node.id)
    if (level === undefined) continue
    const item = newItem(node.id, node, level, options.text(node))
    byId.set(node.id, item)
    ;(levels[level] as Item[]).push(item)
    count++
  }
  let dummies = 0
  for (const edge of model.edges) {
    const from = byId.get(edge.from)
    const to = byId.get(edge.to)
    if (from === undefined || to === undefined) continue
    let prev = from
    for (let l = from.level + 1; l < to.level; l++) {
      const dummy = newItem(`\u0000${dummies++}`, undefined, l, '')
      dummy.width = 1
      ;(levels[l] as Item[]).push(dummy)
      link(prev, dummy)
      prev = dummy
      if (++count > options.maxItems) return undefined
    }
    link(prev, to)
  }
  return count > options.maxItems ? undefined : levels
}

function newItem(id: string, node: DiagramNode | undefined, level: number, text: string): Item {
  return {
    id,
    node,
    level,
    text,
    width: 0,
    x: 0,
    preds: [],
    succs: [],
    incoming: [],
    inPort: new Map(),
  }
}

function link(from: Item, to: Item): void {
  from.succs.push(to)
  to.preds.push(from)
}

/** Barycenter sweeps down and up, keeping the ordering with the fewest crossings. */
function orderLevels(levels: Item[][]): void {
  const pos = new Map<Item, number>()
  for (const level of levels) for (let i = 0; i < level.length; i++) pos.set(level[i] as Item, i)
  let best = levels.map((l) => [...l])
  let bestCrossings = crossings(levels, pos)
  for (let pass = 0; pass < 4 && bestCrossings > 0; pass++) {
    const down = pass % 2 === 0
    const range = down
      ? levels.map((_, l) => l).slice(1)
      : levels
          .map((_, l) => l)
          .reverse()
          .slice(1)
    for (const l of range) {
      const level = levels[l] as Item[]
      const keyed = level.map((item, i) => {
        const near = down ? item.preds : item.succs
        const key =
          near.length === 0 ? i : near.reduce((s, n) => s + (pos.get(n) as number), 0) / near.length
        return { item, key, i }
      })
      keyed.sort((a, b) => a.key - b.key || a.i - b.i)
      levels[l] = keyed.map((k) => k.item)
      keyed.forEach((k, i) => {
        pos.set(k.item, i)
      })
    }
    const c = crossings(levels, pos)
    if (c < bestCrossings) {
      bestCrossings = c
      best = levels.map((l) => [...l])
    }
  }
  best.forEach((level, l) => {
    levels[l] = level
  })
}

function crossings(levels: Item[][], pos: Map<Item, number>): number {
  let total = 0
  for (const level of levels) {
    const edges: [number, number][] = []
    for (const item of level)
      for (const s of item.succs) edges.push([pos.get(item) as number, pos.get(s) as number])
    for (let i = 0; i < edges.length; i++)
      for (let j = i + 1; j < edges.length; j++) {
        const [a1, b1] = edges[i] as [number, number]
        const [a2, b2] = edges[j] as [number, number]
        if ((a1 - a2) * (b1 - b2) < 0) total++
      }
  }
  return total
}

/** Groups the edges leaving one level: sources with identical target sets share a bus. */
function hyperedges(level: Item[]): Hyperedge[] {
  const byTargets = new Map<string, Hyperedge>()
  const out: Hyperedge[] = []
  for (const item of level) {
    if (item.succs.length === 0) continue
    const key = item.succs
      .map((s) => s.id)
      .sort()
      .join('\u0001')
    let h = byTargets.get(key)
    if (h === undefined) {
      h = { sources: [], targets: [...item.succs], track: 0 }
      byTargets.set(key, h)
      out.push(h)
      for (const t of h.targets) t.incoming.push(h)
    }
    h.sources.push(item)
  }
  return out
}

function outPort(item: Item): number {
  return item.x + Math.floor((item.width - 1) / 2)
}

function gap(a: Item, b: Item): number {
  return a.node === undefined && b.node === undefined ? 1 : 2
}

interface Block {
  items: Item[]
  offsets: number[]
  width: number
  /** Sum over members of (desired left − offset in the block). */
  sum: number
  pos: number
}

/**
 * Places each level under its parents: every item wants its center under the mean of its parents'
 * ports; overlapping items merge into blocks placed at their members' mean wish. Returns the
 * width of the drawing (after shifting everything to start at column 0).
 */
function placeX(levels: Item[][]): number {
  let x = 0
  const first = levels[0] ?? []
  for (const item of first) {
    item.x = x
    x += item.width + 2
  }
  for (let l = 1; l < levels.length; l++) {
    const blocks: Block[] = []
    for (const item of levels[l] as Item[]) {
      const center =
        item.preds.length === 0
          ? 0
          : item.preds.reduce((s, p) => s + outPort(p), 0) / item.preds.length
      const desired = Math.round(center - Math.floor((item.width - 1) / 2))
      let block: Block = { items: [item], offsets: [0], width: item.width, sum: desired, pos: 0 }
      block.pos = desired
      for (;;) {
        const prev = blocks[blocks.length - 1]
        if (prev === undefined) break
        const g = gap(prev.items[prev.items.length - 1] as Item, block.items[0] as Item)
        if (prev.pos + prev.width + g <= block.pos) break
        const shift = prev.width + g
        block.items.forEach((it, i) => {
          prev.items.push(it)
          prev.offsets.push((block.offsets[i] as number) + shift)
        })
        prev.sum += block.sum - shift * block.items.length
        prev.width = shift + block.width
        prev.pos = Math.round(prev.sum / prev.items.length)
        blocks.pop()
        block = prev
      }
      blocks.push(block)
    }
    for (const b of blocks)
      b.items.forEach((it, i) => {
        it.x = b.pos + (b.offsets[i] as number)
      })
  }
  let min = Number.POSITIVE_INFINITY
  let max = 0
  for (const level of levels) for (const item of level) min = Math.min(min, item.x)
  for (const level of levels)
    for (const item of level) {
      item.x -= min
      max = Math.max(max, item.x + item.width)
    }
  return max
}

/** Target ports: one per arriving bus, ordered by where the bus comes from, clear of other buses' drops. */
function assignPorts(channel: Hyperedge[]): void {
  const sourceCols = new Map<number, Hyperedge>()
  for (const h of channel) for (const s of h.sources) sourceCols.set(outPort(s), h)
  const targets = new Set<Item>()
  for (const h of channel) for (const t of h.targets) targets.add(t)
  const mean = (h: Hyperedge) => h.sources.reduce((s, i) => s + outPort(i), 0) / h.sources.length
  for (const t of targets) {
    const list = t.incoming.filter((h) => channel.includes(h)).sort((a, b) => mean(a) - mean(b))
    if (t.node === undefined || list.length === 0) {
      for (const h of list) t.inPort.set(h, t.x)
      continue
    }
    const k = list.length
    const lo = t.x + 1
    const hi = t.x + t.width - 2
    const taken = new Set<number>()
    list.forEach((h, i) => {
      const wish = k === 1 ? outPort(t) : lo + Math.floor(((i + 0.5) * (hi - lo + 1)) / k)
      let col = wish
      // A port under another bus's drop would fuse the two lines: move it aside.
      for (let d = 0; d <= hi - lo; d++) {
        const candidates = d === 0 ? [wish] : [wish + d, wish - d]
        const ok = candidates.find(
          (c) => c >= lo && c <= hi && !taken.has(c) && (sourceCols.get(c) ?? h) === h,
        )
        if (ok !== undefined) {
          col = ok
          break
        }
      }
      taken.add(col)
      t.inPort.set(h, col)
    })
  }
}

function draw(levels: Item[][], channels: Hyperedge[][], width: number): string[] {
  // Tracks per channel: greedy interval colouring, one blank column between buses on a row.
  const trackCounts = channels.map((channel) => {
    const spans = channel.map((h) => {
      const cols = [...h.sources.map(outPort), ...h.targets.map((t) => t.inPort.get(h) as number)]
      return { h, min: Math.min(...cols), max: Math.max(...cols) }
    })
    spans.sort((a, b) => a.min - b.min || a.max - b.max)
    const ends: number[] = []
    for (const s of spans) {
      let t = ends.findIndex((end) => end + 1 < s.min)
      if (t === -1) {
        t = ends.length
        ends.push(0)
      }
      ends[t] = s.max
      s.h.track = t
    }
    return Math.max(1, ends.length)
  })
  const rows: number[] = []
  let y = 0
  levels.forEach((_, l) => {
    rows.push(y)
    y += 3 + (l < channels.length ? (trackCounts[l] as number) + 1 : 0)
  })
  const grid = new Grid(y, width)
  levels.forEach((level, l) => {
    const top = rows[l] as number
    for (const item of level) {
      if (item.node === undefined) {
        for (let r = 0; r < 3; r++) grid.text(top + r, item.x, '│')
        continue
      }
      drawBox(grid, item, top)
    }
    const channel = channels[l]
    if (channel === undefined) return
    const base = top + 3
    const tracks = trackCounts[l] as number
    channel.forEach((h, net) => {
      const row = base + h.track
      const cols = [...h.sources.map(outPort), ...h.targets.map((t) => t.inPort.get(h) as number)]
      const min = Math.min(...cols)
      const max = Math.max(...cols)
      for (let c = min; c <= max; c++) grid.line(row, c, (c > min ? L : 0) | (c < max ? R : 0), net)
      for (const s of h.sources) {
        const c = outPort(s)
        for (let r = base; r < row; r++) grid.line(r, c, U | D, net)
        grid.line(row, c, U, net)
      }
      for (const t of h.targets) {
        const c = t.inPort.get(h) as number
        grid.line(row, c, D, net)
        for (let r = row + 1; r < base + tracks; r++) grid.line(r, c, U | D, net)
        grid.text(base + tracks, c, t.node === undefined ? '│' : '▼')
      }
    })
  })
  return grid.lines()
}

const BORDERS: Record<string, [string, string, string, string, string, string]> = {
  // top-left, top-right, bottom-left, bottom-right, horizontal, vertical
  box: ['┌', '┐', '└', '┘', '─', '│'],
  round: ['╭', '╮', '╰', '╯', '─', '│'],
  sub: ['╓', '╖', '╙', '╜', '─', '║'],
}

function drawBox(grid: Grid, item: Item, top: number): void {
  const kind = item.node?.kind
  const style =
    kind === 'start' || kind === 'end' || kind === 'wait'
      ? 'round'
      : kind === 'parallel' || kind === 'loop'
        ? 'sub'
        : 'box'
  const [tl, tr, bl, br, h, v] = BORDERS[style] as [string, string, string, string, string, string]
  const inner = item.width - 2
  grid.text(top, item.x, tl + h.repeat(inner) + tr)
  const content = padEnd(` ${item.text}`, inner)
  grid.text(top + 1, item.x, v)
  grid.text(top + 1, item.x + 1, content)
  grid.text(top + 1, item.x + item.width - 1, v)
  let bottom = bl + h.repeat(inner) + br
  if (item.succs.length > 0) {
    const p = outPort(item) - item.x
    bottom = `${bottom.slice(0, p)}┬${bottom.slice(p + 1)}`
  }
  grid.text(top + 2, item.x, bottom)
}

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' })
/** Printable ASCII, Latin-1, box drawing, arrows and our markers: one column each, no combining. */
const NARROW =
  /^[\u0020-\u007e\u00a0-\u00ac\u00ae-\u00ff\u2190-\u21ff\u2500-\u259f\u25bc\u25c7\u2b21\u29d7\u2026]*$/

/**
 * Character cells plus, for edge cells, the directions of the line through them. A cell reached by
 * two different buses is a crossing and is drawn as a plain vertical line.
 */
class Grid {
  private readonly chars: string[][]
  private readonly mask: Uint8Array[]
  private readonly net: Int32Array[]
  private readonly crossed: Uint8Array[]

  constructor(height: number, width: number) {
    this.chars = Array.from({ length: height }, () => new Array<string>(width).fill(' '))
    this.mask = Array.from({ length: height }, () => new Uint8Array(width))
    this.net = Array.from({ length: height }, () => new Int32Array(width).fill(-1))
    this.crossed = Array.from({ length: height }, () => new Uint8Array(width))
  }

  /** Writes text from column `x`; a wide character takes two cells (the second stays empty). */
  text(row: number, x: number, text: string): void {
    const cells = this.chars[row]
    if (cells === undefined) return
    let c = x
    if (NARROW.test(text)) {
      // Fast path: borders and plain labels are one column per UTF-16 unit.
      for (let i = 0; i < text.length; i++) cells[c++] = text[i] as string
      return
    }
    for (const { segment } of segmenter.segment(text)) {
      const w = displayWidth(segment)
      if (w === 0) continue
      cells[c] = segment
      for (let k = 1; k < w; k++) cells[c + k] = ''
      c += w
    }
  }

  line(row: number, col: number, bits: number, net: number): void {
    const nets = this.net[row] as Int32Array
    const masks = this.mask[row] as Uint8Array
    const owner = nets[col] as number
    if (owner !== -1 && owner !== net) {
      const crossed = this.crossed[row] as Uint8Array
      crossed[col] = (crossed[col] as number) | bits | (masks[col] as number)
      return
    }
    nets[col] = net
    masks[col] = (masks[col] as number) | bits
  }

  lines(): string[] {
    return this.chars.map((cells, r) => {
      const masks = this.mask[r] as Uint8Array
      const crossed = this.crossed[r] as Uint8Array
      for (let c = 0; c < cells.length; c++) {
        if (crossed[c]) cells[c] = (crossed[c] as number) & (U | D) ? '│' : '─'
        else if (masks[c]) cells[c] = GLYPH[masks[c] as number] as string
      }
      return cells.join('').trimEnd()
    })
  }
}
