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

function intranet(amount: number) {
  return fakeService({
    'GET /api/purchase-requests/PR-118': () => ({ id: 'PR-118', amount, items: ['laptop'] }),
    'POST /api/purchase-requests/PR-118/outcome': () => ({ ok: true }),
  })
}

describe.concurrent('Human-in-the-loop examples', () => {
  test('approval-chain: manager then finance approve a large request; the order is placed', async () => {
    const portal = intranet(2400)
    const erp = fakeService({ 'POST /api/orders': () => reply(201, { id: 'PO-9' }) })
    try {
      await host.defineExample('approval-chain')
      const run = await host.run('approval-chain', {
        requests_url: `${portal.url}/api`,
        purchasing_url: `${erp.url}/api`,
      })
      expect(run.pending_decisions?.map((d) => [d.step_id, d.target_agent_id])).toEqual([
        ['manager', 'manager'],
      ])
      const afterManager = await host.signal({
        workflow_id: run.workflow_id,
        signal_type: 'decision',
        step_id: 'manager',
        agent_id: 'manager',
        payload: { choice: 'approve' },
      })
      expect(afterManager.status).toBe('suspended')
      const afterFinance = await host.signal({
        workflow_id: run.workflow_id,
        signal_type: 'decision',
        step_id: 'finance',
        agent_id: 'finance',
        payload: { choice: 'approve' },
        reasoning: 'within the quarterly budget',
      })
      expect(afterFinance.status).toBe('completed')
      expect(erp.hits('POST /api/orders')).toHaveLength(1)
      expect(portal.bodies('POST /api/purchase-requests/PR-118/outcome')).toEqual([
        {
          request: 'PR-118',
          approved: true,
          manager: 'approve',
          finance: 'approve',
          order: 'PO-9',
        },
      ])
    } finally {
      portal.close()
      erp.close()
    }
  })

  test('approval-chain: a small request skips finance; a rejection places no order', async () => {
    const portal = intranet(300)
    const erp = fakeService({ 'POST /api/orders': () => reply(201, { id: 'PO-10' }) })
    try {
      await host.defineExample('approval-chain')
      const small = await host.run('approval-chain', {
        requests_url: `${portal.url}/api`,
        purchasing_url: `${erp.url}/api`,
      })
      const done = await host.signal({
        workflow_id: small.workflow_id,
        signal_type: 'decision',
        step_id: 'manager',
        agent_id: 'manager',
        payload: { choice: 'approve' },
      })
      expect(done.status).toBe('completed')
      const rejected = await host.run('approval-chain', {
        requests_url: `${portal.url}/api`,
        purchasing_url: `${erp.url}/api`,
      })
      await host.signal({
        workflow_id: rejected.workflow_id,
        signal_type: 'decision',
        step_id: 'manager',
        agent_id: 'manager',
        payload: { choice: 'reject' },
      })
      const st = await host.status(rejected.workflow_id)
      expect(st.status).toBe('completed')
      expect(st.steps.finance?.status).toBe('skipped')
      expect(st.steps.order?.status).toBe('skipped')
      expect(erp.hits('POST /api/orders')).toHaveLength(1) // only the small, approved request
      expect(portal.bodies('POST /api/purchase-requests/PR-118/outcome')).toEqual([
        {
          request: 'PR-118',
          approved: true,
          manager: 'approve',
          finance: 'not needed',
          order: 'PO-10',
        },
        {
          request: 'PR-118',
          approved: false,
          manager: 'reject',
          finance: 'not needed',
          order: null,
        },
      ])
    } finally {
      portal.close()
      erp.close()
    }
  })

  test('free-form-decision: any answer is accepted and its data becomes the runbook parameters', async () => {
    const ops = fakeService({
      'GET /api/runbooks': () => ({ runbooks: ['restart-pods', 'scale-out', 'failover'] }),
      'POST /api/runbooks/:name/executions': () => reply(202, { execution: 'ex-1' }),
    })
    try {
      await host.defineExample('free-form-decision')
      const run = await host.run('free-form-decision', { runbooks_url: `${ops.url}/api` })
      expect(run.status).toBe('suspended')
      const d = run.pending_decisions?.[0]
      expect(d?.options).toEqual([])
      expect(d?.context.data_inject).toMatchObject({
        runbooks: ['restart-pods', 'scale-out', 'failover'],
      })
      const s = await host.signal({
        workflow_id: run.workflow_id,
        signal_type: 'decision',
        step_id: 'choose',
        payload: { choice: 'scale-out', data: { replicas: 6 } },
        reasoning: 'CPU bound, not crashing',
      })
      expect(s.status).toBe('completed')
      expect(ops.bodies('POST /api/runbooks/scale-out/executions')).toEqual([
        {
          runbook: 'scale-out',
          incident: 'INC-311',
          params: { replicas: 6 },
          note: 'CPU bound, not crashing',
        },
      ])
    } finally {
      ops.close()
    }
  })

  test('escalation-ladder: nobody answers, both decisions time out to their fallbacks, page', async () => {
    const chat = fakeService({ 'POST /hooks/oncall': () => ({ ok: true }) })
    const pager = fakeService({ 'POST /v1/pages': (_r, n) => (n === 1 ? reply(502) : reply(201)) })
    try {
      await host.defineExample('escalation-ladder')
      const run = await host.run('escalation-ladder', {
        chat_url: `${chat.url}/hooks/oncall`,
        pager_url: `${pager.url}/v1/pages`,
      })
      expect(run.status).toBe('suspended')
      expect(run.pending_decisions?.[0]?.fallback).toBe('escalate')
      const done = await host.waitFor(run.workflow_id)
      expect(done.status).toBe('completed')
      expect(done.steps.tier1?.output).toMatchObject({ choice: 'escalate', resolved_by: 'system' })
      expect(done.steps['ladder.escalate.tier2']?.output).toMatchObject({ choice: 'page' })
      expect(pager.bodies('POST /v1/pages')[1]).toEqual({
        alert: 'AL-77',
        severity: 'high',
        summary: 'checkout error rate 12%',
      })
      expect(chat.requests).toHaveLength(0)
    } finally {
      chat.close()
      pager.close()
    }
  })

  test('escalation-ladder: an acknowledgement in time stops the ladder', async () => {
    const chat = fakeService({ 'POST /hooks/oncall': () => ({ ok: true }) })
    try {
      await host.defineExample('escalation-ladder')
      const run = await host.run('escalation-ladder', {
        chat_url: `${chat.url}/hooks/oncall`,
        pager_url: `${chat.url}/pages`,
      })
      const s = await host.signal({
        workflow_id: run.workflow_id,
        signal_type: 'decision',
        step_id: 'tier1',
        agent_id: 'oncall-agent',
        payload: { choice: 'ack' },
      })
      expect(s.status).toBe('completed')
      expect(chat.bodies('POST /hooks/oncall')).toEqual([
        { text: 'AL-77 acknowledged by oncall-agent' },
      ])
      expect(chat.hits('/pages')).toHaveLength(0)
    } finally {
      chat.close()
    }
  })

  test('expense-review: small claims pass, each large one is a decision inside the loop', async () => {
    const expenses = [
      { id: 'e1', amount: 42, who: 'ana' },
      { id: 'e2', amount: 640, who: 'bo' },
      { id: 'e3', amount: 15, who: 'cy' },
      { id: 'e4', amount: 1200, who: 'di' },
    ]
    const finance = fakeService({
      'GET /api/expenses': () => ({ expenses }),
      'POST /api/payouts': () => reply(201),
    })
    try {
      await host.defineExample('expense-review')
      const run = await host.run('expense-review', {
        expenses_url: `${finance.url}/api/expenses`,
        payouts_url: `${finance.url}/api/payouts`,
      })
      expect(run.pending_decisions?.[0]?.step_id).toBe('review-each.iter_1.gate.true.review')
      expect(run.pending_decisions?.[0]?.context.data_inject).toEqual({ expense: expenses[1] })
      const second = await host.signal({
        workflow_id: run.workflow_id,
        signal_type: 'decision',
        step_id: 'review-each.iter_1.gate.true.review',
        payload: { choice: 'approve' },
      })
      expect(second.status).toBe('suspended')
      const last = await host.signal({
        workflow_id: run.workflow_id,
        signal_type: 'decision',
        step_id: 'review-each.iter_3.gate.true.review',
        payload: { choice: 'reject' },
      })
      expect(last.status).toBe('completed')
      expect(finance.bodies('POST /api/payouts')[0].expenses.map((e: any) => e.decision)).toEqual([
        'auto-approved',
        'approve',
        'auto-approved',
        'reject',
      ])
    } finally {
      finance.close()
    }
  })

  test('content-moderation: clean, abusive and grey-zone posts take their three routes', async () => {
    const texts: Record<string, string> = {
      '1': 'great release thanks team',
      '2': 'scam scam idiot',
      '3': 'this looks like spam to me but maybe not',
    }
    const community = fakeService({
      'GET /api/posts/:id': (r) => ({
        id: r.path.split('/').pop(),
        text: texts[r.path.split('/').pop() as string],
      }),
      'POST /api/moderation': () => ({ ok: true }),
    })
    try {
      await host.defineExample('content-moderation')
      const runs = await Promise.all(
        ['1', '2', '3'].map((id) =>
          host.run('content-moderation', {
            posts_url: `${community.url}/api/posts/${id}`,
            decisions_url: `${community.url}/api/moderation`,
          }),
        ),
      )
      expect(runs.map((r) => r.status)).toEqual(['completed', 'completed', 'suspended'])
      expect(runs[2]?.pending_decisions?.[0]?.context.data_inject).toMatchObject({
        flagged: ['spam'],
      })
      await host.signal({
        workflow_id: runs[2]?.workflow_id as string,
        signal_type: 'decision',
        step_id: 'route.review.moderator',
        agent_id: 'mod-sam',
        payload: { choice: 'publish' },
      })
      const decisions = community.bodies('POST /api/moderation')
      expect(decisions).toContainEqual({ post: '1', decision: 'publish', by: 'auto' })
      expect(decisions).toContainEqual({ post: '2', decision: 'reject', by: 'auto' })
      expect(decisions).toContainEqual({ post: '3', decision: 'publish', by: 'mod-sam' })
    } finally {
      community.close()
    }
  })

  test('change-window: waits for the window-open data signal, then applies the change', async () => {
    const changes = fakeService({
      'POST /api/changes': () => reply(201),
      'POST /api/changes/CHG-2042/apply': () => ({ applied: true }),
    })
    try {
      await host.defineExample('change-window')
      const run = await host.run('change-window', { changes_url: `${changes.url}/api/changes` })
      expect(run.status).toBe('suspended')
      expect(run.steps.window?.status).toBe('suspended')
      const unrelated = await host.signal({
        workflow_id: run.workflow_id,
        signal_type: 'data',
        payload: { signal: 'something-else' },
      })
      expect(unrelated.isError).toBeUndefined()
      expect((await host.status(run.workflow_id)).status).toBe('suspended')
      await host.signal({
        workflow_id: run.workflow_id,
        signal_type: 'data',
        payload: { signal: 'window-open', approved_by: 'change-board' },
      })
      const done = await host.waitFor(run.workflow_id)
      expect(done.status).toBe('completed')
      expect(changes.bodies('POST /api/changes/CHG-2042/apply')).toEqual([
        { action: 'rotate-db-credentials', approved_by: 'change-board' },
      ])
    } finally {
      changes.close()
    }
  })

  test('change-window: the board cancels while it waits; nothing is applied', async () => {
    const changes = fakeService({ 'POST /api/changes': () => reply(201) })
    try {
      await host.defineExample('change-window')
      const run = await host.run('change-window', { changes_url: `${changes.url}/api/changes` })
      const c = await host.signal({
        workflow_id: run.workflow_id,
        signal_type: 'cancel',
        payload: { reason: 'window withdrawn' },
      })
      expect(c.status).toBe('cancelled')
      const st = await host.status(run.workflow_id)
      expect(st.steps.apply?.status).toBe('skipped')
      expect(changes.hits('/api/changes/CHG-2042/apply')).toHaveLength(0)
    } finally {
      changes.close()
    }
  })
})
