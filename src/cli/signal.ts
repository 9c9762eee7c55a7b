/**
 * `opcode signal ID --type T [--step S] [--payload JSON] [--reasoning TEXT] [--signal-id X]
 * [--agent-id A] --db-path P [--json]` (decisions.md D1, D4, D21): the local form applies the signal
 * to a workflow in a database file and continues the run in this process until it ends or waits
 * for someone again. Without --db-path it is a client of the running server.
 */

import type { Signal } from '../schema/run.ts'
import { SignalType } from '../schema/run.ts'
import { bool, jsonFlag, parseArgs, str, UsageError } from './args.ts'
import type { Command, CommandIo } from './command.ts'
import { exitCodeOf, printError, printResult } from './local.ts'
import { openLocalOrFail } from './run.ts'

const USAGE = `Usage:
  opcode signal WORKFLOW_ID --type decision|data|cancel|retry|skip [--step STEP]
                [--payload JSON] [--reasoning TEXT] [--signal-id ID] [--agent-id ID]
                [--db-path PATH] [--json]

  decision  resolve the pending decision of --step; --payload '{"choice":"<option id>"}'
  data      complete a wait-for-signal step (payload.signal = its name, or --step), else
            merge the payload into the workflow context
  cancel    cancel the workflow, or (with --step) the pending decision of that step
  retry     resume an interrupted/timed-out workflow, or (with --step) re-run a failed step
  skip      skip a suspended reasoning or wait step (--step)

With --db-path the signal is applied to that database here and the run continues in this
process; without it the running server receives the signal.

Exit status: 0 the workflow completed, 1 failed/cancelled or error, 2 invalid signal,
3 suspended again.
`

export const signalFlags = [
  { name: 'type', type: 'string' },
  { name: 'step', type: 'string' },
  { name: 'payload', type: 'string' },
  { name: 'reasoning', type: 'string' },
  { name: 'signal-id', type: 'string' },
  { name: 'agent-id', type: 'string' },
  { name: 'db-path', type: 'string' },
  { name: 'json', type: 'boolean' },
] as const

export const signalClient: { run?: (argv: string[], io: CommandIo) => Promise<number> } = {}

/** Builds a Signal from parsed flags (shared by the local and client forms). */
export function signalFromArgs(args: ReturnType<typeof parseArgs>): {
  workflowId: string
  signal: Signal
} {
  const [workflowId, ...extra] = args.positionals
  if (workflowId === undefined) throw new UsageError('expected a WORKFLOW_ID')
  if (extra.length > 0) throw new UsageError('expected one WORKFLOW_ID')
  const type = str(args, 'type')
  if (type === undefined || !(SignalType as readonly string[]).includes(type)) {
    throw new UsageError(`--type must be one of ${SignalType.join(', ')}`)
  }
  const payload = jsonFlag(args, 'payload')
  if (
    payload !== undefined &&
    (payload === null || typeof payload !== 'object' || Array.isArray(payload))
  ) {
    throw new UsageError('--payload must be a JSON object')
  }
  const signal: Signal = { type: type as Signal['type'] }
  const step = str(args, 'step')
  if (step !== undefined) signal.step_id = step
  if (payload !== undefined) signal.payload = payload as Record<string, unknown>
  const reasoning = str(args, 'reasoning')
  if (reasoning !== undefined) signal.reasoning = reasoning
  const sid = str(args, 'signal-id')
  if (sid !== undefined) signal.signal_id = sid
  signal.agent_id = str(args, 'agent-id') ?? 'cli'
  return { workflowId, signal }
}

export const signalCommand: Command = {
  name: 'signal',
  summary: 'send a decision, data, cancel, retry or skip signal to a workflow',
  usage: USAGE,
  async run(argv, io) {
    const args = parseArgs(argv, [...signalFlags])
    const dbPath = str(args, 'db-path')
    if (dbPath === undefined) {
      if (signalClient.run === undefined)
        throw new UsageError('without --db-path this needs the server client')
      return signalClient.run(argv, io)
    }
    const json = bool(args, 'json') === true
    const { workflowId, signal } = signalFromArgs(args)
    const runtime = await openLocalOrFail(io, dbPath, json)
    if (typeof runtime === 'number') return runtime
    try {
      await runtime.engine.signal(workflowId, signal)
      const result = await runtime.engine.untilQuiescent(workflowId)
      printResult(io, result, json)
      return exitCodeOf(result)
    } catch (err) {
      return printError(io, err, json)
    } finally {
      await runtime.close()
    }
  },
}
