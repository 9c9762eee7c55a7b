/**
 * Assembles a working opcode from its adapters: the SQLite store, the action registry (built-ins,
 * expressions, and whatever the caller adds), the expression engines, clock, ids, logger, and the
 * engine on top. Used by `serve`, by the local CLI commands and by integration tests.
 */

import { builtinActions, createActionRegistry } from './actions/index.ts'
import type { MutableActionRegistry } from './actions/registry.ts'
import type { EngineOptions, Redact } from './engine/core.ts'
import { Engine } from './engine/engine.ts'
import type {
  Action,
  Clock,
  EventPublisher,
  Ids,
  Logger,
  Notifier,
  SecretResolver,
} from './engine/ports.ts'
import { createExpressions } from './expressions/index.ts'
import { openStore, type SqliteStore } from './store/sqlite.ts'
import { systemClock, systemIds } from './system/clock.ts'

export interface RuntimeOptions {
  /** Database file, or `:memory:` for a private in-memory database. */
  dbPath: string
  /** `server` and `local` take the single-writer lock; `readonly` opens beside a running server. */
  mode: 'server' | 'local' | 'readonly'
  /** Recorded with the lock so a second opener is told where the server listens. */
  address?: string
  synchronous?: 'normal' | 'full'
  engine?: Partial<EngineOptions>
  /** Extra actions (plugins, shell, fs…), registered after the built-ins. */
  actions?: Action[]
  logger?: Logger
  clock?: Clock
  ids?: Ids
  publisher?: EventPublisher
  notifier?: Notifier
  secrets?: SecretResolver
  redact?: Redact
}

export interface Runtime {
  store: SqliteStore
  engine: Engine
  actions: MutableActionRegistry
  logger: Logger
  /** Flushes buffered events, stops timers and closes the database. */
  close(): Promise<void>
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} }

/** Built-in actions needing no server settings: HTTP, crypto, assertions, expr, jq, workflow.*. */
export function defaultActions(): Action[] {
  return builtinActions()
}

export function openRuntime(options: RuntimeOptions): Runtime {
  const store = openStore(options.dbPath, {
    readonly: options.mode === 'readonly',
    ...(options.synchronous === undefined ? {} : { synchronous: options.synchronous }),
    ...(options.mode === 'readonly'
      ? {}
      : {
          owner: {
            mode: options.mode,
            ...(options.address === undefined ? {} : { address: options.address }),
          },
        }),
  })
  const actions = createActionRegistry()
  for (const a of [...defaultActions(), ...(options.actions ?? [])]) {
    if (actions.get(a.name) === undefined) actions.register(a)
  }
  const logger = options.logger ?? silentLogger
  const engine = new Engine({
    store,
    actions,
    expressions: createExpressions(),
    clock: options.clock ?? systemClock,
    ids: options.ids ?? systemIds,
    logger,
    ...(options.publisher === undefined ? {} : { publisher: options.publisher }),
    ...(options.notifier === undefined ? {} : { notifier: options.notifier }),
    ...(options.secrets === undefined ? {} : { secrets: options.secrets }),
    ...(options.redact === undefined ? {} : { redact: options.redact }),
    ...(options.engine === undefined ? {} : { options: options.engine }),
  })
  let closed = false
  return {
    store,
    engine,
    actions,
    logger,
    async close() {
      if (closed) return
      closed = true
      try {
        await engine.close()
      } finally {
        store.close()
      }
    },
  }
}
