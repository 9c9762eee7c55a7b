import { afterEach, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { openRuntime, type Runtime } from '../../src/runtime.ts'
import type { ExecutionResult } from '../../src/schema/run.ts'
import type { WorkflowDefinition } from '../../src/schema/workflow.ts'
import { FakeClock } from '../support/fake-clock.ts'
import { tempDir } from '../support/tmp.ts'

let tmp: ReturnType<typeof tempDir>
const open: Runtime[] = []
afterEach(async () => {
  for (const r of open.splice(0)) await r.close()
  tmp?.cleanup()
})

function runtime(db: string, clock?: FakeClock): Runtime {
  const r = openRuntime({ dbPath: db, mode: 'server', ...(clock === undefined ? {} : { clock }) })
  open.push(r)
  return r
}

async function close(r: Runtime): Promise<void> {
  open.splice(open.indexOf(r), 1)
  await r.close()
}

/** Runs a definition in a child process, returns its first settled result, then kill -9s it. */
async function runInChildAndKill(
  db: string,
  definition: WorkflowDefinition,
  params: object = {},
): Promise<ExecutionResult> {
  const file = tmp.path(`def-${Math.random().toString(36).slice(2)}.json`)
  await Bun.write(file, JSON.stringify(definition))
  const proc = Bun.spawn(
    [
      'bun',
      join(import.meta.dir, '..', 'fixtures', 'run-child.ts'),
      db,
      file,
      JSON.stringify(params),
    ],
    {
      stdout: 'pipe',
      stderr: 'pipe',
    },
  )
  const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader()
  let text = ''
  while (!text.includes('\n')) {
    const { value, done } = await reader.read()
    if (done)
      throw new Error(`child exited: ${await new Response(proc.stderr as ReadableStream).text()}`)
    text += new TextDecoder().decode(value)
  }
  proc.kill(9)
  await proc.exited
  return JSON.parse(text.split('\n')[0] as string) as ExecutionResult
}

describe('suspensions survive a kill -9', () => {
  test('a reasoning step inside a for_each body is resolved after a restart, with earlier outputs intact', async () => {
    tmp = tempDir()
    const db = tmp.path('r.db')
    const first = await runInChildAndKill(
      db,
      {
        steps: [
          { id: 'seed', action: 'crypto.hash', params: { data: 'abc' } },
          {
            id: 'each',
            type: 'loop',
            depends_on: ['seed'],
            config: {
              over: 'inputs.items',
              max_iter: 10,
              body: [
                { id: 'h', action: 'crypto.hash', params: { data: '${{loop.item}}' } },
                {
                  id: 'ask',
                  type: 'reasoning',
                  config: { options: [{ id: 'keep' }, { id: 'drop' }] },
                },
              ],
            },
          },
          {
            id: 'end',
            action: 'expr.eval',
            depends_on: ['each'],
            params: { expression: 'len(steps.each.results)', data: null },
          },
        ],
      },
      { items: ['x', 'y'] },
    )
    expect(first.status).toBe('suspended')
    const r = runtime(db)
    await r.engine.recover()
    const s1 = await r.engine.signal(first.workflow_id, {
      type: 'decision',
      step_id: 'each.iter_0.ask',
      payload: { choice: 'keep' },
    })
    const mid = await s1.settled
    expect(mid?.status).toBe('suspended')
    expect(mid?.steps?.seed?.output).toEqual({
      hash: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
      algorithm: 'sha256',
    })
    const s2 = await r.engine.signal(first.workflow_id, {
      type: 'decision',
      step_id: 'each.iter_1.ask',
      payload: { choice: 'drop' },
    })
    const done = await s2.settled
    expect(done?.status).toBe('completed')
    expect(done?.output).toEqual({ end: { result: 2 } })
    expect(done?.steps?.['each.iter_1.ask']?.output).toEqual({ choice: 'drop', resolved_by: null })
  })

  test('a wait for a signal survives a restart and completes on the signal', async () => {
    tmp = tempDir()
    const db = tmp.path('w.db')
    const first = await runInChildAndKill(db, {
      steps: [
        { id: 'w', type: 'wait', config: { signal: 'go' } },
        {
          id: 'n',
          action: 'expr.eval',
          depends_on: ['w'],
          params: { expression: "steps.w.payload.who + ' said go'" },
        },
      ],
    })
    expect(first.status).toBe('suspended')
    const r = runtime(db)
    await r.engine.recover()
    const sig = await r.engine.signal(first.workflow_id, {
      type: 'data',
      payload: { signal: 'go', who: 'ops' },
    })
    expect((await sig.settled)?.output).toEqual({ n: { result: 'ops said go' } })
  })

  test('an active run cut short by kill -9 is interrupted and resumed at start-up (D6)', async () => {
    tmp = tempDir()
    const db = tmp.path('a.db')
    // A 600 ms wait stays active (under the 1 s suspend threshold): the child dies mid-wait.
    const file = tmp.path('active.json')
    await Bun.write(
      file,
      JSON.stringify({
        steps: [
          { id: 'a', action: 'crypto.uuid' },
          { id: 'w', type: 'wait', depends_on: ['a'], config: { duration: '600ms' } },
          {
            id: 'b',
            action: 'crypto.hash',
            depends_on: ['w'],
            params: { data: '${{steps.a.output.uuid}}' },
          },
        ],
      }),
    )
    const proc = Bun.spawn(
      ['bun', join(import.meta.dir, '..', 'fixtures', 'run-child.ts'), db, file],
      { stdout: 'pipe' },
    )
    await Bun.sleep(400)
    proc.kill(9)
    await proc.exited
    const r = runtime(db)
    const ids = await r.store.listWorkflowIds('active')
    expect(ids).toHaveLength(1)
    const id = ids[0] as string
    const before = (await r.engine.snapshot(id)).steps?.a?.output
    const { interrupted, resumed } = await r.engine.recover()
    expect({ interrupted, resumed }).toEqual({ interrupted: 1, resumed: 1 })
    const done = await r.engine.untilQuiescent(id)
    expect(done.status).toBe('completed')
    // the completed step kept its output: it did not run again
    expect(done.steps?.a?.output).toEqual(before)
    const types = r.store.events(id).map((e) => e.event_type)
    expect(types).toContain('workflow_interrupted')
    expect(types).toContain('workflow_resumed')
    expect(types.filter((t) => t === 'step_completed')).toHaveLength(3)
  })
})

describe('durable timers (D5)', () => {
  test('a 1-hour wait resumes after a restart at its original time, not an hour after the restart', async () => {
    tmp = tempDir()
    const db = tmp.path('t.db')
    const clock = new FakeClock()
    const r1 = runtime(db, clock)
    const res = await r1.engine.run({
      agentId: 'a',
      definition: {
        steps: [
          { id: 'w', type: 'wait', config: { duration: '1h' } },
          { id: 'x', action: 'crypto.uuid', depends_on: ['w'] },
        ],
      },
    })
    expect(res.status).toBe('suspended')
    expect(res.wake_at).toBe(new Date(clock.now() + 3_600_000).toISOString())
    await clock.advance(30 * 60_000)
    await close(r1)
    await clock.advance(15 * 60_000)
    const r2 = runtime(db, clock)
    await r2.engine.recover()
    await clock.advance(14 * 60_000)
    expect((await r2.engine.snapshot(res.workflow_id)).status).toBe('suspended')
    await clock.advance(60_000)
    const done = await r2.engine.untilQuiescent(res.workflow_id)
    expect(done.status).toBe('completed')
    expect(done.steps?.w?.output).toEqual({ waited: 3_600_000 })
  })

  test('a decision deadline fires after a restart', async () => {
    tmp = tempDir()
    const db = tmp.path('d.db')
    const clock = new FakeClock()
    const r1 = runtime(db, clock)
    const res = await r1.engine.run({
      agentId: 'a',
      definition: {
        steps: [{ id: 'q', type: 'reasoning', config: { timeout: '10m', fallback: 'auto' } }],
      },
    })
    await close(r1)
    await clock.advance(20 * 60_000)
    const r2 = runtime(db, clock)
    await r2.engine.recover()
    await clock.advance(0)
    const done = await r2.engine.untilQuiescent(res.workflow_id)
    expect(done.status).toBe('completed')
    expect(done.steps?.q?.output).toEqual({
      choice: 'auto',
      reasoning: 'timeout_auto_resolved',
      resolved_by: 'system',
    })
  })
})
