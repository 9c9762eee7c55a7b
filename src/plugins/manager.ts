/**
 * The plugin manager (spec server.md §12 Ours; decisions.md D21): runs the plugins of settings.json,
 * registers each tool as the action `<plugin>.<tool>` (its input schema as the params schema,
 * `pure: false`), keeps the registrations in step with every rediscovery, and mirrors status and
 * tools to the `plugins` table. `apply` takes the whole list again on reload (SIGHUP): new plugins
 * start, removed or disabled ones stop, changed ones restart, unchanged ones are left running.
 */
import type { MutableActionRegistry } from '../actions/registry.ts'
import type { Action, Clock, Logger } from '../engine/ports.ts'
import { AppError, type Issue } from '../errors.ts'
import {
  deletePluginRow,
  listPluginRecords,
  type PluginRecord,
  pluginRowState,
  type StoredTool,
  setPluginStatus,
  setPluginTools,
  upsertPluginRow,
} from '../store/plugins.ts'
import type { SqliteStore } from '../store/sqlite.ts'
import { systemClock } from '../system/clock.ts'
import { type PluginSpec, publicConfig, readPluginConfigs, sameProcess } from './config.ts'
import {
  DEFAULT_PLUGIN_OPTIONS,
  PluginHost,
  type PluginHostOptions,
  type PluginStatus,
} from './host.ts'

export interface PluginManagerDeps {
  registry: MutableActionRegistry
  logger: Logger
  /** Mirror of status and tools (optional: tests and local runs may go without). */
  store?: SqliteStore
  clock?: Clock
  options?: Partial<PluginHostOptions>
}

/** Live view of a plugin. */
export interface PluginInfo {
  name: string
  status: PluginStatus
  enabled: boolean
  config: Record<string, unknown>
  tools: Array<{ name: string; action: string; description?: string }>
  error?: string
  pid?: number
  restarts: number
  active_since?: string
  next_attempt_at?: string
}

export interface PluginManager {
  /** Makes the running plugins match `specs` (see the file comment). Returns at once. */
  apply(specs: PluginSpec[]): void
  /** Reads a settings `plugins` value, applies the valid entries, returns the problems of the others. */
  applySettings(raw: unknown): Issue[]
  /** Restarts a plugin now (backoff reset). NOT_FOUND; CONFLICT when it is disabled. */
  restart(name: string): Promise<PluginInfo>
  /** NOT_FOUND `plugin "<name>" not found`. */
  get(name: string): PluginInfo
  list(): PluginInfo[]
  /**
   * Resolves once the plugin is `active`, or has failed a start (`error`), or is `inactive`;
   * rejects TIMEOUT_ERROR after `timeoutMs` (default 15 s).
   */
  settled(name: string, timeoutMs?: number): Promise<PluginInfo>
  /** Stops every plugin (rows marked inactive; actions stay registered until the process ends). */
  stop(): Promise<void>
}

export function createPluginManager(deps: PluginManagerDeps): PluginManager {
  return new Manager(deps)
}

interface Entry {
  spec: PluginSpec
  host: PluginHost
  /** Registered action name → fingerprint of the tool it was made from. */
  actions: Map<string, string>
  listeners: Set<() => void>
}

class Manager implements PluginManager {
  private readonly entries = new Map<string, Entry>()
  /** Plugins being stopped, by name: a replacement starts once the old process is down. */
  private readonly retiring = new Map<string, Promise<void>>()
  private readonly clock: Clock
  private readonly options: PluginHostOptions
  private stopping = false

  constructor(private readonly deps: PluginManagerDeps) {
    this.clock = deps.clock ?? systemClock
    this.options = { ...DEFAULT_PLUGIN_OPTIONS, ...(deps.options ?? {}) }
  }

  apply(specs: PluginSpec[]): void {
    if (this.stopping) throw new AppError('CONFLICT', 'the plugin manager is stopped')
    const wanted = new Map(specs.map((s) => [s.name, s]))
    for (const [name, entry] of [...this.entries]) {
      const next = wanted.get(name)
      if (next === undefined) {
        void this.remove(name, entry, true) // reported through logs; the row goes now
      } else if (!sameProcess(entry.spec, next) || next.timeoutMs !== entry.spec.timeoutMs) {
        void this.remove(name, entry, false) // the new config starts below, once this one is down
      } else if (next.enabled !== entry.spec.enabled) {
        entry.spec = next
        this.mirror(name, next, next.enabled ? 'starting' : 'inactive', null)
        if (next.enabled) {
          this.preRegister(entry)
          entry.host.start()
        } else {
          this.unregisterAll(entry)
          void entry.host.stop()
        }
      }
    }
    for (const spec of specs) if (!this.entries.has(spec.name)) this.add(spec)
    // Rows of plugins no longer in the settings (removed while the server was down).
    if (this.deps.store !== undefined) {
      for (const r of listPluginRecords(this.deps.store)) {
        if (!wanted.has(r.name)) deletePluginRow(this.deps.store, r.name)
      }
    }
  }

  applySettings(raw: unknown): Issue[] {
    const { plugins, problems } = readPluginConfigs(raw)
    for (const p of problems) {
      this.deps.logger.error('plugin configuration ignored', { path: p.path, error: p.message })
    }
    this.apply(plugins)
    return problems
  }

  async restart(name: string): Promise<PluginInfo> {
    const entry = this.entry(name)
    if (!entry.spec.enabled) {
      throw new AppError(
        'CONFLICT',
        `plugin "${name}" is disabled; enable it in the settings first`,
      )
    }
    await entry.host.restart()
    return this.info(entry)
  }

  get(name: string): PluginInfo {
    return this.info(this.entry(name))
  }

  list(): PluginInfo[] {
    return [...this.entries.values()]
      .map((e) => this.info(e))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  }

  settled(name: string, timeoutMs = 15_000): Promise<PluginInfo> {
    const entry = this.entry(name)
    const isSettled = (): boolean => {
      const s = entry.host.status
      return s === 'active' || s === 'error' || s === 'inactive'
    }
    if (isSettled()) return Promise.resolve(this.info(entry))
    return new Promise((resolve, reject) => {
      const listener = (): void => {
        if (!isSettled()) return
        entry.listeners.delete(listener)
        timer.cancel()
        resolve(this.info(entry))
      }
      const timer = this.clock.setTimer(timeoutMs, () => {
        entry.listeners.delete(listener)
        reject(
          new AppError(
            'TIMEOUT_ERROR',
            `plugin "${name}" is still ${entry.host.status} after ${timeoutMs} ms`,
          ),
        )
      })
      entry.listeners.add(listener)
    })
  }

  async stop(): Promise<void> {
    this.stopping = true
    await Promise.all([
      ...[...this.entries.values()].map((e) => e.host.stop()),
      ...this.retiring.values(),
    ])
  }

  // -------------------------------------------------------------------------------------------

  private entry(name: string): Entry {
    const e = this.entries.get(name)
    if (e === undefined) {
      throw new AppError('NOT_FOUND', `plugin "${name}" not found`, { details: { name } })
    }
    return e
  }

  private add(spec: PluginSpec): void {
    if (this.stopping || this.entries.has(spec.name)) return
    const entry: Entry = {
      spec,
      actions: new Map(),
      listeners: new Set(),
      host: undefined as unknown as PluginHost,
    }
    entry.host = new PluginHost(spec, this.clock, this.deps.logger, this.options, {
      status: (status, error) => {
        // A retired host's last words (its stop) are not the plugin's status any more.
        if (this.entries.get(spec.name) === entry) this.mirrorStatus(spec.name, status, error)
        for (const fn of [...entry.listeners]) fn()
      },
      tools: (tools) => {
        if (this.entries.get(spec.name) === entry) this.syncActions(entry, tools)
      },
    })
    this.entries.set(spec.name, entry)
    this.mirror(spec.name, spec, spec.enabled ? 'starting' : 'inactive', null)
    if (!spec.enabled) return
    this.preRegister(entry)
    const before = this.retiring.get(spec.name)
    if (before === undefined) entry.host.start()
    else {
      void before.then(() => {
        if (this.entries.get(spec.name) === entry && entry.spec.enabled && !this.stopping) {
          entry.host.start()
        }
      })
    }
  }

  /** Stops a plugin and drops its actions; `forget` also deletes its row. */
  private remove(name: string, entry: Entry, forget: boolean): Promise<void> {
    this.entries.delete(name)
    this.unregisterAll(entry)
    if (forget && this.deps.store !== undefined) deletePluginRow(this.deps.store, name)
    const previous = this.retiring.get(name) ?? Promise.resolve()
    const done = previous
      .then(() => entry.host.stop())
      .catch((err: unknown) => {
        this.deps.logger.warn('plugin did not stop cleanly', { plugin: name, error: String(err) })
      })
      .finally(() => {
        if (this.retiring.get(name) === done) this.retiring.delete(name)
      })
    this.retiring.set(name, done)
    return done
  }

  /**
   * Registers the tools found at the plugin's last run, so workflows that call them wait for the
   * plugin to start instead of failing with "action not registered".
   */
  private preRegister(entry: Entry): void {
    const store = this.deps.store
    if (store === undefined) return
    const prev = pluginRowState(store, entry.spec.name)
    if (prev === undefined || prev.config.command !== entry.spec.command) return
    if (JSON.stringify(prev.config.args ?? []) !== JSON.stringify(entry.spec.args)) return
    this.syncActions(entry, prev.tools, false)
  }

  private syncActions(entry: Entry, tools: StoredTool[], persist = true): void {
    const { registry, logger } = this.deps
    const plugin = entry.spec.name
    const next = new Map<string, string>()
    const problems: string[] = []
    for (const tool of tools) {
      if (typeof tool?.name !== 'string' || tool.name === '') continue
      const name = `${plugin}.${tool.name}`
      const print = JSON.stringify([tool.description ?? null, tool.inputSchema])
      if (next.has(name)) continue
      if (entry.actions.get(name) === print && registry.get(name) !== undefined) {
        next.set(name, print)
        continue
      }
      if (entry.actions.has(name)) registry.unregister(name)
      try {
        registry.register(this.action(plugin, tool, name, false))
      } catch (err) {
        const e = err instanceof AppError ? err : undefined
        if (e?.code === 'CONFLICT') {
          problems.push(`tool ${tool.name} not registered: action "${name}" already exists`)
          continue
        }
        // A schema Ajv cannot compile: the tool stays usable, the plugin checks its own input.
        logger.warn('plugin tool schema rejected; params are not checked', {
          plugin,
          tool: tool.name,
          error: String((err as Error)?.message ?? err),
        })
        try {
          registry.register(this.action(plugin, tool, name, true))
        } catch (again) {
          problems.push(
            `tool ${tool.name} not registered: ${String((again as Error)?.message ?? again)}`,
          )
          continue
        }
      }
      next.set(name, print)
    }
    for (const name of entry.actions.keys()) {
      if (!next.has(name)) registry.unregister(name)
    }
    entry.actions = next
    for (const p of problems) logger.error('plugin tool not registered', { plugin, error: p })
    const store = this.deps.store
    if (persist && store !== undefined && this.entries.get(plugin) === entry) {
      setPluginTools(store, plugin, tools, this.clock.now())
      if (problems.length > 0) {
        setPluginStatus(store, plugin, entry.host.status, problems.join('; '), this.clock.now())
      }
    }
  }

  private action(plugin: string, tool: StoredTool, name: string, permissive: boolean): Action {
    const schema =
      !permissive && tool.inputSchema !== null && typeof tool.inputSchema === 'object'
        ? tool.inputSchema
        : { type: 'object' }
    return {
      name,
      description: tool.description ?? `Tool ${tool.name} of plugin ${plugin}.`,
      params: schema,
      pure: false,
      execute: (params, ctx) => {
        const entry = this.entries.get(plugin)
        if (entry === undefined || !entry.spec.enabled) {
          throw new AppError('ACTION_UNAVAILABLE', `plugin "${plugin}" is not loaded`, {
            details: { plugin },
          })
        }
        return entry.host.call(tool.name, params, ctx.signal)
      },
    }
  }

  private unregisterAll(entry: Entry): void {
    for (const name of entry.actions.keys()) this.deps.registry.unregister(name)
    entry.actions = new Map()
  }

  private mirror(name: string, spec: PluginSpec, status: PluginStatus, error: string | null): void {
    const store = this.deps.store
    if (store === undefined) return
    try {
      upsertPluginRow(store, { name, config: publicConfig(spec), status, error }, this.clock.now())
    } catch (err) {
      this.deps.logger.warn('plugin row not written', { plugin: name, error: String(err) })
    }
  }

  private mirrorStatus(name: string, status: PluginStatus, error: string | null): void {
    const store = this.deps.store
    if (store === undefined || this.entries.get(name) === undefined) return
    try {
      setPluginStatus(store, name, status, error, this.clock.now())
    } catch (err) {
      // The database closes before the last plugins stop at shutdown: nothing to record then.
      this.deps.logger.debug('plugin status not written', { plugin: name, error: String(err) })
    }
  }

  private info(entry: Entry): PluginInfo {
    const h = entry.host
    const out: PluginInfo = {
      name: entry.spec.name,
      status: h.status,
      enabled: entry.spec.enabled,
      config: publicConfig(entry.spec),
      tools: h.tools.map((t) => ({
        name: t.name,
        action: `${entry.spec.name}.${t.name}`,
        ...(t.description === undefined ? {} : { description: t.description }),
      })),
      restarts: h.restarts,
    }
    if (h.lastError !== null) out.error = h.lastError
    if (h.pid !== undefined) out.pid = h.pid
    if (h.activeSince !== undefined) out.active_since = new Date(h.activeSince).toISOString()
    if (h.nextAttemptAt !== undefined) out.next_attempt_at = new Date(h.nextAttemptAt).toISOString()
    return out
  }
}

/** The plugins table as the panel and `opcode.query` see it (no running manager needed). */
export function pluginRecords(store: SqliteStore): PluginRecord[] {
  return listPluginRecords(store)
}
