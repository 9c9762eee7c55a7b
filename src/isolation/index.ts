/**
 * Process isolation for shell.exec (cgroups v2/v1, PID namespace, fallback), resource limits and
 * the path rules of fs.* (spec server.md §14, decisions.md D14/D18/D21). Imports only errors and
 * schema; never the engine's internals, the store or the actions.
 */
export {
  createCgroupV1Driver,
  detectCgroupV1,
  ownV1Cgroups,
  type V1Parents,
} from './cgroups-v1.ts'
export { createCgroupV2Driver, ownV2Cgroup, v2Problem } from './cgroups-v2.ts'
export {
  type DetectedIsolator,
  type DetectOptions,
  detectIsolator,
  hasCgroups,
  ISOLATION_MODES,
  type IsolationMode,
  parseIsolationSettings,
} from './detect.ts'
export { childEnv, SECRET_ENV_NAMES } from './env.ts'
export {
  defaultLimitSettings,
  type LimitSettings,
  limitsToWire,
  parseLimitSettings,
  type ResolvedLimits,
  resolveLimits,
} from './limits.ts'
export {
  type Access,
  createPathPolicy,
  isUnder,
  type PathPolicy,
  type PathRules,
  parsePathRules,
  pathRulesFromSettings,
  resolveReal,
} from './paths.ts'
export { probePidNamespace } from './pidns.ts'
export { createFallbackIsolator, type FallbackOptions } from './plain.ts'
export {
  type CgroupDriver,
  createIsolator,
  type IsolatorOptions,
  type RunCgroup,
} from './runner.ts'
export type {
  Isolator,
  IsolatorCapabilities,
  RunResult,
  RunSpec,
  RunUsage,
} from './sandbox.ts'
