/**
 * `opcode query RESOURCE [--filter JSON] [--db-path P]` (decisions.md D1): lists workflows, events,
 * templates, decisions or agents from the running server, or read-only from a database file.
 * Prints JSON.
 */
import { bool, jsonFlag, parseArgs, str, UsageError } from './args.ts'
import { CLIENT_FLAGS, clientFor } from './client.ts'
import { type Command, EXIT } from './command.ts'
import { openLocal, printError } from './local.ts'

const USAGE = `Usage:
  opcode query RESOURCE [--filter JSON] [--limit N] [--offset N] [--db-path PATH] [--server URL]

RESOURCE: workflows, events, templates, decisions, agents (and schedules on a server with the
scheduler). Filters: status, agent_id, workflow_id, template_name, parent_workflow_id, name,
latest, event_type, step_id, target_agent_id, since, until, include_definition, limit, offset.

Example: opcode query workflows --filter '{"status": "failed", "limit": 10}'

Prints the result as JSON. Exit status: 0 ok, 1 error, 2 usage error.
`

export const queryCommand: Command = {
  name: 'query',
  summary: 'list workflows, events, templates, decisions or agents',
  usage: USAGE,
  async run(argv, io) {
    const args = parseArgs(argv, [
      { name: 'filter', type: 'string' },
      { name: 'limit', type: 'string' },
      { name: 'offset', type: 'string' },
      { name: 'db-path', type: 'string' },
      { name: 'json', type: 'boolean' },
      ...CLIENT_FLAGS,
    ])
    const [resource, ...extra] = args.positionals
    if (resource === undefined) throw new UsageError('expected a RESOURCE (e.g. workflows)')
    if (extra.length > 0) throw new UsageError('expected one RESOURCE')
    const filter = jsonFlag(args, 'filter') ?? {}
    if (filter === null || typeof filter !== 'object' || Array.isArray(filter))
      throw new UsageError('--filter must be a JSON object')
    const f = { ...(filter as Record<string, unknown>) }
    for (const k of ['limit', 'offset'] as const) {
      const v = str(args, k)
      if (v === undefined) continue
      if (!/^-?\d+$/.test(v)) throw new UsageError(`--${k} must be an integer`)
      f[k] = Number(v)
    }
    try {
      let result: unknown
      const dbPath = str(args, 'db-path')
      if (dbPath !== undefined) {
        const rt = openLocal(io, dbPath, 'readonly')
        try {
          const { runQuery } = await import('../ops/index.ts')
          const { storeQueryResources } = await import('../ops/schedules.ts')
          result = runQuery(
            { store: rt.store, queryResources: storeQueryResources(rt.store) },
            resource,
            f,
          )
        } finally {
          await rt.close()
        }
      } else {
        result = await clientFor(io, args).post('/query', { resource, filter: f })
      }
      io.stdout(`${JSON.stringify(result, null, 2)}\n`)
      return EXIT.ok
    } catch (err) {
      return printError(io, err, bool(args, 'json') === true)
    }
  },
}
