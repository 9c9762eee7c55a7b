/**
 * The vault against a small in-memory VaultStorage (the store's SQLite implementation will run the
 * same tests): round trip, wrong key refused at open, tampering detected, names bound to their
 * blobs, the passphrase never stored, and the key sources.
 */
import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { chmodSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../../test/support/tmp.ts'
import { AppError } from '../errors.ts'
import { readVaultKey } from './key.ts'
import { createRedactor } from './redact.ts'
import { openVault, uninitializedResolver, type VaultMeta, type VaultStorage } from './vault.ts'

/** What a store would keep: blobs by name and one metadata row. */
class MemoryStorage implements VaultStorage {
  meta: VaultMeta | undefined
  blobs = new Map<string, Uint8Array>()
  getMeta() {
    return this.meta === undefined ? undefined : { ...this.meta }
  }
  putMeta(meta: VaultMeta) {
    this.meta = { ...meta }
  }
  get(name: string) {
    const b = this.blobs.get(name)
    return b === undefined ? undefined : new Uint8Array(b)
  }
  put(name: string, blob: Uint8Array) {
    this.blobs.set(name, new Uint8Array(blob))
  }
  delete(name: string) {
    return this.blobs.delete(name)
  }
  list() {
    return [...this.blobs.keys()].sort()
  }
  /** Everything persisted, as one buffer (to look for leaks). */
  dump(): Buffer {
    return Buffer.concat([
      Buffer.from(JSON.stringify(this.meta ?? {})),
      ...[...this.blobs.entries()].flatMap(([k, v]) => [Buffer.from(k), Buffer.from(v)]),
    ])
  }
}

const FAST = { iterations: 1000 } // tests only; the default is 600,000
const KEY = 'correct horse battery staple'

function vaultError(fn: () => unknown): AppError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(AppError)
    return err as AppError
  }
  throw new Error('expected an error')
}

describe('openVault', () => {
  test('creates the vault on first open: random salt, recorded iterations, a verifier', () => {
    const storage = new MemoryStorage()
    openVault(storage, KEY, FAST)
    const meta = storage.meta as VaultMeta
    expect(meta).toMatchObject({ v: 1, kdf: 'pbkdf2-sha256', iterations: 1000 })
    expect(Buffer.from(meta.salt, 'base64').byteLength).toBe(16)
    const other = new MemoryStorage()
    openVault(other, KEY, FAST)
    expect(other.meta?.salt).not.toBe(meta.salt) // per install, not a constant
  })

  test('round trip: set, get, list names, delete', () => {
    const storage = new MemoryStorage()
    const vault = openVault(storage, KEY, FAST)
    vault.set('API_TOKEN', 'sk-live-1234567890')
    vault.set('db.password', 'p@ss wörd')
    expect(vault.get('API_TOKEN')).toBe('sk-live-1234567890')
    expect(vault.list()).toEqual(['API_TOKEN', 'db.password'])
    // reopened with the same key (a restart)
    const again = openVault(storage, KEY)
    expect(again.get('db.password')).toBe('p@ss wörd')
    again.set('API_TOKEN', 'rotated-value')
    expect(again.get('API_TOKEN')).toBe('rotated-value')
    again.delete('API_TOKEN')
    expect(again.list()).toEqual(['db.password'])
    expect(vaultError(() => again.get('API_TOKEN'))).toMatchObject({
      code: 'NOT_FOUND',
      message: 'secret "API_TOKEN" not found',
    })
    expect(vaultError(() => again.delete('API_TOKEN')).code).toBe('NOT_FOUND')
  })

  test('an existing vault keeps its iteration count', () => {
    const storage = new MemoryStorage()
    openVault(storage, KEY, { iterations: 1234 }).set('A_B', 'value-1')
    expect(openVault(storage, KEY, { iterations: 99 }).get('A_B')).toBe('value-1')
    expect(storage.meta?.iterations).toBe(1234)
  })

  test('a wrong key is refused at open with VAULT_ERROR, not garbage later', () => {
    const storage = new MemoryStorage()
    openVault(storage, KEY, FAST).set('X_1', 'secret-value')
    const err = vaultError(() => openVault(storage, 'wrong key'))
    expect(err.code).toBe('VAULT_ERROR')
    expect(err.message).toBe(
      'the vault key does not match this vault (wrong OPCODE_VAULT_KEY?); secrets cannot be read',
    )
    expect(err.retryable).toBe(false)
  })

  test('an empty key, corrupt parameters, or secrets without parameters are VAULT_ERRORs', () => {
    expect(vaultError(() => openVault(new MemoryStorage(), '')).message).toBe(
      'the vault key is empty',
    )
    const storage = new MemoryStorage()
    openVault(storage, KEY, FAST)
    storage.meta = { ...(storage.meta as VaultMeta), iterations: -1 }
    expect(vaultError(() => openVault(storage, KEY)).message).toMatch(
      /key parameters are corrupt \(bad iteration count\)/,
    )
    storage.meta = { ...(storage.meta as VaultMeta), iterations: 1000, salt: 'c2hvcnQ=' }
    expect(vaultError(() => openVault(storage, KEY)).message).toMatch(/salt shorter than 16 bytes/)
    const orphan = new MemoryStorage()
    orphan.blobs.set('OLD', new Uint8Array(40))
    expect(vaultError(() => openVault(orphan, KEY)).message).toMatch(
      /holds secrets but no key parameters/,
    )
  })

  test('a tampered ciphertext is detected', () => {
    const storage = new MemoryStorage()
    const vault = openVault(storage, KEY, FAST)
    vault.set('TOKEN', 'abcdefgh')
    const blob = storage.blobs.get('TOKEN') as Uint8Array
    for (const at of [1, 14, blob.byteLength - 1]) {
      const copy = new Uint8Array(blob)
      copy[at] = (copy[at] as number) ^ 0x01
      storage.blobs.set('TOKEN', copy)
      const err = vaultError(() => vault.get('TOKEN'))
      expect(err.code).toBe('VAULT_ERROR')
      expect(err.message).toMatch(/cannot be decrypted/)
    }
    storage.blobs.set('TOKEN', blob.subarray(0, 10))
    expect(vaultError(() => vault.get('TOKEN')).code).toBe('VAULT_ERROR')
  })

  test('a blob moved to another name does not decrypt (the name is bound as associated data)', () => {
    const storage = new MemoryStorage()
    const vault = openVault(storage, KEY, FAST)
    vault.set('PROD_KEY', 'production-secret')
    vault.set('TEST_KEY', 'test-secret')
    storage.blobs.set('TEST_KEY', storage.blobs.get('PROD_KEY') as Uint8Array)
    expect(vaultError(() => vault.get('TEST_KEY')).message).toMatch(/belongs to another name/)
  })

  test('each write uses a fresh nonce: the same value twice gives different blobs', () => {
    const storage = new MemoryStorage()
    const vault = openVault(storage, KEY, FAST)
    vault.set('A', 'same')
    const first = Buffer.from(storage.blobs.get('A') as Uint8Array)
    vault.set('A', 'same')
    expect(Buffer.from(storage.blobs.get('A') as Uint8Array).equals(first)).toBe(false)
  })

  test('neither the passphrase nor a value is ever stored in clear', () => {
    const storage = new MemoryStorage()
    const vault = openVault(storage, KEY, FAST)
    vault.set('GITHUB_TOKEN', 'ghp_0123456789abcdefghijklmnopqrstuv')
    const dump = storage.dump()
    expect(dump.includes(Buffer.from(KEY))).toBe(false)
    expect(dump.includes(Buffer.from('ghp_0123456789'))).toBe(false)
  })

  test('names and values are validated', () => {
    const vault = openVault(new MemoryStorage(), KEY, FAST)
    expect(vaultError(() => vault.set('has space', 'v')).code).toBe('VALIDATION_ERROR')
    expect(vaultError(() => vault.set('9starts_with_digit', 'v')).code).toBe('VALIDATION_ERROR')
    expect(vaultError(() => vault.set('OK_NAME', '')).message).toBe(
      'secret "OK_NAME": the value is empty',
    )
    expect(vaultError(() => vault.set('BIG', 'x'.repeat(70_000))).message).toMatch(/exceeds 64 KiB/)
  })

  test('a closed vault refuses to work', () => {
    const vault = openVault(new MemoryStorage(), KEY, FAST)
    vault.set('A', 'value')
    vault.close()
    expect(vaultError(() => vault.get('A')).message).toBe('the vault is closed')
  })
})

describe('resolvers', () => {
  test("the vault's resolver returns values and feeds the redactor", () => {
    const vault = openVault(new MemoryStorage(), KEY, FAST)
    vault.set('WEBHOOK_SECRET', 'whsec_abcdef123456')
    const redactor = createRedactor()
    const resolver = vault.resolver({ redactor })
    expect(resolver.resolve('WEBHOOK_SECRET')).toBe('whsec_abcdef123456')
    expect(redactor.redactText('sig=whsec_abcdef123456')).toBe('sig=[REDACTED]')
    expect(vaultError(() => resolver.resolve('MISSING')).code).toBe('NOT_FOUND')
  })

  test('without a vault every secret fails with VAULT_ERROR "vault not initialized"', () => {
    const err = vaultError(() => uninitializedResolver().resolve('ANY'))
    expect(err.code).toBe('VAULT_ERROR')
    expect(err.toString()).toBe('[VAULT_ERROR] vault not initialized')
  })
})

describe('readVaultKey', () => {
  let tmp: ReturnType<typeof tempDir>
  beforeEach(() => {
    tmp = tempDir('opcode-vault-key-')
  })
  afterEach(() => tmp.cleanup())

  test('from OPCODE_VAULT_KEY, from OPCODE_VAULT_KEY_FILE (one trailing newline dropped), or from stdin', () => {
    expect(readVaultKey({ OPCODE_VAULT_KEY: 'k1' })).toEqual({
      key: 'k1',
      source: 'env',
      warnings: [],
    })
    const file = join(tmp.dir, 'key')
    writeFileSync(file, 'k2 with spaces\n', { mode: 0o600 })
    chmodSync(file, 0o600)
    expect(readVaultKey({ OPCODE_VAULT_KEY_FILE: file })).toEqual({
      key: 'k2 with spaces',
      source: 'file',
      warnings: [],
    })
    expect(readVaultKey({}, 'k3\r\n')).toEqual({ key: 'k3', source: 'stdin', warnings: [] })
    expect(readVaultKey({ OPCODE_VAULT_KEY: '' })).toBeUndefined()
  })

  test('a key file others can read is accepted with a warning', () => {
    const file = join(tmp.dir, 'key')
    writeFileSync(file, 'k')
    chmodSync(file, 0o644)
    expect(readVaultKey({ OPCODE_VAULT_KEY_FILE: file })?.warnings[0]).toMatch(
      /readable by other users; chmod 600/,
    )
  })

  test('both variables, an unreadable or empty file, or an empty stdin key are VAULT_ERRORs', () => {
    expect(
      vaultError(() => readVaultKey({ OPCODE_VAULT_KEY: 'a', OPCODE_VAULT_KEY_FILE: '/x' }))
        .message,
    ).toBe('set OPCODE_VAULT_KEY or OPCODE_VAULT_KEY_FILE, not both')
    expect(
      vaultError(() => readVaultKey({ OPCODE_VAULT_KEY_FILE: join(tmp.dir, 'none') })).code,
    ).toBe('VAULT_ERROR')
    const empty = join(tmp.dir, 'empty')
    writeFileSync(empty, '\n')
    expect(vaultError(() => readVaultKey({ OPCODE_VAULT_KEY_FILE: empty })).message).toMatch(
      /is empty/,
    )
    expect(vaultError(() => readVaultKey({}, '\n')).message).toBe(
      'the vault key read from stdin is empty',
    )
  })
})
