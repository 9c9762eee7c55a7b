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

const article = {
  title: 'Durable workflows',
  paragraphs: [
    'Agents repeat work. Each repetition costs tokens.',
    'A saved workflow runs without the model. It is deterministic.',
    'Events make it durable. A crash loses nothing.',
    'This paragraph is not part of the summary. It is the fourth.',
  ],
}

describe.concurrent('Agent ops examples', () => {
  test('content-summarizer: extracts, counts, and remembers the summary in the context', async () => {
    const cms = fakeService({ 'GET /api/articles/7': (_r, n) => (n === 1 ? reply(502) : article) })
    try {
      await host.defineExample('content-summarizer')
      const run = await host.run('content-summarizer', {
        article_url: `${cms.url}/api/articles/7`,
      })
      expect(run.status).toBe('completed')
      const summary = {
        title: 'Durable workflows',
        summary:
          'Agents repeat work. A saved workflow runs without the model. Events make it durable.',
        words: 37,
        reading_minutes: 1,
      }
      expect(run.steps.summary?.output).toEqual({ result: summary })
      expect(Object.keys(run.output ?? {})).toEqual(['remember'])
      const st = await host.status(run.workflow_id)
      expect(st.context).toMatchObject({
        original_intent: 'summarize articles for the weekly newsletter',
        accumulated_data: { last_summary: summary },
      })
      expect(st.steps.fetch?.retry_count).toBe(1)
    } finally {
      cms.close()
    }
  })

  test('multi-source-research: one source down, the rest merged, ranked, and briefed', async () => {
    const item = (url: string, score: number) => ({ url, score, title: url })
    const news = fakeService({
      'GET /search': (r) => ({ items: [item('n1', 0.4), item('shared', 0.9)], q: r.query.q }),
    })
    const papers = fakeService({
      'GET /search': () => ({ items: [item('p1', 0.7), item('shared', 0.9)] }),
    })
    const forum = fakeService({ 'GET /search': () => reply(503) })
    const notes = fakeService({ 'POST /v1/briefs': () => reply(201, { id: 'brief-1' }) })
    try {
      await host.defineExample('multi-source-research')
      const run = await host.run('multi-source-research', {
        news_url: `${news.url}/search`,
        papers_url: `${papers.url}/search`,
        forum_url: `${forum.url}/search`,
        briefs_url: `${notes.url}/v1/briefs`,
      })
      expect(run.status).toBe('suspended')
      expect(news.requests[0]?.query.q).toBe('vector databases')
      const findings = [item('shared', 0.9), item('p1', 0.7), item('n1', 0.4)]
      expect(run.pending_decisions?.[0]?.context.data_inject).toEqual({
        topic: 'vector databases',
        findings,
      })
      expect(run.steps['gather.branch_2.forum']?.status).toBe('completed') // ignored failure
      const s = await host.signal({
        workflow_id: run.workflow_id,
        signal_type: 'decision',
        step_id: 'angle',
        payload: { choice: 'comparison' },
        reasoning: 'three different approaches came back',
      })
      expect(s.status).toBe('completed')
      expect(notes.bodies('POST /v1/briefs')).toEqual([
        { topic: 'vector databases', angle: 'comparison', sources: findings },
      ])
    } finally {
      for (const s of [news, papers, forum, notes]) s.close()
    }
  })

  test('iterative-refinement: reasoning inside an until loop, feedback carried between rounds', async () => {
    const drafts: any[] = []
    const writer = fakeService({
      'POST /drafts': (r) => {
        drafts.push(r.body)
        return { id: `d${drafts.length}`, text: `draft ${drafts.length}` }
      },
      'POST /published': () => reply(201, { ok: true }),
    })
    try {
      await host.defineExample('iterative-refinement')
      const first = await host.run('iterative-refinement', { writer_url: writer.url })
      expect(first.status).toBe('suspended')
      expect(first.pending_decisions?.[0]?.step_id).toBe('refine.iter_0.review')
      expect(first.pending_decisions?.[0]?.context.data_inject).toEqual({
        draft: { id: 'd1', text: 'draft 1' },
        round: 0,
      })
      const revise = await host.signal({
        workflow_id: first.workflow_id,
        signal_type: 'decision',
        step_id: 'refine.iter_0.review',
        payload: { choice: 'revise' },
        reasoning: 'too long; lead with the benefit',
      })
      expect(revise.status).toBe('suspended')
      const accept = await host.signal({
        workflow_id: first.workflow_id,
        signal_type: 'decision',
        step_id: 'refine.iter_1.review',
        payload: { choice: 'accept' },
      })
      expect(accept.status).toBe('completed')
      expect(drafts.map((d) => d.round)).toEqual([0, 1])
      expect(drafts[0].feedback).toBeNull()
      expect(drafts[1].feedback).toMatchObject({
        choice: 'revise',
        reasoning: 'too long; lead with the benefit',
      })
      expect(writer.bodies('POST /published')).toEqual([{ draft_id: 'd2', rounds: 2 }])
    } finally {
      writer.close()
    }
  })

  test('agent-handoff: only the targeted agent may answer; the owner is notified', async () => {
    const support = fakeService({ 'POST /api/tickets/:id/resolution': () => ({ ok: true }) })
    try {
      await host.defineExample('agent-handoff')
      const run = await host.run('agent-handoff', { tickets_url: `${support.url}/api` })
      expect(run.status).toBe('suspended')
      const d = run.pending_decisions?.[0]
      expect(d?.target_agent_id).toBe('billing-agent')
      expect(d?.context).toMatchObject({
        workflow_intent: 'resolve a billing dispute raised in a support ticket',
        agent_notes: 'Two identical charges on the same day; the customer asks for a refund.',
        data_inject: { ticket: { id: 'T-1001', amount: 49 } },
      })
      const wrong = await host.signal({
        workflow_id: run.workflow_id,
        signal_type: 'decision',
        step_id: 'billing',
        agent_id: 'support-agent',
        payload: { choice: 'refund' },
      })
      expect(wrong.isError).toBe(true)
      expect(wrong.error?.code).toBe('PERMISSION_DENIED')
      const right = await host.signal({
        workflow_id: run.workflow_id,
        signal_type: 'decision',
        step_id: 'billing',
        agent_id: 'billing-agent',
        payload: { choice: 'refund' },
      })
      expect(right.status).toBe('completed')
      expect(support.bodies('POST /api/tickets/T-1001/resolution')).toEqual([
        { resolution: 'refund', decided_by: 'billing-agent' },
      ])
      expect(host.notifications).toContainEqual({
        message: 'ticket handed to billing-agent',
        workflow_id: run.workflow_id,
        step_id: 'tell-owner',
        data: { ticket: 'T-1001' },
      })
    } finally {
      support.close()
    }
  })

  test('scheduled-digest: groups items, posts the digest and notifies the owner', async () => {
    const items = [
      { category: 'releases', title: 'v2 shipped' },
      { category: 'incidents', title: 'db failover' },
      { category: 'releases', title: 'v2.1 shipped' },
    ]
    const feeds = fakeService({ 'GET /v1/items': (r) => ({ items, since: r.query.since_hours }) })
    const chat = fakeService({ 'POST /hooks/digest': () => ({ ok: true }) })
    try {
      await host.defineExample('scheduled-digest')
      const run = await host.run('scheduled-digest', {
        feed_url: `${feeds.url}/v1/items`,
        chat_url: `${chat.url}/hooks/digest`,
      })
      expect(run.status).toBe('completed')
      expect(feeds.requests[0]?.query.since_hours).toBe('24')
      expect(chat.bodies('POST /hooks/digest')).toEqual([
        { text: '*incidents* (1): db failover\n*releases* (2): v2 shipped; v2.1 shipped' },
      ])
      expect(run.output?.['tell-owner']).toEqual({ notified: true })
      const tpl = await host.call('opcode.query', {
        resource: 'templates',
        filter: { name: 'scheduled-digest', latest: true },
      })
      expect((tpl.templates as any[])[0].triggers.cron.expression).toBe('0 8 * * 1-5')
    } finally {
      feeds.close()
      chat.close()
    }
  })

  test('scheduled-digest: an empty feed posts nothing', async () => {
    const feeds = fakeService({ 'GET /v1/items': () => ({ items: [] }) })
    try {
      await host.defineExample('scheduled-digest')
      const run = await host.run('scheduled-digest', {
        feed_url: `${feeds.url}/v1/items`,
        chat_url: `${feeds.url}/hooks/digest`,
      })
      expect(run.status).toBe('completed')
      expect(run.steps.post?.status).toBe('skipped')
      expect(feeds.hits('/hooks/digest')).toHaveLength(0)
    } finally {
      feeds.close()
    }
  })
})
