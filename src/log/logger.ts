/**
 * JSON logs on stderr (spec server.md §17 Ours): one object per line with `time`, `level`, `msg`,
 * the attributes, and the correlation fields of the current request scope (AsyncLocalStorage):
 * `workflow_id`, `step_id`, `agent_id`, `session_id`, `tool`, `request_id`. Attributes whose name
 * says they hold a credential are masked, and so is any configured secret value, wherever it
 * appears in a record: a token or a vault key never reaches the log.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import type { Logger, LogLevel } from '../engine/ports.ts'

export interface LogScope {
  workflow_id?: string
  step_id?: string
  agent_id?: string
  session_id?: string
  tool?: string
  request_id?: string
}

const scopes = new AsyncLocalStorage<LogScope>()

/** Runs `fn` with `fields` added to the correlation scope of every log record it causes. */
export function withLogScope<T>(fields: LogScope, fn: () => T): T {
  const parent = scopes.getStore()
  return scopes.run(parent === undefined ? { ...fields } : { ...parent, ...fields }, fn)
}

/** The correlation fields in force (empty outside any scope). */
export function currentLogScope(): LogScope {
  return scopes.getStore() ?? {}
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }
const SENSITIVE = /(token|secret|password|passphrase|authorization|vault_key|api_key|cookie)/i
const MASK = '[REDACTED]'

export interface JsonLogger extends Logger {
  /** Changes the level at run time (SIGHUP). */
  setLevel(level: LogLevel): void
  readonly level: LogLevel
  /** Values masked wherever they appear in a record (the token, the vault key). */
  addSecret(value: string): void
}

export interface JsonLoggerOptions {
  level?: LogLevel
  /** Where lines go (default: process.stderr). */
  write?: (line: string) => void
  /** Clock for `time` (default Date.now). */
  now?: () => number
}

export function createJsonLogger(options: JsonLoggerOptions = {}): JsonLogger {
  let level: LogLevel = options.level ?? 'info'
  const write = options.write ?? ((line: string) => process.stderr.write(line))
  const now = options.now ?? Date.now
  const secrets = new Set<string>()

  const scrubString = (s: string): string => {
    let out = s
    for (const v of secrets) if (out.includes(v)) out = out.split(v).join(MASK)
    return out
  }
  const scrub = (value: unknown, depth: number): unknown => {
    if (typeof value === 'string') return secrets.size === 0 ? value : scrubString(value)
    if (value === null || typeof value !== 'object') return value
    if (value instanceof Error) return scrub({ name: value.name, message: value.message }, depth)
    if (depth > 8) return '[…]'
    if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1))
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out[k] = SENSITIVE.test(k) && typeof v === 'string' ? MASK : scrub(v, depth + 1)
    }
    return out
  }

  const emit = (lvl: LogLevel, msg: string, attrs?: Record<string, unknown>): void => {
    if (RANK[lvl] < RANK[level]) return
    const record: Record<string, unknown> = {
      time: localIso(now()),
      level: lvl.toUpperCase(),
      msg: secrets.size === 0 ? msg : scrubString(msg),
    }
    const scope = scopes.getStore()
    if (scope !== undefined) for (const [k, v] of Object.entries(scope)) record[k] = v
    if (attrs !== undefined) {
      const clean = scrub(attrs, 0) as Record<string, unknown>
      for (const [k, v] of Object.entries(clean)) if (v !== undefined) record[k] = v
    }
    let line: string
    try {
      line = JSON.stringify(record)
    } catch {
      line = JSON.stringify({ time: record.time, level: record.level, msg: record.msg })
    }
    write(`${line}\n`)
  }

  return {
    debug: (m, a) => emit('debug', m, a),
    info: (m, a) => emit('info', m, a),
    warn: (m, a) => emit('warn', m, a),
    error: (m, a) => emit('error', m, a),
    setLevel(l) {
      level = l
    },
    get level() {
      return level
    },
    addSecret(value) {
      if (value.length >= 4) secrets.add(value)
    },
  }
}

/** RFC 3339 with the local offset (server.md §17). */
function localIso(ms: number): string {
  const d = new Date(ms)
  const off = -d.getTimezoneOffset()
  const sign = off >= 0 ? '+' : '-'
  const abs = Math.abs(off)
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(
    d.getMinutes(),
  )}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
}
