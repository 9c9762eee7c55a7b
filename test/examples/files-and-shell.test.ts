/**
 * The examples that touch the file system (fs.*) and run commands (shell.exec), each in its own
 * temporary directory.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../support/tmp.ts'
import { fakeService, reply } from './fakes.ts'
import { EXAMPLES_DIR, type ExampleHost, startExampleHost } from './harness.ts'

let host: ExampleHost
const tmp = tempDir('opcode-example-files-')
beforeAll(async () => {
  host = await startExampleHost()
})
afterAll(async () => {
  await host.close()
  tmp.cleanup()
})

/** A fresh directory for one test. */
function dir(name: string): string {
  const d = tmp.path(name)
  mkdirSync(d, { recursive: true })
  return d
}

const sha256 = (s: string | Uint8Array) => new Bun.CryptoHasher('sha256').update(s).digest('hex')

describe.concurrent('File and shell examples', () => {
  test('log-anomaly-triage: an error spike opens an incident; a quiet log only notes it', async () => {
    const d = dir('triage')
    const log = join(d, 'app.log')
    const lines = [
      '2026-11-23T10:00:00Z INFO api started',
      '2026-11-23T10:01:00Z ERROR api upstream timeout',
      '2026-11-23T10:01:02Z ERROR api upstream timeout',
      '2026-11-23T10:01:05Z ERROR db deadlock detected',
      '2026-11-23T10:02:00Z INFO api request served',
    ]
    writeFileSync(log, `${lines.join('\n')}\n`)
    const incidents = fakeService({ 'POST /v1/incidents': () => reply(201, { id: 'INC-9' }) })
    try {
      await host.defineExample('log-anomaly-triage')
      const params = {
        log_path: log,
        journal_path: join(d, 'triage.md'),
        incident_url: `${incidents.url}/v1/incidents`,
      }
      const spike = await host.run('log-anomaly-triage', params)
      expect(spike.status).toBe('completed')
      expect(incidents.bodies('POST /v1/incidents')).toEqual([
        {
          title: 'Error spike in ["api","db"]',
          errors: 3,
          sample: lines.slice(1, 4),
        },
      ])
      const quiet = await host.run('log-anomaly-triage', { ...params, error_threshold: 10 })
      expect(quiet.output?.triage).toMatchObject({ branch: 'noise' })
      expect(readFileSync(join(d, 'triage.md'), 'utf8')).toBe(
        '- incident INC-9: 3 errors in 5 lines\n- below threshold: 3 errors in 5 lines\n',
      )
    } finally {
      incidents.close()
    }
  })

  test('build-and-test: lint and tests run as shell scripts in parallel; a JSON report is written', async () => {
    const d = dir('build')
    await host.defineExample('build-and-test')
    const report = join(d, 'out', 'report.json')
    const run = await host.run('build-and-test', {
      project_dir: join(EXAMPLES_DIR, 'build-and-test', 'sample-app'),
      scripts_dir: join(EXAMPLES_DIR, 'build-and-test', 'scripts'),
      report_path: report,
    })
    expect(run.status).toBe('completed')
    expect(run.steps.test?.output).toMatchObject({ exit_code: 0, stdout: { passed: 3, failed: 0 } })
    expect(JSON.parse(readFileSync(report, 'utf8'))).toEqual({
      status: 'green',
      lint: 'lint: 1 files clean',
      tests: { passed: 3, failed: 0, failures: [] },
    })
  })

  test('build-and-test: a failing test case fails the run and writes no report', async () => {
    const d = dir('build-red')
    cpSync(join(EXAMPLES_DIR, 'build-and-test', 'sample-app'), join(d, 'app'), { recursive: true })
    writeFileSync(join(d, 'app', 'test', 'cases.txt'), '1 2 3\n2 2 5\n')
    await host.defineExample('build-and-test')
    const run = await host.run('build-and-test', {
      project_dir: join(d, 'app'),
      scripts_dir: join(EXAMPLES_DIR, 'build-and-test', 'scripts'),
      report_path: join(d, 'report.json'),
    })
    expect(run.status).toBe('failed')
    expect(run.error?.message).toContain('some tests failed')
    expect(run.steps.test?.output).toMatchObject({ stdout: { failed: 1, failures: ['2+2'] } })
    expect(existsSync(join(d, 'report.json'))).toBe(false)
  })

  test('release-notes: fragments become grouped notes and are archived under the version', async () => {
    const d = dir('release')
    const changes = join(d, 'changes')
    mkdirSync(changes)
    writeFileSync(join(changes, 'feat-export.md'), 'Export to CSV\n')
    writeFileSync(join(changes, 'fix-timezone.md'), 'Dates respect the time zone\n')
    writeFileSync(join(changes, 'feat-dark-mode.md'), 'Dark mode\n')
    writeFileSync(join(changes, 'README.txt'), 'not a fragment\n')
    await host.defineExample('release-notes')
    const run = await host.run('release-notes', {
      changes_dir: changes,
      archive_dir: join(d, 'archive'),
      notes_path: join(d, 'RELEASE_NOTES.md'),
      version: '1.5.0',
    })
    expect(run.status).toBe('completed')
    expect(readFileSync(join(d, 'RELEASE_NOTES.md'), 'utf8')).toBe(
      '# 1.5.0\n\n## Features\n\n- Dark mode\n- Export to CSV\n\n## Fixes\n\n- Dates respect the time zone\n',
    )
    expect(readdirSync(changes)).toEqual(['README.txt'])
    expect(readdirSync(join(d, 'archive', '1.5.0')).sort()).toEqual([
      'feat-dark-mode.md',
      'feat-export.md',
      'fix-timezone.md',
    ])
  })

  test('release-notes: nothing to release fails clearly', async () => {
    const d = dir('release-empty')
    await host.defineExample('release-notes')
    const run = await host.run('release-notes', {
      changes_dir: d,
      archive_dir: join(d, 'archive'),
      notes_path: join(d, 'NOTES.md'),
    })
    expect(run.status).toBe('failed')
    expect(run.error?.message).toContain('no changelog fragments to release')
  })

  test('tool-result-cache: a miss calls the API and fills the cache; a hit does not call it', async () => {
    const d = dir('cache')
    const api = fakeService({ 'GET /v1/answer': (r) => ({ q: r.query.q, temp_c: 19 }) })
    try {
      await host.defineExample('tool-result-cache')
      const params = { query: 'weather lisbon', api_url: `${api.url}/v1/answer`, cache_dir: d }
      const miss = await host.run('tool-result-cache', params)
      expect(miss.status).toBe('completed')
      expect(miss.output?.answer).toEqual({
        result: { from_cache: false, answer: { q: 'weather lisbon', temp_c: 19 } },
      })
      expect(readdirSync(d)).toEqual([`${sha256('weather lisbon')}.json`])
      const hit = await host.run('tool-result-cache', params)
      expect(hit.output?.answer).toEqual({
        result: { from_cache: true, answer: { q: 'weather lisbon', temp_c: 19 } },
      })
      expect(hit.steps.fetch?.status).toBe('skipped')
      expect(api.requests).toHaveLength(1)
    } finally {
      api.close()
    }
  })

  test('batch-file-processor: each JSON batch becomes a CSV and moves to done/', async () => {
    const d = dir('batches')
    const inbox = join(d, 'inbox')
    mkdirSync(inbox)
    writeFileSync(
      join(inbox, 'a.json'),
      JSON.stringify([
        { id: 1, name: 'ana' },
        { id: 2, name: 'bo, jr' },
      ]),
    )
    writeFileSync(join(inbox, 'b.json'), JSON.stringify([{ sku: 'X', qty: 3 }]))
    writeFileSync(join(inbox, 'notes.txt'), 'ignored')
    await host.defineExample('batch-file-processor')
    const run = await host.run('batch-file-processor', {
      inbox,
      outbox: join(d, 'outbox'),
      done: join(d, 'done'),
    })
    expect(run.status).toBe('completed')
    expect(run.output?.report).toEqual({ result: { processed: 2, files: ['a.json', 'b.json'] } })
    expect(readFileSync(join(d, 'outbox', 'a.json.csv'), 'utf8')).toBe(
      '"id","name"\n1,"ana"\n2,"bo, jr"\n',
    )
    expect(readFileSync(join(d, 'outbox', 'b.json.csv'), 'utf8')).toBe('"sku","qty"\n"X",3\n')
    expect(readdirSync(inbox)).toEqual(['notes.txt'])
    expect(readdirSync(join(d, 'done')).sort()).toEqual(['a.json', 'b.json'])
  })

  test('nightly-archive: tar, checksum and manifest, an off-site copy, then cleanup', async () => {
    const d = dir('archive')
    const exportsDir = join(d, 'exports')
    mkdirSync(exportsDir)
    mkdirSync(join(d, 'archive'))
    writeFileSync(join(exportsDir, 'orders.csv'), 'id,total\n1,10\n')
    writeFileSync(join(exportsDir, 'users.csv'), 'id,email\n1,a@x.io\n')
    await host.defineExample('nightly-archive')
    const run = await host.run('nightly-archive', {
      exports_dir: exportsDir,
      archive_dir: join(d, 'archive'),
      offsite_dir: join(d, 'offsite'),
      label: '2026-11-23',
    })
    expect(run.status).toBe('completed')
    const tarball = readFileSync(join(d, 'archive', 'exports-2026-11-23.tar.gz'))
    const manifest = JSON.parse(readFileSync(join(d, 'archive', 'exports-2026-11-23.json'), 'utf8'))
    expect(manifest).toEqual({
      label: '2026-11-23',
      files: ['orders.csv', 'users.csv'],
      bytes: tarball.length,
      sha256: sha256(tarball),
    })
    expect(readFileSync(join(d, 'offsite', 'exports-2026-11-23.tar.gz'))).toEqual(tarball)
    expect(readdirSync(exportsDir)).toEqual([])
  })

  test('backup-verification: an intact dump is copied off-site; a corrupt one triggers on_error', async () => {
    const d = dir('backup')
    const dump = 'CREATE TABLE t (id int);\nINSERT INTO t VALUES (1);\n'
    writeFileSync(join(d, 'db.sql'), dump)
    writeFileSync(join(d, 'good.json'), JSON.stringify({ sha256: sha256(dump) }))
    writeFileSync(join(d, 'bad.json'), JSON.stringify({ sha256: sha256('something else') }))
    const ops = fakeService({ 'POST /api/backup-reports': () => reply(201) })
    try {
      await host.defineExample('backup-verification')
      const common = {
        backup_path: join(d, 'db.sql'),
        offsite_dir: join(d, 'offsite'),
        report_url: `${ops.url}/api/backup-reports`,
      }
      const good = await host.run('backup-verification', {
        ...common,
        manifest_path: join(d, 'good.json'),
      })
      expect(good.status).toBe('completed')
      expect(readFileSync(join(d, 'offsite', 'db-latest.sql'), 'utf8')).toBe(dump)
      rmSync(join(d, 'offsite'), { recursive: true })
      const bad = await host.run('backup-verification', {
        ...common,
        manifest_path: join(d, 'bad.json'),
      })
      expect(bad.status).toBe('failed')
      expect(bad.error?.message).toContain('backup checksum differs from the manifest')
      expect(existsSync(join(d, 'offsite'))).toBe(false)
      expect(ops.bodies('POST /api/backup-reports')).toEqual([
        { backup: join(d, 'db.sql'), bytes: dump.length, sha256: sha256(dump), verified: true },
        { backup: join(d, 'db.sql'), verified: false },
      ])
    } finally {
      ops.close()
    }
  })

  test('disk-usage-alert: df is parsed; the alert and notification follow the threshold', async () => {
    const alerts = fakeService({ 'POST /v1/alerts': () => reply(202) })
    try {
      await host.defineExample('disk-usage-alert')
      const over = await host.run('disk-usage-alert', {
        threshold_pct: 0,
        alert_url: `${alerts.url}/v1/alerts`,
      })
      expect(over.status).toBe('completed')
      const usage = over.steps.usage?.output.result
      expect(usage.mount).toBe('/')
      expect(usage.used_pct).toBeGreaterThanOrEqual(0)
      expect(alerts.bodies('POST /v1/alerts')[0].title).toBe(`disk / at ${usage.used_pct}%`)
      expect(over.output?.['tell-owner']).toEqual({ notified: true })
      const under = await host.run('disk-usage-alert', {
        threshold_pct: 101,
        alert_url: `${alerts.url}/v1/alerts`,
      })
      expect(under.steps.alert?.status).toBe('skipped')
      expect(under.steps['tell-owner']?.status).toBe('skipped')
      expect(alerts.requests).toHaveLength(1)
    } finally {
      alerts.close()
    }
  })

  test('dependency-audit: a critical advisory waits for a human; accepting documents the risk', async () => {
    const advisories = fakeService({
      'POST /api/query': (r) => ({
        advisories: r.body.packages.some((p: any) => p.name === 'minimist')
          ? [
              { package: 'minimist', severity: 'critical', id: 'GHSA-xvch' },
              { package: 'qs', severity: 'moderate', id: 'GHSA-hrpp' },
            ]
          : [],
      }),
    })
    try {
      await host.defineExample('dependency-audit')
      const lockfile = join(EXAMPLES_DIR, 'dependency-audit', 'sample', 'package-lock.json')
      const run = await host.run('dependency-audit', {
        lockfile_path: lockfile,
        advisories_url: `${advisories.url}/api/query`,
      })
      expect(run.status).toBe('suspended')
      expect(advisories.bodies('POST /api/query')[0].packages).toEqual([
        { name: 'express', version: '4.17.1' },
        { name: 'left-pad', version: '1.3.0' },
        { name: 'minimist', version: '1.2.5' },
        { name: 'qs', version: '6.7.0' },
      ])
      expect(run.pending_decisions?.[0]?.context.data_inject).toEqual({
        findings: [{ package: 'minimist', severity: 'critical', id: 'GHSA-xvch' }],
      })
      await host.signal({
        workflow_id: run.workflow_id,
        signal_type: 'decision',
        step_id: 'decision',
        payload: { choice: 'accept-risk' },
        reasoning: 'only used by a build script',
      })
      const done = await host.status(run.workflow_id)
      expect(done.status).toBe('completed')
      expect(done.output?.report).toEqual({
        result: {
          packages: 4,
          serious: 1,
          decision: 'accept-risk',
          reason: 'only used by a build script',
        },
      })
      const blocked = await host.run('dependency-audit', {
        lockfile_path: lockfile,
        advisories_url: `${advisories.url}/api/query`,
      })
      await host.signal({
        workflow_id: blocked.workflow_id,
        signal_type: 'decision',
        step_id: 'decision',
        payload: { choice: 'block' },
      })
      const failed = await host.status(blocked.workflow_id)
      expect(failed.status).toBe('failed')
      expect(failed.error?.message).toContain('release blocked by the dependency audit')
    } finally {
      advisories.close()
    }
  })

  test('file-integrity-monitor: the first run saves a baseline; later changes are reported', async () => {
    const d = dir('fim')
    const watch = join(d, 'etc')
    mkdirSync(join(watch, 'sub'), { recursive: true })
    writeFileSync(join(watch, 'a.conf'), 'port=80\n')
    writeFileSync(join(watch, 'sub', 'b.conf'), 'debug=false\n')
    const alerts = fakeService({ 'POST /v1/alerts': () => reply(202) })
    try {
      await host.defineExample('file-integrity-monitor')
      const params = {
        watch_dir: watch,
        baseline_path: join(d, 'state', 'baseline.json'),
        alert_url: `${alerts.url}/v1/alerts`,
      }
      const first = await host.run('file-integrity-monitor', params)
      expect(first.status).toBe('completed')
      expect(first.steps.alert?.status).toBe('skipped')
      expect(Object.keys(JSON.parse(readFileSync(params.baseline_path, 'utf8')))).toEqual([
        'a.conf',
        'sub/b.conf',
      ])
      writeFileSync(join(watch, 'a.conf'), 'port=8080\n')
      writeFileSync(join(watch, 'c.conf'), 'new=1\n')
      rmSync(join(watch, 'sub', 'b.conf'))
      const second = await host.run('file-integrity-monitor', params)
      expect(second.status).toBe('completed')
      expect(alerts.bodies('POST /v1/alerts')).toEqual([
        {
          title: `files changed under ${watch}`,
          added: ['c.conf'],
          removed: ['sub/b.conf'],
          changed: ['a.conf'],
        },
      ])
    } finally {
      alerts.close()
    }
  })
})
