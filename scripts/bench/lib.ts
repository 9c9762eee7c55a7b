/**
 * Benchmark harness shared by every suite in scripts/bench/. A case is timed run by run with
 * Bun.nanoseconds(); the report gives the median and p95 per run, operations per second and the Go
 * reference's published figure for the same scenario (decisions.md D3), or null.
 */

export interface BenchCase {
  scenario: string
  /** The Go reference's published figure for this scenario, in ns per run; null when none. */
  reference_ns: number | null
  /** One measured run. */
  run: () => unknown | Promise<unknown>
  /** Operations done by one run (e.g. 100 workflows), for ops_per_sec. Default 1. */
  opsPerRun?: number
  /** Runs before measuring (default 20). */
  warmup?: number
  /** Measured runs (default: as many as fit in ~1.5 s, at least 10, at most 2000). */
  iterations?: number
  /** Called once before the case (open what it needs; nothing is held between cases). */
  setup?: () => unknown | Promise<unknown>
  /** Called once after the case, e.g. to close a database. */
  teardown?: () => unknown | Promise<unknown>
  /** Free-form note printed beside the figures. */
  note?: string
}

export interface BenchSuite {
  name: string
  cases: () => BenchCase[] | Promise<BenchCase[]>
}

export interface BenchResult {
  suite: string
  scenario: string
  median_ns: number
  p95_ns: number
  ops_per_sec: number
  reference_ns: number | null
  note?: string
}

export async function measure(suite: string, c: BenchCase, budgetMs = 1500): Promise<BenchResult> {
  await c.setup?.()
  // Start each case from a collected heap, so one case's garbage is not billed to the next.
  Bun.gc(true)
  const warmup = c.warmup ?? 20
  for (let i = 0; i < warmup; i++) await c.run()
  let iterations = c.iterations
  if (iterations === undefined) {
    const t0 = Bun.nanoseconds()
    await c.run()
    const one = Math.max(1, Bun.nanoseconds() - t0)
    iterations = Math.min(2000, Math.max(10, Math.floor((budgetMs * 1e6) / one)))
  }
  const samples = new Float64Array(iterations)
  for (let i = 0; i < iterations; i++) {
    const t0 = Bun.nanoseconds()
    await c.run()
    samples[i] = Bun.nanoseconds() - t0
  }
  samples.sort()
  const median = samples[Math.floor(iterations / 2)] as number
  const p95 = samples[Math.min(iterations - 1, Math.floor(iterations * 0.95))] as number
  await c.teardown?.()
  const result: BenchResult = {
    suite,
    scenario: c.scenario,
    median_ns: Math.round(median),
    p95_ns: Math.round(p95),
    ops_per_sec: Math.round((1e9 / median) * (c.opsPerRun ?? 1)),
    reference_ns: c.reference_ns,
  }
  if (c.note !== undefined) result.note = c.note
  return result
}

export function formatNs(ns: number | null): string {
  if (ns === null) return '—'
  if (ns < 1e3) return `${ns.toFixed(0)} ns`
  if (ns < 1e6) return `${(ns / 1e3).toFixed(1)} µs`
  if (ns < 1e9) return `${(ns / 1e6).toFixed(2)} ms`
  return `${(ns / 1e9).toFixed(2)} s`
}
