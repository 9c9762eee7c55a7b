/**
 * Builds opcode as self-contained executables (`bun build --compile`): one file per OS with the
 * runtime, the bundled code (minified, ESM, bytecode), the embedded migrations, fonts, WASM modules,
 * the panel's assets and the jq worker. Nothing is read from beside the binary at run time.
 *
 *   bun scripts/build.ts                 dist/opcode for this machine        (npm run build)
 *   bun scripts/build.ts --all           dist/opcode-<os>-<arch>[.exe] for every release target,
 *                                        plus dist/checksums.txt (SHA-256)  (npm run build:all)
 *   bun scripts/build.ts --target linux-arm64 [--target …] [--outdir DIR]
 *
 * Each binary is stamped with the commit (`git rev-parse`, `-dirty` when tracked files differ from
 * it; `OPCODE_BUILD_COMMIT` overrides, e.g. in a Docker build without .git) and its target;
 * `opcode version` prints them with the package version. Cross targets need Bun's runtime for that
 * platform, which `bun build` fetches from the npm registry on first use (then cached).
 */

import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { basename, join, relative } from 'node:path'

export const ROOT = join(import.meta.dir, '..')

/** Release targets (`bun-<target>` for `bun build --target`). */
export const TARGETS = [
  'linux-x64',
  'linux-arm64',
  'darwin-x64',
  'darwin-arm64',
  'windows-x64',
] as const
export type Target = (typeof TARGETS)[number]

/**
 * Entry points: the CLI, and the jq worker, which Bun starts as a separate module by path
 * (`/$bunfs/root/expressions/jq-worker.ts`, see src/expressions/jq.ts). `--root src` keeps that
 * path stable whatever else is embedded.
 */
const ENTRIES = ['src/main.ts', 'src/expressions/jq-worker.ts']

/** Tier-up threshold scale the binary starts with (see src/main.ts). */
const JIT_POLICY = 4

/** Folders and files whose changes make a built binary stale. */
const SOURCES = ['src', 'panel', 'drizzle', 'package.json', 'package-lock.json', 'scripts/build.ts']

export interface BuildOptions {
  /** Platform to build for; default this machine. */
  target?: Target
  /** Output file; default dist/opcode (host) or dist/opcode-<target>[.exe]. */
  outfile?: string
  /** Commit to stamp; default from git. */
  commit?: string
  /** Print bun's output. Default false (errors are always printed). */
  verbose?: boolean
}

export interface BuiltBinary {
  target: Target
  path: string
  bytes: number
  commit: string
  /** Wall time of the build, in ms. */
  ms: number
}

/** The release target of the machine running this script. */
export function hostTarget(): Target {
  const os = process.platform === 'win32' ? 'windows' : process.platform
  const t = `${os}-${process.arch}`
  if (!(TARGETS as readonly string[]).includes(t)) throw new Error(`unsupported host platform ${t}`)
  return t as Target
}

export function defaultOutfile(target: Target | undefined): string {
  if (target === undefined)
    return join(ROOT, 'dist', process.platform === 'win32' ? 'opcode.exe' : 'opcode')
  return join(ROOT, 'dist', `opcode-${target}${target.startsWith('windows') ? '.exe' : ''}`)
}

/** Short commit of the checkout, `-dirty` when tracked files differ; `unknown` without git. */
export function sourceCommit(root = ROOT): string {
  const fromEnv = process.env.OPCODE_BUILD_COMMIT
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv
  const git = (args: string[]) =>
    spawnSync('git', args, { cwd: root, encoding: 'utf8', timeout: 10_000 })
  const head = git(['rev-parse', '--short=12', 'HEAD'])
  if (head.status !== 0) return 'unknown'
  const dirty = git(['status', '--porcelain', '--untracked-files=no'])
  const sha = head.stdout.trim()
  return dirty.status === 0 && dirty.stdout.trim() !== '' ? `${sha}-dirty` : sha
}

/** Compiles one binary. Throws with bun's output when the build fails. */
export function buildBinary(options: BuildOptions = {}): BuiltBinary {
  const target = options.target ?? hostTarget()
  const outfile = options.outfile ?? defaultOutfile(options.target)
  const commit = options.commit ?? sourceCommit()
  mkdirSync(join(outfile, '..'), { recursive: true })
  const args = [
    'build',
    '--compile',
    // The host build uses the running Bun; others fetch their runtime from the npm registry.
    ...(options.target === undefined ? [] : [`--target=bun-${target}`]),
    '--minify',
    '--bytecode',
    '--format=esm',
    // Chunks load on first import(): `opcode --version` does not even load node:http or zlib.
    '--splitting',
    '--root=src',
    // Start-up code runs once: the JIT waits 4× longer before compiling it (less CPU and ~12 MB
    // less memory at start); src/main.ts restores the normal policy once the process is up.
    `--compile-jit-policy=${JIT_POLICY}`,
    // A server must not pick up a .env or a bunfig.toml (preload scripts!) from its working
    // directory: configuration comes from flags, OPCODE_* variables and settings.json only.
    '--no-compile-autoload-dotenv',
    '--no-compile-autoload-bunfig',
    `--define=OPCODE_COMMIT=${JSON.stringify(commit)}`,
    `--define=OPCODE_TARGET=${JSON.stringify(target)}`,
    `--outfile=${outfile}`,
    ...ENTRIES,
  ]
  const started = performance.now()
  const r = spawnSync(process.execPath, args, {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 600_000,
    env: { ...process.env, NODE_ENV: 'production' },
  })
  const ms = Math.round(performance.now() - started)
  if (r.status !== 0) {
    throw new Error(
      `bun build for ${target} failed (exit ${r.status ?? r.signal}):\n${r.stdout}${r.stderr}${r.error?.message ?? ''}`,
    )
  }
  if (options.verbose === true) process.stdout.write(r.stdout + r.stderr)
  return { target, path: outfile, bytes: statSync(outfile).size, commit, ms }
}

/** Newest modification time (ms) of the files a binary is built from. */
export function newestSourceMtime(root = ROOT): number {
  let newest = 0
  const visit = (path: string): void => {
    let st: ReturnType<typeof statSync>
    try {
      st = statSync(path)
    } catch {
      return
    }
    if (st.isDirectory()) {
      if (basename(path) === 'node_modules') return
      for (const name of readdirSync(path)) visit(join(path, name))
    } else if (st.mtimeMs > newest) newest = st.mtimeMs
  }
  for (const s of SOURCES) visit(join(root, s))
  return newest
}

/** The commit a built binary was stamped with (`opcode version --json`), or undefined. */
export function stampedCommit(binary: string): string | undefined {
  const r = spawnSync(binary, ['version', '--json'], { encoding: 'utf8', timeout: 30_000 })
  if (r.status !== 0) return undefined
  try {
    return (JSON.parse(r.stdout) as { commit?: string }).commit
  } catch {
    return undefined
  }
}

/**
 * dist/opcode when it is newer than every source file and stamped with the current commit, else
 * a fresh build. Used by the binary smoke test and the binary benchmark.
 */
export function ensureHostBinary(outfile = defaultOutfile(undefined)): {
  path: string
  rebuilt: boolean
} {
  try {
    const st = statSync(outfile)
    if (st.mtimeMs > newestSourceMtime() && stampedCommit(outfile) === sourceCommit())
      return { path: outfile, rebuilt: false }
  } catch {
    // not built yet
  }
  buildBinary({ outfile })
  return { path: outfile, rebuilt: true }
}

/** `sha256sum`-compatible lines (`<hex>  <file name>`) for the given files. */
export function checksums(files: string[]): string {
  return files
    .map((f) => `${createHash('sha256').update(readFileSync(f)).digest('hex')}  ${basename(f)}\n`)
    .join('')
}

function parseCli(argv: string[]): { targets: Target[] | undefined; outdir: string; all: boolean } {
  let all = false
  let outdir = join(ROOT, 'dist')
  const targets: Target[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string
    if (a === '--all') all = true
    else if (a === '--outdir' && argv[i + 1] !== undefined) outdir = argv[++i] as string
    else if (a === '--target' && argv[i + 1] !== undefined) {
      const t = argv[++i] as string
      if (!(TARGETS as readonly string[]).includes(t))
        throw new Error(`unknown target ${t}; one of ${TARGETS.join(', ')}`)
      targets.push(t as Target)
    } else
      throw new Error(`unknown argument ${a}; usage: build.ts [--all | --target T…] [--outdir DIR]`)
  }
  return { targets: all ? [...TARGETS] : targets.length > 0 ? targets : undefined, outdir, all }
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`
}

if (import.meta.main) {
  const { targets, outdir, all } = parseCli(process.argv.slice(2))
  const commit = sourceCommit()
  if (targets === undefined) {
    const out = join(outdir, process.platform === 'win32' ? 'opcode.exe' : 'opcode')
    const b = buildBinary({ outfile: out, commit })
    console.log(
      `${relative(process.cwd(), b.path)}  ${b.target}  ${mib(b.bytes)}  ${commit}  (${b.ms} ms)`,
    )
  } else {
    const built: BuiltBinary[] = []
    for (const target of targets) {
      const out = join(outdir, `opcode-${target}${target.startsWith('windows') ? '.exe' : ''}`)
      const b = buildBinary({ target, outfile: out, commit })
      built.push(b)
      console.log(`${relative(process.cwd(), b.path)}  ${mib(b.bytes)}  (${b.ms} ms)`)
    }
    if (all) {
      const sums = join(outdir, 'checksums.txt')
      rmSync(sums, { force: true })
      writeFileSync(sums, checksums(built.map((b) => b.path)))
      console.log(
        `${relative(process.cwd(), sums)}  (SHA-256, check with: sha256sum -c checksums.txt)`,
      )
    }
    console.log(`commit ${commit}`)
  }
}
