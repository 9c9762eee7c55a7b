/**
 * Opening a SQLite database file: pragmas, the single-server lock (decisions.md D13/D21) and the
 * embedded migrations. The lock is an exclusive transaction held on a sidecar file `<db>.lock`: the
 * operating system drops it when the process dies, so a crash never leaves a stale lock.
 */
import { Database } from 'bun:sqlite'
import { chmodSync, existsSync, mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { AppError } from '../errors.ts'
import { MIGRATIONS } from './migrations.gen.ts'

export interface OpenOptions {
  /** `normal` (default): safe across process crashes; `full`: also across power loss. */
  synchronous?: 'normal' | 'full'
  /** Open read-only (status/query beside a running server): no lock, no migrations. */
  readonly?: boolean
  /** Take the single-writer lock (default true for files). */
  lock?: boolean
  /** Who takes the lock, recorded for the refusal message of a second opener. */
  owner?: { mode: 'server' | 'local'; address?: string }
}

export interface OpenedDb {
  db: Database
  path: string
  lock?: Database
}

const isMemory = (path: string): boolean => path === ':memory:' || path === ''

export function openDatabase(path: string, options: OpenOptions = {}): OpenedDb {
  const memory = isMemory(path)
  const full = memory ? ':memory:' : resolve(path)
  if (!memory && !options.readonly) mkdirSync(dirname(full), { recursive: true, mode: 0o700 })
  let lock: Database | undefined
  if (!memory && !options.readonly && options.lock !== false) lock = takeLock(full)
  let db: Database
  const fresh = !memory && !options.readonly && !existsSync(full)
  try {
    db = options.readonly
      ? new Database(full, { readonly: true, strict: true })
      : new Database(full, { create: true, readwrite: true, strict: true })
  } catch (err) {
    lock?.close()
    throw new AppError('STORE_ERROR', `cannot open database ${full}: ${(err as Error).message}`, {
      cause: err,
    })
  }
  // The database holds sealed secrets and run data: owner-only from the start (SQLite gives its
  // -wal and -shm files the same mode).
  if (fresh) chmodSync(full, 0o600)
  try {
    db.exec('PRAGMA busy_timeout = 5000')
    if (!options.readonly) {
      if (!memory) db.exec('PRAGMA journal_mode = WAL')
      db.exec(`PRAGMA synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`)
      db.exec('PRAGMA temp_store = MEMORY')
      db.exec('PRAGMA cache_size = -20000')
      migrate(db)
      if (options.owner !== undefined && lock !== undefined) {
        db.query(
          'INSERT OR REPLACE INTO instance (id, pid, address, mode, started_at) VALUES (1, ?, ?, ?, ?)',
        ).run(process.pid, options.owner.address ?? null, options.owner.mode, Date.now())
      }
    }
  } catch (err) {
    db.close()
    lock?.close()
    throw err instanceof AppError
      ? err
      : new AppError('STORE_ERROR', `cannot prepare database ${full}: ${(err as Error).message}`, {
          cause: err,
        })
  }
  return lock === undefined ? { db, path: full } : { db, path: full, lock }
}

function takeLock(path: string): Database {
  const lockPath = `${path}.lock`
  const lock = new Database(lockPath, { create: true, readwrite: true })
  try {
    lock.exec('PRAGMA busy_timeout = 0')
    lock.exec('PRAGMA journal_mode = DELETE')
    lock.exec('BEGIN EXCLUSIVE')
  } catch {
    lock.close()
    throw new AppError('CONFLICT', refusal(path), { details: { db_path: path, ...holderOf(path) } })
  }
  return lock
}

/** Who holds a database, as recorded by the holder (best effort). */
export function holderOf(path: string): { pid?: number; address?: string; mode?: string } {
  try {
    const db = new Database(path, { readonly: true })
    try {
      const row = db.query('SELECT pid, address, mode FROM instance WHERE id = 1').get() as {
        pid: number
        address: string | null
        mode: string
      } | null
      if (row === null) return {}
      return {
        pid: row.pid,
        mode: row.mode,
        ...(row.address === null ? {} : { address: row.address }),
      }
    } finally {
      db.close()
    }
  } catch {
    return {}
  }
}

function refusal(path: string): string {
  const h = holderOf(path)
  if (h.mode === 'server' && h.address !== undefined) {
    return `database in use by the server at ${h.address}; drop --db-path to talk to it`
  }
  const who =
    h.pid === undefined ? 'another opcode process' : `another opcode process (pid ${h.pid})`
  return `database ${path} is in use by ${who}`
}

/** Applies every embedded migration newer than the recorded version, each in its own transaction. */
export function migrate(db: Database): number {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
  )
  const row = db.query('SELECT MAX(version) AS v FROM schema_version').get() as {
    v: number | null
  } | null
  const current = row?.v ?? 0
  let applied = 0
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue
    db.transaction(() => {
      for (const stmt of m.sql.split('--> statement-breakpoint')) {
        if (stmt.trim() !== '') db.exec(stmt)
      }
      db.query('INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)').run(
        m.version,
        m.name,
        Date.now(),
      )
    })()
    applied++
  }
  return applied
}

export function closeDatabase(opened: OpenedDb): void {
  try {
    if (opened.lock !== undefined) {
      try {
        opened.db.query('DELETE FROM instance WHERE id = 1 AND pid = ?').run(process.pid)
      } catch {
        // read-only or already closed: nothing to clean
      }
    }
    opened.db.close()
  } finally {
    opened.lock?.close()
  }
}
