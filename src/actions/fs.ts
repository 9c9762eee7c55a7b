/**
 * `fs.read`, `fs.write`, `fs.append`, `fs.list`, `fs.stat`, `fs.copy`, `fs.move`, `fs.delete`
 * (spec actions.md §2). Every path goes through the path policy (src/isolation/paths.ts) and the
 * outputs carry the absolute, cleaned path (symlinks not resolved). Choices beyond the spec are in
 * docs/isolation.md: reads past the cap return `truncated: true`; `auto` encoding also picks
 * base64 for text that is not UTF-8; listings are capped and hide denied entries; recursive
 * deletes and moves refuse a tree that holds a denied path; directory copies keep symlinks as
 * links, skip special files and check each entry against the policy.
 */
import { createReadStream, type Stats } from 'node:fs'
import {
  appendFile,
  chmod,
  copyFile,
  lstat,
  mkdir,
  readdir,
  readlink,
  rename,
  rm,
  rmdir,
  stat,
  symlink,
  unlink,
  writeFile,
} from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { type Static, Type } from '@sinclair/typebox'
import type { Action, ActionContext } from '../engine/ports.ts'
import { AppError } from '../errors.ts'
import { isUnder, type PathPolicy, resolveReal } from '../isolation/index.ts'
import { BadPattern, compareNames, compileGlob, glob } from './fs-glob.ts'
import { assertParams } from './registry.ts'

export interface FsOptions {
  paths: PathPolicy
  /** Bytes `fs.read` returns at most (default 50 MiB); more sets `truncated: true`. */
  maxReadBytes?: number
  /** Entries `fs.list` returns at most (default 10,000); more sets `truncated: true`. */
  maxListEntries?: number
}

const DEFAULT_MAX_READ = 50 * 1024 * 1024
const DEFAULT_MAX_ENTRIES = 10_000
const SNIFF_BYTES = 8192

// ---------------------------------------------------------------------------------------------
// Params

const path = (what = 'File path') =>
  Type.String({
    minLength: 1,
    description: `${what}; relative paths are resolved against the server's working directory.`,
  })
const Encoding = Type.Union([Type.Literal('text'), Type.Literal('base64')], {
  description: "How `content` is given: 'text' (UTF-8, default) or 'base64' (binary data).",
})
const createDirs = Type.Boolean({
  description: 'Create missing parent directories (mode 0755); needs write access to the parent.',
})

const ReadParams = Type.Object({
  path: path(),
  encoding: Type.Optional(
    Type.Union([Type.Literal('auto'), Type.Literal('text'), Type.Literal('base64')], {
      description:
        "'auto' (default): base64 when the file has a NUL byte in its first 8 KiB or is not UTF-8, else text; 'text': UTF-8 (invalid bytes become U+FFFD); 'base64'.",
    }),
  ),
})
const WriteParams = Type.Object({
  path: path(),
  content: Type.String({ description: 'The whole new content of the file.' }),
  encoding: Type.Optional(Encoding),
  create_dirs: Type.Optional(createDirs),
  mode: Type.Optional(
    Type.Union(
      [Type.Integer({ minimum: 0, maximum: 0o7777 }), Type.String({ pattern: '^0?[0-7]{1,4}$' })],
      {
        description:
          "Permission bits used when the file is created (subject to the umask): an integer (420 = 0644) or an octal string ('0644'). Default 0644.",
      },
    ),
  ),
})
const AppendParams = Type.Object({
  path: path(),
  content: Type.String({
    description: 'Text appended at the end of the file (created 0644 if missing).',
  }),
  encoding: Type.Optional(Encoding),
})
const ListParams = Type.Object({
  path: path('Directory path'),
  pattern: Type.Optional(
    Type.String({
      description:
        "Glob: '*' any run of characters except '/', '?' one character, '[a-z]' / '[^0-9]' classes, '\\' escapes; no '**'. Recursive listings match it against entry names; otherwise it is globbed under path and may contain '/'.",
    }),
  ),
  recursive: Type.Optional(
    Type.Boolean({
      description: 'List everything below path, depth-first in name order (default false).',
    }),
  ),
})
const StatParams = Type.Object({ path: path('File or directory path (symlinks are followed)') })
const CopyParams = Type.Object({
  src: path('Source file or directory'),
  dst: path('Destination path'),
  create_dirs: Type.Optional(createDirs),
})
const DeleteParams = Type.Object({
  path: path('File or directory path'),
  recursive: Type.Optional(
    Type.Boolean({
      description:
        'Remove a directory with everything in it; a missing path then succeeds (default false: a file or an empty directory, and a missing path fails).',
    }),
  ),
})

// ---------------------------------------------------------------------------------------------

/** The eight fs actions bound to a path policy. */
export function fsActions(options: FsOptions): Action[] {
  const { paths } = options
  const maxRead = options.maxReadBytes ?? DEFAULT_MAX_READ
  const maxEntries = options.maxListEntries ?? DEFAULT_MAX_ENTRIES

  const read: Action = {
    name: 'fs.read',
    description: 'Reads a file: {path, content, encoding: text|base64, size, truncated}.',
    params: ReadParams,
    pure: true,
    async execute(params, ctx) {
      assertParams(read, params)
      const p = params as Static<typeof ReadParams>
      const abs = guard(read.name, () => paths.checkRead(p.path))
      live(read.name, ctx)
      const st = await os(read.name, 'stat', abs, () => stat(abs))
      if (st.isDirectory()) throw osFailure(read.name, 'read', abs, 'EISDIR')
      if (st.isFIFO() || st.isSocket()) {
        // Opening a FIFO blocks until someone writes to it; a socket cannot be read as a file.
        throw new AppError('EXECUTION_ERROR', `${read.name}: ${abs} is not a regular file`, {
          details: { path: abs },
        })
      }
      const { bytes, truncated } = await os(read.name, 'read', abs, () =>
        readCapped(abs, maxRead, ctx),
      )
      const mode = p.encoding ?? 'auto'
      let encoding: 'text' | 'base64' = mode === 'base64' ? 'base64' : 'text'
      let content: string | undefined
      if (mode === 'auto') {
        const sniff = bytes.subarray(0, SNIFF_BYTES)
        const text = sniff.includes(0) ? undefined : strictUtf8(bytes, truncated)
        if (text === undefined) encoding = 'base64'
        else content = text
      }
      if (content === undefined) {
        content =
          encoding === 'base64' ? Buffer.from(bytes).toString('base64') : lossyUtf8.decode(bytes)
      }
      return { path: abs, content, encoding, size: bytes.byteLength, truncated }
    },
  }

  const write: Action = {
    name: 'fs.write',
    description: 'Creates or truncates a file with the given content: {path, size}.',
    params: WriteParams,
    pure: false,
    async execute(params, ctx) {
      assertParams(write, params)
      const p = params as Static<typeof WriteParams>
      const abs = guard(write.name, () => paths.checkWrite(p.path))
      const data = contentBytes(write.name, p.content, p.encoding)
      const mode = fileMode(p.mode)
      if (p.create_dirs === true) await makeParents(write.name, paths, abs)
      live(write.name, ctx)
      await os(write.name, 'open', abs, () => writeFile(abs, data, { mode }))
      return { path: abs, size: data.byteLength }
    },
  }

  const append: Action = {
    name: 'fs.append',
    description: 'Appends to a file, creating it (0644) if needed: {path, size: file size after}.',
    params: AppendParams,
    pure: false,
    async execute(params, ctx) {
      assertParams(append, params)
      const p = params as Static<typeof AppendParams>
      const abs = guard(append.name, () => paths.checkWrite(p.path))
      const data = contentBytes(append.name, p.content, p.encoding)
      live(append.name, ctx)
      await os(append.name, 'open', abs, () => appendFile(abs, data, { mode: 0o644 }))
      const st = await os(append.name, 'stat', abs, () => stat(abs))
      return { path: abs, size: st.size }
    },
  }

  const list: Action = {
    name: 'fs.list',
    description:
      'Lists a directory: {path, entries: [{name, path, size, modified_at, is_dir}], truncated}.',
    params: ListParams,
    pure: true,
    async execute(params, ctx) {
      assertParams(list, params)
      const p = params as Static<typeof ListParams>
      const abs = guard(list.name, () => paths.checkRead(p.path))
      let re: RegExp | undefined
      if (p.pattern !== undefined && p.pattern !== '') {
        try {
          re = compileGlob(p.pattern)
        } catch (err) {
          throw new AppError('VALIDATION_ERROR', `${list.name}: ${(err as Error).message}`, {
            details: { pattern: p.pattern },
          })
        }
      }
      const entries: Entry[] = []
      let truncated = false
      const push = (e: Entry): boolean => {
        if (entries.length >= maxEntries) {
          truncated = true
          return false
        }
        entries.push(e)
        return true
      }
      if (p.recursive === true) {
        const walk = async (dir: string): Promise<boolean> => {
          live(list.name, ctx)
          const names = await os(list.name, 'open', dir, () => readdir(dir))
          names.sort(compareNames)
          for (const name of names) {
            const full = join(dir, name)
            if (!paths.allows(full, 'read')) continue // denied entries are neither shown nor entered
            let st: Stats
            try {
              st = await lstat(full)
            } catch {
              continue // vanished meanwhile
            }
            if (re === undefined || re.test(name)) {
              if (!push(entry(name, full, st))) return false
            }
            if (st.isDirectory() && !(await walk(full))) return false
          }
          return true
        }
        await walk(abs)
      } else if (re !== undefined) {
        let matches: string[]
        try {
          matches = glob(join(abs, p.pattern as string))
        } catch (err) {
          if (err instanceof BadPattern) {
            throw new AppError('VALIDATION_ERROR', `${list.name}: ${err.message}`)
          }
          throw err
        }
        for (const m of matches) {
          if (!isUnder(m, abs) || !paths.allows(m, 'read')) continue
          let st: Stats
          try {
            st = await lstat(m)
          } catch {
            continue // unstat-able matches are skipped
          }
          if (!push(entry(basename(m), m, st))) break
        }
      } else {
        const names = await os(list.name, 'open', abs, () => readdir(abs))
        names.sort(compareNames)
        for (const name of names) {
          const full = join(abs, name)
          if (!paths.allows(full, 'read')) continue
          let st: Stats
          try {
            st = await lstat(full)
          } catch {
            continue
          }
          if (!push(entry(name, full, st))) break
        }
      }
      return { path: abs, entries, truncated }
    },
  }

  const statAction: Action = {
    name: 'fs.stat',
    description:
      'Describes a file or directory (symlinks followed): {path, size, modified_at, is_dir, permissions}.',
    params: StatParams,
    pure: true,
    async execute(params, ctx) {
      assertParams(statAction, params)
      const p = params as Static<typeof StatParams>
      const abs = guard(statAction.name, () => paths.checkRead(p.path))
      live(statAction.name, ctx)
      const st = await os(statAction.name, 'stat', abs, () => stat(abs))
      return {
        path: abs,
        size: st.size,
        modified_at: rfc3339(st.mtimeMs),
        is_dir: st.isDirectory(),
        permissions: (st.mode & 0o777).toString(8).padStart(4, '0'),
      }
    },
  }

  const copy: Action = {
    name: 'fs.copy',
    description:
      'Copies a file, or a directory recursively (merged into dst): {src, dst, size: bytes copied, is_dir}.',
    params: CopyParams,
    pure: false,
    async execute(params, ctx) {
      assertParams(copy, params)
      const p = params as Static<typeof CopyParams>
      const src = guard(copy.name, () => paths.checkRead(p.src))
      const dst = guard(copy.name, () => paths.checkWrite(p.dst))
      const st = await os(copy.name, 'stat', src, () => stat(src))
      if (st.isDirectory()) intoItself(copy.name, paths, src, dst)
      if (p.create_dirs === true) await makeParents(copy.name, paths, dst)
      live(copy.name, ctx)
      const size = await copyTree(copy.name, paths, src, dst, st, ctx)
      return { src, dst, size, is_dir: st.isDirectory() }
    },
  }

  const move: Action = {
    name: 'fs.move',
    description:
      'Moves (renames) a file or directory, copying then deleting across file systems: {src, dst, size, is_dir}.',
    params: CopyParams,
    pure: false,
    async execute(params, ctx) {
      assertParams(move, params)
      const p = params as Static<typeof CopyParams>
      const src = guard(move.name, () => paths.checkWriteTree(p.src))
      const dst = guard(move.name, () => paths.checkWrite(p.dst))
      const st = await os(move.name, 'lstat', src, () => lstat(src))
      if (st.isDirectory()) intoItself(move.name, paths, src, dst)
      if (p.create_dirs === true) await makeParents(move.name, paths, dst)
      live(move.name, ctx)
      try {
        await rename(src, dst)
        return { src, dst, size: st.size, is_dir: st.isDirectory() }
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT')
          throw osError(move.name, 'rename', src, err)
      }
      // Rename failed (another file system, a non-empty target directory…): copy, then delete.
      const full = await os(move.name, 'stat', src, () => stat(src))
      const size = await copyTree(move.name, paths, src, dst, full, ctx)
      await os(move.name, 'remove', src, () => rm(src, { recursive: true, force: true }))
      return { src, dst, size, is_dir: full.isDirectory() }
    },
  }

  const del: Action = {
    name: 'fs.delete',
    description:
      'Deletes a file or an empty directory, or a whole tree with recursive: true: {path, deleted: true}.',
    params: DeleteParams,
    pure: false,
    async execute(params, ctx) {
      assertParams(del, params)
      const p = params as Static<typeof DeleteParams>
      live(del.name, ctx)
      if (p.recursive === true) {
        const abs = guard(del.name, () => paths.checkWriteTree(p.path))
        if (dirname(abs) === abs) {
          throw new AppError('PATH_DENIED', `${del.name}: refusing to delete the root directory`, {
            details: { path: abs, access: 'write' },
          })
        }
        await os(del.name, 'remove', abs, () => rm(abs, { recursive: true, force: true }))
        return { path: abs, deleted: true }
      }
      const abs = guard(del.name, () => paths.checkWrite(p.path))
      const st = await os(del.name, 'remove', abs, () => lstat(abs))
      if (st.isDirectory()) await os(del.name, 'remove', abs, () => rmdir(abs))
      else await os(del.name, 'remove', abs, () => unlink(abs))
      return { path: abs, deleted: true }
    },
  }

  return [read, write, append, list, statAction, copy, move, del]
}

// ---------------------------------------------------------------------------------------------
// Helpers

interface Entry {
  name: string
  path: string
  size: number
  modified_at: string
  is_dir: boolean
}

function entry(name: string, full: string, st: Stats): Entry {
  return {
    name,
    path: full,
    size: st.size,
    modified_at: rfc3339(st.mtimeMs),
    is_dir: st.isDirectory(),
  }
}

/** RFC 3339 in UTC, whole seconds: `2024-05-01T12:00:00Z`. */
function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z')
}

/** Runs a policy check, prefixing PATH_DENIED messages with the action name. */
function guard(action: string, check: () => string): string {
  try {
    return check()
  } catch (err) {
    if (err instanceof AppError) {
      throw new AppError(err.code, `${action}: ${err.message}`, {
        details: err.details,
        cause: err,
      })
    }
    throw err
  }
}

/** Throws the engine's abort reason (an AppError) or CANCELLED once the step is aborted. */
function live(action: string, ctx: ActionContext): void {
  if (!ctx.signal.aborted) return
  if (ctx.signal.reason instanceof AppError) throw ctx.signal.reason
  throw new AppError('CANCELLED', `${action}: cancelled`, { cause: ctx.signal.reason })
}

const OS_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  EEXIST: 'file exists',
  ENOTEMPTY: 'directory not empty',
  ELOOP: 'too many levels of symbolic links',
  ENOSPC: 'no space left on device',
  EROFS: 'read-only file system',
  EBUSY: 'device or resource busy',
  EXDEV: 'invalid cross-device link',
}

/** EXECUTION_ERROR `<action>: <op> <path>: <OS text>`, details {path, os_code}. */
function osFailure(
  action: string,
  op: string,
  path: string,
  code: string,
  cause?: unknown,
): AppError {
  return new AppError(
    'EXECUTION_ERROR',
    `${action}: ${op} ${path}: ${OS_TEXT[code] ?? code.toLowerCase()}`,
    {
      details: { path, os_code: code },
      ...(cause === undefined ? {} : { cause }),
    },
  )
}

function osError(action: string, op: string, path: string, err: unknown): AppError {
  if (err instanceof AppError) return err
  const code = (err as NodeJS.ErrnoException).code
  if (code === undefined) {
    return new AppError('EXECUTION_ERROR', `${action}: ${op} ${path}: ${(err as Error).message}`, {
      details: { path },
      cause: err,
    })
  }
  return osFailure(action, op, path, code, err)
}

async function os<T>(action: string, op: string, path: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    throw osError(action, op, path, err)
  }
}

/** Reads at most `max` bytes; stops early when the step is aborted. */
async function readCapped(
  file: string,
  max: number,
  ctx: ActionContext,
): Promise<{ bytes: Uint8Array; truncated: boolean }> {
  const chunks: Buffer[] = []
  let size = 0
  let truncated = false
  // end is inclusive; reading one byte past the cap tells whether there was more.
  const stream = createReadStream(file, { start: 0, end: max, highWaterMark: 1 << 20 })
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    live('fs.read', ctx)
    const room = max - size
    if (chunk.byteLength > room) {
      if (room > 0) chunks.push(chunk.subarray(0, room))
      size += Math.max(0, room)
      truncated = true
      stream.destroy()
      break
    }
    chunks.push(chunk)
    size += chunk.byteLength
  }
  return { bytes: Buffer.concat(chunks, size), truncated }
}

const strictDecoder = new TextDecoder('utf-8', { fatal: true })
const lossyUtf8 = new TextDecoder('utf-8')

/** The bytes as UTF-8, or undefined when they are not (a sequence cut by truncation is dropped). */
function strictUtf8(bytes: Uint8Array, truncated: boolean): string | undefined {
  let view = bytes
  if (truncated) {
    // Drop an incomplete multi-byte sequence at the cut (at most 3 bytes).
    let cut = view.byteLength
    for (let back = 1; back <= 3 && cut - back >= 0; back++) {
      const b = view[cut - back] as number
      if ((b & 0xc0) === 0x80) continue // continuation byte: keep looking for the lead
      const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1
      if (need > back) cut -= back
      break
    }
    view = view.subarray(0, cut)
  }
  try {
    return strictDecoder.decode(view)
  } catch {
    return undefined
  }
}

function contentBytes(
  action: string,
  content: string,
  encoding: 'text' | 'base64' | undefined,
): Uint8Array {
  if (encoding !== 'base64') return Buffer.from(content, 'utf8')
  const clean = content.replace(/\s+/g, '')
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(clean) || clean.replace(/=+$/, '').length % 4 === 1) {
    throw new AppError('VALIDATION_ERROR', `${action}: content is not valid base64`, {
      details: { path: '/content' },
    })
  }
  return Buffer.from(clean, clean.includes('-') || clean.includes('_') ? 'base64url' : 'base64')
}

function fileMode(mode: number | string | undefined): number {
  if (mode === undefined) return 0o644
  return typeof mode === 'number' ? mode : Number.parseInt(mode, 8)
}

/** Creates the parents of `abs` (0755) after checking write access to its parent directory. */
async function makeParents(action: string, paths: PathPolicy, abs: string): Promise<void> {
  const parent = dirname(abs)
  guard(action, () => paths.checkWrite(parent))
  await os(action, 'mkdir', parent, () => mkdir(parent, { recursive: true, mode: 0o755 }))
}

/** A directory copied or moved into its own subtree would never end. */
function intoItself(action: string, paths: PathPolicy, src: string, dst: string): void {
  const rs = resolveReal(paths.absolute(src)) ?? src
  const rd = resolveReal(paths.absolute(dst)) ?? dst
  if (isUnder(rd, rs)) {
    throw new AppError(
      'VALIDATION_ERROR',
      `${action}: cannot put directory ${src} inside itself (${dst})`,
      {
        details: { src, dst },
      },
    )
  }
}

/**
 * Copies `src` (already stat-ed, symlinks followed) to `dst`; returns the bytes of files copied.
 * Directories are merged into `dst` (created 0755); files keep their permission bits; symlinks
 * inside a tree are recreated as links; FIFOs, sockets and devices are skipped. Every entry is
 * checked against the policy (read on the source, write on the destination).
 */
async function copyTree(
  action: string,
  paths: PathPolicy,
  src: string,
  dst: string,
  st: Stats,
  ctx: ActionContext,
): Promise<number> {
  if (!st.isDirectory()) {
    if (!st.isFile()) {
      throw new AppError(
        'EXECUTION_ERROR',
        `${action}: ${src} is not a regular file or directory`,
        {
          details: { path: src },
        },
      )
    }
    const target = await stat(dst).catch(() => undefined)
    if (target?.isDirectory()) throw osFailure(action, 'copy onto', dst, 'EISDIR')
    await os(action, 'copy', src, () => copyFile(src, dst))
    await os(action, 'chmod', dst, () => chmod(dst, st.mode & 0o7777))
    return st.size
  }
  let total = 0
  const walk = async (from: string, to: string): Promise<void> => {
    live(action, ctx)
    await os(action, 'mkdir', to, () => mkdir(to, { recursive: true, mode: 0o755 }))
    const names = await os(action, 'open', from, () => readdir(from))
    names.sort(compareNames)
    for (const name of names) {
      const a = join(from, name)
      const b = join(to, name)
      const ls = await os(action, 'lstat', a, () => lstat(a))
      if (ls.isDirectory()) {
        guard(action, () => paths.checkRead(a))
        guard(action, () => paths.checkWrite(b))
        await walk(a, b)
      } else if (ls.isFile()) {
        guard(action, () => paths.checkRead(a))
        guard(action, () => paths.checkWrite(b))
        await os(action, 'copy', a, () => copyFile(a, b))
        await os(action, 'chmod', b, () => chmod(b, ls.mode & 0o7777))
        total += ls.size
      } else if (ls.isSymbolicLink()) {
        guard(action, () => paths.checkWrite(b))
        const link = await os(action, 'readlink', a, () => readlink(a))
        await unlink(b).catch(() => {}) // replace whatever is there, like a file copy would
        await os(action, 'symlink', b, () => symlink(link, b))
      }
      // FIFOs, sockets and devices are skipped: reading a FIFO could block forever.
    }
  }
  await walk(src, dst)
  return total
}
