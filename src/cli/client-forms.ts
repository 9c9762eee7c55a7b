/**
 * The client forms of commands whose local forms live elsewhere (decisions.md D1): `opcode run
 * --template NAME`, `opcode signal ID` without --db-path, and `opcode diagram --template NAME |
 * --workflow ID` (the drawing itself stays local: the server hands over the definition and states).
 */
import type { StepStateLike } from '../diagram/index.ts'
import type { ExecutionResult } from '../schema/run.ts'
import type { WorkflowDefinition } from '../schema/workflow.ts'
import { bool, jsonFlag, parseArgs, str, UsageError } from './args.ts'
import { CLIENT_FLAGS, clientFor, seg } from './client.ts'
import { type CommandIo, EXIT } from './command.ts'
import { type DiagramSource, diagramSources } from './diagram.ts'
import { exitCodeOf, printError, printResult } from './local.ts'
import { runClient, runFlags } from './run.ts'
import { signalClient, signalFlags, signalFromArgs } from './signal.ts'

async function runTemplate(argv: string[], io: CommandIo): Promise<number> {
  const args = parseArgs(argv, [...runFlags, { name: 'server', type: 'string' }])
  const json = bool(args, 'json') === true
  if (args.positionals.length > 0)
    throw new UsageError('give either a FILE (local run) or --template NAME, not both')
  if (str(args, 'db-path') !== undefined)
    throw new UsageError('--template runs on the server; --db-path is for running a FILE locally')
  const params = jsonFlag(args, 'params') ?? {}
  if (params === null || typeof params !== 'object' || Array.isArray(params))
    throw new UsageError('--params must be a JSON object')
  try {
    const client = clientFor(io, args)
    const wait = bool(args, 'wait') !== false
    const body: Record<string, unknown> = {
      template_name: str(args, 'template'),
      agent_id: client.agentId,
      params,
      wait,
    }
    const version = str(args, 'version')
    if (version !== undefined) body.version = version
    const result = (await client.post('/workflows', body)) as ExecutionResult
    if (!wait) {
      io.stdout(json ? `${JSON.stringify(result, null, 2)}\n` : `${result.workflow_id}\n`)
      return EXIT.ok
    }
    printResult(io, result, json)
    return exitCodeOf(result)
  } catch (err) {
    return printError(io, err, json)
  }
}

async function signalServer(argv: string[], io: CommandIo): Promise<number> {
  const args = parseArgs(argv, [...signalFlags, { name: 'server', type: 'string' }])
  const json = bool(args, 'json') === true
  const { workflowId, signal } = signalFromArgs(args)
  try {
    const client = clientFor(io, args)
    if (str(args, 'agent-id') === undefined) signal.agent_id = client.agentId
    const body: Record<string, unknown> = { signal_type: signal.type, agent_id: signal.agent_id }
    if (signal.step_id !== undefined) body.step_id = signal.step_id
    if (signal.payload !== undefined) body.payload = signal.payload
    if (signal.reasoning !== undefined) body.reasoning = signal.reasoning
    if (signal.signal_id !== undefined) body.signal_id = signal.signal_id
    const result = (await client.post(`/workflows/${seg(workflowId)}/signals`, body)) as {
      status?: string
    }
    if (json) io.stdout(`${JSON.stringify(result, null, 2)}\n`)
    else
      io.stdout(`signal ${signal.type} sent to ${workflowId}: workflow ${result.status ?? '?'}\n`)
    const status = result.status ?? 'active'
    if (status === 'suspended') return EXIT.suspended
    if (status === 'failed' || status === 'cancelled')
      return signal.type === 'cancel' && status === 'cancelled' ? EXIT.ok : EXIT.failed
    return EXIT.ok
  } catch (err) {
    return printError(io, err, json)
  }
}

const templateSource: DiagramSource = {
  flags: [
    { name: 'template', type: 'string' },
    { name: 'version', type: 'string' },
    ...CLIENT_FLAGS,
  ],
  usage: ['opcode diagram --template NAME [--version V] --format F   a stored template (server)'],
  matches: (args) => str(args, 'template') !== undefined,
  async load(args, io) {
    const client = clientFor(io, args)
    const name = str(args, 'template') as string
    const version = str(args, 'version')
    const t = (await client.get(`/templates/${seg(name)}`, { version })) as {
      name: string
      version: string
      definition: WorkflowDefinition
    }
    const title = t.definition.metadata?.name
    return {
      definition: t.definition,
      ...(typeof title === 'string' ? {} : { title: `${t.name} ${t.version}` }),
    }
  },
}

const workflowSource: DiagramSource = {
  flags: [
    { name: 'workflow', type: 'string' },
    { name: 'no-status', type: 'boolean' },
  ],
  usage: [
    'opcode diagram --workflow ID [--no-status] --format F   a run with step states (server)',
  ],
  matches: (args) => str(args, 'workflow') !== undefined,
  async load(args, io) {
    const client = clientFor(io, args)
    const id = str(args, 'workflow') as string
    const w = (await client.get(`/workflows/${seg(id)}`, { events: 1 })) as {
      workflow: { definition: WorkflowDefinition; name?: string; template_name?: string }
      steps: Record<string, StepStateLike>
    }
    const title = w.workflow.definition.metadata?.name
    return {
      definition: w.workflow.definition,
      ...(bool(args, 'no-status') === true ? {} : { states: w.steps }),
      ...(typeof title === 'string' || w.workflow.name === undefined
        ? {}
        : { title: w.workflow.name }),
    }
  },
}

let installed = false

/** Plugs the client forms into run, signal and diagram (idempotent). */
export function installClientForms(): void {
  if (installed) return
  installed = true
  runClient.run = runTemplate
  signalClient.run = signalServer
  diagramSources.push(templateSource, workflowSource)
}
