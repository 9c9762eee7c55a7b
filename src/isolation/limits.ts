/**
 * Resource limits of `shell.exec` (decisions.md D18, D21). settings.json `limits` holds the
 * defaults at its top level and the ceilings under `max`:
 *
 *   "limits": { "memory_mb": 1024, "cpu_quota": 1, "max_pids": 512, "timeout": "30s",
 *               "max": { "memory_mb": 8192, "cpu_quota": 4, "max_pids": 4096, "timeout": "1h" } }
 *
 * A step's `limits` replace the defaults field by field and are clamped to the ceilings (never an
 * error: a workflow written for a bigger server still runs, within this server's bounds). `0`
 * means "no limit", which the ceiling (when there is one) then bounds. `cpu_quota` is in cores.
 */
import { availableParallelism } from 'node:os'
import { AppError } from '../errors.ts'
import { parseDuration } from '../schema/duration.ts'
import type { StepLimits } from '../schema/workflow.ts'

/** Limits with their units resolved. An absent field is unlimited. */
export interface ResolvedLimits {
  /** Memory of the whole process tree, MiB. */
  memoryMb?: number
  /** CPU time per wall-clock time, in cores (0.5 = half a core). */
  cpuQuota?: number
  /** Processes (and threads) of the whole tree. */
  maxPids?: number
  /** Wall-clock limit of one command, ms. */
  timeoutMs?: number
}

/** settings.json `limits`, resolved: defaults and ceilings. */
export interface LimitSettings {
  defaults: ResolvedLimits
  max: ResolvedLimits
}

type Field = keyof ResolvedLimits
const FIELDS: ReadonlyArray<{ key: Field; wire: string; integer: boolean }> = [
  { key: 'memoryMb', wire: 'memory_mb', integer: false },
  { key: 'cpuQuota', wire: 'cpu_quota', integer: false },
  { key: 'maxPids', wire: 'max_pids', integer: true },
  { key: 'timeoutMs', wire: 'timeout', integer: false },
]
const WIRE_NAMES = FIELDS.map((f) => f.wire)

/** Built-in `limits` when settings.json has none. */
export function defaultLimitSettings(): LimitSettings {
  return {
    defaults: { memoryMb: 1024, cpuQuota: 1, maxPids: 512, timeoutMs: 30_000 },
    max: { memoryMb: 8192, cpuQuota: availableParallelism(), maxPids: 4096, timeoutMs: 3_600_000 },
  }
}

/**
 * Reads settings.json `limits` over the built-in ones (a field given replaces the built-in
 * value; `0` removes the limit). Throws VALIDATION_ERROR naming the field for a malformed value.
 * A default above its ceiling is lowered to it.
 */
export function parseLimitSettings(value: unknown): LimitSettings {
  const base = defaultLimitSettings()
  if (value === undefined || value === null) return base
  const obj = asObject(value, 'limits')
  checkKeys(obj, 'limits', [...WIRE_NAMES, 'max'])
  const maxObj = obj.max === undefined || obj.max === null ? {} : asObject(obj.max, 'limits.max')
  checkKeys(maxObj, 'limits.max', WIRE_NAMES)
  const max = overlay(base.max, readWire(maxObj, 'limits.max'))
  const defaults = clamp(overlay(base.defaults, readWire(obj, 'limits')), max)
  return { defaults, max }
}

/**
 * The limits of one step: its `limits` over the settings' defaults, clamped to the ceilings.
 * Takes step limits in wire form (`StepLimits`). An unparsable or non-positive step `timeout` is
 * ignored (the default applies), like an unparsable step timeout elsewhere (decisions.md D21).
 */
export function resolveLimits(
  stepLimits: StepLimits | undefined,
  settings: LimitSettings,
): ResolvedLimits {
  const step: Partial<Record<Field, number | null>> = {}
  if (stepLimits !== undefined && stepLimits !== null) {
    const n = (v: unknown): number | null | undefined =>
      typeof v === 'number' && Number.isFinite(v) && v >= 0 ? (v === 0 ? null : v) : undefined
    const memory = n(stepLimits.memory_mb)
    const cpu = n(stepLimits.cpu_quota)
    const pids = n(stepLimits.max_pids)
    if (memory !== undefined) step.memoryMb = memory
    if (cpu !== undefined) step.cpuQuota = cpu
    if (pids !== undefined) step.maxPids = pids === null ? null : Math.floor(pids)
    if (typeof stepLimits.timeout === 'string') {
      const ms = parseDuration(stepLimits.timeout)
      if (ms !== undefined && ms > 0) step.timeoutMs = ms
    }
  }
  return clamp(overlay(settings.defaults, step), settings.max)
}

/** Limits in wire form (`memory_mb`, `cpu_quota`, `max_pids`, `timeout`), for messages and details. */
export function limitsToWire(l: ResolvedLimits): Record<string, number | string> {
  const out: Record<string, number | string> = {}
  if (l.memoryMb !== undefined) out.memory_mb = l.memoryMb
  if (l.cpuQuota !== undefined) out.cpu_quota = l.cpuQuota
  if (l.maxPids !== undefined) out.max_pids = l.maxPids
  if (l.timeoutMs !== undefined) out.timeout = `${l.timeoutMs}ms`
  return out
}

// ---------------------------------------------------------------------------------------------

/** `over` replaces `base` field by field; `null` in `over` removes the limit. */
function overlay(
  base: ResolvedLimits,
  over: Partial<Record<Field, number | null>>,
): ResolvedLimits {
  const out: ResolvedLimits = { ...base }
  for (const { key } of FIELDS) {
    const v = over[key]
    if (v === null) delete out[key]
    else if (v !== undefined) out[key] = v
  }
  return out
}

/** Each field bounded by its ceiling; an unlimited field takes the ceiling. */
function clamp(v: ResolvedLimits, max: ResolvedLimits): ResolvedLimits {
  const out: ResolvedLimits = {}
  for (const { key } of FIELDS) {
    const value = v[key]
    const ceiling = max[key]
    const r =
      ceiling === undefined ? value : value === undefined ? ceiling : Math.min(value, ceiling)
    if (r !== undefined) out[key] = r
  }
  return out
}

function readWire(
  obj: Record<string, unknown>,
  where: string,
): Partial<Record<Field, number | null>> {
  const out: Partial<Record<Field, number | null>> = {}
  for (const { key, wire, integer } of FIELDS) {
    const v = obj[wire]
    if (v === undefined) continue
    let n: number | undefined
    if (key === 'timeoutMs') {
      n = typeof v === 'string' ? parseDuration(v) : undefined
      if (n === undefined || n < 0) {
        throw new AppError(
          'VALIDATION_ERROR',
          `settings "${where}.timeout" must be a Go duration such as "30s" ("0" = no limit)`,
        )
      }
    } else {
      if (
        typeof v !== 'number' ||
        !Number.isFinite(v) ||
        v < 0 ||
        (integer && !Number.isInteger(v))
      ) {
        throw new AppError(
          'VALIDATION_ERROR',
          `settings "${where}.${wire}" must be a ${integer ? 'whole ' : ''}number ≥ 0 (0 = no limit)`,
        )
      }
      n = v
    }
    out[key] = n === 0 ? null : n
  }
  return out
}

function checkKeys(obj: Record<string, unknown>, where: string, allowed: string[]): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      throw new AppError(
        'VALIDATION_ERROR',
        `settings "${where}.${key}" is unknown; expected one of ${allowed.join(', ')}`,
      )
    }
  }
}

function asObject(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AppError('VALIDATION_ERROR', `settings "${where}" must be an object`)
  }
  return value as Record<string, unknown>
}
