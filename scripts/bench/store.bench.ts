/**
 * Store suite (issue 2, decisions.md D3): appends (single, batched 10/100 per transaction, N
 * concurrent writers through the engine's group-commit journal), replay of 10/100/1,000 events,
 * and the worker pool's dispatch cost. SQLite file in WAL mode, synchronous=NORMAL.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Journal } from '../../src/engine/journal.ts'
import { Pool } from '../../src/engine/pool.ts'
import type { CommitBatch, StoredEvent } from '../../src/engine/ports.ts'
import { newRunState } from '../../src/engine/reduce.ts'
import { openStore, type SqliteStore } from '../../src/store/sqlite.ts'
import { systemClock } from '../../src/system/clock.ts'
import type { BenchCase, BenchSuite } from './lib.ts'

function fresh(): { store: SqliteStore; close: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'opcode-bench-store-'))
  const store = openStore(join(dir, 'store.db'))
  return {
    store,
    close: () => {
      store.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

const empty = (): CommitBatch => ({
  newWorkflows: [],
  events: [],
  workflows: [],
  steps: [],
  decisions: [],
  contexts: [],
  signals: [],
})

function workflow(store: SqliteStore, id: string): void {
  const now = Date.now()
  store.commit({
    ...empty(),
    newWorkflows: [
      {
        id,
        definition: { steps: [] },
        status: 'active',
        agent_id: 'bench',
        depth: 0,
        input_params: {},
        created_at: now,
        updated_at: now,
      },
    ],
  })
}

function event(wf: string, seq: number): StoredEvent {
  return {
    workflow_id: wf,
    sequence: seq,
    step_id: `s${seq % 10}`,
    event_type: seq % 2 ? 'step_completed' : 'step_started',
    payload: seq % 2 ? { output: { ok: true, n: seq } } : undefined,
    agent_id: 'bench',
    timestamp: Date.now(),
    v: 1,
  }
}

function appendCase(perTx: number, ref: number | null): BenchCase {
  const { store, close } = fresh()
  const wf = Bun.randomUUIDv7()
  workflow(store, wf)
  let seq = 0
  return {
    scenario:
      perTx === 1
        ? 'append (1 event per transaction)'
        : `batched append (${perTx} per transaction)`,
    reference_ns: ref,
    opsPerRun: perTx,
    run: () => {
      const events: StoredEvent[] = new Array(perTx)
      for (let i = 0; i < perTx; i++) events[i] = event(wf, ++seq)
      store.commit({ ...empty(), events })
    },
    teardown: close,
    note: 'ops/s = events/s',
  }
}

function writersCase(writers: number, ref: number | null): BenchCase {
  const { store, close } = fresh()
  const journal = new Journal(store, systemClock, undefined, { delayMs: 2, maxEvents: 4096 })
  const runs = Array.from({ length: writers }, () => {
    const state = newRunState(Bun.randomUUIDv7())
    workflow(store, state.id)
    return state
  })
  return {
    scenario: `append, ${writers} concurrent writers (group commit)`,
    reference_ns: ref,
    opsPerRun: writers,
    run: async () => {
      await Promise.all(
        runs.map((state) => {
          state.seq++
          journal.append(state, event(state.id, state.seq))
          return journal.flush()
        }),
      )
    },
    teardown: close,
    note: 'one op = every writer appends one event and waits for durability; ops/s = events/s',
  }
}

function replayCase(n: number, ref: number): BenchCase {
  const { store, close } = fresh()
  const wf = Bun.randomUUIDv7()
  workflow(store, wf)
  const events = Array.from({ length: n }, (_, i) => event(wf, i + 1))
  store.commit({ ...empty(), events })
  return {
    scenario: `replay ${n.toLocaleString('en-US')} events`,
    reference_ns: ref,
    run: () => {
      if (store.events(wf).length !== n) throw new Error('replay lost events')
    },
    teardown: close,
  }
}

function poolCase(): BenchCase {
  const pool = new Pool(100)
  const tasks = 1000
  return {
    scenario: 'worker pool dispatch (1,000 tasks, 100 slots)',
    reference_ns: 850 * tasks,
    opsPerRun: tasks,
    run: async () => {
      const all: Promise<void>[] = []
      for (let i = 0; i < tasks; i++) {
        all.push(
          pool.acquire().then(() => {
            pool.release()
          }),
        )
      }
      await Promise.all(all)
    },
    note: 'reference ~0.85 µs per task',
  }
}

export const suite: BenchSuite = {
  name: 'store',
  cases: () => [
    appendCase(1, 61.7e3),
    appendCase(10, null),
    appendCase(100, null),
    writersCase(10, null),
    writersCase(50, null),
    writersCase(100, 73e3 * 100),
    replayCase(10, 76.1e3),
    replayCase(100, 628.8e3),
    replayCase(1000, 6.4e6),
    poolCase(),
  ],
}
