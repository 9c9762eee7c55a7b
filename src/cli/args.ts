/**
 * A small argv parser shared by every command: `--flag value`, `--flag=value`, boolean flags,
 * `--no-<flag>`, `-h`/`--help`, and positionals. Unknown flags are reported, never ignored.
 */

export interface FlagSpec {
  /** Flag names without dashes, e.g. `db-path`. */
  name: string
  type: 'string' | 'boolean'
  /** Short alias without dash, e.g. `v`. */
  short?: string
  /** May be given several times (values collected in order). */
  multiple?: boolean
}

export interface ParsedArgs {
  flags: Record<string, string | boolean | string[] | undefined>
  positionals: string[]
  help: boolean
}

export class UsageError extends Error {
  override name = 'UsageError'
}

export function parseArgs(argv: string[], specs: FlagSpec[]): ParsedArgs {
  const byName = new Map(specs.map((s) => [s.name, s]))
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short as string, s]))
  const flags: ParsedArgs['flags'] = {}
  const positionals: string[] = []
  let help = false
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1))
      break
    }
    if (arg === '-h' || arg === '--help') {
      help = true
      continue
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=')
      let name = eq === -1 ? arg.slice(2) : arg.slice(2, eq)
      let inline: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1)
      let spec = byName.get(name)
      if (
        spec === undefined &&
        name.startsWith('no-') &&
        byName.get(name.slice(3))?.type === 'boolean'
      ) {
        name = name.slice(3)
        spec = byName.get(name)
        if (inline !== undefined) throw new UsageError(`--no-${name} takes no value`)
        inline = 'false'
      }
      if (spec === undefined) throw new UsageError(`unknown flag --${name}`)
      if (spec.type === 'boolean') {
        const value = inline === undefined ? true : parseBool(inline, name)
        flags[spec.name] = value
        continue
      }
      if (inline === undefined) {
        const next = argv[i + 1]
        if (next === undefined) throw new UsageError(`--${name} needs a value`)
        inline = next
        i++
      }
      setValue(flags, spec, inline)
      continue
    }
    if (arg.startsWith('-') && arg.length > 1 && arg !== '-') {
      const spec = byShort.get(arg.slice(1))
      if (spec === undefined) throw new UsageError(`unknown flag ${arg}`)
      if (spec.type === 'boolean') {
        flags[spec.name] = true
        continue
      }
      const next = argv[i + 1]
      if (next === undefined) throw new UsageError(`${arg} needs a value`)
      setValue(flags, spec, next)
      i++
      continue
    }
    positionals.push(arg)
  }
  return { flags, positionals, help }
}

function setValue(flags: ParsedArgs['flags'], spec: FlagSpec, value: string): void {
  if (spec.multiple) {
    const prev = flags[spec.name]
    flags[spec.name] = Array.isArray(prev) ? [...prev, value] : [value]
  } else {
    flags[spec.name] = value
  }
}

function parseBool(text: string, name: string): boolean {
  if (text === 'true' || text === '1') return true
  if (text === 'false' || text === '0') return false
  throw new UsageError(`--${name} expects true or false`)
}

/** Reads a string flag (undefined when absent). */
export function str(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags[name]
  return typeof v === 'string' ? v : undefined
}

/** Reads a boolean flag (undefined when absent). */
export function bool(args: ParsedArgs, name: string): boolean | undefined {
  const v = args.flags[name]
  return typeof v === 'boolean' ? v : undefined
}

/** Parses a JSON flag value, with a usage error naming the flag when it is not JSON. */
export function jsonFlag(args: ParsedArgs, name: string): unknown {
  const text = str(args, name)
  if (text === undefined) return undefined
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new UsageError(`--${name} is not valid JSON: ${(err as Error).message}`)
  }
}
