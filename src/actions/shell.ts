/**
 * `shell.exec` (spec actions.md §3, server.md §14, decisions.md D18/D21): runs a program (argv, no
 * shell parsing) or a `/bin/sh -c` script through the isolator chosen at start-up, under the
 * step's limits clamped to the server's maxima. A non-zero exit is not an error. The child gets
 * the server's environment minus the vault key, its file and the API token, plus `env`. The whole
 * process tree is killed at the timeout, on cancellation and when the command ends. Choices beyond
 * the spec are in docs/isolation.md.
 */
import { accessSync, constants, statSync } from 'node:fs'
import { resolve } from 'node:path'
import { type Static, Type } from '@sinclair/typebox'
import type { Action } from '../engine/ports.ts'
import { AppError } from '../errors.ts'
import {
  childEnv,
  defaultLimitSettings,
  type Isolator,
  type LimitSettings,
  type PathPolicy,
  type ResolvedLimits,
  resolveLimits,
  SECRET_ENV_NAMES,
} from '../isolation/index.ts'
import { parseDuration } from '../schema/duration.ts'
import { assertParams } from './registry.ts'

export interface ShellDefaults {
  /**
   * settings.json `limits` (defaults and maxima); built-in ones when absent. A function is read
   * at each call, so a SIGHUP reload (decisions.md D21) applies to the next command.
   */
  limits?: LimitSettings | (() => LimitSettings)
  /** Cap of captured stdout and of stderr, each (default 10 MiB); more is discarded. */
  maxOutputBytes?: number
  /** The environment commands inherit (default: this process's). Secrets are removed from it. */
  env?: Record<string, string | undefined>
  /** Shell of `shell: true` (default /bin/sh). */
  shell?: string
}

export interface ShellDeps {
  isolator: Isolator
  paths: PathPolicy
  defaults?: ShellDefaults
}

const ShellParams = Type.Object({
  command: Type.String({
    minLength: 1,
    description:
      "Program to run, looked up on PATH unless it contains '/' (e.g. 'git'), or with shell: true the script text.",
  }),
  args: Type.Optional(
    Type.Array(Type.String(), {
      description:
        'Arguments, passed verbatim (no shell parsing). With shell: true they are appended to the script, joined by spaces, unquoted.',
    }),
  ),
  env: Type.Optional(
    Type.Record(Type.String(), Type.String(), {
      description:
        "Variables added to the server's environment (they win). OPCODE_VAULT_KEY, OPCODE_VAULT_KEY_FILE and OPCODE_TOKEN cannot be set.",
    }),
  ),
  cwd: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        "Working directory (default: the server's); must be readable under the path rules.",
    }),
  ),
  workdir: Type.Optional(Type.String({ minLength: 1, description: 'Alias of cwd (older docs).' })),
  stdin: Type.Optional(
    Type.String({ description: 'Text fed on standard input (none when empty).' }),
  ),
  timeout: Type.Optional(
    Type.String({
      description:
        "Wall-clock limit, Go duration (e.g. '30s', '5m'); default the step's limits.timeout, at most the server's maximum. The whole process tree is killed when it expires (killed: true).",
    }),
  ),
  shell: Type.Optional(
    Type.Boolean({
      description:
        'Run command as a script with /bin/sh -c (default false). Quote arguments yourself.',
    }),
  ),
})

/** Output of `shell.exec` (optional fields appear only when they apply). */
export interface ShellOutput {
  /** Parsed JSON when the whole stdout is JSON (surrounding whitespace allowed), else the text. */
  stdout: unknown
  stdout_raw: string
  stderr: string
  /** -1 when the command was killed by a signal. */
  exit_code: number
  duration_ms: number
  /** The timeout expired and the tree was killed. */
  killed: boolean
  /** The signal that ended the command, e.g. SIGKILL (out of memory, timeout). */
  signal?: string
  /** The limit that visibly stopped the command (cgroup isolators). */
  limit_exceeded?: 'memory' | 'pids'
  stdout_truncated?: true
  stderr_truncated?: true
}

const DEFAULT_MAX_OUTPUT = 10 * 1024 * 1024

export function shellAction(deps: ShellDeps): Action {
  const configured = deps.defaults?.limits ?? defaultLimitSettings()
  const settingsNow = typeof configured === 'function' ? configured : () => configured
  const maxOutputBytes = deps.defaults?.maxOutputBytes ?? DEFAULT_MAX_OUTPUT
  const shell = deps.defaults?.shell ?? '/bin/sh'
  const action: Action = {
    name: 'shell.exec',
    description:
      'Runs a command (argv, or a /bin/sh script with shell: true) under the step limits: {stdout (JSON-parsed when possible), stdout_raw, stderr, exit_code, duration_ms, killed}. A non-zero exit is not an error.',
    params: ShellParams,
    pure: false,
    async execute(params, ctx): Promise<ShellOutput> {
      assertParams(action, params)
      const p = params as Static<typeof ShellParams>
      if (p.command.trim() === '') {
        throw new AppError('VALIDATION_ERROR', "shell.exec: missing required param 'command'", {
          details: { path: '/command' },
        })
      }
      for (const name of Object.keys(p.env ?? {})) {
        if (SECRET_ENV_NAMES.includes(name)) {
          throw new AppError('VALIDATION_ERROR', `shell.exec: env may not set ${name}`, {
            details: { path: `/env/${name}` },
          })
        }
      }
      const baseEnv = deps.defaults?.env ?? process.env
      const env = childEnv(baseEnv, p.env)

      const cwdParam = p.cwd ?? p.workdir
      let cwd: string
      if (cwdParam === undefined) cwd = process.cwd()
      else {
        try {
          cwd = deps.paths.checkRead(cwdParam)
        } catch (err) {
          if (err instanceof AppError && err.code === 'PATH_DENIED') {
            throw new AppError('PATH_DENIED', `shell.exec: cwd path denied: ${err.message}`, {
              details: err.details,
              cause: err,
            })
          }
          throw err
        }
      }
      checkDirectory(cwd)

      const limits = effectiveLimits(p.timeout, ctx.limits, ctx.deadline, settingsNow())
      const argv =
        p.shell === true
          ? [shell, '-c', [p.command, ...(p.args ?? [])].join(' ')]
          : [resolveProgram(p.command, cwd, env.PATH ?? ''), ...(p.args ?? [])]

      let r: Awaited<ReturnType<Isolator['run']>>
      try {
        r = await deps.isolator.run({
          argv,
          cwd,
          env,
          ...(p.stdin === undefined || p.stdin === '' ? {} : { stdin: p.stdin }),
          limits,
          signal: ctx.signal,
          maxOutputBytes,
        })
      } catch (err) {
        if (err instanceof AppError) {
          throw new AppError(err.code, `shell.exec: ${err.message}`, {
            details: err.details,
            cause: err,
          })
        }
        throw new AppError('EXECUTION_ERROR', `shell.exec: ${(err as Error).message}`, {
          cause: err,
        })
      }
      if (r.cancelled) {
        if (ctx.signal.reason instanceof AppError) throw ctx.signal.reason
        throw new AppError('CANCELLED', 'shell.exec: cancelled; the command was killed', {
          cause: ctx.signal.reason,
        })
      }
      const out: ShellOutput = {
        stdout: r.stdoutTruncated ? r.stdout : parseStdout(r.stdout),
        stdout_raw: r.stdout,
        stderr: r.stderr,
        exit_code: r.exitCode ?? -1,
        duration_ms: r.durationMs,
        killed: r.killed,
      }
      if (r.signal !== null) out.signal = r.signal
      if (r.limitHit !== undefined) out.limit_exceeded = r.limitHit
      if (r.stdoutTruncated) out.stdout_truncated = true
      if (r.stderrTruncated) out.stderr_truncated = true
      return out
    },
  }
  return action
}

/**
 * The command's limits: the step's over the settings' defaults, clamped to the maxima; the
 * `timeout` param replaces limits.timeout (still clamped), and the step deadline bounds both.
 */
function effectiveLimits(
  timeout: string | undefined,
  stepLimits: Parameters<typeof resolveLimits>[0],
  deadline: number | undefined,
  settings: LimitSettings,
): ResolvedLimits {
  const limits = resolveLimits(stepLimits, settings)
  if (timeout !== undefined) {
    const ms = parseDuration(timeout)
    if (ms === undefined || ms <= 0) {
      throw new AppError(
        'VALIDATION_ERROR',
        `shell.exec: timeout must be a positive Go duration such as '30s', got ${JSON.stringify(timeout)}`,
        { details: { path: '/timeout' } },
      )
    }
    limits.timeoutMs =
      settings.max.timeoutMs === undefined ? ms : Math.min(ms, settings.max.timeoutMs)
  }
  if (deadline !== undefined) {
    const left = Math.max(0, deadline - Date.now())
    limits.timeoutMs = limits.timeoutMs === undefined ? left : Math.min(limits.timeoutMs, left)
  }
  return limits
}

/** `/bin/sh -c` JSON rule of the spec: the whole trimmed text, when it parses. */
function parseStdout(text: string): unknown {
  const t = text.trim()
  if (t === '') return text
  try {
    return JSON.parse(t)
  } catch {
    return text
  }
}

function checkDirectory(cwd: string): void {
  let isDir = false
  try {
    isDir = statSync(cwd).isDirectory()
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new AppError(
      'EXECUTION_ERROR',
      `shell.exec: cwd ${cwd}: ${code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`,
      { details: { path: cwd }, cause: err },
    )
  }
  if (!isDir) {
    throw new AppError('EXECUTION_ERROR', `shell.exec: cwd ${cwd}: not a directory`, {
      details: { path: cwd },
    })
  }
}

/** The absolute path of the program: PATH lookup, or relative to cwd when it contains '/'. */
function resolveProgram(command: string, cwd: string, pathVar: string): string {
  if (command.includes('/')) {
    const abs = resolve(cwd, command)
    try {
      if (statSync(abs).isDirectory()) throw new Error('is a directory')
      accessSync(abs, constants.X_OK)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      const why =
        code === 'ENOENT'
          ? 'no such file or directory'
          : code === 'EACCES'
            ? 'permission denied'
            : (err as Error).message
      throw new AppError('EXECUTION_ERROR', `shell.exec: cannot run ${command}: ${why}`, {
        details: { command },
      })
    }
    return abs
  }
  const found = Bun.which(command, { PATH: pathVar, cwd })
  if (found === null) {
    // An agent often writes a whole command line here; say how to run one.
    const hint = /\s/.test(command.trim())
      ? ' (to run a command line, set shell: true or pass the arguments in args)'
      : ''
    throw new AppError(
      'EXECUTION_ERROR',
      `shell.exec: executable file not found in $PATH: ${command}${hint}`,
      { details: { command } },
    )
  }
  return found
}
