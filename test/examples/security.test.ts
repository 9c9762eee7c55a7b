import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { fakeService, reply } from './fakes.ts'
import { type ExampleHost, startExampleHost } from './harness.ts'

let host: ExampleHost
const ADMIN = 'admin-token-7f3a91'
beforeAll(async () => {
  host = await startExampleHost({ secrets: { KEYS_ADMIN_TOKEN: ADMIN } })
})
afterAll(async () => {
  await host.close()
})

describe.concurrent('Security examples', () => {
  test('secret-rotation: installs, proves and revokes keys; the admin token never surfaces', async () => {
    let installed = ''
    const keys = fakeService({
      'POST /api/services/billing-api/keys': (r) => {
        if (r.headers.authorization !== `Bearer ${ADMIN}`) return reply(401)
        installed = r.body.key
        return reply(201, { key_id: 'k-2', previous_key_id: 'k-1' })
      },
      'DELETE /api/services/billing-api/keys/k-1': (r) =>
        r.headers.authorization === `Bearer ${ADMIN}` ? reply(204, '') : reply(401),
    })
    const billing = fakeService({
      // The new key takes a moment to propagate: the first probe gets a 503 (retryable; a 4xx
      // would not be retried).
      'GET /api/whoami': (r, n) => {
        if (n === 1) return reply(503, { error: 'key not propagated yet' })
        return r.headers['x-service-key'] === installed ? { service: 'billing-api' } : reply(401)
      },
    })
    try {
      await host.defineExample('secret-rotation')
      const run = await host.run('secret-rotation', {
        keys_url: `${keys.url}/api`,
        service_url: `${billing.url}/api`,
      })
      expect(run.status).toBe('completed')
      expect(installed).toMatch(/^[0-9a-f-]{36}$/)
      expect(keys.hits('DELETE /api/services/billing-api/keys/k-1')).toHaveLength(1)
      const st = await host.status(run.workflow_id)
      expect(st.steps.verify?.retry_count).toBe(1)
      const fp = new Bun.CryptoHasher('sha256').update(installed).digest('hex')
      const line = host.logs.find((l) => l.msg === 'service key rotated')
      expect(line?.attrs?.data).toEqual({
        service: 'billing-api',
        new_key_sha256: fp,
        revoked: 'k-1',
      })
      const everything = JSON.stringify({ run, st, logs: host.logs })
      expect(everything).not.toContain(ADMIN)
    } finally {
      keys.close()
      billing.close()
    }
  })

  test('incident-containment: three actions in parallel, block confirmed, on_complete reports', async () => {
    const idp = fakeService({
      'POST /api/users/u-2071/sessions/revoke': (_r, n) => (n === 1 ? reply(502) : { revoked: 3 }),
    })
    const firewall = fakeService({
      'POST /api/blocks': () => reply(201, { id: 'blk-1' }),
      'GET /api/blocks/203.0.113.50': () => ({ active: true }),
    })
    const forensics = fakeService({ 'POST /api/snapshots': () => reply(201, { id: 'snap-55' }) })
    const chat = fakeService({ 'POST /hooks/security': () => ({ ok: true }) })
    try {
      await host.defineExample('incident-containment')
      const run = await host.run('incident-containment', {
        idp_url: `${idp.url}/api`,
        firewall_url: `${firewall.url}/api`,
        forensics_url: `${forensics.url}/api`,
        chat_url: `${chat.url}/hooks/security`,
      })
      expect(run.status).toBe('completed')
      expect(firewall.bodies('POST /api/blocks')).toEqual([
        { ip: '203.0.113.50', ttl_hours: 72, reason: 'SEC-88' },
      ])
      expect(chat.bodies('POST /hooks/security')).toEqual([
        { text: 'SEC-88: sessions revoked, IP blocked, snapshot snap-55' },
      ])
      const st = await host.status(run.workflow_id)
      expect(st.context).toMatchObject({
        original_intent: 'contain a compromised account',
        accumulated_data: { incident: 'SEC-88' },
      })
    } finally {
      for (const s of [idp, firewall, forensics, chat]) s.close()
    }
  })

  test('incident-containment: a block that does not stick fails the run; on_error alerts', async () => {
    const ok = fakeService({
      'POST /api/users/u-2071/sessions/revoke': () => ({ revoked: 1 }),
      'POST /api/blocks': () => reply(201),
      'GET /api/blocks/203.0.113.50': () => ({ active: false }),
      'POST /api/snapshots': () => reply(201, { id: 's' }),
      'POST /hooks/security': () => ({ ok: true }),
    })
    try {
      await host.defineExample('incident-containment')
      const run = await host.run('incident-containment', {
        idp_url: `${ok.url}/api`,
        firewall_url: `${ok.url}/api`,
        forensics_url: `${ok.url}/api`,
        chat_url: `${ok.url}/hooks/security`,
      })
      expect(run.status).toBe('failed')
      expect(run.error?.message).toContain('the firewall does not show the block as active')
      expect(ok.bodies('POST /hooks/security')).toEqual([
        { text: 'SEC-88: automatic containment FAILED, act now', workflow: run.workflow_id },
      ])
    } finally {
      ok.close()
    }
  })

  test('access-review: one decision per stale account, in a loop, only disabled ones are acted on', async () => {
    const accounts = [
      { id: 'a1', last_login_days: 200, service_account: false },
      { id: 'a2', last_login_days: 10, service_account: false },
      { id: 'a3', last_login_days: 120, service_account: true },
      { id: 'a4', last_login_days: 95, service_account: false },
    ]
    const dir = fakeService({
      'GET /api/accounts': () => ({ accounts }),
      'POST /api/accounts/:id/disable': () => ({ disabled: true }),
      'POST /api/reviews': () => reply(201),
    })
    try {
      await host.defineExample('access-review')
      const run = await host.run('access-review', { directory_url: `${dir.url}/api` })
      const d0 = run.pending_decisions?.[0]
      expect(d0?.step_id).toBe('review.iter_0.decide')
      expect(d0?.target_agent_id).toBe('security-lead')
      expect(d0?.fallback).toBe('keep')
      expect(d0?.context.data_inject).toEqual({ account: accounts[0] })
      await host.signal({
        workflow_id: run.workflow_id,
        signal_type: 'decision',
        step_id: 'review.iter_0.decide',
        agent_id: 'security-lead',
        payload: { choice: 'disable' },
      })
      const last = await host.signal({
        workflow_id: run.workflow_id,
        signal_type: 'decision',
        step_id: 'review.iter_1.decide',
        agent_id: 'security-lead',
        payload: { choice: 'keep' },
        reasoning: 'on parental leave',
      })
      expect(last.status).toBe('completed')
      expect(dir.requests.filter((r) => r.path.endsWith('/disable')).map((r) => r.path)).toEqual([
        '/api/accounts/a1/disable',
      ])
      expect(dir.bodies('POST /api/reviews')).toEqual([
        {
          stale_days: 90,
          decisions: [
            { result: { account: 'a1', decision: 'disable' } },
            { result: { account: 'a4', decision: 'keep' } },
          ],
        },
      ])
    } finally {
      dir.close()
    }
  })
})
