import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { fakeService, reply } from './fakes.ts'
import { type ExampleHost, startExampleHost } from './harness.ts'

let host: ExampleHost
beforeAll(async () => {
  host = await startExampleHost()
})
afterAll(async () => {
  await host.close()
})

const isoIn = (days: number) =>
  new Date(Date.now() + days * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z')

describe.concurrent('Monitoring examples', () => {
  test('error-aggregator: groups, streams each group live, tickets the frequent ones', async () => {
    const ev = (fingerprint: string, service: string) => ({
      fingerprint,
      service,
      message: `boom ${fingerprint}`,
    })
    const events = [
      ev('a', 'api'),
      ev('b', 'api'),
      ev('a', 'worker'),
      ev('a', 'api'),
      ev('c', 'web'),
    ]
    const errors = fakeService({ 'GET /api/events': () => ({ events }) })
    const tracker = fakeService({ 'POST /api/issues': () => reply(201, { id: 'ISS-1' }) })
    const live = await host.subscribe(['error_group'])
    try {
      await host.defineExample('error-aggregator')
      const run = await host.run('error-aggregator', {
        errors_url: `${errors.url}/api/events?since=1h`,
        tracker_url: `${tracker.url}/api/issues`,
      })
      expect(run.status).toBe('completed')
      expect(run.output?.summary).toEqual({ result: { groups: 3, ticketed: ['a'] } })
      expect(tracker.bodies('POST /api/issues')).toEqual([
        { title: 'boom a (3× in the last hour)', fingerprint: 'a', services: ['api', 'worker'] },
      ])
      expect(run.steps['each-group.iter_1.ticket']?.status).toBe('skipped')
      for (let i = 0; i < 50 && live.events.length < 3; i++) await Bun.sleep(20)
      const mine = live.events.filter((e) => e.workflow_id === run.workflow_id)
      expect(mine.map((e) => e.payload.fingerprint)).toEqual(['a', 'b', 'c'])
    } finally {
      live.close()
      errors.close()
      tracker.close()
    }
  })

  test('uptime-monitor: parallel probes decide operational, degraded or major_outage', async () => {
    const up = fakeService({ 'GET /': () => 'ok', 'GET /healthz': () => ({ ok: true }) })
    const down = fakeService({ 'GET /healthz': () => reply(503) })
    const page = fakeService({ 'PATCH /api/components/main': () => ({ ok: true }) })
    try {
      await host.defineExample('uptime-monitor')
      const base = { status_page_url: `${page.url}/api/components/main` }
      const all = await host.run('uptime-monitor', {
        ...base,
        website_url: `${up.url}/`,
        api_url: `${up.url}/healthz`,
        checkout_url: `${up.url}/healthz`,
      })
      const some = await host.run('uptime-monitor', {
        ...base,
        website_url: `${up.url}/`,
        api_url: `${down.url}/healthz`,
        checkout_url: `${up.url}/healthz`,
      })
      const none = await host.run('uptime-monitor', {
        ...base,
        website_url: `${down.url}/`,
        api_url: `${down.url}/healthz`,
        checkout_url: 'http://127.0.0.1:9/healthz',
      })
      expect([all.status, some.status, none.status]).toEqual([
        'completed',
        'completed',
        'completed',
      ])
      expect(page.bodies('PATCH /api/components/main')).toEqual([
        { status: 'operational' },
        { status: 'degraded' },
        { status: 'major_outage' },
      ])
      expect(down.hits('GET /healthz').length).toBeGreaterThanOrEqual(4) // each probe retried once
    } finally {
      up.close()
      down.close()
      page.close()
    }
  })

  test('cert-expiry-check: only certificates inside the window are renewed, soonest first', async () => {
    const certificates = [
      { domain: 'shop.example.com', not_after: isoIn(90) },
      { domain: 'api.example.com', not_after: isoIn(12.5) },
      { domain: 'old.example.com', not_after: isoIn(3.5) },
    ]
    const inv = fakeService({ 'GET /api/certificates': () => ({ certificates }) })
    const pki = fakeService({
      'POST /api/renewals': (_r, n) => (n === 1 ? reply(500) : reply(202)),
    })
    try {
      await host.defineExample('cert-expiry-check')
      const run = await host.run('cert-expiry-check', {
        inventory_url: `${inv.url}/api/certificates`,
        renew_url: `${pki.url}/api/renewals`,
      })
      expect(run.status).toBe('completed')
      const sent = pki.bodies('POST /api/renewals')
      expect(sent.slice(1)).toEqual([
        { domain: 'old.example.com', days_left: 3, urgent: '3 days left' },
        { domain: 'api.example.com', days_left: 12, urgent: '12 days left' },
      ])
      const keys = pki.hits('POST /api/renewals').map((r) => r.headers['idempotency-key'])
      expect(keys[0]).toBe(keys[1]) // the retry reuses the key
      expect(keys[0]).toBe(`renew-old.example.com-${certificates[2]?.not_after}`)
    } finally {
      inv.close()
      pki.close()
    }
  })

  test('slo-burn-rate: the two-second wait suspends durably, then a fast burn pages', async () => {
    const metrics = fakeService({
      'GET /api/counters/checkout': (_r, n) =>
        n === 1 ? { requests: 10_000, errors: 20 } : { requests: 12_000, errors: 120 },
    })
    const pager = fakeService({ 'POST /v1/pages': () => reply(201) })
    try {
      await host.defineExample('slo-burn-rate')
      const run = await host.run('slo-burn-rate', {
        metrics_url: `${metrics.url}/api/counters/checkout`,
        pager_url: `${pager.url}/v1/pages`,
      })
      expect(run.status).toBe('suspended')
      expect(run.steps.interval?.status).toBe('suspended')
      expect(Date.parse(run.wake_at as string)).toBeGreaterThan(Date.now() + 500)
      const done = await host.waitFor(run.workflow_id)
      expect(done.status).toBe('completed')
      expect(done.steps.interval?.output).toMatchObject({ waited: expect.any(Number) })
      const pages = pager.bodies('POST /v1/pages')
      expect(pages).toHaveLength(1)
      expect(pages[0].burn).toMatchObject({ requests: 2000, errors: 100, error_rate: 0.05 })
      expect(pages[0].burn.burn_rate).toBeCloseTo(5, 9)
    } finally {
      metrics.close()
      pager.close()
    }
  })

  test('queue-backlog-watch: polls until drained', async () => {
    const depths = [120, 40, 3]
    const queues = fakeService({
      'GET /api/queues/emails': (_r, n) => ({ depth: depths[Math.min(n, depths.length) - 1] }),
    })
    try {
      await host.defineExample('queue-backlog-watch')
      const run = await host.run('queue-backlog-watch', {
        queue_url: `${queues.url}/api/queues/emails`,
        ops_url: `${queues.url}/scale`,
      })
      expect(run.status).toBe('completed')
      expect(run.steps.watch?.output).toMatchObject({ iterations: 3 })
      expect(run.output?.outcome).toMatchObject({ branch: 'drained' })
      expect(queues.hits('/scale')).toHaveLength(0)
    } finally {
      queues.close()
    }
  })

  test('queue-backlog-watch: a stuck queue asks ops for workers after five polls', async () => {
    const queues = fakeService({
      'GET /api/queues/emails': () => ({ depth: 500 }),
      'POST /scale': () => reply(202),
    })
    try {
      await host.defineExample('queue-backlog-watch')
      const run = await host.run('queue-backlog-watch', {
        queue_url: `${queues.url}/api/queues/emails`,
        ops_url: `${queues.url}/scale`,
      })
      expect(run.status).toBe('completed')
      expect(queues.hits('GET /api/queues/emails')).toHaveLength(5)
      expect(queues.bodies('POST /scale')).toEqual([{ queue: 'emails', add_workers: 2 }])
    } finally {
      queues.close()
    }
  })

  test('queue-backlog-watch: out of active time it suspends; a retry signal grants a fresh budget', async () => {
    let hang = true
    const queues = fakeService({
      'GET /api/queues/emails': async () => {
        if (hang) await Bun.sleep(3000)
        return { depth: 0 }
      },
    })
    try {
      await host.defineExample('queue-backlog-watch')
      const run = await host.run('queue-backlog-watch', {
        queue_url: `${queues.url}/api/queues/emails`,
        ops_url: `${queues.url}/scale`,
      })
      expect(run.status).toBe('suspended')
      const st = await host.status(run.workflow_id)
      expect(st.events.map((e) => e.event_type)).toContain('workflow_timed_out')
      hang = false
      await host.signal({ workflow_id: run.workflow_id, signal_type: 'retry' })
      const done = await host.waitFor(run.workflow_id)
      expect(done.status).toBe('completed')
      expect(done.output?.outcome).toMatchObject({ branch: 'drained' })
    } finally {
      queues.close()
    }
  })
})
