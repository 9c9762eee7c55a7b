/**
 * kill -9 of a server child process mid-run, then a restart on the same database file: every
 * template defined and every workflow started before is still there, and every workflow finishes
 * (D6 recovery), with each completed step run once.
 */
import { afterAll, expect, test } from 'bun:test'
import { serve } from '../support/cli.ts'
import { tempDir } from '../support/tmp.ts'

const tmp = tempDir('opcode-restart-')
afterAll(() => tmp.cleanup())

const slow = {
  steps: [
    { id: 'first', action: 'crypto.uuid' },
    { id: 'pause1', type: 'wait', config: { duration: '300ms' }, depends_on: ['first'] },
    { id: 'pause2', type: 'wait', config: { duration: '300ms' }, depends_on: ['pause1'] },
    { id: 'last', action: 'assert.truthy', params: { value: true }, depends_on: ['pause2'] },
  ],
}

test('workflows started before a kill -9 finish after the restart', async () => {
  const db = tmp.path('restart.db')
  const first = await serve(tmp.dir, ['--db-path', db])
  const api = (url: string, path: string, body?: unknown) =>
    fetch(`${url}/api/v1${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'Content-Type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }).then((r) => r.json() as Promise<Record<string, unknown>>)
  expect(
    (await api(first.url, '/templates', { name: 'slow', agent_id: 'k', definition: slow })).version,
  ).toBe('v1')
  const ids: string[] = []
  for (let i = 0; i < 10; i++) {
    const r = await api(first.url, '/workflows', {
      template_name: 'slow',
      agent_id: 'k',
      wait: false,
    })
    ids.push(r.workflow_id as string)
  }
  await Bun.sleep(350)
  first.proc.kill(9)
  await first.proc.exited
  const second = await serve(tmp.dir, ['--db-path', db])
  try {
    const tpl = await api(second.url, '/templates/slow')
    expect(tpl.version).toBe('v1')
    const deadline = Date.now() + 20_000
    let statuses: string[] = []
    while (Date.now() < deadline) {
      statuses = await Promise.all(
        ids.map(async (id) => (await api(second.url, `/workflows/${id}/status`)).status as string),
      )
      if (statuses.every((s) => s === 'completed')) break
      await Bun.sleep(100)
    }
    expect(statuses).toEqual(ids.map(() => 'completed'))
    const interrupted = await api(second.url, '/events?event_type=workflow_interrupted&limit=0')
    expect((interrupted.events as unknown[]).length).toBeGreaterThan(0)
    for (const id of ids) {
      const detail = await api(second.url, `/workflows/${id}?events=0`)
      const events = detail.events as Array<{ event_type: string; step_id?: string }>
      const completedFirst = events.filter(
        (e) => e.event_type === 'step_completed' && e.step_id === 'first',
      )
      expect(completedFirst.length).toBe(1)
    }
  } finally {
    second.proc.kill('SIGTERM')
    await second.proc.exited
  }
}, 60_000)
