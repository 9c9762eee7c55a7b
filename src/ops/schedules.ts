/**
 * Scheduled jobs over the JSON API (the CLI's `opcode schedule …` and the panel) and the scheduler's
 * hooks into the other operations: `triggers.cron` of `opcode.define` (decisions.md D19) and the
 * `schedules` resource of `opcode.query`. The scheduler itself lives in src/scheduler; a server
 * attaches it with `attachScheduling`.
 */
import { Type } from '@sinclair/typebox'
import type { MutableActionRegistry } from '../actions/registry.ts'
import { AppError } from '../errors.ts'
import { createPluginManager, type PluginManager } from '../plugins/index.ts'
import { pluginRecords } from '../plugins/manager.ts'
import { ScheduleInput, type Scheduler, startScheduler } from '../scheduler/index.ts'
import { createScheduleStore, type ScheduleFilter, type ScheduleStore } from '../store/schedules.ts'
import { systemClock } from '../system/clock.ts'
import { defineOp, type OpServices } from './op.ts'
import { AgentId, Limit, Offset } from './params.ts'

/** What a server runs besides the engine: the scheduler and the plugins. */
export interface Scheduling {
  schedules: ScheduleStore
  scheduler?: Scheduler
  plugins?: PluginManager
  /** settings.json, edited by `opcode plugin add|rm` (decisions.md D21). */
  settingsPath?: string
}

const attached = new WeakMap<OpServices, Scheduling>()

/**
 * Plugs the scheduler into the operations: `triggers.cron` of every define becomes the template's
 * schedule, and `opcode.query` gains the `schedules` and `plugins` resources.
 */
export function attachScheduling(svc: OpServices, s: Scheduling): void {
  attached.set(svc, s)
  svc.afterDefine.push((t) => {
    s.schedules.syncTriggers(t)
  })
  svc.queryResources.set('schedules', {
    description: 'Scheduled jobs (cron), newest first.',
    list: (_svc, f) => s.schedules.list(scheduleFilter(f)),
  })
  svc.queryResources.set('plugins', {
    description: 'MCP plugins with their status and tools.',
    list: (q) => pluginRecords(q.store),
  })
}

/**
 * The `schedules` and `plugins` query resources over a store alone, for local read-only commands
 * (`opcode query schedules --db-path …`) where no scheduler or plugin manager runs.
 */
export function storeQueryResources(store: OpServices['store']): OpServices['queryResources'] {
  const schedules = createScheduleStore(store)
  return new Map([
    [
      'schedules',
      {
        description: 'Scheduled jobs (cron), newest first.',
        list: (_svc, f) => schedules.list(scheduleFilter(f)),
      },
    ],
    [
      'plugins',
      {
        description: 'MCP plugins with their status and tools.',
        list: (q) => pluginRecords(q.store),
      },
    ],
  ])
}

export interface SchedulingHandle {
  scheduling: Scheduling
  /** Starts the scheduler loop (call after the engine's recovery). */
  startScheduler(): Promise<void>
  /** Stops the loop (first, at shutdown). */
  stopScheduler(): Promise<void>
  /** Stops the plugins (last, once running steps are done). */
  stopPlugins(): Promise<void>
}

/**
 * What a server does at start-up for the scheduler and the plugins: starts the plugins of the
 * settings (their last known tools are registered at once, so recovered workflows find them),
 * creates the schedule store and attaches both to the operations. The scheduler loop itself starts
 * with `startScheduler`, after the engine has recovered interrupted workflows.
 */
export function openScheduling(
  svc: OpServices,
  options: { registry: MutableActionRegistry; plugins?: unknown; settingsPath?: string },
): SchedulingHandle {
  const plugins = createPluginManager({
    registry: options.registry,
    store: svc.store,
    logger: svc.logger,
  })
  plugins.applySettings(options.plugins)
  const schedules = createScheduleStore(svc.store, { now: () => systemClock.now() })
  const scheduling: Scheduling = {
    schedules,
    plugins,
    ...(options.settingsPath === undefined ? {} : { settingsPath: options.settingsPath }),
  }
  attachScheduling(svc, scheduling)
  return {
    scheduling,
    async startScheduler() {
      scheduling.scheduler = await startScheduler({
        store: svc.store,
        engine: svc.engine,
        clock: systemClock,
        logger: svc.logger,
        schedules,
      })
    },
    async stopScheduler() {
      await scheduling.scheduler?.stop()
    },
    stopPlugins: () => plugins.stop(),
  }
}

/** The scheduling parts of a server (undefined when it runs without them). */
export function schedulingOf(svc: OpServices): Scheduling | undefined {
  return attached.get(svc)
}

function need(svc: OpServices): Scheduling {
  const s = attached.get(svc)
  if (s === undefined) throw new AppError('CONFLICT', 'this server runs without the scheduler')
  return s
}

function scheduler(svc: OpServices): Scheduler {
  const s = need(svc).scheduler
  if (s === undefined) throw new AppError('CONFLICT', 'the scheduler is not running')
  return s
}

function scheduleFilter(f: Record<string, unknown>): ScheduleFilter {
  const out: ScheduleFilter = {}
  if (typeof f.enabled === 'boolean') out.enabled = f.enabled
  for (const k of ['agent_id', 'template_name'] as const) {
    if (typeof f[k] === 'string' && f[k] !== '') out[k] = f[k] as string
  }
  if (f.source === 'api' || f.source === 'trigger') out.source = f.source
  if (typeof f.limit === 'number') out.limit = f.limit
  if (typeof f.offset === 'number') out.offset = f.offset
  return out
}

const JobId = Type.String({ minLength: 1, maxLength: 128, description: 'Scheduled job id.' })

export const listSchedulesOp = defineOp({
  name: 'schedules.list',
  description: 'Scheduled jobs, newest first, with their next fire time and last run.',
  tool: false,
  readOnly: true,
  http: { method: 'GET', path: '/schedules' },
  input: Type.Object({
    enabled: Type.Optional(Type.Boolean()),
    agent_id: Type.Optional(Type.String()),
    template_name: Type.Optional(Type.String()),
    source: Type.Optional(Type.Union([Type.Literal('api'), Type.Literal('trigger')])),
    limit: Limit,
    offset: Offset,
  }),
  handle(svc, input) {
    return { schedules: need(svc).schedules.list(scheduleFilter(input)) }
  },
})

export const getScheduleOp = defineOp({
  name: 'schedules.get',
  description: 'One scheduled job with its latest runs (newest first).',
  tool: false,
  readOnly: true,
  http: { method: 'GET', path: '/schedules/:id' },
  input: Type.Object({
    id: JobId,
    runs: Type.Optional(Type.Integer({ description: 'Runs to include (default 20, max 1000).' })),
  }),
  handle(svc, input) {
    const { schedules } = need(svc)
    return {
      schedule: schedules.get(input.id),
      runs: schedules.runs(input.id, input.runs === undefined ? {} : { limit: input.runs }),
    }
  },
})

export const addScheduleOp = defineOp({
  name: 'schedules.add',
  description:
    'Schedules a template: cron with 5 fields (6 with seconds), @daily-style descriptors or a TZ= prefix. An invalid cron or an unknown template is refused; the next fire time is computed at once.',
  tool: false,
  readOnly: false,
  http: { method: 'POST', path: '/schedules', status: 201 },
  input: Type.Composite([
    Type.Omit(ScheduleInput, ['agent_id']),
    Type.Object({ agent_id: AgentId('Agent owning the runs (the caller).') }),
  ]),
  audit: (input, result) => ({
    agent_id: input.agent_id,
    action: 'schedule.add',
    resource_type: 'schedule',
    resource_id: (result as { id: string }).id,
    details: { template_name: input.template_name, cron_expression: input.cron_expression },
  }),
  handle(svc, input) {
    return need(svc).schedules.add(input)
  },
})

const mutation = (
  name: string,
  action: string,
  method: 'POST' | 'DELETE',
  path: string,
  description: string,
  run: (svc: OpServices, id: string) => unknown,
) =>
  defineOp({
    name,
    description,
    tool: false,
    readOnly: false,
    http: { method, path },
    input: Type.Object({
      id: JobId,
      agent_id: Type.Optional(AgentId('Who asks (audit).')),
    }),
    audit: (input) => ({
      agent_id: input.agent_id ?? 'api',
      action,
      resource_type: 'schedule',
      resource_id: input.id,
    }),
    handle: (svc, input) => run(svc, input.id),
  })

export const removeScheduleOp = mutation(
  'schedules.remove',
  'schedule.remove',
  'DELETE',
  '/schedules/:id',
  'Deletes a scheduled job and its history.',
  (svc, id) => {
    need(svc).schedules.remove(id)
    return { removed: id }
  },
)

export const enableScheduleOp = mutation(
  'schedules.enable',
  'schedule.enable',
  'POST',
  '/schedules/:id/enable',
  'Enables a job; its next fire is computed from now (fires missed while disabled do not run).',
  (svc, id) => need(svc).schedules.enable(id),
)

export const disableScheduleOp = mutation(
  'schedules.disable',
  'schedule.disable',
  'POST',
  '/schedules/:id/disable',
  'Disables a job (it keeps its history).',
  (svc, id) => need(svc).schedules.disable(id),
)

export const runScheduleNowOp = mutation(
  'schedules.run',
  'schedule.run_now',
  'POST',
  '/schedules/:id/run',
  'Fires a job now, outside its schedule (even when disabled). CONFLICT when its overlap policy is skip and a run is active.',
  (svc, id) => scheduler(svc).runNow(id),
)

export const SCHEDULE_OPS = [
  listSchedulesOp,
  getScheduleOp,
  addScheduleOp,
  removeScheduleOp,
  enableScheduleOp,
  disableScheduleOp,
  runScheduleNowOp,
]
