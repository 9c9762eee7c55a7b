/**
 * Build identity for `opcode version`, `/healthz` and logs: the package version, the commit (stamped
 * at build time with `bun build --define OPCODE_COMMIT='"<sha>"'`, else read from git when running
 * from a checkout, else `unknown`) and the target platform (stamped with `OPCODE_TARGET` by
 * scripts/build.ts, else this process's platform and architecture).
 */
import { execFileSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import pkg from '../../package.json' with { type: 'json' }

declare const OPCODE_COMMIT: string | undefined
declare const OPCODE_TARGET: string | undefined

export interface BuildInfo {
  version: string
  commit: string
  target: string
}

let cached: BuildInfo | undefined

export function buildInfo(): BuildInfo {
  if (cached !== undefined) return cached
  cached = {
    version: pkg.version,
    commit: commitOf(),
    target: targetOf(),
  }
  return cached
}

export const VERSION: string = pkg.version

/** The target stamped by scripts/build.ts (`--define OPCODE_TARGET`), else this platform. */
function targetOf(): string {
  try {
    if (typeof OPCODE_TARGET === 'string' && OPCODE_TARGET !== '') return OPCODE_TARGET
  } catch {
    // not stamped at build time
  }
  return `${process.platform}-${process.arch}`
}

function commitOf(): string {
  try {
    if (typeof OPCODE_COMMIT === 'string' && OPCODE_COMMIT !== '') return OPCODE_COMMIT
  } catch {
    // not stamped at build time
  }
  try {
    const root = join(dirname(new URL(import.meta.url).pathname), '..', '..')
    return execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 2000,
    })
      .toString()
      .trim()
  } catch {
    return 'unknown'
  }
}
