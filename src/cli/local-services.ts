/**
 * The operations layer over a database file opened by a local command (`--db-path`): the same
 * handlers the server runs, without HTTP. Writers take the single-writer lock, so a file held by a
 * running server is refused with a message naming its address (decisions.md D1).
 */
import { EventHub } from '../hub/index.ts'
import type { OpServices } from '../ops/index.ts'
import { attachScheduling, SessionDirectory } from '../ops/index.ts'
import { createScheduleStore } from '../store/schedules.ts'
import type { CommandIo } from './command.ts'
import { openLocal } from './local.ts'

export function localServices(
  io: CommandIo,
  dbPath: string,
  agentId: string,
): { svc: OpServices; agentId: string; close(): Promise<void> } {
  const rt = openLocal(io, dbPath, 'local')
  const svc: OpServices = {
    store: rt.store,
    engine: rt.engine,
    actions: rt.actions,
    hub: new EventHub(),
    sessions: new SessionDirectory(),
    logger: rt.logger,
    version: 'local',
    afterDefine: [],
    queryResources: new Map(),
    now: () => Date.now(),
  }
  // A template defined here keeps its triggers.cron schedule like one defined on the server (D19).
  attachScheduling(svc, { schedules: createScheduleStore(rt.store) })
  return { svc, agentId, close: () => rt.close() }
}
