/**
 * Where `serve` gets the vault key (decisions.md D10, D21), never from disk it writes itself:
 * standard input (`--vault-key-stdin`, how `install` hands it over a pipe), `OPCODE_VAULT_KEY_FILE`,
 * or `OPCODE_VAULT_KEY`. A key that arrives in the environment must not stay there, where
 * `/proc/<pid>/environ` would show it to child processes: the server re-executes itself once
 * (same PID, `execve`) without it, passing the key through a private file on a memory filesystem
 * that the new image reads and deletes at once.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AppError } from '../errors.ts'
import { readVaultKey as readKey } from '../vault/index.ts'
import { selfCommand } from './daemon.ts'

export interface VaultKeySource {
  key?: string
  /** How it arrived (for the start-up log; never the key itself). */
  from?: 'stdin' | 'file' | 'env' | 'handover'
  /** A warning for the log (e.g. the key could not be removed from the environment). */
  warning?: string
}

const HANDOVER = 'OPCODE_VAULT_KEY_HANDOVER'

/** Reads the key from the sources in order. Deletes a handover file after reading it. */
export async function readVaultKey(
  env: Record<string, string | undefined>,
  fromStdin: boolean,
  readStdin: () => Promise<string>,
): Promise<VaultKeySource> {
  if (fromStdin) {
    const text = await readStdin()
    const key = text.split('\n')[0]?.replace(/\r$/, '') ?? ''
    if (key === '') throw new AppError('VAULT_ERROR', 'the vault key read from stdin is empty')
    return { key, from: 'stdin' }
  }
  const handover = env[HANDOVER]
  if (handover !== undefined && handover !== '') {
    try {
      const key = readFileSync(handover, 'utf8')
      return { key, from: 'handover' }
    } finally {
      rmSync(handover, { force: true })
      rmSync(join(handover, '..'), { recursive: true, force: true })
    }
  }
  const k = readKey(env)
  return k === undefined ? {} : { key: k.key, from: k.source === 'env' ? 'env' : 'file' }
}

/**
 * When the key came from the environment: replaces this process image with one whose environment
 * lacks it (never returns on success). Returns a warning when that is not possible here. `argv` is
 * `process.argv.slice(1)`: the script (or, in the compiled binary, its embedded entry), then the
 * arguments.
 */
export function reexecWithoutKey(key: string, argv: string[]): string {
  const execve = (
    process as { execve?: (file: string, args: string[], env: Record<string, string>) => never }
  ).execve
  if (typeof execve !== 'function' || process.platform !== 'linux')
    return 'OPCODE_VAULT_KEY stays in this process environment (no execve here); prefer OPCODE_VAULT_KEY_FILE or install --vault-key'
  let dir: string
  try {
    if (!statSync('/dev/shm').isDirectory()) throw new Error('no /dev/shm')
    dir = mkdtempSync('/dev/shm/opcode-key-')
    chmodSync(dir, 0o700)
  } catch {
    return 'OPCODE_VAULT_KEY stays in this process environment (no memory filesystem for the hand-over); prefer OPCODE_VAULT_KEY_FILE'
  }
  const path = join(dir, 'key')
  writeFileSync(path, key, { mode: 0o600 })
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && k !== 'OPCODE_VAULT_KEY') env[k] = v
  }
  env[HANDOVER] = path
  try {
    // The compiled binary adds its embedded entry itself: passing it would make it a command.
    const self = selfCommand()
    execve.call(process, self[0] as string, [...self, ...argv.slice(1)], env)
  } catch (err) {
    rmSync(dir, { recursive: true, force: true })
    return `OPCODE_VAULT_KEY stays in this process environment (re-exec failed: ${(err as Error).message})`
  }
  return 'unreachable'
}

/** Removes the hand-over variable so it is not inherited either. */
export function scrubKeyEnv(env: Record<string, string | undefined>): void {
  delete env[HANDOVER]
  delete env.OPCODE_VAULT_KEY
}
