import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createHmac } from 'node:crypto'
import { fakeService, reply } from './fakes.ts'
import { type ExampleHost, startExampleHost } from './harness.ts'

let host: ExampleHost
beforeAll(async () => {
  host = await startExampleHost({ secrets: { COUPON_KEY: 'coupon-key-2026' } })
})
afterAll(async () => {
  await host.close()
})

const order = {
  id: 'o-501',
  email: 'ana@example.com',
  items: [{ sku: 'KB-204', qty: 1 }],
  total: 89.9,
  currency: 'EUR',
  payment_token: 'tok_visa',
}

function shopServices(risk: number) {
  const payments = fakeService({
    'POST /api/authorizations': () => reply(201, { id: 'auth-1' }),
    'POST /api/captures': () => reply(201, { id: 'cap-1' }),
  })
  const fraud = fakeService({ 'POST /api/score': () => ({ risk }) })
  const inventory = fakeService({ 'POST /api/reservations': () => reply(201) })
  const mail = fakeService({ 'POST /api/messages': () => reply(202) })
  const params = {
    order,
    payments_url: `${payments.url}/api`,
    fraud_url: `${fraud.url}/api`,
    inventory_url: `${inventory.url}/api`,
    email_url: `${mail.url}/api`,
  }
  const close = () => {
    for (const s of [payments, fraud, inventory, mail]) s.close()
  }
  return { payments, fraud, inventory, mail, params, close }
}

describe.concurrent('E-commerce examples', () => {
  test('order-processing: three template levels, parallel fulfilment, on_complete event', async () => {
    const s = shopServices(0.1)
    const live = await host.subscribe(['order_completed'])
    try {
      await host.defineExample('order-processing')
      const run = await host.run('order-processing', s.params)
      expect(run.status).toBe('completed')
      expect(s.fraud.bodies('POST /api/score')).toEqual([order])
      expect(s.payments.bodies('POST /api/authorizations')).toEqual([
        { amount: 89.9, currency: 'EUR', token: 'tok_visa' },
      ])
      expect(s.mail.bodies('POST /api/messages')).toEqual([
        {
          to: 'ana@example.com',
          template: 'order-confirmation',
          data: { order: 'o-501', capture: 'cap-1' },
        },
      ])
      expect(s.inventory.bodies('POST /api/reservations')).toEqual([
        { order: 'o-501', items: order.items },
      ])
      expect(run.steps.on_complete?.status).toBe('completed')
      for (let i = 0; i < 50 && live.events.length === 0; i++) await Bun.sleep(20)
      expect(live.events.find((e) => e.workflow_id === run.workflow_id)?.payload).toEqual({
        order: 'o-501',
      })
    } finally {
      live.close()
      s.close()
    }
  })

  test('order-processing: a risky order fails in the grandchild and no money moves', async () => {
    const s = shopServices(0.95)
    try {
      await host.defineExample('order-processing')
      const run = await host.run('order-processing', s.params)
      expect(run.status).toBe('failed')
      expect(run.error?.message).toContain('order blocked by the fraud check')
      expect(s.payments.requests).toHaveLength(0)
      expect(s.inventory.requests).toHaveLength(0)
    } finally {
      s.close()
    }
  })

  test('order-processing: a malformed order is refused by the schema check', async () => {
    const s = shopServices(0.1)
    try {
      await host.defineExample('order-processing')
      const run = await host.run('order-processing', {
        ...s.params,
        order: { ...order, email: 'nope', items: [] },
      })
      expect(run.status).toBe('failed')
      expect(run.steps.validate?.error?.code).toBe('ASSERTION_FAILED')
      expect(s.fraud.requests).toHaveLength(0)
    } finally {
      s.close()
    }
  })

  test('invoice-generator: totals with tax, a numbered invoice rendered and emailed', async () => {
    const shop = fakeService({
      'GET /api/orders/o-1001': () => ({
        customer: { name: 'Ana', email: 'ana@example.com' },
        currency: 'EUR',
        lines: [
          { sku: 'A', qty: 3, unit_price: 9.99 },
          { sku: 'B', qty: 1, unit_price: 0.05 },
        ],
      }),
    })
    const docs = fakeService({
      'POST /api/render': (r) => ({ url: `https://docs/x/${r.body.number}.pdf` }),
    })
    const mail = fakeService({ 'POST /api/messages': () => reply(202) })
    try {
      await host.defineExample('invoice-generator')
      const run = await host.run('invoice-generator', {
        orders_url: `${shop.url}/api/orders`,
        documents_url: `${docs.url}/api`,
        email_url: `${mail.url}/api`,
      })
      expect(run.status).toBe('completed')
      const rendered = docs.bodies('POST /api/render')[0]
      expect(rendered.number).toMatch(/^INV-[0-9A-F]{8}$/)
      expect(rendered.totals).toMatchObject({ subtotal: 30.02, tax: 6, total: 36.02 })
      expect(mail.bodies('POST /api/messages')).toEqual([
        {
          to: 'ana@example.com',
          subject: `Invoice ${rendered.number}: 36.02 EUR`,
          attachment_url: `https://docs/x/${rendered.number}.pdf`,
        },
      ])
    } finally {
      shop.close()
      docs.close()
      mail.close()
    }
  })

  test('price-monitor: undercuts the cheapest competitor, respects the floor, skips no-ops', async () => {
    let ours = 20
    const catalog = fakeService({
      'GET /api/products/KB-204': () => ({ price: ours }),
      'PATCH /api/products/KB-204': (r) => {
        ours = r.body.price
        return { ok: true }
      },
    })
    const a = fakeService({ 'GET /api/price': () => ({ price: 18.5 }) })
    const b = fakeService({ 'GET /api/price': () => reply(500) })
    const cheap = fakeService({ 'GET /api/price': () => ({ price: 9.99 }) })
    try {
      await host.defineExample('price-monitor')
      const base = {
        catalog_url: `${catalog.url}/api/products`,
        competitor_b_url: `${b.url}/api/price`,
      }
      const first = await host.run('price-monitor', {
        ...base,
        competitor_a_url: `${a.url}/api/price`,
      })
      expect(first.steps.plan?.output).toEqual({
        result: { current: 20, cheapest_competitor: 18.5, new_price: 18.49, changed: true },
      })
      const again = await host.run('price-monitor', {
        ...base,
        competitor_a_url: `${a.url}/api/price`,
      })
      expect(again.steps.update?.status).toBe('skipped')
      const floor = await host.run('price-monitor', {
        ...base,
        competitor_a_url: `${cheap.url}/api/price`,
      })
      expect(floor.steps.plan?.output).toMatchObject({ result: { new_price: 15 } })
      expect(catalog.bodies('PATCH /api/products/KB-204')).toEqual([
        { price: 18.49 },
        { price: 15 },
      ])
      expect(a.requests[0]?.query.sku).toBe('KB-204')
    } finally {
      for (const s of [catalog, a, b, cheap]) s.close()
    }
  })

  test('abandoned-cart-recovery: a still-open cart gets a reminder with a keyed coupon', async () => {
    const shop = fakeService({
      'GET /api/carts/cart-77': () => ({ status: 'open', email: 'bo@example.com', items: ['mug'] }),
    })
    const mail = fakeService({ 'POST /api/messages': () => reply(202) })
    try {
      await host.defineExample('abandoned-cart-recovery')
      const run = await host.run('abandoned-cart-recovery', {
        carts_url: `${shop.url}/api/carts`,
        email_url: `${mail.url}/api`,
      })
      expect(run.status).toBe('completed')
      expect(shop.hits('GET /api/carts/cart-77')).toHaveLength(2)
      const code = `SAVE10-${createHmac('sha256', 'coupon-key-2026').update('cart-77').digest('hex').slice(0, 8).toUpperCase()}`
      expect(mail.bodies('POST /api/messages')).toEqual([
        { to: 'bo@example.com', template: 'cart-reminder', data: { items: ['mug'], coupon: code } },
      ])
    } finally {
      shop.close()
      mail.close()
    }
  })

  test('abandoned-cart-recovery: a cart bought during the grace period gets nothing', async () => {
    const shop = fakeService({
      'GET /api/carts/cart-77': (_r, n) => ({
        status: n === 1 ? 'open' : 'purchased',
        email: 'x@example.com',
      }),
    })
    try {
      await host.defineExample('abandoned-cart-recovery')
      const run = await host.run('abandoned-cart-recovery', {
        carts_url: `${shop.url}/api/carts`,
        email_url: `${shop.url}/api`,
      })
      expect(run.status).toBe('completed')
      expect(run.output?.['still-open']).toMatchObject({ branch: 'false' })
      expect(shop.hits('/api/messages')).toHaveLength(0)
    } finally {
      shop.close()
    }
  })

  test('refund-approval: small refunds go straight through the shared template', async () => {
    const payments = fakeService({ 'POST /api/refunds': () => reply(201, { id: 'rf-1' }) })
    const mail = fakeService({ 'POST /api/messages': () => reply(202) })
    try {
      await host.defineExample('refund-approval')
      const run = await host.run('refund-approval', {
        request: { order_id: 'o-9', amount: 20, email: 'cy@example.com', ticket: 'T-1' },
        payments_url: `${payments.url}/api`,
        email_url: `${mail.url}/api`,
      })
      expect(run.status).toBe('completed')
      const hit = payments.hits('POST /api/refunds')[0]
      expect(hit?.body).toEqual({ order: 'o-9', amount: 20 })
      expect(hit?.headers['idempotency-key']).toBe('refund-o-9')
      expect(mail.bodies('POST /api/messages')).toEqual([
        { to: 'cy@example.com', template: 'refund-issued', data: { refund: 'rf-1' } },
      ])
    } finally {
      payments.close()
      mail.close()
    }
  })

  test('refund-approval: large refunds wait for the lead; a denial explains why', async () => {
    const support = fakeService({ 'POST /api/tickets/T-2/replies': () => reply(201) })
    const payments = fakeService({ 'POST /api/refunds': () => reply(201, { id: 'rf-2' }) })
    try {
      await host.defineExample('refund-approval')
      const run = await host.run('refund-approval', {
        request: { order_id: 'o-10', amount: 400, email: 'di@example.com', ticket: 'T-2' },
        payments_url: `${payments.url}/api`,
        support_url: `${support.url}/api`,
      })
      expect(run.pending_decisions?.[0]).toMatchObject({
        step_id: 'route.review.lead',
        target_agent_id: 'support-lead',
      })
      const s = await host.signal({
        workflow_id: run.workflow_id,
        signal_type: 'decision',
        step_id: 'route.review.lead',
        agent_id: 'support-lead',
        payload: { choice: 'deny' },
        reasoning: 'the item was used for three months',
      })
      expect(s.status).toBe('completed')
      expect(payments.requests).toHaveLength(0)
      expect(support.bodies('POST /api/tickets/T-2/replies')).toEqual([
        {
          text: 'Your refund request was reviewed and declined: the item was used for three months',
        },
      ])
    } finally {
      support.close()
      payments.close()
    }
  })
})
