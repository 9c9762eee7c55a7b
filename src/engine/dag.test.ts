import { describe, expect, test } from 'bun:test'
import { AppError } from '../errors.ts'
import {
  compareIds,
  computeLevels,
  cycleMessage,
  type DagNode,
  dependents,
  findCycle,
  findCycles,
  sinks,
} from './dag.ts'

const s = (id: string, ...deps: string[]): DagNode =>
  deps.length === 0 ? { id } : { id, depends_on: deps }

/** The spec's definition, computed naively: for checking the fast implementation. */
function naiveLevels(steps: DagNode[]): string[][] {
  const byId = new Map(steps.map((x) => [x.id, x]))
  const depth = new Map<string, number>()
  const depthOf = (id: string): number => {
    const known = depth.get(id)
    if (known !== undefined) return known
    const deps = byId.get(id)?.depends_on ?? []
    const d = deps.length === 0 ? 0 : 1 + Math.max(...deps.map(depthOf))
    depth.set(id, d)
    return d
  }
  const indeg = new Map(steps.map((x) => [x.id, new Set(x.depends_on ?? []).size]))
  const queue = steps
    .filter((x) => indeg.get(x.id) === 0)
    .map((x) => x.id)
    .sort(compareIds)
  const order: string[] = []
  while (queue.length > 0) {
    const u = queue.shift() as string
    order.push(u)
    const deps = steps
      .filter((x) => x.depends_on?.includes(u))
      .map((x) => x.id)
      .sort(compareIds)
    for (const v of deps) {
      indeg.set(v, (indeg.get(v) as number) - 1)
      if (indeg.get(v) === 0) queue.push(v)
    }
  }
  const levels: string[][] = []
  for (const id of order) {
    const d = depthOf(id)
    while (levels.length <= d) levels.push([])
    levels[d]?.push(id)
  }
  return levels
}

/** Deterministic pseudo-random generator, so failures reproduce. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1
  return () => {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    return x / 0x1_0000_0000
  }
}

function randomDag(n: number, seed: number): DagNode[] {
  const r = rng(seed)
  const ids = Array.from({ length: n }, (_, i) => `s${Math.floor(r() * 1e6)}_${i}`)
  return ids.map((id, i) => {
    const deps = new Set<string>()
    const k = Math.floor(r() * 4)
    for (let j = 0; j < k && i > 0; j++) deps.add(ids[Math.floor(r() * i)] as string)
    return s(id, ...deps)
  })
}

describe('computeLevels', () => {
  test('follows the example of spec §4', () => {
    expect(computeLevels([s('a'), s('b', 'a'), s('c', 'a'), s('d', 'b', 'c')])).toEqual([
      ['a'],
      ['b', 'c'],
      ['d'],
    ])
  })

  test('returns no levels for no steps and one level for independent steps', () => {
    expect(computeLevels([])).toEqual([])
    expect(computeLevels([s('z'), s('m'), s('a')])).toEqual([['a', 'm', 'z']])
  })

  test('puts a step one level below its deepest dependency', () => {
    // d depends on a (depth 0) and c (depth 2): depth 3, not 1.
    const steps = [s('d', 'a', 'c'), s('c', 'b'), s('b', 'a'), s('a')]
    expect(computeLevels(steps)).toEqual([['a'], ['b'], ['c'], ['d']])
  })

  test('orders a level by Kahn visit order, not alphabetically', () => {
    // Roots a, b. Dequeue a → its dependent y becomes ready; dequeue b → x becomes ready.
    // Both are at depth 1; Kahn order puts y before x.
    const steps = [s('x', 'b'), s('y', 'a'), s('a'), s('b')]
    expect(computeLevels(steps)).toEqual([
      ['a', 'b'],
      ['y', 'x'],
    ])
  })

  test('sorts ids by byte order (code points), not by UTF-16 units or locale', () => {
    const ids = ['b', 'B', 'a', '_', '10', '9', 'é', '\u{ff5e}', '\u{1f600}']
    expect(computeLevels(ids.map((id) => s(id)))).toEqual([
      ['10', '9', 'B', '_', 'a', 'b', 'é', '\u{ff5e}', '\u{1f600}'],
    ])
    // UTF-8 bytes order U+FF5E (EF BD 9E) before U+1F600 (F0 9F 98 80); UTF-16 units do not.
    expect(compareIds('\u{ff5e}', '\u{1f600}')).toBeLessThan(0)
    expect('\u{ff5e}' < '\u{1f600}').toBe(false)
  })

  test('treats a repeated dependency as one edge', () => {
    expect(computeLevels([s('a'), s('b', 'a', 'a')])).toEqual([['a'], ['b']])
  })

  test('matches the naive definition on random DAGs', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const steps = randomDag(1 + (seed % 40), seed)
      expect(computeLevels(steps)).toEqual(naiveLevels(steps))
    }
  })

  test('handles 10,000 steps in a chain and a fan-out without recursion', () => {
    const chain = Array.from({ length: 10_000 }, (_, i) =>
      i === 0 ? s('n0') : s(`n${i}`, `n${i - 1}`),
    )
    const levels = computeLevels(chain)
    expect(levels.length).toBe(10_000)
    expect(levels[9_999]).toEqual(['n9999'])
    const fan = [s('root'), ...Array.from({ length: 10_000 }, (_, i) => s(`f${i}`, 'root'))]
    expect(computeLevels(fan)[1]?.length).toBe(10_000)
  })

  test('rejects what validation should have caught, with the right code', () => {
    const unknown = () => computeLevels([s('a', 'ghost')])
    expect(unknown).toThrow(AppError)
    expect(unknown).toThrow('step "a" depends on unknown step "ghost"')
    expect(() => computeLevels([s('a'), s('a')])).toThrow('duplicate step id "a"')
    try {
      computeLevels([s('a', 'c'), s('b', 'a'), s('c', 'b'), s('d')])
      throw new Error('expected a cycle error')
    } catch (err) {
      expect((err as AppError).code).toBe('CYCLE_DETECTED')
      expect((err as AppError).message).toBe('workflow contains a cycle: a → b → c → a')
    }
  })
})

describe('findCycle', () => {
  test('returns undefined for a DAG', () => {
    expect(findCycle([s('a'), s('b', 'a'), s('c', 'a', 'b')])).toBeUndefined()
  })

  test('names the cycle in execution order, starting at the smallest id', () => {
    // b depends on a, c on b, a on c: a runs before b, b before c, c before a.
    const cycle = findCycle([s('c', 'b'), s('b', 'a'), s('a', 'c'), s('x', 'a')])
    expect(cycle).toEqual(['a', 'b', 'c'])
    expect(cycleMessage(cycle ?? [])).toBe('workflow contains a cycle: a → b → c → a')
  })

  test('reports a self-dependency as a cycle of one', () => {
    expect(findCycle([s('a'), s('b', 'b')])).toEqual(['b'])
    expect(cycleMessage(['b'])).toBe('workflow contains a cycle: b → b')
  })

  test('ignores unknown dependencies', () => {
    expect(findCycle([s('a', 'ghost')])).toBeUndefined()
  })

  test('finds a cycle at the end of a 10,000-step chain without recursion', () => {
    const chain = Array.from({ length: 10_000 }, (_, i) => s(`n${i}`, `n${(i + 1) % 10_000}`))
    expect(findCycle(chain)?.length).toBe(10_000)
  })

  test('findCycles reports disjoint cycles once each', () => {
    const steps = [s('a', 'b'), s('b', 'a'), s('c', 'd'), s('d', 'c'), s('e', 'a', 'c')]
    expect(findCycles(steps)).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ])
  })
})

describe('dependents and sinks', () => {
  const steps = [s('a'), s('c', 'a'), s('b', 'a', 'a'), s('d', 'b', 'c'), s('e')]

  test('lists direct dependents in ascending id order without repeats', () => {
    const map = dependents(steps)
    expect([...map.keys()]).toEqual(['a', 'c', 'b', 'd', 'e'])
    expect(map.get('a')).toEqual(['b', 'c'])
    expect(map.get('b')).toEqual(['d'])
    expect(map.get('d')).toEqual([])
  })

  test('sinks are the steps nobody depends on, in definition order', () => {
    expect(sinks(steps)).toEqual(['d', 'e'])
    expect(sinks([s('a', 'a')])).toEqual(['a'])
  })
})
