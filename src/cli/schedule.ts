/**
 * `opcode schedule add|list|show|rm|enable|disable|run-now` (decisions.md D1: a client of the
 * running server): scheduled jobs of the cron scheduler (spec server.md §11 Ours).
 */
import { bool, jsonFlag, type ParsedArgs, parseArgs, str, UsageError } from './args.ts'
import { type ApiClient, CLIENT_FLAGS, clientFor, seg } from './client.ts'
import { type Command, type CommandIo, EXIT } from './command.ts'
import { printError } from './local.ts'

const USAGE = `Usage:
  opcode schedule add TEMPLATE CRON [--params JSON] [--timezone TZ] [--version V]
                      [--catch-up none|one|all] [--overlap skip|allow] [--disabled]
  opcode schedule list [--template NAME] [--enabled | --no-enabled]
  opcode schedule show ID [--runs N]
  opcode schedule rm ID
  opcode schedule enable ID
  opcode schedule disable ID
  opcode schedule run-now ID
  (every form also takes --json, --agent-id ID and --server URL)

CRON: 5 fields "minute hour day-of-month month day-of-week", 6 with seconds first, a descriptor
(@hourly, @daily, @weekly, @monthly, @yearly) or a "TZ=Europe/Paris " prefix; quote it.
Times are UTC unless --timezone or a TZ= prefix says otherwise. --catch-up: fires missed while
the server was down ('one' by default runs the latest once). --overlap skip (default) records a
fire as skipped while the previous run is still active.

Example: opcode schedule add nightly-report '0 2 * * *' --timezone Europe/Paris

Exit status: 0 ok, 1 error, 2 usage or validation error.
`

type Row = Record<string, unknown>

export const scheduleCommand: Command = {
  name: 'schedule',
  summary: 'add, list, remove, enable, disable or fire scheduled jobs (cron)',
  usage: USAGE,
  async run(argv, io) {
    const args = parseArgs(argv, [
      { name: 'params', type: 'string' },
      { name: 'timezone', type: 'string' },
      { name: 'version', type: 'string' },
      { name: 'catch-up', type: 'string' },
      { name: 'overlap', type: 'string' },
      { name: 'disabled', type: 'boolean' },
      { name: 'template', type: 'string' },
      { name: 'enabled', type: 'boolean' },
      { name: 'runs', type: 'string' },
      { name: 'json', type: 'boolean' },
      ...CLIENT_FLAGS,
    ])
    const [sub, ...rest] = args.positionals
    if (sub === undefined)
      throw new UsageError('expected a subcommand: add, list, show, rm, enable, disable or run-now')
    const json = bool(args, 'json') === true
    const one = (what: string): string => {
      if (rest.length !== 1) throw new UsageError(`schedule ${sub} expects ${what}`)
      return rest[0] as string
    }
    let action: (client: ApiClient) => Promise<void>
    switch (sub) {
      case 'add':
        action = add(io, args, rest, json)
        break
      case 'list':
      case 'ls':
        if (rest.length > 0) throw new UsageError('schedule list takes no arguments')
        action = list(io, args, json)
        break
      case 'show': {
        const id = one('an ID')
        action = async (c) => {
          const runs = str(args, 'runs')
          if (runs !== undefined && !/^\d+$/.test(runs))
            throw new UsageError('--runs must be an integer')
          const r = (await c.get(`/schedules/${seg(id)}`, { runs })) as {
            schedule: Row
            runs: Row[]
          }
          if (json) return print(io, r)
          io.stdout(`${describe(r.schedule)}\n`)
          if (r.runs.length === 0) io.stdout('  no runs yet\n')
          for (const run of r.runs) io.stdout(`  ${runLine(run)}\n`)
        }
        break
      }
      case 'rm':
      case 'remove': {
        const id = one('an ID')
        action = async (c) => {
          const r = await c.delete(`/schedules/${seg(id)}`, { agent_id: c.agentId })
          if (json) print(io, r)
          else io.stdout(`removed ${id}\n`)
        }
        break
      }
      case 'enable':
      case 'disable': {
        const id = one('an ID')
        action = async (c) => {
          const r = (await c.post(`/schedules/${seg(id)}/${sub}`, { agent_id: c.agentId })) as Row
          if (json) print(io, r)
          else io.stdout(`${describe(r)}\n`)
        }
        break
      }
      case 'run-now':
      case 'run': {
        const id = one('an ID')
        action = async (c) => {
          const r = (await c.post(`/schedules/${seg(id)}/run`, { agent_id: c.agentId })) as Row
          if (json) print(io, r)
          else io.stdout(`started workflow ${String(r.workflow_id)} (job ${id})\n`)
        }
        break
      }
      default:
        throw new UsageError(
          `unknown subcommand "${sub}": use add, list, show, rm, enable, disable or run-now`,
        )
    }
    try {
      await action(clientFor(io, args))
      return EXIT.ok
    } catch (err) {
      if (err instanceof UsageError) throw err
      return printError(io, err, json)
    }
  },
}

function add(io: CommandIo, args: ParsedArgs, rest: string[], json: boolean) {
  if (rest.length !== 2)
    throw new UsageError('schedule add expects TEMPLATE and CRON (quote the cron)')
  const [template, cron] = rest as [string, string]
  const params = jsonFlag(args, 'params')
  if (
    params !== undefined &&
    (params === null || typeof params !== 'object' || Array.isArray(params))
  )
    throw new UsageError('--params must be a JSON object')
  const catchUp = str(args, 'catch-up')
  if (catchUp !== undefined && !['none', 'one', 'all'].includes(catchUp))
    throw new UsageError('--catch-up must be none, one or all')
  const overlap = str(args, 'overlap')
  if (overlap !== undefined && !['skip', 'allow'].includes(overlap))
    throw new UsageError('--overlap must be skip or allow')
  return async (c: ApiClient): Promise<void> => {
    const body: Row = { template_name: template, cron_expression: cron, agent_id: c.agentId }
    if (params !== undefined) body.params = params
    const tz = str(args, 'timezone')
    if (tz !== undefined) body.timezone = tz
    const version = str(args, 'version')
    if (version !== undefined) body.template_version = version
    if (catchUp !== undefined) body.catch_up = catchUp
    if (overlap !== undefined) body.overlap = overlap
    if (bool(args, 'disabled') === true) body.enabled = false
    const r = (await c.post('/schedules', body)) as Row
    if (json) print(io, r)
    else io.stdout(`added ${describe(r)}\n`)
  }
}

function list(io: CommandIo, args: ParsedArgs, json: boolean) {
  return async (c: ApiClient): Promise<void> => {
    const enabled = bool(args, 'enabled')
    const r = (await c.get('/schedules', {
      template_name: str(args, 'template'),
      enabled,
      limit: 0,
    })) as { schedules: Row[] }
    if (json) return print(io, r)
    if (r.schedules.length === 0) {
      io.stdout('no scheduled jobs\n')
      return
    }
    for (const s of r.schedules) io.stdout(`${describe(s)}\n`)
  }
}

/** One line per job: id, template, cron, zone, state, next fire, last run. */
function describe(s: Row): string {
  const version = s.template_version === undefined ? '' : `:${String(s.template_version)}`
  const state = s.enabled === true ? 'enabled' : 'disabled'
  const next = s.next_run_at === null || s.next_run_at === undefined ? '-' : String(s.next_run_at)
  const last =
    s.last_run_status === undefined
      ? 'never run'
      : `last ${String(s.last_run_status)} at ${String(s.last_run_at)}`
  const source = s.source === 'trigger' ? ' (template trigger)' : ''
  return `${String(s.id)}  ${String(s.template_name)}${version}  "${String(s.cron_expression)}" ${String(s.timezone)}  ${state}  next ${next}  ${last}${source}`
}

function runLine(r: Row): string {
  const wf = r.workflow_id === undefined ? '' : `  workflow ${String(r.workflow_id)}`
  const err = r.error as { code?: string; message?: string } | undefined
  const why = err === undefined ? '' : `  [${String(err.code)}] ${String(err.message)}`
  return `${String(r.scheduled_for)}  ${String(r.kind).padEnd(8)} ${String(r.status).padEnd(9)}${wf}${why}`
}

function print(io: CommandIo, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`)
}
