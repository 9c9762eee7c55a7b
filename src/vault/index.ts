/**
 * The secret vault (AES-256-GCM, PBKDF2 key from OPCODE_VAULT_KEY/_FILE/stdin) and redaction of
 * secret values. Imports only engine/ports (SecretResolver) and errors; the store implements
 * VaultStorage.
 */
export { readVaultKey, type VaultKey } from './key.ts'
export {
  createRedactor,
  encodedForms,
  MIN_REDACT_LENGTH,
  REDACTED,
  type Redactor,
} from './redact.ts'
export {
  checkName,
  DEFAULT_ITERATIONS,
  type OpenVaultOptions,
  openVault,
  uninitializedResolver,
  type Vault,
  type VaultMeta,
  type VaultStorage,
} from './vault.ts'
