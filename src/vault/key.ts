/**
 * Where the vault passphrase comes from (decisions.md D10, D21): `OPCODE_VAULT_KEY`, or the file
 * named by `OPCODE_VAULT_KEY_FILE`, or a line on standard input (what `install` hands over a
 * pipe). Never from settings.json and never written anywhere. A key file readable by group or
 * others is accepted with a warning.
 */
import { readFileSync, statSync } from 'node:fs'
import { AppError } from '../errors.ts'

export interface VaultKey {
  key: string
  source: 'env' | 'file' | 'stdin'
  /** Problems worth logging (a key file others can read). */
  warnings: string[]
}

/**
 * The passphrase from `env` (OPCODE_VAULT_KEY or OPCODE_VAULT_KEY_FILE), else from `stdin` (text
 * already read by the caller; one trailing newline is dropped). Undefined when none is given.
 * Throws VAULT_ERROR when both variables are set, or the key file is unreadable or empty.
 */
export function readVaultKey(
  env: Record<string, string | undefined>,
  stdin?: string,
): VaultKey | undefined {
  const inline = env.OPCODE_VAULT_KEY
  const file = env.OPCODE_VAULT_KEY_FILE
  const hasInline = inline !== undefined && inline !== ''
  const hasFile = file !== undefined && file !== ''
  if (hasInline && hasFile) {
    throw new AppError('VAULT_ERROR', 'set OPCODE_VAULT_KEY or OPCODE_VAULT_KEY_FILE, not both')
  }
  if (hasInline) return { key: inline, source: 'env', warnings: [] }
  if (hasFile) {
    let text: string
    const warnings: string[] = []
    try {
      text = readFileSync(file, 'utf8')
      if ((statSync(file).mode & 0o077) !== 0) {
        warnings.push(`vault key file ${file} is readable by other users; chmod 600 it`)
      }
    } catch (err) {
      throw new AppError(
        'VAULT_ERROR',
        `cannot read OPCODE_VAULT_KEY_FILE ${file}: ${(err as Error).message}`,
        {
          cause: err,
        },
      )
    }
    const key = dropNewline(text)
    if (key === '') throw new AppError('VAULT_ERROR', `OPCODE_VAULT_KEY_FILE ${file} is empty`)
    return { key, source: 'file', warnings }
  }
  if (stdin !== undefined) {
    const key = dropNewline(stdin)
    if (key === '') throw new AppError('VAULT_ERROR', 'the vault key read from stdin is empty')
    return { key, source: 'stdin', warnings: [] }
  }
  return undefined
}

function dropNewline(s: string): string {
  return s.replace(/\r?\n$/, '')
}
