/**
 * `opcode plugin add|list|rm|restart` (decisions.md D1/D21: a client of the running server, which
 * edits settings.json and applies it): MCP servers over stdio whose tools become actions.
 */
import { bool, type ParsedArgs, parseArgs, str, UsageError } from './args.ts'
import { type ApiClient, CLIENT_FLAGS, clientFor, seg } from './client.ts'
import { type Command, type CommandIo, EXIT } from './command.ts'
import { printError } from './local.ts'

const USAGE = `Usage:
  opcode plugin add NAME [--env KEY=VALUE]... [--timeout 60s] [--disabled] [--replace]
                         -- COMMAND [ARG...]
  opcode plugin list
  opcode plugin rm NAME
  opcode plugin restart NAME
  (every form also takes --json, --agent-id ID and --server URL)

A plugin is an MCP server spoken to over stdio; its tools become actions NAME.TOOL. Plugins are
kept in settings.json ("plugins"), which the server edits and applies at once; SIGHUP reloads it.
The plugin gets PATH, HOME, LANG and its --env values, never the vault key or the API token.

Example: opcode plugin add github --env GITHUB_TOKEN=… -- npx -y @modelcontextprotocol/server-github

Exit status: 0 ok, 1 error, 2 usage or validation error.
`

type Row = Record<string, unknown>

export const pluginCommand: Command = {
  name: 'plugin',
  summary: 'add, list, remove or restart MCP plugins (tools as actions)',
  usage: USAGE,
  async run(argv, io) {
    const args = parseArgs(argv, [
      { name: 'env', type: 'string', multiple: true },
      { name: 'timeout', type: 'string' },
      { name: 'disabled', type: 'boolean' },
      { name: 'replace', type: 'boolean' },
      { name: 'json', type: 'boolean' },
      ...CLIENT_FLAGS,
    ])
    const [sub, ...rest] = args.positionals
    if (sub === undefined) throw new UsageError('expected a subcommand: add, list, rm or restart')
    const json = bool(args, 'json') === true
    let action: (c: ApiClient) => Promise<void>
    switch (sub) {
      case 'add':
        action = add(io, args, rest, json)
        break
      case 'list':
      case 'ls':
        if (rest.length > 0) throw new UsageError('plugin list takes no arguments')
        action = async (c) => {
          const r = (await c.get('/plugins')) as { plugins: Row[] }
          if (json) return print(io, r)
          if (r.plugins.length === 0) io.stdout('no plugins\n')
          for (const p of r.plugins) io.stdout(`${describe(p)}\n`)
        }
        break
      case 'rm':
      case 'remove': {
        const name = only(rest, sub)
        action = async (c) => {
          const r = await c.delete(`/plugins/${seg(name)}`, { agent_id: c.agentId })
          if (json) print(io, r)
          else io.stdout(`removed plugin ${name}\n`)
        }
        break
      }
      case 'restart': {
        const name = only(rest, sub)
        action = async (c) => {
          const r = (await c.post(`/plugins/${seg(name)}/restart`, { agent_id: c.agentId })) as Row
          if (json) print(io, r)
          else io.stdout(`${describe(r)}\n`)
        }
        break
      }
      default:
        throw new UsageError(`unknown subcommand "${sub}": use add, list, rm or restart`)
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

function only(rest: string[], sub: string): string {
  if (rest.length !== 1) throw new UsageError(`plugin ${sub} expects a NAME`)
  return rest[0] as string
}

function add(io: CommandIo, args: ParsedArgs, rest: string[], json: boolean) {
  const [name, command, ...commandArgs] = rest
  if (name === undefined || command === undefined)
    throw new UsageError('plugin add expects NAME -- COMMAND [ARG...]')
  const env: Record<string, string> = {}
  const raw = args.flags.env
  for (const pair of Array.isArray(raw) ? raw : typeof raw === 'string' ? [raw] : []) {
    const eq = pair.indexOf('=')
    if (eq <= 0) throw new UsageError(`--env expects KEY=VALUE, got "${pair}"`)
    env[pair.slice(0, eq)] = pair.slice(eq + 1)
  }
  return async (c: ApiClient): Promise<void> => {
    const body: Row = { name, command, args: commandArgs, agent_id: c.agentId }
    if (Object.keys(env).length > 0) body.env = env
    const timeout = str(args, 'timeout')
    if (timeout !== undefined) body.timeout = timeout
    if (bool(args, 'disabled') === true) body.enabled = false
    if (bool(args, 'replace') === true) body.replace = true
    const r = (await c.post('/plugins', body)) as Row
    if (json) print(io, r)
    else io.stdout(`added ${describe(r)}\n`)
  }
}

/** name, status, tool count, pid, last error. */
function describe(p: Row): string {
  const tools = Array.isArray(p.tools) ? (p.tools as Array<{ action?: string }>) : []
  const pid = p.pid === undefined ? '' : `  pid ${String(p.pid)}`
  const err = p.error === undefined ? '' : `  error: ${String(p.error)}`
  const names = tools.length === 0 ? '' : `: ${tools.map((t) => t.action).join(', ')}`
  return `${String(p.name)}  ${String(p.status)}${pid}  ${tools.length} tools${names}${err}`
}

function print(io: CommandIo, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`)
}
