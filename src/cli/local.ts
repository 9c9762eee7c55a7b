/**
 * What the local CLI commands share (decisions.md D1/D21): opening the database file themselves,
 * waiting a run through timers until it ends or needs someone, and printing results.
 */
import { resolve } from 'node:path'
import { AppError } from '../errors.ts'
import { openRuntime, type Runtime, silentLogger } from '../runtime.ts'
import type { ExecutionResult } from '../schema/run.ts'
import { type CommandIo, EXIT } from './command.ts'

/** Opens a database for a local command; `:memory:` when no path is given. */
export function openLocal(
  io: CommandIo,
  dbPath: string | undefined,
  mode: 'local' | 'readonly' = 'local',
): Runtime {
  const path = dbPath === undefined ? ':memory:' : resolve(io.cwd, dbPath)
  return openRuntime({ dbPath: path, mode })
}

/**
 * Opens a database for a local command that RUNS workflows (`run FILE`, `signal --db-path`): the
 * same actions as a server — `shell.exec` and `fs.*` under the detected isolator and the settings'
 * limits and path rules, and the vault when OPCODE_VAULT_KEY / OPCODE_VAULT_KEY_FILE is set.
 */
export async function openLocalRunner(io: CommandIo, dbPath: string | undefined): Promise<Runtime> {
  const path = dbPath === undefined ? ':memory:' : resolve(io.cwd, dbPath)
  const [{ DeferredSecrets, engineRedact, openPlatform }, { loadConfig }, { readVaultKey }] =
    await Promise.all([
      import('../platform.ts'),
      import('../config/index.ts'),
      import('../vault/index.ts'),
    ])
  const secrets = new DeferredSecrets()
  const rt = openRuntime({ dbPath: path, mode: 'local', secrets, redact: engineRedact() })
  try {
    const config = loadConfig(io.env, dbPath === undefined ? {} : { dbPath: path }, io.cwd)
    const key = readVaultKey(io.env)
    const platform = await openPlatform({
      store: rt.store,
      config,
      ...(key === undefined ? {} : { vaultKey: key.key }),
      secrets,
      logger: silentLogger,
    })
    for (const a of platform.actions)
      if (rt.actions.get(a.name) === undefined) rt.actions.register(a)
    const close = rt.close
    rt.close = async () => {
      try {
        await close()
      } finally {
        platform.close()
      }
    }
    return rt
  } catch (err) {
    await rt.close()
    throw err
  }
}

/** Exit code of a result: 0 completed, 1 failed/cancelled, 3 suspended (D1). */
export function exitCodeOf(r: ExecutionResult): number {
  if (r.status === 'completed') return EXIT.ok
  if (r.status === 'suspended') return EXIT.suspended
  return EXIT.failed
}

/** Prints a result as JSON (`--json`) or as a short human summary. */
export function printResult(io: CommandIo, r: ExecutionResult, json: boolean): void {
  if (json) {
    io.stdout(`${JSON.stringify(r, null, 2)}\n`)
    return
  }
  const lines = [`workflow ${r.workflow_id}: ${r.status}`]
  for (const [key, s] of Object.entries(r.steps ?? {})) {
    const dur = s.duration_ms === undefined ? '' : ` (${Math.round(s.duration_ms)} ms)`
    const err = s.error === undefined ? '' : ` — [${s.error.code}] ${s.error.message}`
    lines.push(`  ${s.status.padEnd(9)} ${key}${dur}${err}`)
  }
  if (r.error !== undefined) lines.push(`error: [${r.error.code}] ${r.error.message}`)
  if (r.output !== undefined) lines.push(`output: ${JSON.stringify(r.output)}`)
  for (const d of (r.pending_decisions ?? []) as Array<Record<string, unknown>>) {
    const ctx = d.context as Record<string, unknown> | undefined
    const opts = (d.options as Array<{ id: string }> | undefined)?.map((o) => o.id).join(', ')
    lines.push(
      `pending decision on step ${String(d.step_id)}: ${String(ctx?.prompt_context ?? '')}`,
    )
    lines.push(`  options: ${opts === undefined || opts === '' ? '(free-form)' : opts}`)
    lines.push(
      `  resolve: opcode signal ${r.workflow_id} --type decision --step ${String(d.step_id)} --payload '{"choice":"…"}' --db-path <file>`,
    )
  }
  const waits = Object.entries(r.steps ?? {}).filter(([, s]) => s.status === 'suspended')
  if (r.status === 'suspended' && (r.pending_decisions ?? []).length === 0) {
    for (const [key] of waits) lines.push(`waiting on step ${key} (send a data signal or wait)`)
  }
  io.stdout(`${lines.join('\n')}\n`)
}

/** Prints an error with its code; returns the exit code for it. */
export function printError(io: CommandIo, err: unknown, json: boolean): number {
  const e =
    err instanceof AppError
      ? err
      : new AppError('INTERNAL_ERROR', String((err as Error)?.message ?? err))
  if (json) io.stdout(`${JSON.stringify({ error: e.toJSON() }, null, 2)}\n`)
  else {
    io.stderr(`error: ${e.toString()}\n`)
    for (const i of e.issues ?? []) io.stderr(`  ${i.severity} ${i.path || '/'}: ${i.message}\n`)
  }
  return e.code === 'VALIDATION_ERROR' ||
    e.code === 'CYCLE_DETECTED' ||
    e.code === 'ACTION_UNAVAILABLE'
    ? EXIT.usage
    : EXIT.failed
}
