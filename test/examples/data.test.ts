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

const orders = [
  {
    id: 'o-1',
    customer: { email: 'Ana@Example.com' },
    total: 19.99,
    currency: 'EUR',
    placed_at: '2026-11-23T10:00:00Z',
  },
  {
    id: 'o-2',
    customer: { email: 'bo@example.com' },
    total: 5,
    currency: 'USD',
    placed_at: '2026-11-23T11:30:00Z',
  },
]
const rows = [
  {
    order_id: 'o-1',
    email: 'ana@example.com',
    total_cents: 1999,
    currency: 'EUR',
    day: '2026-11-23',
  },
  {
    order_id: 'o-2',
    email: 'bo@example.com',
    total_cents: 500,
    currency: 'USD',
    day: '2026-11-23',
  },
]

describe.concurrent('Data pipeline examples', () => {
  test('etl-with-validation: valid orders are reshaped, loaded once and verified', async () => {
    const shop = fakeService({ 'GET /api/orders': () => ({ orders }) })
    const warehouse = fakeService({
      'POST /v1/tables/orders/rows': (r) => reply(201, { stored: r.body.rows }),
    })
    try {
      await host.defineExample('etl-with-validation')
      const run = await host.run('etl-with-validation', {
        source_url: `${shop.url}/api/orders?day=2026-11-23`,
        warehouse_url: `${warehouse.url}/v1/tables/orders/rows`,
      })
      expect(run.status).toBe('completed')
      expect(shop.requests[0]?.query.day).toBe('2026-11-23')
      expect(warehouse.bodies('POST /v1/tables/orders/rows')).toEqual([{ rows }])
      expect(run.output?.verify).toEqual({ pass: true })
    } finally {
      shop.close()
      warehouse.close()
    }
  })

  test('etl-with-validation: a malformed order fails the schema check and nothing is loaded', async () => {
    const bad = [{ ...orders[0], customer: { email: 'not-an-email' }, currency: 'XYZ' }]
    const shop = fakeService({ 'GET /api/orders': () => ({ orders: bad }) })
    try {
      await host.defineExample('etl-with-validation')
      const run = await host.run('etl-with-validation', {
        source_url: `${shop.url}/api/orders`,
        warehouse_url: `${shop.url}/rows`,
      })
      expect(run.status).toBe('failed')
      expect(run.error?.code).toBe('NON_RETRYABLE')
      expect(run.error?.message).toContain('the source returned malformed orders')
      expect(run.steps.validate?.error?.code).toBe('ASSERTION_FAILED')
      expect(shop.hits('/rows')).toHaveLength(0)
    } finally {
      shop.close()
    }
  })

  test('etl-with-validation: a warehouse outage exhausts the retries; a retry signal resumes at load', async () => {
    const shop = fakeService({ 'GET /api/orders': () => ({ orders }) })
    let down = true
    const warehouse = fakeService({
      'POST /v1/tables/orders/rows': (r) =>
        down ? reply(503) : reply(201, { stored: r.body.rows }),
    })
    try {
      await host.defineExample('etl-with-validation')
      const run = await host.run('etl-with-validation', {
        source_url: `${shop.url}/api/orders`,
        warehouse_url: `${warehouse.url}/v1/tables/orders/rows`,
      })
      expect(run.status).toBe('failed')
      expect(run.error?.code).toBe('RETRY_EXHAUSTED')
      expect(warehouse.requests).toHaveLength(3)
      down = false
      const r = await host.signal({
        workflow_id: run.workflow_id,
        signal_type: 'retry',
        step_id: 'load',
      })
      expect(r.isError).toBeUndefined()
      const done = await host.waitFor(run.workflow_id)
      expect(done.status).toBe('completed')
      expect(shop.requests).toHaveLength(1) // extract, validate and transform were not run again
      const keys = new Set(warehouse.requests.map((q) => q.headers['idempotency-key']))
      expect(keys).toEqual(new Set([`${run.workflow_id}:load`]))
    } finally {
      shop.close()
      warehouse.close()
    }
  })

  test('sync-drift-detection: reads both sides in parallel and alerts on drift', async () => {
    const primary = fakeService({
      'GET /api/accounts': () => ({
        accounts: [
          { id: 'a', plan: 'pro' },
          { id: 'b', plan: 'free' },
          { id: 'c', plan: 'pro' },
        ],
      }),
    })
    const replica = fakeService({
      'GET /api/accounts': (_r, n) =>
        n === 1
          ? reply(500)
          : {
              accounts: [
                { id: 'a', plan: 'pro' },
                { id: 'b', plan: 'pro' },
              ],
            },
    })
    const alerts = fakeService({ 'POST /v1/alerts': () => reply(202) })
    try {
      await host.defineExample('sync-drift-detection')
      const run = await host.run('sync-drift-detection', {
        primary_url: `${primary.url}/api/accounts`,
        replica_url: `${replica.url}/api/accounts`,
        alert_url: `${alerts.url}/v1/alerts`,
      })
      expect(run.status).toBe('completed')
      expect(alerts.bodies('POST /v1/alerts')).toEqual([
        {
          title: 'replica drift: 2 records',
          details: { missing: ['c'], extra: [], changed: ['b'], drift: 2 },
        },
      ])
      expect(run.steps['verdict.false.in-sync']?.status).toBe('skipped')
    } finally {
      primary.close()
      replica.close()
      alerts.close()
    }
  })

  test('sync-drift-detection: identical sides only log', async () => {
    const same = fakeService({ 'GET /api/accounts': () => ({ accounts: [{ id: 'a' }] }) })
    try {
      await host.defineExample('sync-drift-detection')
      const run = await host.run('sync-drift-detection', {
        primary_url: `${same.url}/api/accounts`,
        replica_url: `${same.url}/api/accounts`,
        alert_url: `${same.url}/v1/alerts`,
      })
      expect(run.status).toBe('completed')
      expect(run.output?.verdict).toMatchObject({ branch: 'false' })
      expect(same.hits('/v1/alerts')).toHaveLength(0)
      expect(host.logs.some((l) => l.msg === 'replica in sync')).toBe(true)
    } finally {
      same.close()
    }
  })

  test('paginated-export: an until loop walks the pages and exports them together', async () => {
    const all = ['ana', 'bo', 'cy', 'di', 'ed'].map((name, i) => ({ id: i + 1, name }))
    const crm = fakeService({
      'GET /api/contacts': (r) => {
        const page = Number(r.query.page)
        const size = Number(r.query.size)
        const items = all.slice(page * size, (page + 1) * size)
        return { items, has_more: (page + 1) * size < all.length }
      },
    })
    const exports = fakeService({ 'POST /v1/contacts': () => reply(201) })
    try {
      await host.defineExample('paginated-export')
      const run = await host.run('paginated-export', {
        api_url: `${crm.url}/api/contacts`,
        export_url: `${exports.url}/v1/contacts`,
      })
      expect(run.status).toBe('completed')
      expect(crm.requests.map((r) => r.query.page)).toEqual(['0', '1', '2'])
      expect(exports.bodies('POST /v1/contacts')).toEqual([{ pages: 3, contacts: all }])
    } finally {
      crm.close()
      exports.close()
    }
  })

  test('dedupe-records: duplicates by normalised email are dropped before the import', async () => {
    const signups = [
      { email: 'Ana@Example.com', source: 'web' },
      { email: 'bo@example.com', source: 'web' },
      { email: ' ana@example.COM ', source: 'fair' },
    ]
    const forms = fakeService({ 'GET /api/signups': () => ({ signups }) })
    const crm = fakeService({ 'POST /api/import': () => reply(202) })
    try {
      await host.defineExample('dedupe-records')
      const run = await host.run('dedupe-records', {
        signups_url: `${forms.url}/api/signups`,
        import_url: `${crm.url}/api/import`,
      })
      expect(run.status).toBe('completed')
      const sent = crm.bodies('POST /api/import')[0].contacts
      expect(sent.map((c: any) => c.source)).toEqual(['web', 'web'])
      const sha = new Bun.CryptoHasher('sha256').update('ana@example.com').digest('hex')
      expect(sent[0].fingerprint).toBe(sha)
    } finally {
      forms.close()
      crm.close()
    }
  })

  test('data-quality-gate: a clean dataset is published', async () => {
    const lake = fakeService({
      'GET /api/datasets/daily-sales': () => ({
        as_of: '2026-11-23',
        columns: ['region', 'amount'],
        rows: [
          { region: 'eu', amount: 10.5 },
          { region: 'us', amount: 4.25 },
        ],
        control_total: 14.75,
      }),
      'POST /api/datasets/daily-sales/publish': () => ({ published: true }),
    })
    try {
      await host.defineExample('data-quality-gate')
      const run = await host.run('data-quality-gate', {
        dataset_url: `${lake.url}/api/datasets/daily-sales`,
        publish_url: `${lake.url}/api/datasets/daily-sales/publish`,
        report_url: `${lake.url}/hooks`,
      })
      expect(run.status).toBe('completed')
      expect(lake.bodies('POST /api/datasets/daily-sales/publish')).toEqual([
        { as_of: '2026-11-23' },
      ])
      expect(run.steps.on_error).toBeUndefined()
    } finally {
      lake.close()
    }
  })

  test('data-quality-gate: a bad total fails the gate and the on_error hook reports it', async () => {
    const lake = fakeService({
      'GET /api/datasets/daily-sales': () => ({
        as_of: '2026-11-23',
        columns: ['region', 'amount'],
        rows: [{ region: 'eu', amount: 10 }],
        control_total: 99,
      }),
      'POST /hooks/dq': () => ({ ok: true }),
    })
    try {
      await host.defineExample('data-quality-gate')
      const run = await host.run('data-quality-gate', {
        dataset_url: `${lake.url}/api/datasets/daily-sales`,
        publish_url: `${lake.url}/publish`,
        report_url: `${lake.url}/hooks/dq`,
      })
      expect(run.status).toBe('failed')
      expect(run.error?.message).toContain('row amounts do not add up to the control total')
      expect(run.steps.publish?.status).toBe('skipped')
      expect(lake.bodies('POST /hooks/dq')).toEqual([
        {
          text: 'daily-sales was not published: a quality check failed',
          workflow_id: run.workflow_id,
        },
      ])
    } finally {
      lake.close()
    }
  })
})
