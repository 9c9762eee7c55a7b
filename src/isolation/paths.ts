/**
 * Path rules of the `fs.*` actions and of `shell.exec`'s `cwd` (spec server.md §14, actions.md §2.1,
 * decisions.md D18/D21). A path is made absolute against the server's working directory and
 * cleaned lexically; its check then resolves symlinks on the longest existing ancestor, so a file
 * that does not exist yet is judged by where it would really land. Deny entries win over
 * everything and fail closed; read-only entries grant reads only; writable entries grant both.
 * "Under" is by whole path components: `/data` does not cover `/database`. Checks are best-effort
 * (the file system can change between the check and the use).
 */
import { realpathSync } from 'node:fs'
import { dirname, isAbsolute, join, resolve, sep } from 'node:path'
import { AppError } from '../errors.ts'

/** settings.json `paths` (decisions.md D18); every entry is a path prefix, no wildcards. */
export interface PathRules {
  deny?: string[]
  read_only?: string[]
  writable?: string[]
}

export type Access = 'read' | 'write'

export interface PathPolicy {
  /** The rules in force (after defaults were added). */
  readonly rules: Readonly<Required<PathRules>>
  /** Replaces the rules (SIGHUP reload, decisions.md D21); later checks use the new ones. */
  reload(rules: PathRules): void
  /** Absolute, lexically cleaned form of `path` (relative to the policy's cwd); symlinks kept. */
  absolute(path: string): string
  /** Returns the absolute path when it may be read; throws PATH_DENIED otherwise. */
  checkRead(path: string): string
  /** Returns the absolute path when it may be written; throws PATH_DENIED otherwise. */
  checkWrite(path: string): string
  /**
   * Like checkWrite, and also refuses a directory that contains a deny entry (a recursive delete
   * or a move of `~` must not take the data directory with it).
   */
  checkWriteTree(path: string): string
  /** True when `path` may be accessed (no throw); used to hide denied entries from listings. */
  allows(path: string, access: Access): boolean
}

export interface PathPolicyOptions {
  /** Base of relative paths (default: the process's working directory). */
  cwd?: string
}

/**
 * A policy from `rules`. Entries are resolved at each check (a deny entry for a directory that is
 * created later still applies). An empty or unresolvable deny entry denies everything.
 */
export function createPathPolicy(
  rules: PathRules = {},
  options: PathPolicyOptions = {},
): PathPolicy {
  const cwd = options.cwd ?? process.cwd()
  const copy = (r: PathRules): Required<PathRules> => ({
    deny: [...(r.deny ?? [])],
    read_only: [...(r.read_only ?? [])],
    writable: [...(r.writable ?? [])],
  })
  let active = copy(rules)
  const absolute = (path: string): string => resolve(cwd, path)

  const resolveEntries = (entries: string[]): string[] => {
    const out: string[] = []
    for (const e of entries) {
      if (typeof e !== 'string' || e === '' || e.includes('\0')) continue // invalid allow entries are skipped
      const r = resolveReal(absolute(e))
      if (r !== undefined) out.push(r)
    }
    return out
  }

  /** The deny entries, resolved; `undefined` when one cannot be resolved (fail closed). */
  const denyEntries = (current: Required<PathRules>): string[] | undefined => {
    const out: string[] = []
    for (const e of current.deny) {
      if (typeof e !== 'string' || e === '' || e.includes('\0')) return undefined
      const r = resolveReal(absolute(e))
      if (r === undefined) return undefined
      out.push(r)
    }
    return out
  }

  const check = (path: string, access: Access, tree: boolean): string => {
    if (typeof path !== 'string' || path.includes('\0')) {
      throw new AppError('PATH_DENIED', 'invalid path', { details: { access } })
    }
    const abs = absolute(path)
    const real = resolveReal(abs)
    if (real === undefined) {
      throw denied(abs, access, `path "${abs}" cannot be resolved`)
    }
    const rules = active // one snapshot per check, even if a reload happens meanwhile
    const deny = denyEntries(rules)
    if (deny === undefined) {
      throw denied(abs, access, `path "${abs}" is denied: a deny entry cannot be resolved`)
    }
    for (const d of deny) {
      if (isUnder(real, d)) throw denied(abs, access, `path "${abs}" is denied`)
      if (tree && isUnder(d, real)) {
        throw denied(abs, access, `path "${abs}" contains a denied path`)
      }
    }
    if (rules.read_only.length === 0 && rules.writable.length === 0) return abs
    const writable = resolveEntries(rules.writable)
    if (access === 'write') {
      if (rules.writable.length === 0) {
        throw denied(abs, access, `write access to "${abs}" denied: no writable paths configured`)
      }
      if (!writable.some((w) => isUnder(real, w))) {
        throw denied(abs, access, `write access to "${abs}" denied: not under any writable path`)
      }
      return abs
    }
    if (writable.some((w) => isUnder(real, w))) return abs
    if (resolveEntries(rules.read_only).some((r) => isUnder(real, r))) return abs
    throw denied(abs, access, `read access to "${abs}" denied: not under any allowed path`)
  }

  return {
    get rules() {
      return active
    },
    reload(next) {
      active = copy(next)
    },
    absolute,
    checkRead: (path) => check(path, 'read', false),
    checkWrite: (path) => check(path, 'write', false),
    checkWriteTree: (path) => check(path, 'write', true),
    allows(path, access) {
      try {
        check(path, access, false)
        return true
      } catch {
        return false
      }
    },
  }
}

/**
 * The rules in force: settings.json `paths` plus, always, a deny of the data directory (database,
 * settings, vault) and of the database file with its WAL and shared-memory files, wherever it is
 * (decisions.md D18, D21). Throws VALIDATION_ERROR for a malformed `paths` value.
 */
export function pathRulesFromSettings(
  paths: unknown,
  always: { dataDir: string; dbPath?: string },
): Required<PathRules> {
  const rules = parsePathRules(paths)
  const extra = [always.dataDir]
  const db = always.dbPath
  if (
    db !== undefined &&
    db !== '' &&
    db !== ':memory:' &&
    !db.includes('://') &&
    !db.startsWith('file:')
  ) {
    extra.push(db, `${db}-wal`, `${db}-shm`, `${db}-journal`)
  }
  for (const e of extra) if (!rules.deny.includes(e)) rules.deny.push(e)
  return rules
}

/** Validates settings.json `paths`: `{deny?, read_only?, writable?}`, each a list of paths. */
export function parsePathRules(value: unknown): Required<PathRules> {
  const out: Required<PathRules> = { deny: [], read_only: [], writable: [] }
  if (value === undefined || value === null) return out
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new AppError(
      'VALIDATION_ERROR',
      'settings "paths" must be an object {deny, read_only, writable}',
    )
  }
  const obj = value as Record<string, unknown>
  for (const key of Object.keys(obj)) {
    if (key !== 'deny' && key !== 'read_only' && key !== 'writable') {
      throw new AppError(
        'VALIDATION_ERROR',
        `settings "paths.${key}" is unknown; expected deny, read_only or writable`,
      )
    }
    const list = obj[key]
    if (list === undefined || list === null) continue
    if (!Array.isArray(list) || !list.every((p) => typeof p === 'string' && p !== '')) {
      throw new AppError(
        'VALIDATION_ERROR',
        `settings "paths.${key}" must be a list of non-empty paths`,
      )
    }
    out[key] = [...(list as string[])]
  }
  return out
}

/** `child` equals `base` or lies below it, by whole components (both absolute and clean). */
export function isUnder(child: string, base: string): boolean {
  if (child === base) return true
  const prefix = base.endsWith(sep) ? base : base + sep
  return child.startsWith(prefix)
}

/**
 * Resolves symlinks of the longest existing ancestor of an absolute, clean path and appends the
 * rest. `undefined` when resolution fails for another reason than a missing component (a loop,
 * no permission to search a directory).
 */
export function resolveReal(abs: string): string | undefined {
  if (!isAbsolute(abs)) return undefined
  let head = abs
  const rest: string[] = []
  for (;;) {
    try {
      const real = realpathSync.native(head)
      return rest.length === 0 ? real : join(real, ...rest.reverse())
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return undefined
      const parent = dirname(head)
      if (parent === head) return undefined
      rest.push(head.slice(parent.length).replace(/^\/+/, ''))
      head = parent
    }
  }
}

function denied(path: string, access: Access, message: string): AppError {
  return new AppError('PATH_DENIED', message, { details: { path, access } })
}
