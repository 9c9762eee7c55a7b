/**
 * Plugin configuration (settings.json `plugins`, decisions.md D21) and the environment a plugin
 * child gets: an explicit minimal one (PATH, HOME, LANG) plus the plugin's own `env`, never the
 * server's secrets (the vault key, its file, the API token).
 */
import { type Static, Type } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { AppError, type Issue } from '../errors.ts'
import { parseDuration } from '../schema/duration.ts'

export const PluginConfig = Type.Object({
  name: Type.String({
    description:
      "Plugin name: its tools become actions '<name>.<tool>'. Letters, digits, '_' and '-', starting with a letter.",
  }),
  command: Type.String({ minLength: 1, description: 'Executable of the MCP server (stdio).' }),
  args: Type.Optional(Type.Array(Type.String(), { description: 'Arguments of the command.' })),
  env: Type.Optional(
    Type.Record(Type.String(), Type.String(), {
      description:
        'Environment of the plugin, added to PATH, HOME and LANG. Never stored in the database.',
    }),
  ),
  enabled: Type.Optional(Type.Boolean({ description: 'Default true.' })),
  cwd: Type.Optional(Type.String({ description: 'Working directory of the plugin.' })),
  timeout: Type.Optional(
    Type.String({ description: "Per-call timeout, Go duration (default '60s')." }),
  ),
})
export type PluginConfig = Static<typeof PluginConfig>

/** A checked plugin configuration, defaults applied. */
export interface PluginSpec {
  name: string
  command: string
  args: string[]
  env: Record<string, string>
  enabled: boolean
  cwd?: string
  /** Per-call timeout, ms (undefined: the manager's default). */
  timeoutMs?: number
}

/** Names taken by built-in action namespaces. */
export const RESERVED_PLUGIN_NAMES = [
  'assert',
  'crypto',
  'expr',
  'fs',
  'http',
  'jq',
  'opcode',
  'shell',
  'workflow',
] as const

/** Environment variables a plugin never gets, even when its own `env` names them. */
export const FORBIDDEN_ENV = ['OPCODE_VAULT_KEY', 'OPCODE_VAULT_KEY_FILE', 'OPCODE_TOKEN'] as const

const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/
const check = TypeCompiler.Compile(PluginConfig)

/** Checks one plugin entry; throws VALIDATION_ERROR whose issues point into the entry. */
export function parsePluginConfig(raw: unknown, path = ''): PluginSpec {
  const problems = pluginProblems(raw, path)
  if (problems.length > 0) {
    const first = problems[0] as Issue
    throw new AppError('VALIDATION_ERROR', `invalid plugin: ${first.path}: ${first.message}`, {
      issues: problems,
    })
  }
  const c = raw as PluginConfig
  const spec: PluginSpec = {
    name: c.name,
    command: c.command,
    args: c.args ?? [],
    env: { ...(c.env ?? {}) },
    enabled: c.enabled ?? true,
  }
  if (c.cwd !== undefined) spec.cwd = c.cwd
  if (c.timeout !== undefined) spec.timeoutMs = parseDuration(c.timeout) as number
  return spec
}

/**
 * Reads a settings `plugins` list: the valid entries, and the problems of the others (a bad entry
 * never keeps the good ones from loading). Duplicate names keep the first.
 */
export function readPluginConfigs(raw: unknown): { plugins: PluginSpec[]; problems: Issue[] } {
  if (raw === undefined || raw === null) return { plugins: [], problems: [] }
  if (!Array.isArray(raw)) {
    return { plugins: [], problems: [issue('/plugins', 'plugins must be a list')] }
  }
  const plugins: PluginSpec[] = []
  const problems: Issue[] = []
  const seen = new Set<string>()
  raw.forEach((entry, i) => {
    const path = `/plugins/${i}`
    const p = pluginProblems(entry, path)
    if (p.length > 0) {
      problems.push(...p)
      return
    }
    const spec = parsePluginConfig(entry, path)
    if (seen.has(spec.name)) {
      problems.push(issue(`${path}/name`, `plugin "${spec.name}" is defined twice; the first wins`))
      return
    }
    seen.add(spec.name)
    plugins.push(spec)
  })
  return { plugins, problems }
}

function pluginProblems(raw: unknown, path: string): Issue[] {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return [issue(path || '/', 'a plugin must be an object {name, command, args?, env?, enabled?}')]
  }
  const out: Issue[] = []
  if (!check.Check(raw)) {
    for (const e of check.Errors(raw)) {
      if (out.length >= 10) break
      out.push(issue(`${path}${e.path}`, e.message))
    }
    return out
  }
  const c = raw as PluginConfig
  if (!NAME.test(c.name)) {
    out.push(
      issue(
        `${path}/name`,
        `plugin name "${c.name}" must start with a letter and hold only letters, digits, '_' and '-' (at most 64)`,
      ),
    )
  } else if ((RESERVED_PLUGIN_NAMES as readonly string[]).includes(c.name.toLowerCase())) {
    out.push(issue(`${path}/name`, `plugin name "${c.name}" is reserved by built-in actions`))
  }
  if (c.timeout !== undefined) {
    const ms = parseDuration(c.timeout)
    if (ms === undefined || ms <= 0) {
      out.push(
        issue(`${path}/timeout`, `timeout "${c.timeout}" is not a positive duration such as "30s"`),
      )
    }
  }
  for (const key of Object.keys(c.env ?? {})) {
    if (key === '' || key.includes('=') || key.includes('\u0000')) {
      out.push(issue(`${path}/env`, `"${key}" is not a valid environment variable name`))
    }
  }
  return out
}

/**
 * The environment of a plugin child: PATH, HOME and LANG from the server (PATH and LANG with
 * defaults), then the plugin's `env`; the forbidden variables are dropped from both. Returns the
 * dropped names so the caller can warn.
 */
export function childEnvironment(
  spec: Pick<PluginSpec, 'env'>,
  parent: Record<string, string | undefined>,
): { env: Record<string, string>; dropped: string[] } {
  const env: Record<string, string> = {
    PATH: parent.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    LANG: parent.LANG ?? 'C.UTF-8',
  }
  if (parent.HOME !== undefined) env.HOME = parent.HOME
  const dropped: string[] = []
  for (const [k, v] of Object.entries(spec.env)) {
    if ((FORBIDDEN_ENV as readonly string[]).includes(k)) dropped.push(k)
    else env[k] = v
  }
  return { env, dropped }
}

/** What of a plugin configuration may be stored and shown: the env's names, never its values. */
export function publicConfig(spec: PluginSpec): Record<string, unknown> {
  return {
    command: spec.command,
    args: spec.args,
    env_keys: Object.keys(spec.env).sort(),
    enabled: spec.enabled,
    ...(spec.cwd === undefined ? {} : { cwd: spec.cwd }),
    ...(spec.timeoutMs === undefined ? {} : { timeout_ms: spec.timeoutMs }),
  }
}

/** True when two specs start the same process (a reload restarts a plugin only when this changes). */
export function sameProcess(a: PluginSpec, b: PluginSpec): boolean {
  return JSON.stringify(processKey(a)) === JSON.stringify(processKey(b))
}

function processKey(s: PluginSpec): unknown {
  return [s.command, s.args, Object.entries(s.env).sort(), s.cwd ?? null]
}

function issue(path: string, message: string): Issue {
  return { path, code: 'VALIDATION_ERROR', message, severity: 'error' }
}
