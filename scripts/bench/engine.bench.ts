/**
 * Engine suite (decisions.md D3): the Go reference's scenarios with no-op steps (a bench-only pure
 * action `noop`), each in-memory (MemoryRunStore) and durable (SQLite file, WAL + NORMAL, group
 * commit). Latency = one workflow alone, start to result; throughput = N workflows started together.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Type } from '@sinclair/typebox'
import { createActionRegistry } from '../../src/actions/registry.ts'
import { Engine } from '../../src/engine/engine.ts'
import type { Action, RunStore } from '../../src/engine/ports.ts'
import { evalCel } from '../../src/expressions/cel.ts'
import { interpolate } from '../../src/expressions/interpolate.ts'
import type { WorkflowDefinition } from '../../src/schema/workflow.ts'
import { MemoryRunStore } from '../../src/store/memory.ts'
import { openStore } from '../../src/store/sqlite.ts'
import { systemClock, systemIds } from '../../src/system/clock.ts'
import type { BenchCase, BenchSuite } from './lib.ts'

const noop: Action = {
  name: 'noop',
  description: 'bench-only no-op',
  params: Type.Object({}),
  pure: true,
  execute: () => undefined,
}

const quiet = { debug() {}, info() {}, warn() {}, error() {} }

function parallel(n: number): WorkflowDefinition {
  return { steps: Array.from({ length: n }, (_, i) => ({ id: `s${i}`, action: 'noop' })) }
}

function sequential(n: number): WorkflowDefinition {
  return {
    steps: Array.from({ length: n }, (_, i) => ({
      id: `s${i}`,
      action: 'noop',
      ...(i === 0 ? {} : { depends_on: [`s${i - 1}`] }),
    })),
  }
}

const diamond: WorkflowDefinition = {
  steps: [
    { id: 'a', action: 'noop' },
    { id: 'b', action: 'noop', depends_on: ['a'] },
    { id: 'c', action: 'noop', depends_on: ['a'] },
    { id: 'd', action: 'noop', depends_on: ['a'] },
    { id: 'e', action: 'noop', depends_on: ['b', 'c', 'd'] },
  ],
}

function engineFor(store: RunStore, poolSize: number): Engine {
  return new Engine({
    store,
    actions: createActionRegistry([noop]),
    expressions: { cel: (e, s) => evalCel(e, s), interpolate },
    clock: systemClock,
    ids: systemIds,
    logger: quiet,
    options: { poolSize },
  })
}

interface Mode {
  name: 'in-memory' | 'durable'
  make: () => { store: RunStore; close: () => void }
}

const modes: Mode[] = [
  { name: 'in-memory', make: () => ({ store: new MemoryRunStore(), close: () => {} }) },
  {
    name: 'durable',
    make: () => {
      const dir = mkdtempSync(join(tmpdir(), 'opcode-bench-'))
      const store = openStore(join(dir, 'bench.db'))
      return {
        store,
        close: () => {
          store.close()
          rmSync(dir, { recursive: true, force: true })
        },
      }
    },
  },
]

/** A case on a fresh store made at setup and dropped at teardown (memory is not carried over). */
function engineCase(
  mode: Mode,
  scenario: string,
  poolSize: number,
  ref: number | null,
  body: (engine: Engine) => Promise<void>,
  extra: Partial<BenchCase> = {},
): BenchCase {
  let opened: { engine: Engine; close: () => void } | undefined
  return {
    scenario,
    reference_ns: ref,
    setup: () => {
      const { store, close } = mode.make()
      opened = { engine: engineFor(store, poolSize), close }
    },
    run: () => body((opened as { engine: Engine }).engine),
    teardown: () => {
      opened?.close()
      opened = undefined
    },
    ...extra,
  }
}

function latencyCase(
  mode: Mode,
  label: string,
  definition: WorkflowDefinition,
  steps: number,
  ref: number | null,
): BenchCase {
  return engineCase(mode, `${mode.name} ${label}`, Math.min(steps, 100), ref, async (engine) => {
    const r = await engine.run({ agentId: 'bench', definition })
    if (r.status !== 'completed') throw new Error(`bench workflow ended ${r.status}`)
  })
}

function throughputCase(mode: Mode, n: number, ref: number | null): BenchCase {
  const definition = sequential(3)
  return engineCase(
    mode,
    `${mode.name} ${n} concurrent 3-step workflows`,
    100,
    ref,
    async (engine) => {
      const all = []
      for (let i = 0; i < n; i++) all.push(engine.run({ agentId: 'bench', definition }))
      for (const r of await Promise.all(all))
        if (r.status !== 'completed') throw new Error(r.status)
    },
    { opsPerRun: n, note: 'ops/s = workflows/s' },
  )
}

export const suite: BenchSuite = {
  name: 'engine',
  cases: () => {
    const cases: BenchCase[] = []
    for (const mode of modes) {
      for (const [n, ref] of [
        [10, 49.8e3],
        [50, 243.6e3],
        [100, 451.8e3],
        [200, 883.2e3],
        [500, 2.4e6],
      ] as const) {
        cases.push(latencyCase(mode, `parallel ${n}`, parallel(n), n, ref))
      }
      for (const [n, ref] of [
        [5, 23.0e3],
        [10, 42.1e3],
        [20, 82.9e3],
        [50, 192.3e3],
      ] as const) {
        cases.push(latencyCase(mode, `sequential ${n}`, sequential(n), n, ref))
      }
      cases.push(latencyCase(mode, 'diamond (5 steps)', diamond, 5, 24.5e3))
      for (const [n, ref] of [
        [10, 162.5e3],
        [50, 842.5e3],
        [100, 1.7e6],
      ] as const) {
        cases.push(throughputCase(mode, n, ref))
      }
    }
    return cases
  },
}
