/**
 * `npm run bench [-- --json] [-- --suite NAME] [-- --report]`: runs every suite in scripts/bench/
 * and prints a table (or one JSON object per line with --json) with the Go reference's figure
 * beside ours. `--report` also regenerates docs/benchmarks.md, its charts and the README's
 * performance table (scripts/bench-report.ts).
 */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { type BenchResult, type BenchSuite, formatNs, measure } from './bench/lib.ts'
import { currentLoad, writeReport } from './bench-report.ts'

const argv = process.argv.slice(2)
const json = argv.includes('--json')
const report = argv.includes('--report')
const startedAt = new Date().toISOString()
const loadBefore = currentLoad()
const only = new Set<string>()
for (let i = 0; i < argv.length; i++)
  if (argv[i] === '--suite' && argv[i + 1]) only.add(argv[i + 1] as string)

const dir = join(import.meta.dir, 'bench')
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .sort()

const results: BenchResult[] = []
for (const file of files) {
  const mod = (await import(join(dir, file))) as { suite?: BenchSuite }
  const suite = mod.suite
  if (suite === undefined || (only.size > 0 && !only.has(suite.name))) continue
  if (!json) console.log(`\n## ${suite.name}\n`)
  if (!json)
    console.log(
      `${'scenario'.padEnd(44)} ${'median'.padStart(10)} ${'p95'.padStart(10)} ${'ops/s'.padStart(12)} ${'reference'.padStart(10)} ${'ratio'.padStart(7)}`,
    )
  for (const c of await suite.cases()) {
    const r = await measure(suite.name, c)
    results.push(r)
    if (json) {
      console.log(JSON.stringify(r))
    } else {
      const ratio = r.reference_ns === null ? '—' : `${(r.median_ns / r.reference_ns).toFixed(2)}×`
      console.log(
        `${r.scenario.padEnd(44)} ${formatNs(r.median_ns).padStart(10)} ${formatNs(r.p95_ns).padStart(10)} ${r.ops_per_sec.toLocaleString('en-US').padStart(12)} ${formatNs(r.reference_ns).padStart(10)} ${ratio.padStart(7)}${r.note ? `  ${r.note}` : ''}`,
      )
    }
  }
}

if (report) {
  const written = writeReport(join(import.meta.dir, '..'), results, {
    started_at: startedAt,
    load_before: loadBefore,
  })
  if (!json) console.log(`\nreport written: ${written.join(', ')}`)
}
