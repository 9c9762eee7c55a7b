import { afterEach, describe, expect, test } from 'bun:test'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { openStore } from '../../src/store/sqlite.ts'
import { tempDir } from '../support/tmp.ts'

const runner = join(import.meta.dir, '..', 'fixtures', 'crash-runner.ts')
let tmp: ReturnType<typeof tempDir>
afterEach(() => tmp?.cleanup())

async function spawnRunner(
  args: string[],
): Promise<{ proc: ReturnType<typeof Bun.spawn>; ready: Promise<void> }> {
  const proc = Bun.spawn(['bun', runner, ...args], { stdout: 'pipe', stderr: 'pipe' })
  const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader()
  const ready = (async () => {
    let text = ''
    while (!text.includes('ready')) {
      const { value, done } = await reader.read()
      if (done)
        throw new Error(
          `runner exited early: ${await new Response(proc.stderr as ReadableStream).text()}`,
        )
      text += new TextDecoder().decode(value)
    }
    reader.releaseLock()
  })()
  return { proc, ready }
}

describe('kill -9 at random points', () => {
  test('every workflow finishes, no completed step runs twice, every re-run was interrupted', async () => {
    tmp = tempDir('opcode-crash-')
    const db = tmp.path('crash.db')
    const effects = tmp.path('effects.log')
    const rounds = 6
    for (let round = 0; round < rounds; round++) {
      const { proc, ready } = await spawnRunner(
        round === 0 ? [db, effects, '--start', '30'] : [db, effects],
      )
      await ready
      await Bun.sleep(20 + Math.floor(Math.random() * 120))
      proc.kill(9)
      await proc.exited
    }
    const { proc, ready } = await spawnRunner([db, effects, '--until-done'])
    await ready
    expect(await proc.exited).toBe(0)

    const store = openStore(db, { readonly: true })
    try {
      const rows = store.db.query('SELECT id, status, error FROM workflows').all() as Array<{
        id: string
        status: string
        error: string | null
      }>
      expect(rows.length).toBe(30)
      expect(rows.filter((r) => r.status !== 'completed')).toEqual([])
      const lines = existsSync(effects) ? readFileSync(effects, 'utf8').trim().split('\n') : []
      const runs = new Map<string, number>()
      for (const l of lines) {
        const [wf, step] = l.split(' ')
        const k = `${wf} ${step}`
        runs.set(k, (runs.get(k) ?? 0) + 1)
      }
      const evs = store.db
        .query(
          "SELECT workflow_id, step_id, event_type FROM events WHERE event_type IN ('step_completed', 'step_interrupted')",
        )
        .all() as Array<{ workflow_id: string; step_id: string; event_type: string }>
      const completed = new Map<string, number>()
      const interrupted = new Map<string, number>()
      for (const e of evs) {
        const k = `${e.workflow_id} ${e.step_id}`
        const m = e.event_type === 'step_completed' ? completed : interrupted
        m.set(k, (m.get(k) ?? 0) + 1)
      }
      let reruns = 0
      for (const [k, n] of runs) {
        // Each step completed exactly once in the log…
        expect(completed.get(k)).toBe(1)
        // …and ran more than once only when the log shows the interruption that cut it short.
        expect(n).toBeLessThanOrEqual(1 + (interrupted.get(k) ?? 0))
        reruns += n - 1
      }
      // 30 workflows × 7 effect steps (a, b, c, 3 loop bodies, d)
      expect(runs.size).toBe(30 * 7)
      const seqs = store.db
        .query(
          'SELECT workflow_id, COUNT(*) AS n, MAX(sequence) AS m FROM events GROUP BY workflow_id',
        )
        .all() as Array<{ n: number; m: number }>
      for (const s of seqs) expect(s.n).toBe(s.m)
      console.log(`crash test: ${lines.length} executions, ${reruns} re-runs after interruptions`)
    } finally {
      store.close()
    }
  }, 60_000)

  test('a step that kills the process fails with INTERRUPTED after 3 crashes instead of crash-looping (D21)', async () => {
    tmp = tempDir('opcode-crashloop-')
    const db = tmp.path('loop.db')
    const effects = tmp.path('effects.log')
    for (let round = 0; round < 3; round++) {
      const proc = Bun.spawn(['bun', runner, db, effects, ...(round === 0 ? ['--killer'] : [])], {
        stdout: 'ignore',
        stderr: 'ignore',
      })
      expect(await proc.exited).not.toBe(0)
    }
    const { proc, ready } = await spawnRunner([db, effects, '--until-done'])
    await ready
    expect(await proc.exited).toBe(0)
    const store = openStore(db, { readonly: true })
    try {
      const row = store.db.query('SELECT status, error FROM workflows').get() as {
        status: string
        error: string
      }
      expect(row.status).toBe('failed')
      expect(JSON.parse(row.error).message).toContain(
        '[INTERRUPTED] step boom was interrupted by 3 process crashes',
      )
      const lines = readFileSync(effects, 'utf8').trim().split('\n')
      expect(lines.filter((l) => l.includes(' boom '))).toHaveLength(3)
      expect(lines.filter((l) => l.includes(' before '))).toHaveLength(1)
    } finally {
      store.close()
    }
  }, 60_000)
})
