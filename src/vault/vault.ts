/**
 * The secret vault (spec server.md §13 with its Ours note, decisions.md D10/D17/D21). Secrets are
 * sealed with AES-256-GCM under a key derived by PBKDF2-HMAC-SHA256 from the passphrase
 * (`OPCODE_VAULT_KEY`, its file, or stdin) with a random per-install salt; the iteration count is
 * recorded with the salt, so it can be raised for new vaults without breaking old ones. Each
 * secret has a fresh 12-byte nonce and its name as associated data, so a blob copied to another
 * name does not decrypt. A verification blob sealed at creation makes a wrong passphrase fail at
 * start-up with VAULT_ERROR instead of yielding garbage later. The passphrase and the key are
 * never written anywhere; values are never listed.
 *
 * Blob layout: `0x01 ‖ nonce (12) ‖ ciphertext ‖ tag (16)`.
 */
import { createCipheriv, createDecipheriv, pbkdf2Sync, randomBytes } from 'node:crypto'
import type { SecretResolver } from '../engine/ports.ts'
import { AppError } from '../errors.ts'
import type { Redactor } from './redact.ts'

/** Vault parameters stored beside the secrets (one row). Binary fields are base64 text. */
export interface VaultMeta {
  /** Format version of the metadata and the blobs (1). */
  v: 1
  kdf: 'pbkdf2-sha256'
  iterations: number
  /** Random per-install salt, base64 (16 bytes). */
  salt: string
  /** A known text sealed with the key, base64 blob: proves the passphrase at start-up. */
  verifier: string
}

/**
 * Where sealed secrets live (implemented by the store: a `secrets` table plus one metadata row).
 * Synchronous because `${{secrets.X}}` is resolved synchronously during interpolation.
 */
export interface VaultStorage {
  /** The vault's parameters, or undefined when no vault was created yet. */
  getMeta(): VaultMeta | undefined
  putMeta(meta: VaultMeta): void
  /** The sealed blob of a secret, or undefined. */
  get(name: string): Uint8Array | undefined
  /** Inserts or replaces a secret's blob. */
  put(name: string, blob: Uint8Array): void
  /** Removes a secret; true when it existed. */
  delete(name: string): boolean
  /** Secret names, ascending. */
  list(): string[]
}

export interface Vault {
  /** Stores (or replaces) a secret. VALIDATION_ERROR for a bad name or an empty value. */
  set(name: string, value: string): void
  /** The secret's value; NOT_FOUND when absent, VAULT_ERROR when its blob does not decrypt. */
  get(name: string): string
  /** Removes a secret; NOT_FOUND when absent. */
  delete(name: string): void
  /** Secret names (never values), ascending. */
  list(): string[]
  /**
   * The resolver of `${{secrets.NAME}}`. With a redactor, every value resolved is added to it, so
   * outputs, events and logs can be scrubbed of exactly the secrets a run used.
   */
  resolver(options?: { redactor?: Redactor }): SecretResolver
  /** Forgets the key (zeroes it); later calls fail with VAULT_ERROR. */
  close(): void
}

export interface OpenVaultOptions {
  /** PBKDF2 iterations for a new vault (default 600,000, OWASP 2023); an existing vault keeps its own. */
  iterations?: number
}

export const DEFAULT_ITERATIONS = 600_000
const MAX_ITERATIONS = 10_000_000
const VERSION = 1
const NONCE = 12
const TAG = 16
const VERIFIER_TEXT = 'opcode vault verifier v1'
const VERIFIER_AAD = 'opcode-vault:verifier'
const SECRET_AAD = 'opcode-vault:secret:'
/** Names as `${{secrets.NAME}}` can reference them with dot syntax, plus `.` and `-`. */
const NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/
const MAX_VALUE_BYTES = 64 * 1024

/**
 * Opens the vault in `storage` with `passphrase`, creating it (salt, iterations, verifier) when
 * the storage has none. Throws VAULT_ERROR for an empty passphrase, a wrong passphrase, corrupt
 * metadata, or secrets stored without metadata.
 */
export function openVault(
  storage: VaultStorage,
  passphrase: string,
  options: OpenVaultOptions = {},
): Vault {
  if (typeof passphrase !== 'string' || passphrase === '') {
    throw new AppError('VAULT_ERROR', 'the vault key is empty')
  }
  let meta = storage.getMeta()
  let key: Buffer
  if (meta === undefined) {
    if (storage.list().length > 0) {
      throw new AppError(
        'VAULT_ERROR',
        'the vault holds secrets but no key parameters (salt, iterations); it cannot be opened',
      )
    }
    const iterations = options.iterations ?? DEFAULT_ITERATIONS
    if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS) {
      throw new AppError(
        'VAULT_ERROR',
        `PBKDF2 iterations must be a whole number from 1 to ${MAX_ITERATIONS}`,
      )
    }
    const salt = randomBytes(16)
    key = pbkdf2Sync(passphrase, salt, iterations, 32, 'sha256')
    meta = {
      v: VERSION,
      kdf: 'pbkdf2-sha256',
      iterations,
      salt: salt.toString('base64'),
      verifier: Buffer.from(seal(key, Buffer.from(VERIFIER_TEXT), VERIFIER_AAD)).toString('base64'),
    }
    storage.putMeta(meta)
  } else {
    const salt = checkMeta(meta)
    key = pbkdf2Sync(passphrase, salt, meta.iterations, 32, 'sha256')
    const plain = unseal(key, Buffer.from(meta.verifier, 'base64'), VERIFIER_AAD)
    if (plain === undefined || plain.toString() !== VERIFIER_TEXT) {
      key.fill(0)
      throw new AppError(
        'VAULT_ERROR',
        'the vault key does not match this vault (wrong OPCODE_VAULT_KEY?); secrets cannot be read',
      )
    }
  }

  let open = true
  const live = (): Buffer => {
    if (!open) throw new AppError('VAULT_ERROR', 'the vault is closed')
    return key
  }
  const vault: Vault = {
    set(name, value) {
      checkName(name)
      if (typeof value !== 'string' || value === '') {
        throw new AppError('VALIDATION_ERROR', `secret "${name}": the value is empty`)
      }
      const bytes = Buffer.from(value, 'utf8')
      if (bytes.byteLength > MAX_VALUE_BYTES) {
        throw new AppError('VALIDATION_ERROR', `secret "${name}": the value exceeds 64 KiB`)
      }
      storage.put(name, seal(live(), bytes, SECRET_AAD + name))
    },
    get(name) {
      const k = live()
      const blob = storage.get(name)
      if (blob === undefined)
        throw new AppError('NOT_FOUND', `secret "${name}" not found`, { details: { secret: name } })
      const plain = unseal(k, blob, SECRET_AAD + name)
      if (plain === undefined) {
        throw new AppError(
          'VAULT_ERROR',
          `secret "${name}" cannot be decrypted: its stored value was altered or belongs to another name`,
          { details: { secret: name } },
        )
      }
      return plain.toString('utf8')
    },
    delete(name) {
      live()
      if (!storage.delete(name)) {
        throw new AppError('NOT_FOUND', `secret "${name}" not found`, { details: { secret: name } })
      }
    },
    list() {
      live()
      return storage.list()
    },
    resolver(opts = {}) {
      return {
        resolve(name) {
          const value = vault.get(name)
          opts.redactor?.add(value)
          return value
        },
      }
    },
    close() {
      open = false
      key.fill(0)
    },
  }
  return vault
}

/** The resolver used when no vault key was given: every `${{secrets.X}}` fails (decisions.md D17). */
export function uninitializedResolver(): SecretResolver {
  return {
    resolve() {
      throw new AppError('VAULT_ERROR', 'vault not initialized')
    },
  }
}

/** VALIDATION_ERROR unless `name` is a usable secret name. */
export function checkName(name: string): void {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new AppError(
      'VALIDATION_ERROR',
      `invalid secret name ${JSON.stringify(name)}: use 1-128 letters, digits, '_', '.' or '-', starting with a letter or '_'`,
    )
  }
}

function checkMeta(meta: VaultMeta): Buffer {
  const corrupt = (why: string) =>
    new AppError(
      'VAULT_ERROR',
      `the vault's key parameters are corrupt (${why}); it cannot be opened`,
    )
  if (meta === null || typeof meta !== 'object') throw corrupt('not an object')
  if (meta.v !== VERSION) throw corrupt(`unknown version ${String(meta.v)}`)
  if (meta.kdf !== 'pbkdf2-sha256') throw corrupt(`unknown KDF ${String(meta.kdf)}`)
  if (
    !Number.isInteger(meta.iterations) ||
    meta.iterations < 1 ||
    meta.iterations > MAX_ITERATIONS
  ) {
    throw corrupt('bad iteration count')
  }
  const salt = typeof meta.salt === 'string' ? Buffer.from(meta.salt, 'base64') : Buffer.alloc(0)
  if (salt.byteLength < 16) throw corrupt('salt shorter than 16 bytes')
  if (typeof meta.verifier !== 'string') throw corrupt('no verifier')
  return salt
}

function seal(key: Buffer, plain: Uint8Array, aad: string): Uint8Array {
  const nonce = randomBytes(NONCE)
  const cipher = createCipheriv('aes-256-gcm', key, nonce)
  cipher.setAAD(Buffer.from(aad, 'utf8'))
  const body = Buffer.concat([cipher.update(plain), cipher.final()])
  return Buffer.concat([Buffer.from([VERSION]), nonce, body, cipher.getAuthTag()])
}

/** The plaintext, or undefined when the blob is malformed or fails authentication. */
function unseal(key: Buffer, blob: Uint8Array, aad: string): Buffer | undefined {
  if (blob.byteLength < 1 + NONCE + TAG || blob[0] !== VERSION) return undefined
  const b = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength)
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, b.subarray(1, 1 + NONCE))
    decipher.setAAD(Buffer.from(aad, 'utf8'))
    decipher.setAuthTag(b.subarray(b.byteLength - TAG))
    return Buffer.concat([
      decipher.update(b.subarray(1 + NONCE, b.byteLength - TAG)),
      decipher.final(),
    ])
  } catch {
    return undefined
  }
}
