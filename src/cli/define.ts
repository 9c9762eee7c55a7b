/**
 * `opcode define NAME FILE [--description T] [--input-schema JSON|@FILE] [--triggers JSON|@FILE]`
 * (decisions.md D1/D21): stores a definition file as a new template version on the running server
 * (opcode.define: validated there, every problem printed). With `--db-path` it writes the database
 * file directly (e.g. while building an image, before the server starts).
 */
import { resolve } from 'node:path'
import { AppError } from '../errors.ts'
import { parseDefinitionText } from '../validation/index.ts'
import { bool, type ParsedArgs, parseArgs, str, UsageError } from './args.ts'
import { CLIENT_FLAGS, clientFor } from './client.ts'
import { type Command, type CommandIo, EXIT } from './command.ts'
import { printError } from './local.ts'

const USAGE = `Usage:
  opcode define NAME FILE [--description TEXT] [--input-schema JSON|@FILE]
                [--triggers JSON|@FILE] [--agent-id ID] [--json] [--db-path PATH]

Saves the workflow definition in FILE ("-" = stdin) as the next version of template NAME. The
definition is validated first; on problems nothing is stored and every problem is printed.
Without --db-path the running server stores it; with --db-path the database file is written here.

Exit status: 0 stored, 1 error, 2 invalid definition or usage error.
`

export const defineCommand: Command = {
  name: 'define',
  summary: 'save a workflow definition file as a template version',
  usage: USAGE,
  async run(argv, io) {
    const args = parseArgs(argv, [
      { name: 'description', type: 'string' },
      { name: 'input-schema', type: 'string' },
      { name: 'triggers', type: 'string' },
      { name: 'db-path', type: 'string' },
      { name: 'json', type: 'boolean' },
      ...CLIENT_FLAGS,
    ])
    const [name, file, ...extra] = args.positionals
    if (name === undefined || file === undefined) throw new UsageError('expected NAME and FILE')
    if (extra.length > 0) throw new UsageError('expected NAME and FILE only')
    const json = bool(args, 'json') === true
    try {
      const text = await readText(io, file)
      const parsed = parseJsonText(text)
      const body: Record<string, unknown> = { name, definition: parsed }
      const description = str(args, 'description')
      if (description !== undefined) body.description = description
      for (const [flag, key] of [
        ['input-schema', 'input_schema'],
        ['triggers', 'triggers'],
      ] as const) {
        const v = await objectFlag(io, args, flag)
        if (v !== undefined) body[key] = v
      }
      let result: {
        name: string
        version: string
        warnings?: Array<{ path: string; message: string }>
      }
      const dbPath = str(args, 'db-path')
      if (dbPath !== undefined) {
        // Loaded on demand: the operations layer is heavy for a CLI start-up.
        const { localServices } = await import('./local-services.ts')
        const { invokeOp } = await import('../ops/index.ts')
        const { defineTemplateOp } = await import('../ops/define.ts')
        const local = localServices(io, dbPath, str(args, 'agent-id') ?? 'cli')
        try {
          body.agent_id = local.agentId
          result = (await invokeOp(local.svc, defineTemplateOp as never, body, {
            transport: 'http',
          })) as typeof result
        } finally {
          await local.close()
        }
      } else {
        const client = clientFor(io, args)
        body.agent_id = client.agentId
        result = (await client.post('/templates', body)) as typeof result
      }
      if (json) io.stdout(`${JSON.stringify(result, null, 2)}\n`)
      else {
        io.stdout(`defined ${result.name} ${result.version}\n`)
        for (const w of result.warnings ?? [])
          io.stderr(`  warning ${w.path || '/'}: ${w.message}\n`)
      }
      return EXIT.ok
    } catch (err) {
      return printError(io, err, json)
    }
  },
}

async function readText(io: CommandIo, file: string): Promise<string> {
  if (file === '-') return io.readStdin()
  const handle = Bun.file(resolve(io.cwd, file))
  if (!(await handle.exists())) throw new UsageError(`no such file: ${file}`)
  return handle.text()
}

/** JSON text → value, with the validator's line/column message when it is not JSON. */
function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text)
  } catch {
    const r = parseDefinitionText(text)
    const message = r.ok ? 'invalid JSON' : (r.errors[0]?.message ?? 'invalid JSON')
    throw new AppError('VALIDATION_ERROR', message)
  }
}

/** A JSON object given inline or as `@FILE`. */
async function objectFlag(io: CommandIo, args: ParsedArgs, flag: string): Promise<unknown> {
  const raw = str(args, flag)
  if (raw === undefined) return undefined
  const text = raw.startsWith('@') ? await readText(io, raw.slice(1)) : raw
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch (err) {
    throw new UsageError(`--${flag} is not valid JSON: ${(err as Error).message}`)
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw new UsageError(`--${flag} must be a JSON object`)
  return v
}
