/**
 * MCP servers as action providers (spec server.md §12 Ours; decisions.md D21): configuration,
 * the per-plugin host (SDK Client over stdio, restarts with backoff) and the manager that registers
 * tools as actions. Imports the action registry and the store; never the transports.
 */
export {
  childEnvironment,
  FORBIDDEN_ENV,
  PluginConfig,
  type PluginSpec,
  parsePluginConfig,
  publicConfig,
  RESERVED_PLUGIN_NAMES,
  readPluginConfigs,
} from './config.ts'
export {
  DEFAULT_PLUGIN_OPTIONS,
  type PluginHostOptions,
  type PluginStatus,
  restartDelay,
} from './host.ts'
export {
  createPluginManager,
  type PluginInfo,
  type PluginManager,
  type PluginManagerDeps,
  pluginRecords,
} from './manager.ts'
export { callError, toolOutput } from './output.ts'
