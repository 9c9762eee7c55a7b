import { afterAll, describe, expect, test } from 'bun:test'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../test/support/tmp.ts'
import type { BenchResult } from './bench/lib.ts'
import {
  evaluateTargets,
  latencyChart,
  mergeResults,
  README_END,
  README_START,
  type ReportData,
  readmeSection,
  renderReport,
  scalingChart,
  withReadmeSection,
  writeReport,
} from './bench-report.ts'

const r = (
  suite: string,
  scenario: string,
  median_ns: number,
  reference_ns: number | null,
  ops = Math.round(1e9 / median_ns),
): BenchResult => ({
  suite,
  scenario,
  median_ns,
  p95_ns: median_ns * 1.2,
  ops_per_sec: ops,
  reference_ns,
})

const results: BenchResult[] = [
  r('engine', 'in-memory parallel 10', 20_000, 49_800),
  r('engine', 'in-memory parallel 100', 150_000, 451_800),
  r('engine', 'in-memory parallel 500', 900_000, 2_400_000),
  r('engine', 'durable parallel 10', 60_000, 49_800),
  r('engine', 'durable parallel 100', 300_000, 451_800),
  r('engine', 'durable parallel 500', 2_000_000, 2_400_000),
  r('engine', 'durable sequential 20', 200_000, 82_900),
  r('engine', 'durable sequential 50', 500_000, 192_300),
  r('engine', 'durable 100 concurrent 3-step workflows', 4_000_000, 1_700_000, 25_000),
  r('store', 'batched append (100 per transaction)', 400_000, null, 250_000),
  r('store', 'replay 1,000 events', 800_000, 6_400_000),
  { ...r('mcp', 'tools/call opcode.status (streamable)', 300_000, null), note: 'a | b' },
]

const data: ReportData = {
  machine: {
    cpu: 'Test CPU',
    cores: 2,
    memory_gib: 4,
    os: 'Linux 6 (x64)',
    bun: '1.4.5',
    opcode: '0.1.0',
    commit: 'abc1234',
  },
  started_at: '2026-11-24T10:00:00.000Z',
  finished_at: '2026-11-24T10:05:00.000Z',
  load: [1.5, 2.25],
  results,
}

const tmp = tempDir('opcode-bench-report-')
afterAll(() => tmp.cleanup())

describe('benchmarks report', () => {
  test('lists every suite with our figure, the reference and the ratio', () => {
    const md = renderReport(data)
    expect(md).toContain('- **Machine**: Test CPU, 2 cores, 4 GiB, Linux 6 (x64)')
    expect(md).toContain('Bun 1.4.5, opcode 0.1.0 (commit abc1234)')
    expect(md).toContain('load average 1.5 before the run, 2.25 after')
    for (const s of ['## engine', '## store', '## mcp']) expect(md).toContain(s)
    expect(md).toContain(
      '| in-memory parallel 10 | 20.0 µs | 24.0 µs | 50,000 | 49.8 µs | 0.40× |  |',
    )
    expect(md).toContain('| a \\| b |') // pipes in notes are escaped
    expect(md).toContain('assets/bench-engine-latency.svg')
  })

  test('evaluates the D3 targets from the figures', () => {
    const t = Object.fromEntries(evaluateTargets(results).map((x) => [x.text, x]))
    expect(t['in-memory latency ≤ 0.5× the reference in every scenario']).toMatchObject({
      value: 'worst 0.40×',
      met: true,
    })
    expect(t['durable latency ≤ 3× the reference everywhere']).toMatchObject({ met: true })
    // (2 ms − 300 µs) / 400 = 4.25 µs; (500 − 200 µs) / 30 = 10 µs.
    expect(
      t['durable per-step marginal cost ≤ 10 µs (slope 100→500 parallel, 20→50 sequential)'],
    ).toMatchObject({
      value: '4.3 µs / 10.0 µs',
      met: true,
    })
    expect(
      t['durable throughput of 100 concurrent 3-step workflows ≥ 20,000 workflows/s']?.met,
    ).toBe(true)
    expect(t['replay of 1,000 events ≤ 1 ms']).toMatchObject({ value: '800.0 µs', met: true })
    expect(t['batched append ≥ 200,000 events/s at 100 per transaction']?.met).toBe(true)
  })

  test('a target whose figures are missing says so instead of guessing', () => {
    const t = evaluateTargets([r('store', 'replay 1,000 events', 2_000_000, null)])
    expect(t.find((x) => x.text.startsWith('in-memory'))?.met).toBeUndefined()
    expect(t.find((x) => x.text.startsWith('replay'))).toMatchObject({ met: false })
  })

  test('charts are standalone SVG with a bar or point per measured figure', () => {
    const bars = latencyChart(results)
    expect(bars.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true)
    expect(bars).toContain('<title>Workflow latency by scenario')
    expect(bars.trim().endsWith('</svg>')).toBe(true)
    // parallel 10/100/500: reference + in-memory + durable = 9 bars; sequential 20/50: 2 × 2.
    expect(bars.match(/<\/title><\/rect>/g)?.length).toBe(13)
    const lines = scalingChart(results)
    expect(lines.match(/<path /g)?.length).toBe(3)
    expect(lines.match(/<circle /g)?.length).toBe(9)
  })

  test('a partial run replaces only the suites it measured', () => {
    const merged = mergeResults(results, [r('store', 'replay 1,000 events', 700_000, 6_400_000)])
    expect(merged.filter((x) => x.suite === 'store')).toHaveLength(1)
    expect(merged.filter((x) => x.suite === 'engine')).toHaveLength(9)
  })

  test('the README section is replaced between its markers only', () => {
    const readme = `# x\n\n${README_START}\nold\n${README_END}\n\ntail\n`
    const next = withReadmeSection(readme, readmeSection(data))
    expect(next.startsWith('# x\n\n<!-- bench:start')).toBe(true)
    expect(next.endsWith(`${README_END}\n\ntail\n`)).toBe(true)
    expect(next).toContain('| 100 parallel steps | 451.8 µs | 150.0 µs | 300.0 µs |')
    expect(next).toContain('4.00 ms (25,000 wf/s)')
    expect(withReadmeSection('no markers', 'x')).toBe('no markers')
  })

  test('writeReport writes the page, the charts, the raw results and the README section', () => {
    const root = tmp.path('repo')
    mkdirSync(root)
    writeFileSync(join(root, 'package.json'), JSON.stringify({ version: '9.9.9' }))
    writeFileSync(join(root, 'README.md'), `# r\n${README_START}\n${README_END}\n`)
    const files = writeReport(root, results, { started_at: data.started_at, load_before: 1 })
    expect(files.map((f) => f.slice(root.length + 1)).sort()).toEqual([
      'README.md',
      'docs/assets/bench-engine-latency.svg',
      'docs/assets/bench-engine-scaling.svg',
      'docs/assets/benchmarks.json',
      'docs/benchmarks.md',
    ])
    const stored = JSON.parse(readFileSync(join(root, 'docs/assets/benchmarks.json'), 'utf8'))
    expect(stored.machine.opcode).toBe('9.9.9')
    expect(stored.results).toHaveLength(results.length)
    // A second, partial run keeps the other suites.
    writeReport(root, [r('mcp', 'x', 1000, null)], { started_at: data.started_at, load_before: 1 })
    const again = JSON.parse(readFileSync(join(root, 'docs/assets/benchmarks.json'), 'utf8'))
    expect(again.results.filter((x: BenchResult) => x.suite === 'engine')).toHaveLength(9)
    expect(again.results.filter((x: BenchResult) => x.suite === 'mcp')).toHaveLength(1)
  })
})
