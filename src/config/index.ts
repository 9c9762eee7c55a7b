/**
 * Configuration of the server and the client commands: settings.json, environment, flags
 * (spec server.md §8, decisions.md D1/D21). Imports only errors and engine port types.
 */
export {
  deriveBaseUrl,
  formatAddress,
  isLoopbackHost,
  type ListenAddress,
  parseListenAddr,
} from './listen.ts'
export {
  assertExposureAllowed,
  type Config,
  type ConfigFlags,
  DEFAULT_HTTP,
  DEFAULT_LISTEN,
  dataDirOf,
  generateToken,
  type HttpSettings,
  homeOf,
  loadConfig,
  logfilePath,
  mergeSettings,
  parseLogLevel,
  pidfilePath,
  readSettings,
  resolveConfig,
  type SettingsFile,
} from './settings.ts'
