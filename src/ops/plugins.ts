/**
 * Plugins over the JSON API (`opcode plugin add|list|rm|restart`, the panel). Plugins are defined
 * in settings.json (decisions.md D21): add and rm edit that file (merging, keeping every other key)
 * and apply the new list to the running manager; list shows live status, restart restarts now.
 */
import { Type } from '@sinclair/typebox'
import { mergeSettings, readSettings } from '../config/index.ts'
import { AppError } from '../errors.ts'
import { PluginConfig, parsePluginConfig, readPluginConfigs } from '../plugins/index.ts'
import { pluginRecords } from '../plugins/manager.ts'
import { defineOp, type OpServices } from './op.ts'
import { AgentId } from './params.ts'
import { schedulingOf } from './schedules.ts'

function manager(svc: OpServices) {
  const m = schedulingOf(svc)?.plugins
  if (m === undefined) throw new AppError('CONFLICT', 'this server runs without plugins')
  return m
}

function settingsPath(svc: OpServices): string {
  const p = schedulingOf(svc)?.settingsPath
  if (p === undefined) throw new AppError('CONFLICT', 'this server has no settings file to edit')
  return p
}

const PluginName = Type.String({ minLength: 1, maxLength: 64, description: 'Plugin name.' })

export const listPluginsOp = defineOp({
  name: 'plugins.list',
  description:
    'Plugins with their status (active, starting, restarting, error, inactive) and tools.',
  tool: false,
  readOnly: true,
  http: { method: 'GET', path: '/plugins' },
  input: Type.Object({}),
  handle(svc) {
    const m = schedulingOf(svc)?.plugins
    return { plugins: m === undefined ? pluginRecords(svc.store) : m.list() }
  },
})

export const addPluginOp = defineOp({
  name: 'plugins.add',
  description:
    'Adds an MCP server (stdio) as a plugin: written to settings.json, started at once; its tools become actions <name>.<tool>.',
  tool: false,
  readOnly: false,
  http: { method: 'POST', path: '/plugins', status: 201 },
  input: Type.Composite([
    PluginConfig,
    Type.Object({
      replace: Type.Optional(Type.Boolean({ description: 'Replace a plugin of the same name.' })),
      agent_id: Type.Optional(AgentId('Who asks (audit).')),
    }),
  ]),
  audit: (input) => ({
    agent_id: input.agent_id ?? 'api',
    action: 'plugin.add',
    resource_type: 'plugin',
    resource_id: input.name,
    details: { command: input.command },
  }),
  handle(svc, input) {
    const { replace, agent_id: _agent, ...raw } = input
    const spec = parsePluginConfig(raw)
    const path = settingsPath(svc)
    const current = readSettings(path).plugins ?? []
    const list = Array.isArray(current) ? [...current] : []
    const at = list.findIndex((p) => (p as { name?: unknown })?.name === spec.name)
    if (at >= 0 && replace !== true) {
      throw new AppError(
        'CONFLICT',
        `plugin "${spec.name}" already exists; remove it first or pass replace`,
      )
    }
    if (at >= 0) list[at] = raw
    else list.push(raw)
    const m = manager(svc)
    mergeSettings(path, { plugins: list })
    m.applySettings(list)
    return m.get(spec.name)
  },
})

export const removePluginOp = defineOp({
  name: 'plugins.remove',
  description: 'Removes a plugin from settings.json, stops it and unregisters its actions.',
  tool: false,
  readOnly: false,
  http: { method: 'DELETE', path: '/plugins/:name' },
  input: Type.Object({ name: PluginName, agent_id: Type.Optional(AgentId('Who asks (audit).')) }),
  audit: (input) => ({
    agent_id: input.agent_id ?? 'api',
    action: 'plugin.remove',
    resource_type: 'plugin',
    resource_id: input.name,
  }),
  handle(svc, input) {
    const path = settingsPath(svc)
    const current = readSettings(path).plugins ?? []
    const list = Array.isArray(current) ? current : []
    const next = list.filter((p) => (p as { name?: unknown })?.name !== input.name)
    if (next.length === list.length) {
      throw new AppError('NOT_FOUND', `plugin "${input.name}" not found`, {
        details: { name: input.name },
      })
    }
    const m = manager(svc)
    mergeSettings(path, { plugins: next })
    m.apply(readPluginConfigs(next).plugins)
    return { removed: input.name }
  },
})

export const restartPluginOp = defineOp({
  name: 'plugins.restart',
  description:
    'Restarts a plugin now (its backoff is reset); resolves once it is up or has failed.',
  tool: false,
  readOnly: false,
  http: { method: 'POST', path: '/plugins/:name/restart' },
  input: Type.Object({ name: PluginName, agent_id: Type.Optional(AgentId('Who asks (audit).')) }),
  audit: (input) => ({
    agent_id: input.agent_id ?? 'api',
    action: 'plugin.restart',
    resource_type: 'plugin',
    resource_id: input.name,
  }),
  async handle(svc, input) {
    const m = manager(svc)
    await m.restart(input.name)
    return m.settled(input.name)
  },
})

export const PLUGIN_OPS = [listPluginsOp, addPluginOp, removePluginOp, restartPluginOp]
