/**
 * The operations added for the panel, through /api/v1 on a real server: dashboard, agents summary,
 * newest events (and the ring's seeding after a restart), decisions resolved by id (the signal
 * path), cron preview, the settings view with secrets masked, and the write-only secrets.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type PanelServer, seedDemo, startPanelServer } from '../support/panel-fixture.ts'

let s: PanelServer
let ids: Awaited<ReturnType<typeof seedDemo>>

beforeAll(async () => {
  s = await startPanelServer({
    vaultKey: 'ops-test-key',
    settings: {
      plugins: [{ name: 'fake', command: 'false', env: { API_KEY: 'sk-live-123' } }],
      http: { allowed_origins: ['https://ops.example'] },
    },
  })
  ids = await seedDemo(s)
}, 60_000)

afterAll(async () => {
  await s?.stop()
})

type Json = Record<string, any>

describe('dashboard.get', () => {
  test('counts every workflow by status and per agent, with pending decisions and events', async () => {
    const d = await s.api<Json>('GET', '/dashboard')
    expect(d.counts).toMatchObject({ completed: 4, failed: 1, suspended: 2, active: 1, total: 8 })
    expect(d.recent).toEqual({ completed: 4, failed: 1 })
    expect(d.window_hours).toBe(24)
    expect(d.pending_decisions.total).toBe(2)
    expect(d.pending_decisions.items).toHaveLength(2)
    const billing = d.agents.find((a: Json) => a.agent_id === 'billing-agent')
    expect(billing).toMatchObject({ counts: { suspended: 2 }, total: 2, connected: false })
    // Agents with open work first.
    expect(d.agents[0].counts.active + d.agents[0].counts.suspended).toBeGreaterThan(0)
    expect(d.events).toHaveLength(20)
    const ids20 = d.events.map((e: Json) => e.id)
    expect([...ids20].sort((a, b) => b - a)).toEqual(ids20)
    expect(d.events[0].payload).toBeUndefined()
  })

  test('the window of the recent counters is a parameter, checked', async () => {
    const d = await s.api<Json>('GET', '/dashboard?window_hours=0.01&events=0')
    expect(d.window_hours).toBe(0.01)
    expect(d.events).toEqual([])
    const bad = await s.apiRaw('GET', '/dashboard?window_hours=-3')
    expect(bad.status).toBe(400)
    expect((await bad.json()).code).toBe('VALIDATION_ERROR')
  })
})

describe('agents.summary', () => {
  test('lists registered agents and owners of workflows with their counts', async () => {
    const { agents } = await s.api<{ agents: Json[] }>('GET', '/agents/summary')
    const byId = new Map(agents.map((a) => [a.agent_id, a]))
    expect(byId.get('data-agent')).toMatchObject({ total: 4, counts: { completed: 4 } })
    expect(byId.get('crm-agent')).toMatchObject({ total: 1, counts: { failed: 1 } })
    // ops-agent defined the templates (registered) and owns the running workflow.
    expect(byId.get('ops-agent')).toMatchObject({ registered: true, type: 'llm' })
    expect(byId.get('ops-agent')?.last_seen_at).toBeString()
  })
})

describe('events.recent', () => {
  test('the newest events, newest first, filtered within the window', async () => {
    const all = await s.api<{ events: Json[]; window: number; complete: boolean }>(
      'GET',
      '/events/recent?limit=500',
    )
    expect(all.complete).toBe(true)
    const log = await s.api<{ events: Json[] }>('GET', '/events?limit=500')
    // Same events as a scan of the log, without payloads.
    expect(all.events.map((e) => e.id)).toEqual(log.events.map((e) => e.id))
    const failed = await s.api<{ events: Json[] }>(
      'GET',
      '/events/recent?event_type=workflow_failed',
    )
    expect(failed.events.map((e) => e.workflow_id)).toEqual([ids.failed])
    const page2 = await s.api<{ events: Json[] }>('GET', '/events/recent?limit=5&offset=5')
    expect(page2.events.map((e) => e.id)).toEqual(all.events.slice(5, 10).map((e) => e.id))
  })

  test('after a restart the window is seeded from the log with the true newest events', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opcode-ring-'))
    try {
      let a = await startPanelServer({ dir })
      // Many short workflows, then an old long-running one that ends last: its final events are
      // the newest although the workflow is the oldest.
      await a.api('POST', '/templates', {
        name: 'gate',
        agent_id: 'x',
        definition: { steps: [{ id: 'g', action: 'test.gate', params: { gate: 'late' } }] },
      })
      await a.api('POST', '/templates', {
        name: 'quick',
        agent_id: 'x',
        definition: { steps: [{ id: 'q', action: 'test.echo', params: {} }] },
      })
      const old = await a.api<Json>('POST', '/workflows', {
        template_name: 'gate',
        agent_id: 'x',
        wait: false,
      })
      for (let i = 0; i < 120; i++)
        await a.api('POST', '/workflows', { template_name: 'quick', agent_id: 'x' })
      a.gates.release('late')
      for (let i = 0; i < 50; i++) {
        const w = await a.api<Json>('GET', `/workflows/${old.workflow_id}`)
        if (w.workflow.status === 'completed') break
        await Bun.sleep(20)
      }
      await a.stop()
      a = await startPanelServer({ dir })
      try {
        const recent = await a.api<Json>('GET', '/events/recent?limit=100')
        const scan = await a.api<{ events: Json[] }>('GET', '/events?limit=100')
        expect(recent.events.map((e: Json) => e.id)).toEqual(scan.events.map((e) => e.id))
        // Seeded with the newest 100 of a longer log: the window is not the whole log, so the
        // events page reads older pages from the log itself.
        expect(recent.complete).toBe(false)
        const older = await (await fetch(`${a.url}/events?offset=100&limit=50`)).text()
        expect(older).toContain('read from the event log')
        const oldest = (await a.api<{ events: Json[] }>('GET', '/events?limit=50&offset=100'))
          .events
        expect(older).toContain(oldest[0]?.workflow_id.slice(-8) as string)
        expect(recent.events[0]).toMatchObject({
          workflow_id: old.workflow_id,
          event_type: 'workflow_completed',
        })
      } finally {
        await a.stop()
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)
})

describe('decisions.resolve', () => {
  test('resolves by id through the signal path: the workflow resumes and completes', async () => {
    const run = await s.api<Json>('POST', '/workflows', {
      template_name: 'refund-approval',
      agent_id: 'billing-agent',
    })
    const id = run.pending_decisions[0].id as string
    const r = await s.api<Json>('POST', `/decisions/${encodeURIComponent(id)}/resolve`, {
      choice: 'reject',
      reasoning: 'duplicate request',
      agent_id: 'panel:alice',
    })
    expect(r).toMatchObject({
      decision_id: id,
      workflow_id: run.workflow_id,
      step_id: 'approve',
      choice: 'reject',
      resumed: true,
      on_behalf_of: 'finance-team',
    })
    let status = r.status
    for (let i = 0; i < 50 && status !== 'completed'; i++) {
      await Bun.sleep(20)
      status = (await s.api<Json>('GET', `/workflows/${run.workflow_id}`)).workflow.status
    }
    expect(status).toBe('completed')
    const detail = await s.api<Json>('GET', `/workflows/${run.workflow_id}`)
    expect(detail.decisions[0]).toMatchObject({
      status: 'resolved',
      resolved_by: 'finance-team',
      resolution: { choice: 'reject', reasoning: 'duplicate request' },
    })
    expect(detail.events.map((e: Json) => e.event_type)).toContain('decision_resolved')
    const audit = await s.api<{ audit: Json[] }>('GET', '/audit?agent_id=panel:alice')
    expect(audit.audit[0]).toMatchObject({
      action: 'decision.resolve',
      resource_type: 'decision',
      resource_id: id,
      details: { choice: 'reject', on_behalf_of: 'finance-team', via: 'http' },
    })
    // Answered already: a conflict, with the resolution.
    const again = await s.apiRaw('POST', `/decisions/${encodeURIComponent(id)}/resolve`, {
      body: JSON.stringify({ choice: 'approve', agent_id: 'panel' }),
    })
    expect(again.status).toBe(409)
    expect((await again.json()).details.resolution.choice).toBe('reject')
  })

  test('refuses an unknown decision, a choice that is not an option, and a missing agent', async () => {
    const missing = await s.apiRaw('POST', '/decisions/nope/resolve', {
      body: JSON.stringify({ choice: 'x', agent_id: 'panel' }),
    })
    expect(missing.status).toBe(404)
    const id = encodeURIComponent(`${ids.suspended[0]}_approve`)
    const wrong = await s.apiRaw('POST', `/decisions/${id}/resolve`, {
      body: JSON.stringify({ choice: 'maybe', agent_id: 'panel' }),
    })
    expect(wrong.status).toBe(400)
    const body = await wrong.json()
    expect(body.details.valid_choices).toEqual(['approve', 'reject'])
    const noAgent = await s.apiRaw('POST', `/decisions/${id}/resolve`, {
      body: JSON.stringify({ choice: 'approve' }),
    })
    expect(noAgent.status).toBe(400)
    expect((await noAgent.json()).message).toContain('agent_id')
    const pending = await s.api<Json>('GET', '/decisions/pending/count')
    expect(pending.pending).toBe(2)
  })
})

describe('schedules.preview', () => {
  test('returns the next fire times of a valid cron and explains an invalid one', async () => {
    const ok = await s.api<Json>(
      'GET',
      `/cron/preview?cron_expression=${encodeURIComponent('0 9 * * 1-5')}&timezone=Europe/Paris&count=4`,
    )
    expect(ok.timezone).toBe('Europe/Paris')
    expect(ok.next).toHaveLength(4)
    for (const t of ok.next as string[]) {
      const d = new Date(t)
      expect(d.getTime()).toBeGreaterThan(Date.now())
      expect([1, 2, 3, 4, 5]).toContain(d.getUTCDay())
    }
    const bad = await s.apiRaw(
      'GET',
      `/cron/preview?cron_expression=${encodeURIComponent('61 * * * *')}`,
    )
    // A well-formed request whose cron is wrong: 422, with the problem spelled out.
    expect(bad.status).toBe(422)
    const body = await bad.json()
    expect(body.code).toBe('VALIDATION_ERROR')
    expect(body.message).toContain('61 * * * *')
  })
})

describe('settings.get', () => {
  test('shows the effective configuration with every credential masked', async () => {
    const v = await s.api<Json>('GET', '/settings')
    expect(v).toMatchObject({
      version: 'test',
      listen_addr: '127.0.0.1:0',
      loopback: true,
      panel: true,
      token: { configured: false, required: false },
      vault: { initialized: true },
    })
    expect(v.bound_port).toBe(s.server.port)
    expect(v.http.allowed_origins).toEqual(['https://ops.example'])
    expect(v.plugins[0].env).toEqual({ API_KEY: '••••••' })
    expect(JSON.stringify(v)).not.toContain('sk-live-123')
  })

  test('a configured token is reported, never shown', async () => {
    const t = await startPanelServer({ settings: { auth_token: 'tok-abcdefghijklmnop' } })
    try {
      const v = await t.api<Json>('GET', '/settings')
      expect(v.token).toEqual({ configured: true, required: false })
      expect(JSON.stringify(v)).not.toContain('tok-abcdefghijklmnop')
    } finally {
      await t.stop()
    }
  })
})

describe('secrets', () => {
  test('set, replace, list names only, delete; values never come back or reach the audit log', async () => {
    const set = await s.api<Json>('POST', '/secrets', {
      name: 'DB_PASSWORD',
      value: 'hunter2-very-secret',
      agent_id: 'panel:bob',
    })
    expect(set).toEqual({ name: 'DB_PASSWORD', replaced: false })
    const again = await s.api<Json>('POST', '/secrets', {
      name: 'DB_PASSWORD',
      value: 'hunter3-very-secret',
      agent_id: 'panel:bob',
    })
    expect(again.replaced).toBe(true)
    const list = await s.api<Json>('GET', '/secrets')
    expect(list.vault).toBe('ready')
    expect(list.secrets).toContainEqual({ name: 'DB_PASSWORD' })
    // The vault really holds the new value: a workflow resolves it (and its output is redacted).
    await s.api('POST', '/templates', {
      name: 'uses-secret',
      agent_id: 'x',
      definition: {
        steps: [{ id: 'e', action: 'test.echo', params: { v: '${{secrets.DB_PASSWORD}}' } }],
      },
    })
    const run = await s.api<Json>('POST', '/workflows', {
      template_name: 'uses-secret',
      agent_id: 'x',
    })
    expect(run.status).toBe('completed')
    expect(JSON.stringify(run)).not.toContain('hunter3-very-secret')
    const del = await s.api<Json>('DELETE', '/secrets/DB_PASSWORD', { agent_id: 'panel:bob' })
    expect(del).toEqual({ deleted: 'DB_PASSWORD' })
    const gone = await s.apiRaw('DELETE', '/secrets/DB_PASSWORD', { body: '{}' })
    expect(gone.status).toBe(404)
    const audit = await s.api<{ audit: Json[] }>('GET', '/audit?agent_id=panel:bob')
    expect(audit.audit.map((a) => a.action)).toEqual([
      'secret.delete',
      'secret.replace',
      'secret.set',
    ])
    expect(JSON.stringify(audit)).not.toContain('hunter')
  })

  test('bad names are refused; without a vault key names are listed and deleted but not stored', async () => {
    const bad = await s.apiRaw('POST', '/secrets', {
      body: JSON.stringify({ name: '9-bad name', value: 'v' }),
    })
    expect(bad.status).toBe(400)
    const empty = await s.apiRaw('POST', '/secrets', {
      body: JSON.stringify({ name: 'OK', value: '' }),
    })
    expect(empty.status).toBe(400)
    const dir = mkdtempSync(join(tmpdir(), 'opcode-vault-'))
    try {
      const withKey = await startPanelServer({ dir, vaultKey: 'k1' })
      await withKey.api('POST', '/secrets', { name: 'KEPT', value: 'v1' })
      await withKey.api('POST', '/secrets', { name: 'DROPPED', value: 'v2' })
      await withKey.stop()
      const locked = await startPanelServer({ dir })
      try {
        const list = await locked.api<Json>('GET', '/secrets')
        expect(list).toEqual({
          vault: 'uninitialized',
          secrets: [{ name: 'DROPPED' }, { name: 'KEPT' }],
        })
        const set = await locked.apiRaw('POST', '/secrets', {
          body: JSON.stringify({ name: 'NEW', value: 'v' }),
        })
        expect(set.status).toBe(500)
        const body = await set.json()
        expect(body.code).toBe('VAULT_ERROR')
        expect(body.message).toContain('vault not initialized')
        expect((await locked.apiRaw('DELETE', '/secrets/DROPPED', { body: '{}' })).status).toBe(200)
        expect((await locked.api<Json>('GET', '/secrets')).secrets).toEqual([{ name: 'KEPT' }])
      } finally {
        await locked.stop()
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 30_000)
})
