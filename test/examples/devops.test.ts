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

describe.concurrent('DevOps / CI examples', () => {
  test('deploy-gate: CI passed, approved, deployed once, healthy after flaky probes', async () => {
    const ci = fakeService({
      'GET /pipelines/checkout/1.4.2': (_r, n) =>
        n === 1 ? reply(503, { error: 'warming up' }) : { state: 'passed', coverage: 0.91 },
    })
    const deploy = fakeService({
      'POST /deployments': () => reply(201, { id: 'dep-1' }),
      'GET /services/checkout/health': (_r, n) => (n < 3 ? reply(503) : { healthy: true }),
    })
    try {
      await host.defineExample('deploy-gate')
      const run = await host.run('deploy-gate', { ci_url: ci.url, deploy_url: deploy.url })
      expect(run.status).toBe('suspended')
      const d = run.pending_decisions?.[0]
      expect(d?.step_id).toBe('approve')
      expect(d?.context.data_inject).toEqual({
        service: 'checkout',
        version: '1.4.2',
        coverage: 0.91,
      })
      const s = await host.signal({
        workflow_id: run.workflow_id,
        signal_type: 'decision',
        step_id: 'approve',
        payload: { choice: 'deploy' },
      })
      expect(s.status).toBe('completed')
      const st = await host.status(run.workflow_id)
      expect(st.steps['ci-status']?.retry_count).toBe(1)
      expect(st.steps['rollout.deploy.health']?.retry_count).toBe(2)
      expect(st.steps['rollout.hold.held']?.status).toBe('skipped')
      expect(st.output?.rollout).toMatchObject({
        branch: 'deploy',
        output: { body: { healthy: true } },
      })
      const posts = deploy.hits('POST /deployments')
      expect(posts).toHaveLength(1)
      expect(posts[0]?.body).toEqual({ service: 'checkout', version: '1.4.2' })
      expect(posts[0]?.headers['idempotency-key']).toBe(`${run.workflow_id}:rollout.deploy.deploy`)
    } finally {
      ci.close()
      deploy.close()
    }
  })

  test('deploy-gate: a failed pipeline stops the run before anyone is asked', async () => {
    const ci = fakeService({ 'GET /pipelines/checkout/1.4.2': () => ({ state: 'failed' }) })
    try {
      await host.defineExample('deploy-gate')
      const run = await host.run('deploy-gate', { ci_url: ci.url, deploy_url: ci.url })
      expect(run.status).toBe('failed')
      expect(run.error?.code).toBe('NON_RETRYABLE')
      expect(run.error?.message).toContain('the CI pipeline of this version has not passed')
      expect(run.steps.approve?.status).toBe('skipped')
    } finally {
      ci.close()
    }
  })

  test('health-check-sweep: probes each service, tolerates a dead one, alerts once', async () => {
    const api = fakeService({ 'GET /healthz': () => ({ ok: true }) })
    const search = fakeService({ 'GET /healthz': () => reply(500, { ok: false }) })
    const alerts = fakeService({ 'POST /v1/alerts': () => reply(202, { id: 'al-1' }) })
    try {
      await host.defineExample('health-check-sweep')
      const run = await host.run('health-check-sweep', {
        services: [
          { name: 'api', url: `${api.url}/healthz` },
          { name: 'search', url: `${search.url}/healthz` },
          { name: 'billing', url: 'http://127.0.0.1:9/healthz' },
        ],
        alert_url: `${alerts.url}/v1/alerts`,
      })
      expect(run.status).toBe('completed')
      expect(run.steps['sweep.iter_2.probe']?.status).toBe('completed') // ignored failure
      const summary = run.steps.summary?.output as { result: Record<string, unknown> }
      expect(summary.result).toEqual({
        checked: 3,
        up: ['api'],
        down: [
          { name: 'search', up: false, status: 500 },
          { name: 'billing', up: false, status: null },
        ],
      })
      const sent = alerts.hits('POST /v1/alerts')
      expect(sent).toHaveLength(1)
      expect(alerts.bodies('POST /v1/alerts')[0].down).toHaveLength(2)
    } finally {
      api.close()
      search.close()
      alerts.close()
    }
  })

  test('health-check-sweep: all healthy, the alert step is skipped by its guard', async () => {
    const api = fakeService({ 'GET /healthz': () => ({ ok: true }) })
    try {
      await host.defineExample('health-check-sweep')
      const run = await host.run('health-check-sweep', {
        services: [{ name: 'api', url: `${api.url}/healthz` }],
        alert_url: `${api.url}/alerts`,
      })
      expect(run.status).toBe('completed')
      expect(run.steps.alert?.status).toBe('skipped')
      expect(api.hits('/alerts')).toHaveLength(0)
    } finally {
      api.close()
    }
  })

  test('canary-release: canary through two template levels, durable bake, promote', async () => {
    const rollouts: unknown[] = []
    const deploy = fakeService({
      'POST /deployments': (r) => {
        rollouts.push(r.body)
        return reply(201, { id: `dep-${rollouts.length}` })
      },
      'GET /services/checkout/health': () => ({ healthy: true }),
    })
    const metrics = fakeService({ 'GET /error-rate': () => ({ rate: 0.004 }) })
    try {
      await host.defineExample('canary-release')
      const run = await host.run('canary-release', {
        deploy_url: deploy.url,
        metrics_url: metrics.url,
      })
      // The 1.5 s bake is longer than the 1 s threshold: the run suspends with a durable timer.
      expect(run.status).toBe('suspended')
      expect(run.wake_at).toBeDefined()
      const done = await host.waitFor(run.workflow_id)
      expect(done.status).toBe('completed')
      expect(rollouts).toEqual([
        { service: 'checkout', version: '2.0.0', weight: 10 },
        { service: 'checkout', version: '2.0.0', weight: 100 },
      ])
      expect(metrics.requests[0]?.query).toEqual({ service: 'checkout', version: '2.0.0' })
      expect(done.steps['verdict.rollback.rollback']?.status).toBe('skipped')
      // Templates calling templates: canary-release → deploy-service (×2) → verify-health.
      expect(done.children.map((c) => c.status)).toEqual(['completed', 'completed'])
      const child = await host.status(done.children[0]?.workflow_id as string)
      expect(child.children).toHaveLength(1)
      const grandchild = await host.status(child.children[0]?.workflow_id as string)
      expect(grandchild.output?.healthy).toEqual({ pass: true })
    } finally {
      deploy.close()
      metrics.close()
    }
  })

  test('canary-release: a high error rate rolls back to the previous version and fails', async () => {
    const rollouts: unknown[] = []
    const deploy = fakeService({
      'POST /deployments': (r) => {
        rollouts.push(r.body)
        return reply(201, { id: 'dep' })
      },
      'GET /services/checkout/health': () => ({ healthy: true }),
    })
    const metrics = fakeService({ 'GET /error-rate': () => ({ rate: 0.09 }) })
    try {
      await host.defineExample('canary-release')
      const run = await host.run('canary-release', {
        deploy_url: deploy.url,
        metrics_url: metrics.url,
      })
      const done = await host.waitFor(run.workflow_id)
      expect(done.status).toBe('failed')
      expect(done.error?.message).toContain('canary error rate above the limit; rolled back')
      expect(rollouts).toEqual([
        { service: 'checkout', version: '2.0.0', weight: 10 },
        { service: 'checkout', version: '1.9.3', weight: 100 },
      ])
    } finally {
      deploy.close()
      metrics.close()
    }
  })

  test('rollback-on-failure: a failing migration is replaced by the restore, and announced', async () => {
    const db = fakeService({
      'POST /snapshots': () => reply(201, { id: 'snap-7' }),
      'POST /migrations': () => reply(500, { error: 'lock timeout' }),
      'POST /snapshots/snap-7/restore': () => ({ restored: true }),
    })
    const chat = fakeService({ 'POST /hooks/deploys': () => ({ ok: true }) })
    try {
      await host.defineExample('rollback-on-failure')
      const run = await host.run('rollback-on-failure', {
        db_api: db.url,
        chat_url: `${chat.url}/hooks/deploys`,
      })
      expect(run.status).toBe('completed')
      expect(db.hits('POST /migrations')).toHaveLength(2) // first attempt + 1 retry
      expect(run.steps.migrate?.status).toBe('failed')
      expect(run.steps.restore?.status).toBe('completed')
      expect(run.output?.record).toEqual({
        result: { migration: '0042_add_orders_index', outcome: 'rolled back' },
      })
      expect(chat.requests.map((r) => r.body)).toEqual([
        { text: 'migration 0042_add_orders_index: rolled back' },
      ])
    } finally {
      db.close()
      chat.close()
    }
  })

  test('rollback-on-failure: restore failing too fails the run and fires on_error', async () => {
    const db = fakeService({
      'POST /snapshots': () => reply(201, { id: 'snap-8' }),
      'POST /migrations': () => reply(500),
      'POST /snapshots/snap-8/restore': () => reply(500),
    })
    const chat = fakeService({ 'POST /hooks/deploys': () => ({ ok: true }) })
    try {
      await host.defineExample('rollback-on-failure')
      const run = await host.run('rollback-on-failure', {
        db_api: db.url,
        chat_url: `${chat.url}/hooks/deploys`,
      })
      expect(run.status).toBe('failed')
      expect(run.steps.on_error?.status).toBe('completed')
      expect(run.steps.on_complete).toBeUndefined()
      expect(chat.bodies('POST /hooks/deploys')[0].text).toContain('intervene')
    } finally {
      db.close()
      chat.close()
    }
  })

  test('rollback-on-failure: a clean migration is applied and announced', async () => {
    const db = fakeService({
      'POST /snapshots': () => reply(201, { id: 'snap-9' }),
      'POST /migrations': () => ({ applied: true }),
    })
    const chat = fakeService({ 'POST /hooks/deploys': () => ({ ok: true }) })
    try {
      await host.defineExample('rollback-on-failure')
      const run = await host.run('rollback-on-failure', {
        db_api: db.url,
        chat_url: `${chat.url}/hooks/deploys`,
      })
      expect(run.status).toBe('completed')
      expect(run.steps.restore?.status).toBe('skipped')
      expect(db.hits('/snapshots/snap-9/restore')).toHaveLength(0)
      expect(chat.requests[0]?.body).toEqual({ text: 'migration 0042_add_orders_index: applied' })
    } finally {
      db.close()
      chat.close()
    }
  })
})
