import { afterEach, describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { renderMigrations } from '../../scripts/embed-migrations.ts'
import { tempDir } from '../../test/support/tmp.ts'
import type { CommitBatch, StoredEvent } from '../engine/ports.ts'
import { listWorkflows, queryEvents, stepStates } from './queries.ts'
import {
  defineTemplate,
  ensureAgent,
  getTemplateRecord,
  listAgents,
  listTemplates,
} from './records.ts'
import { openStore, type SqliteStore } from './sqlite.ts'

let tmp: ReturnType<typeof tempDir>
const stores: SqliteStore[] = []
afterEach(() => {
  for (const s of stores.splice(0)) s.close()
  tmp?.cleanup()
})

function open(name = 'test.db'): SqliteStore {
  tmp ??= tempDir()
  const s = openStore(tmp.path(name))
  stores.push(s)
  return s
}

function batch(partial: Partial<CommitBatch>): CommitBatch {
  return {
    newWorkflows: [],
    events: [],
    workflows: [],
    steps: [],
    decisions: [],
    contexts: [],
    signals: [],
    ...partial,
  }
}

function events(wf: string, from: number, n: number): StoredEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    workflow_id: wf,
    sequence: from + i,
    step_id: `s${i % 7}`,
    event_type: i % 2 ? 'step_completed' : 'step_started',
    payload: i % 2 ? { output: { i, text: 'é ✓ "quoted"' } } : undefined,
    timestamp: 1_700_000_000_000 + i,
    v: 1,
  }))
}

describe('SQLite store', () => {
  test('embedded migrations match the SQL in drizzle/', () => {
    const root = join(import.meta.dir, '..', '..')
    expect(readFileSync(join(root, 'src', 'store', 'migrations.gen.ts'), 'utf8')).toBe(
      renderMigrations(root),
    )
  })

  test('opens in WAL mode with NORMAL sync, FULL on request', () => {
    const s = open()
    expect((s.db.query('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode).toBe(
      'wal',
    )
    expect((s.db.query('PRAGMA synchronous').get() as { synchronous: number }).synchronous).toBe(1)
    const full = openStore(tmp.path('full.db'), { synchronous: 'full' })
    stores.push(full)
    expect((full.db.query('PRAGMA synchronous').get() as { synchronous: number }).synchronous).toBe(
      2,
    )
  })

  test('appends batches of several workflows in one transaction with gap-free sequences, and replays after reopening', async () => {
    tmp = tempDir()
    const path = tmp.path('replay.db')
    const s = openStore(path)
    const now = Date.now()
    const wf = (id: string) => ({
      id,
      definition: { steps: [{ id: 'a', action: 'x' }] },
      status: 'pending',
      agent_id: 'agent',
      depth: 0,
      input_params: { q: 1 },
      created_at: now,
      updated_at: now,
    })
    s.commit(
      batch({
        newWorkflows: [wf('w1'), wf('w2')],
        events: [...events('w1', 1, 40), ...events('w2', 1, 3)],
      }),
    )
    s.commit(
      batch({
        events: events('w1', 41, 60),
        workflows: [{ id: 'w1', status: 'active', updated_at: now, started_at: now }],
      }),
    )
    s.close()
    const again = openStore(path)
    stores.push(again)
    const log = await again.listEvents('w1')
    expect(log.map((e) => e.sequence)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1))
    expect(log[1]?.payload).toEqual({ output: { i: 1, text: 'é ✓ "quoted"' } })
    expect(log[0]?.payload).toBeUndefined()
    expect(typeof log[0]?.id).toBe('number')
    expect((await again.listEvents('w1', 95)).map((e) => e.sequence)).toEqual([96, 97, 98, 99, 100])
    expect((await again.getWorkflow('w1'))?.status).toBe('active')
    expect((await again.getWorkflow('w1'))?.input_params).toEqual({ q: 1 })
  })

  test('a failing batch writes nothing (duplicate sequence rejected atomically)', async () => {
    const s = open()
    const now = Date.now()
    s.commit(
      batch({
        newWorkflows: [
          {
            id: 'w',
            definition: {},
            status: 'active',
            agent_id: 'a',
            depth: 0,
            input_params: {},
            created_at: now,
            updated_at: now,
          },
        ],
        events: events('w', 1, 2),
      }),
    )
    expect(() =>
      s.commit(batch({ events: [...events('w', 3, 2), ...events('w', 2, 1)] })),
    ).toThrow()
    expect((await s.listEvents('w')).length).toBe(2)
    s.commit(batch({ events: events('w', 3, 1) }))
    expect((await s.listEvents('w')).map((e) => e.sequence)).toEqual([1, 2, 3])
  })

  test('step_state is a projection written with the events and read back in wire form', () => {
    const s = open()
    const now = Date.now()
    s.commit(
      batch({
        newWorkflows: [
          {
            id: 'w',
            definition: {},
            status: 'active',
            agent_id: 'a',
            depth: 0,
            input_params: {},
            created_at: now,
            updated_at: now,
          },
        ],
        steps: [
          {
            workflow_id: 'w',
            step_id: 'a',
            status: 'completed',
            output: { x: 1 },
            retry_count: 2,
            started_at: now,
            completed_at: now + 5,
            duration_ms: 5,
          },
        ],
      }),
    )
    s.commit(
      batch({
        steps: [
          {
            workflow_id: 'w',
            step_id: 'a',
            status: 'completed',
            output_json: '{"x":2}',
            output: { x: 2 },
            retry_count: 2,
          },
        ],
      }),
    )
    const st = stepStates(s, 'w')
    expect(st.a?.output).toEqual({ x: 2 })
    expect(st.a?.retry_count).toBe(2)
  })

  test('concurrent defines of one template get distinct versions and never overwrite', async () => {
    const s = open()
    const results = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        Promise.resolve().then(() =>
          defineTemplate(s, {
            name: 'greet',
            agent_id: 'a',
            definition: { steps: [{ id: `s${i}`, action: 'x' }] },
          }),
        ),
      ),
    )
    const versions = results
      .map((r) => r.version)
      .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)))
    expect(versions).toEqual(Array.from({ length: 25 }, (_, i) => `v${i + 1}`))
    expect(getTemplateRecord(s, 'greet').version).toBe('v25')
    expect(listTemplates(s, { name: 'greet', limit: 3 }).map((t) => t.version)).toEqual([
      'v25',
      'v24',
      'v23',
    ])
    expect(getTemplateRecord(s, 'greet', 'v10').definition).toEqual({
      steps: [{ id: 's9', action: 'x' }],
    })
    expect(() => getTemplateRecord(s, 'greet', 'v99')).toThrow(/template "greet:v99" not found/)
  })

  test('concurrent defines from two processes never share a version', async () => {
    tmp = tempDir()
    const path = tmp.path('multi.db')
    openStore(path).close()
    const script = `
      import { openStore } from '${join(import.meta.dir, 'sqlite.ts')}'
      import { defineTemplate } from '${join(import.meta.dir, 'records.ts')}'
      const out = []
      for (let i = 0; i < 30; i++) {
        for (;;) {
          try {
            const s = openStore(process.argv[2], { lock: false })
            out.push(defineTemplate(s, { name: 't', agent_id: 'a', definition: {} }).version)
            s.close()
            break
          } catch (e) { await Bun.sleep(1) }
        }
      }
      console.log(JSON.stringify(out))
    `
    const file = tmp.path('definer.ts')
    await Bun.write(file, script)
    const procs = [1, 2].map(() =>
      Bun.spawn(['bun', file, path], { stdout: 'pipe', stderr: 'inherit' }),
    )
    const outs = await Promise.all(
      procs.map(async (p) => JSON.parse(await new Response(p.stdout).text()) as string[]),
    )
    const all = [...(outs[0] ?? []), ...(outs[1] ?? [])]
    expect(new Set(all).size).toBe(60)
  })

  test('agents are registered on first contact and marked seen afterwards', () => {
    const s = open()
    ensureAgent(s, 'bot', 'llm', 1000)
    ensureAgent(s, 'bot', 'llm', 2000)
    ensureAgent(s, 'ops', 'human', 1500)
    const agents = listAgents(s)
    expect(agents.map((a) => a.id)).toEqual(['bot', 'ops'])
    expect(agents[0]?.last_seen_at).toBe(new Date(2000).toISOString())
    expect(agents[1]?.type).toBe('human')
  })

  test('queries filter workflows and events uniformly', () => {
    const s = open()
    const mk = (id: string, status: string, agent: string, at: number) => ({
      id,
      definition: {},
      status,
      agent_id: agent,
      depth: 0,
      input_params: {},
      created_at: at,
      updated_at: at,
    })
    s.commit(
      batch({
        newWorkflows: [
          mk('a', 'completed', 'x', 1000),
          mk('b', 'failed', 'x', 2000),
          mk('c', 'completed', 'y', 3000),
        ],
        events: [...events('a', 1, 3), ...events('c', 1, 2)],
      }),
    )
    expect(listWorkflows(s, { status: 'completed' }).map((w) => w.id)).toEqual(['c', 'a'])
    expect(listWorkflows(s, { agent_id: 'x', limit: 1 }).map((w) => w.id)).toEqual(['b'])
    expect(listWorkflows(s, { agent_id: 'x', limit: 1, offset: 1 }).map((w) => w.id)).toEqual(['a'])
    expect(listWorkflows(s, { since: new Date(1500).toISOString() }).map((w) => w.id)).toEqual([
      'c',
      'b',
    ])
    expect(queryEvents(s, { workflow_id: 'a' }).map((e) => e.sequence)).toEqual([1, 2, 3])
    expect(queryEvents(s, { event_type: 'step_completed' }).map((e) => e.workflow_id)).toEqual([
      'c',
      'a',
    ])
    expect(queryEvents(s, { workflow_id: 'a', step_id: 's1' }).map((e) => e.sequence)).toEqual([2])
  })
})

describe('single writer per database file (D13)', () => {
  test('a second writer is refused with a clear error and the first one is untouched', async () => {
    tmp = tempDir()
    const path = tmp.path('locked.db')
    const first = openStore(path, { owner: { mode: 'server', address: '127.0.0.1:4199' } })
    stores.push(first)
    expect(() => openStore(path)).toThrow(
      'database in use by the server at 127.0.0.1:4199; drop --db-path to talk to it',
    )
    const script = `
      import { openStore } from '${join(import.meta.dir, 'sqlite.ts')}'
      try { openStore(process.argv[2]); console.log('opened') } catch (e) { console.log(e.code + ' ' + e.message) }
    `
    const file = tmp.path('second.ts')
    await Bun.write(file, script)
    const p = Bun.spawn(['bun', file, path], { stdout: 'pipe' })
    const out = (await new Response(p.stdout).text()).trim()
    expect(out).toBe(
      'CONFLICT database in use by the server at 127.0.0.1:4199; drop --db-path to talk to it',
    )
    const ro = openStore(path, { readonly: true })
    stores.push(ro)
    expect((ro.db.query('SELECT COUNT(*) AS n FROM workflows').get() as { n: number }).n).toBe(0)
  })

  test('the lock goes away with its process, even after kill -9', async () => {
    tmp = tempDir()
    const path = tmp.path('crash.db')
    const script = `
      import { openStore } from '${join(import.meta.dir, 'sqlite.ts')}'
      openStore(process.argv[2], { owner: { mode: 'local' } })
      console.log('locked')
      await Bun.sleep(60000)
    `
    const file = tmp.path('holder.ts')
    await Bun.write(file, script)
    const p = Bun.spawn(['bun', file, path], { stdout: 'pipe' })
    const reader = p.stdout.getReader()
    await reader.read()
    expect(() => openStore(path)).toThrow(/in use/)
    p.kill(9)
    await p.exited
    const s = openStore(path)
    stores.push(s)
    expect(s.readonly).toBe(false)
  })
})
