/**
 * `opcode run FILE [--params JSON] [--db-path P] [--json]` (decisions.md D1, D21): validates and runs
 * a definition file in this process, on the given database or a private in-memory one, through
 * waits and retries of any length. Exit 0 completed, 1 failed or cancelled, 2 invalid input,
 * 3 suspended on a decision or a signal (the pending decision is printed).
 */
import { resolve } from 'node:path'
import { AppError } from '../errors.ts'
import type { WorkflowDefinition } from '../schema/workflow.ts'
import { parseDefinitionText, toValidationError } from '../validation/index.ts'
import { bool, jsonFlag, parseArgs, str, UsageError } from './args.ts'
import { type Command, type CommandIo, EXIT } from './command.ts'
import { exitCodeOf, openLocalRunner, printError, printResult } from './local.ts'

const USAGE = `Usage:
  opcode run FILE [--params JSON] [--db-path PATH] [--agent-id ID] [--json]
      run a workflow definition file here, now (FILE "-" reads stdin)
  opcode run --template NAME [--version V] [--params JSON]
      run a stored template on the running server

Without --db-path the run uses a private in-memory database and is gone when it ends. With
--db-path a suspended run can be continued later with 'opcode signal ID ... --db-path PATH'.

Exit status: 0 completed, 1 failed or cancelled, 2 invalid input, 3 suspended (waiting for a
decision or a signal; what it waits for is printed).
`

export const runFlags = [
  { name: 'params', type: 'string' },
  { name: 'db-path', type: 'string' },
  { name: 'agent-id', type: 'string' },
  { name: 'json', type: 'boolean' },
  { name: 'template', type: 'string' },
  { name: 'version', type: 'string' },
  { name: 'wait', type: 'boolean' },
] as const

/** Client form (`--template`), provided by the server's CLI client once it exists. */
export const runClient: { run?: (argv: string[], io: CommandIo) => Promise<number> } = {}

export const runCommand: Command = {
  name: 'run',
  summary: 'run a workflow file locally, or a stored template on the server',
  usage: USAGE,
  async run(argv, io) {
    const args = parseArgs(argv, [...runFlags])
    if (str(args, 'template') !== undefined) {
      if (runClient.run === undefined)
        throw new UsageError('--template needs the server client, which is not available')
      return runClient.run(argv, io)
    }
    const [file, ...extra] = args.positionals
    if (file === undefined) throw new UsageError('expected a FILE (or --template NAME)')
    if (extra.length > 0) throw new UsageError(`expected one FILE, got ${args.positionals.length}`)
    const json = bool(args, 'json') === true
    const params = jsonFlag(args, 'params') ?? {}
    if (params === null || typeof params !== 'object' || Array.isArray(params)) {
      throw new UsageError('--params must be a JSON object')
    }
    let text: string
    try {
      text = file === '-' ? await io.readStdin() : await Bun.file(resolve(io.cwd, file)).text()
    } catch (err) {
      return printError(
        io,
        new AppError('VALIDATION_ERROR', `cannot read ${file}: ${(err as Error).message}`),
        json,
      )
    }
    const runtime = await openLocalOrFail(io, str(args, 'db-path'), json)
    if (typeof runtime === 'number') return runtime
    try {
      const names = new Set(runtime.actions.names())
      const checked = parseDefinitionText(text, { actions: names })
      if (!checked.ok) return printError(io, toValidationError(checked), json)
      const definition = checked.definition as WorkflowDefinition
      const started = runtime.engine.start({
        definition,
        params: params as Record<string, unknown>,
        agentId: str(args, 'agent-id') ?? 'cli',
        name: typeof definition.metadata?.name === 'string' ? definition.metadata.name : file,
      })
      await started.settled
      const result = await runtime.engine.untilQuiescent(started.workflowId)
      printResult(io, result, json)
      return exitCodeOf(result)
    } catch (err) {
      return printError(io, err, json)
    } finally {
      await runtime.close()
    }
  },
}

export async function openLocalOrFail(io: CommandIo, dbPath: string | undefined, json: boolean) {
  try {
    return await openLocalRunner(io, dbPath)
  } catch (err) {
    return printError(io, err, json) === EXIT.usage ? EXIT.usage : EXIT.failed
  }
}
