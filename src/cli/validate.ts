/**
 * `opcode validate FILE [--json]` (decisions.md D1, D21): every problem of a definition file, each
 * as `path: message` with its severity. Exit 0 when valid (warnings included), 2 when not. Local:
 * actions are checked against the built-in ones, and an unknown action is only a warning (a
 * plugin of the server may provide it).
 */
import { resolve } from 'node:path'
import type { Issue } from '../errors.ts'
import { LIMITS, parseDefinitionText, type ValidationResult } from '../validation/index.ts'
import { bool, parseArgs, UsageError } from './args.ts'
import { type Command, type CommandIo, EXIT } from './command.ts'

const USAGE = `Usage:
  opcode validate FILE [--json]     check a workflow definition file (- = stdin)

Prints every problem as "severity  path: message"; path is a JSON pointer into the file.
Warnings (unknown keys, unknown actions, suspicious references…) never make a file invalid.

Flags:
  --json   print {"valid", "errors", "warnings"} as JSON

Exit status: 0 valid, 2 invalid or unreadable.
`

export const validateCommand: Command = {
  name: 'validate',
  summary: 'check a workflow definition file and list its problems',
  usage: USAGE,
  async run(argv, io) {
    const args = parseArgs(argv, [{ name: 'json', type: 'boolean' }])
    const [file, ...extra] = args.positionals
    if (file === undefined) throw new UsageError('expected a FILE')
    if (extra.length > 0) throw new UsageError(`expected one FILE, got ${args.positionals.length}`)
    const json = bool(args, 'json') === true
    let text: string
    try {
      text = await readDefinition(file, io)
    } catch (err) {
      const message = `cannot read ${JSON.stringify(file)}: ${(err as Error).message}`
      if (json) {
        const issue: Issue = { path: '', code: 'NOT_FOUND', message, severity: 'error' }
        io.stdout(`${JSON.stringify({ valid: false, errors: [issue], warnings: [] }, null, 2)}\n`)
      } else io.stderr(`opcode validate: ${message}\n`)
      return EXIT.usage
    }
    const { builtinActionNames } = await import('../actions/index.ts')
    const names = new Set(builtinActionNames())
    const result = parseDefinitionText(text, { actions: names, unknownActionSeverity: 'warning' })
    if (json) io.stdout(`${JSON.stringify(asJson(result), null, 2)}\n`)
    else io.stdout(humanReport(file, result))
    return result.ok ? EXIT.ok : EXIT.usage
  },
}

async function readDefinition(file: string, io: CommandIo): Promise<string> {
  if (file === '-') return io.readStdin()
  const handle = Bun.file(resolve(io.cwd, file))
  if (!(await handle.exists())) throw new Error('no such file')
  // Refuse before reading: a huge file is not loaded into memory to be rejected afterwards.
  if (handle.size > LIMITS.maxTextBytes) {
    throw new Error(
      `the file is ${handle.size} bytes; the limit is ${LIMITS.maxTextBytes} (16 MiB)`,
    )
  }
  return handle.text()
}

function asJson(result: ValidationResult): { valid: boolean; errors: Issue[]; warnings: Issue[] } {
  return {
    valid: result.ok,
    errors: result.ok ? [] : result.errors,
    warnings: result.warnings,
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

/** One line per problem; control and bidi characters escaped so a file cannot drive the terminal. */
export function humanReport(file: string, result: ValidationResult): string {
  const errors = result.ok ? [] : result.errors
  const warnings = result.warnings
  const head = result.ok
    ? `${file}: valid${warnings.length > 0 ? ` (${plural(warnings.length, 'warning')})` : ''}`
    : `${file}: invalid — ${plural(errors.length, 'error')}${warnings.length > 0 ? `, ${plural(warnings.length, 'warning')}` : ''}`
  const lines = [safe(head)]
  for (const issue of [...errors, ...warnings]) {
    const where = issue.path === '' ? '' : `${issue.path}: `
    const code = issue.code === 'VALIDATION_ERROR' ? '' : ` [${issue.code}]`
    lines.push(safe(`  ${issue.severity.padEnd(7)}  ${where}${issue.message}${code}`))
  }
  return `${lines.join('\n')}\n`
}

/** C0/C1 controls and the bidirectional overrides/isolates (which can reorder what a terminal shows). */
function unsafe(c: number): boolean {
  return (
    c < 0x20 ||
    (c >= 0x7f && c <= 0x9f) ||
    c === 0x200e ||
    c === 0x200f ||
    (c >= 0x202a && c <= 0x202e) ||
    (c >= 0x2066 && c <= 0x2069)
  )
}

function safe(text: string): string {
  let out = ''
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    out += unsafe(c) ? `\\u${c.toString(16).padStart(4, '0')}` : text[i]
  }
  return out
}
