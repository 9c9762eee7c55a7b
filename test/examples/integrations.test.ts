import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createHmac } from 'node:crypto'
import { fakeService, reply } from './fakes.ts'
import { type ExampleHost, startExampleHost } from './harness.ts'

let host: ExampleHost
beforeAll(async () => {
  host = await startExampleHost({
    secrets: {
      WEBHOOK_SECRET: 'whsec-test-1',
      ENRICH_TOKEN: 'tok-primary',
      BACKUP_ENRICH_KEY: 'key-backup',
      REPORTS_CLIENT_SECRET: 'reports-secret',
    },
  })
})
afterAll(async () => {
  await host.close()
})

const sign = (body: string) => createHmac('sha256', 'whsec-test-1').update(body).digest('hex')

describe.concurrent('Integration examples', () => {
  test('webhook-handler: a correctly signed invoice.paid event is booked once', async () => {
    const ledger = fakeService({ 'POST /api/entries': () => reply(201) })
    try {
      await host.defineExample('webhook-handler')
      const raw = JSON.stringify({
        id: 'evt_1',
        type: 'invoice.paid',
        data: { invoice: 'INV-5', amount: 120 },
      })
      const run = await host.run('webhook-handler', {
        raw_body: raw,
        signature: sign(raw),
        ledger_url: `${ledger.url}/api/entries`,
      })
      expect(run.status).toBe('completed')
      const hits = ledger.hits('POST /api/entries')
      expect(hits.map((h) => h.body)).toEqual([
        { invoice: 'INV-5', amount: 120, source_event: 'evt_1' },
      ])
      expect(hits[0]?.headers['idempotency-key']).toBe('evt_1')
    } finally {
      ledger.close()
    }
  })

  test('webhook-handler: a forged signature is rejected before anything is routed', async () => {
    const ledger = fakeService({ 'POST /api/entries': () => reply(201) })
    try {
      await host.defineExample('webhook-handler')
      const raw = JSON.stringify({ id: 'evt_2', type: 'invoice.paid', data: {} })
      const run = await host.run('webhook-handler', {
        raw_body: raw,
        signature: sign('something else'),
        ledger_url: `${ledger.url}/api/entries`,
      })
      expect(run.status).toBe('failed')
      expect(run.error?.message).toContain('webhook signature does not match')
      expect(JSON.stringify(run)).not.toContain('whsec-test-1')
      expect(ledger.requests).toHaveLength(0)
    } finally {
      ledger.close()
    }
  })

  test('webhook-handler: an unknown event type takes the default branch', async () => {
    await host.defineExample('webhook-handler')
    const raw = JSON.stringify({ id: 'evt_3', type: 'plan.changed', data: {} })
    const run = await host.run('webhook-handler', { raw_body: raw, signature: sign(raw) })
    expect(run.status).toBe('completed')
    // The default body ran under the segment `default`; the output names the evaluated key.
    expect(run.steps['route.default.ignored']?.status).toBe('completed')
    expect(run.output?.route).toEqual({
      branch: 'default',
      value: 'plan.changed',
      output: { logged: true },
    })
    expect(host.logs).toContainEqual(
      expect.objectContaining({ msg: 'webhook event type not handled' }),
    )
  })

  test('lead-enrichment: the primary provider answers; a senior lead goes to sales', async () => {
    const primary = fakeService({
      'GET /v2/person': (r) =>
        r.headers.authorization === 'Bearer tok-primary'
          ? { company: 'BigCorp', title: 'VP Engineering', employees: 5000 }
          : reply(401),
    })
    const crm = fakeService({ 'POST /api/leads': () => reply(201) })
    try {
      await host.defineExample('lead-enrichment')
      const run = await host.run('lead-enrichment', {
        primary_url: `${primary.url}/v2/person`,
        secondary_url: `${primary.url}/nope`,
        crm_url: `${crm.url}/api`,
      })
      expect(run.status).toBe('completed')
      expect(primary.requests[0]?.query.email).toBe('dana@bigcorp.example')
      expect(run.steps['enrich-secondary']?.status).toBe('skipped')
      expect(crm.bodies('POST /api/leads')).toEqual([
        {
          email: 'dana@bigcorp.example',
          score: 90,
          owner: 'sales',
          profile: {
            source: 'primary',
            company: 'BigCorp',
            title: 'VP Engineering',
            employees: 5000,
          },
        },
      ])
    } finally {
      primary.close()
      crm.close()
    }
  })

  test('lead-enrichment: a slow primary times out twice and the fallback provider is used', async () => {
    const primary = fakeService({
      'GET /v2/person': async () => {
        await Bun.sleep(1500)
        return { company: 'late' }
      },
    })
    const backup = fakeService({
      'GET /lookup': (r) =>
        r.headers['x-api-key'] === 'key-backup'
          ? { company: 'SmallCo', title: 'Engineer', employees: 12 }
          : reply(403),
    })
    const crm = fakeService({ 'POST /api/sequences/nurture/members': () => reply(201) })
    try {
      await host.defineExample('lead-enrichment')
      const run = await host.run('lead-enrichment', {
        primary_url: `${primary.url}/v2/person`,
        secondary_url: `${backup.url}/lookup`,
        crm_url: `${crm.url}/api`,
      })
      expect(run.status).toBe('completed')
      expect(run.steps['enrich-primary']?.status).toBe('failed')
      expect(run.steps['enrich-primary']?.error?.code).toBe('TIMEOUT_ERROR')
      expect(run.steps['enrich-secondary']?.status).toBe('completed')
      expect(crm.bodies('POST /api/sequences/nurture/members')).toEqual([
        { email: 'dana@bigcorp.example', score: 10 },
      ])
    } finally {
      primary.close()
      backup.close()
      crm.close()
    }
  })

  test('two-way-sync: the newer side wins, in both directions, with PUTs', async () => {
    const crm = fakeService({
      'GET /api/contacts': () => ({
        contacts: [
          { id: 'c1', email: 'a@x.io', updated_at: '2026-11-20T00:00:00Z' },
          { id: 'c2', email: 'b-new@x.io', updated_at: '2026-11-22T00:00:00Z' },
        ],
      }),
      'PUT /api/contacts/:id': () => ({ ok: true }),
    })
    const helpdesk = fakeService({
      'GET /api/contacts': () => ({
        contacts: [
          { id: 'c1', email: 'a-new@x.io', updated_at: '2026-11-21T00:00:00Z' },
          { id: 'c2', email: 'b@x.io', updated_at: '2026-11-01T00:00:00Z' },
          { id: 'c3', email: 'c@x.io', updated_at: '2026-11-02T00:00:00Z' },
        ],
      }),
      'PUT /api/contacts/:id': (_r, n) => (n === 1 ? reply(503) : { ok: true }),
    })
    try {
      await host.defineExample('two-way-sync')
      const run = await host.run('two-way-sync', {
        crm_url: `${crm.url}/api`,
        helpdesk_url: `${helpdesk.url}/api`,
      })
      expect(run.status).toBe('completed')
      expect(run.output?.summary).toEqual({
        result: { copied_to_crm: ['c1', 'c3'], copied_to_helpdesk: ['c2'] },
      })
      expect(crm.requests.filter((r) => r.method === 'PUT').map((r) => r.path)).toEqual([
        '/api/contacts/c1',
        '/api/contacts/c3',
      ])
      expect(helpdesk.bodies('PUT /api/contacts/c2').at(-1)).toMatchObject({ email: 'b-new@x.io' })
    } finally {
      crm.close()
      helpdesk.close()
    }
  })

  test('fastest-mirror: the first good mirror wins the race; the checksum is verified', async () => {
    const artifact = 'opcode release artifact\n'
    const sha = new Bun.CryptoHasher('sha256').update(artifact).digest('hex')
    const broken = fakeService({ 'GET /tool-1.2.3.txt': () => reply(500, 'disk error') })
    const slow = fakeService({
      'GET /tool-1.2.3.txt': async () => {
        await Bun.sleep(800)
        return new Response(artifact)
      },
    })
    const fast = fakeService({
      'GET /tool-1.2.3.txt': async () => {
        await Bun.sleep(50)
        return new Response(artifact)
      },
    })
    try {
      await host.defineExample('fastest-mirror')
      const run = await host.run('fastest-mirror', {
        mirrors: [broken.url, slow.url, fast.url],
        expected_sha256: sha,
      })
      expect(run.status).toBe('completed')
      expect(run.output?.result).toEqual({ result: { mirror: fast.url, sha256: sha } })
      expect(run.steps.download?.output).toMatchObject({ mode: 'race', winner: 2 })
    } finally {
      broken.close()
      slow.close()
      fast.close()
    }
  })

  test('oauth-client-credentials: form-encoded grant with basic auth, scope checked, API called', async () => {
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')
    const jwt = `${b64({ alg: 'none' })}.${b64({ sub: 'reports-client', scope: 'reports:read audit:read' })}.sig`
    const auth = fakeService({
      'POST /oauth/token': (r) => {
        const basic = Buffer.from('reports-client:reports-secret').toString('base64')
        if (r.headers.authorization !== `Basic ${basic}`) return reply(401)
        if (r.body !== 'grant_type=client_credentials&scope=reports%3Aread')
          return reply(400, { body: r.body })
        return { access_token: jwt, token_type: 'bearer', expires_in: 3600 }
      },
    })
    const api = fakeService({
      'GET /api/reports/latest': (r) =>
        r.headers.authorization === `Bearer ${jwt}` ? { id: 'rep-1', rows: 10 } : reply(401),
    })
    try {
      await host.defineExample('oauth-client-credentials')
      const run = await host.run('oauth-client-credentials', {
        auth_url: `${auth.url}/oauth/token`,
        api_url: `${api.url}/api`,
      })
      expect(run.status).toBe('completed')
      expect(run.steps.scopes?.output).toEqual({ result: ['reports:read', 'audit:read'] })
      expect(run.output?.report).toMatchObject({
        status_code: 200,
        body: { id: 'rep-1', rows: 10 },
      })
    } finally {
      auth.close()
      api.close()
    }
  })

  test('chatops-command: /deploy, /status, a malformed /deploy and an unknown command', async () => {
    const chat = fakeService({ 'POST /respond/:id': () => ({ ok: true }) })
    const deploy = fakeService({
      'POST /api/deployments': () => reply(201, { id: 'dep-42' }),
      'GET /api/services/:name': () => ({ version: '1.2.2', state: 'healthy' }),
    })
    try {
      await host.defineExample('chatops-command')
      const common = { response_url: `${chat.url}/respond/x`, deploy_url: `${deploy.url}/api` }
      for (const text of [
        '/deploy checkout 1.2.3',
        '/status checkout',
        '/deploy checkout',
        '/dance',
      ]) {
        const run = await host.run('chatops-command', { ...common, text })
        expect(run.status).toBe('completed')
      }
      expect(chat.bodies('POST /respond/x').map((b) => b.text)).toEqual([
        'deploying checkout 1.2.3 (dep-42)',
        'checkout runs 1.2.2 (healthy)',
        'usage: /deploy SERVICE VERSION',
        'unknown command /dance; try /deploy SERVICE VERSION or /status SERVICE',
      ])
      expect(deploy.bodies('POST /api/deployments')).toEqual([
        { service: 'checkout', version: '1.2.3', requested_by: 'ana' },
      ])
    } finally {
      chat.close()
      deploy.close()
    }
  })
})
