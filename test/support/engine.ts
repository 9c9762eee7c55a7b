/**
 * Builds an engine for tests: memory or SQLite store, fake or real clock, the real expression
 * engines and action registry, plus a few test actions whose side effects are counted.
 */
import { Type } from '@sinclair/typebox'
import { createActionRegistry } from '../../src/actions/registry.ts'
import type { EngineOptions } from '../../src/engine/core.ts'
import { Engine } from '../../src/engine/engine.ts'
import type { Action, Clock, Expressions, Logger, RunStore } from '../../src/engine/ports.ts'
import { AppError, isErrorCode } from '../../src/errors.ts'
import { evalCel } from '../../src/expressions/cel.ts'
import { interpolate } from '../../src/expressions/interpolate.ts'
import { MemoryRunStore } from '../../src/store/memory.ts'
import { systemClock, systemIds } from '../../src/system/clock.ts'

export const expressions: Expressions = { cel: (e, s) => evalCel(e, s), interpolate }

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} }

/** Side-effect counters of the test actions, by key. */
export class Effects {
  readonly counts = new Map<string, number>()
  bump(key: string): number {
    const n = (this.counts.get(key) ?? 0) + 1
    this.counts.set(key, n)
    return n
  }
  get(key: string): number {
    return this.counts.get(key) ?? 0
  }
}

const Any = Type.Record(Type.String(), Type.Unknown())

export function testActions(effects: Effects, clock: Clock = systemClock): Action[] {
  return [
    {
      name: 'test.echo',
      description: 'returns its params',
      params: Any,
      pure: true,
      execute: (p) => p,
    },
    {
      name: 'test.noop',
      description: 'does nothing',
      params: Any,
      pure: true,
      execute: () => ({}),
    },
    {
      name: 'test.count',
      description: 'counts a side effect under params.key and returns the count',
      params: Any,
      pure: false,
      execute: (p) => ({ count: effects.bump(String(p.key ?? 'default')) }),
    },
    {
      name: 'test.fail',
      description: 'fails with params.code (default EXECUTION_ERROR)',
      params: Any,
      pure: true,
      execute: (p) => {
        effects.bump(String(p.key ?? 'fail'))
        const code = isErrorCode(p.code) ? p.code : 'EXECUTION_ERROR'
        throw new AppError(code, String(p.message ?? 'boom'))
      },
    },
    {
      name: 'test.flaky',
      description: 'fails until the attempt number reaches params.succeed_on',
      params: Any,
      pure: false,
      execute: (p, ctx) => {
        const n = effects.bump(String(p.key ?? 'flaky'))
        if (n < Number(p.succeed_on ?? 2))
          throw new AppError('EXECUTION_ERROR', `flaky failure ${n}`)
        return { attempt: ctx.attempt, calls: n }
      },
    },
    {
      name: 'test.sleep',
      description: 'waits params.ms on the clock, honouring the abort signal',
      params: Any,
      pure: false,
      execute: (p, ctx) =>
        new Promise((resolve, reject) => {
          effects.bump(String(p.key ?? 'sleep'))
          const h = clock.setTimer(Number(p.ms ?? 10), () => resolve({ slept: Number(p.ms ?? 10) }))
          ctx.signal.addEventListener('abort', () => {
            h.cancel()
            reject(ctx.signal.reason)
          })
        }),
    },
    {
      name: 'test.strict',
      description: 'needs an integer n',
      params: Type.Object({ n: Type.Integer({ description: 'a number' }) }),
      pure: true,
      execute: (p) => ({ n: p.n }),
    },
    {
      name: 'test.hang',
      description: 'never settles and ignores aborts',
      params: Any,
      pure: false,
      execute: () => new Promise(() => {}),
    },
    {
      name: 'test.bigint',
      description: 'returns a value JSON cannot hold',
      params: Any,
      pure: true,
      execute: () => ({ n: 10n }),
    },
    {
      name: 'test.cycle',
      description: 'returns a cyclic object',
      params: Any,
      pure: true,
      execute: () => {
        const o: Record<string, unknown> = {}
        o.self = o
        return o
      },
    },
    {
      name: 'test.throw',
      description: 'throws a plain Error',
      params: Any,
      pure: true,
      execute: () => {
        throw new TypeError('plain failure')
      },
    },
  ]
}

export interface TestEngine {
  engine: Engine
  store: RunStore
  effects: Effects
}

export function makeEngine(
  opts: {
    store?: RunStore
    clock?: Clock
    actions?: Action[]
    options?: Partial<EngineOptions>
  } = {},
): TestEngine {
  const effects = new Effects()
  const clock = opts.clock ?? systemClock
  const registry = createActionRegistry([...testActions(effects, clock), ...(opts.actions ?? [])])
  const store = opts.store ?? new MemoryRunStore()
  const engine = new Engine({
    store,
    actions: registry,
    expressions,
    clock,
    ids: systemIds,
    logger: silentLogger,
    options: opts.options,
  })
  return { engine, store, effects }
}
