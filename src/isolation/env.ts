/**
 * The environment of commands (spec actions.md §3, decisions.md D10/D21): the server's own
 * environment plus the step's additions, never the vault key, its file or the API token, even when
 * the server inherited them.
 */

/** Variables no child process ever receives. */
export const SECRET_ENV_NAMES: readonly string[] = [
  'OPCODE_VAULT_KEY',
  'OPCODE_VAULT_KEY_FILE',
  'OPCODE_TOKEN',
]

/** `base` minus the secret variables, plus `additions` (additions win). */
export function childEnv(
  base: Record<string, string | undefined>,
  additions: Record<string, string> = {},
): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(base)) {
    if (v !== undefined && !SECRET_ENV_NAMES.includes(k)) out[k] = v
  }
  for (const [k, v] of Object.entries(additions)) {
    if (!SECRET_ENV_NAMES.includes(k)) out[k] = v
  }
  return out
}
