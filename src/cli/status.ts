/**
 * `opcode status ID [--verbose] [--json] [--db-path P]` (decisions.md D1, D21): the state of a
 * workflow from the running server, or read-only from a database file (works beside a server).
 */
import { bool, parseArgs, str, UsageError } from './args.ts'
import { CLIENT_FLAGS, clientFor, seg } from './client.ts'
import { type Command, EXIT } from './command.ts'
import { openLocal, printError } from './local.ts'

const USAGE = `Usage:
  opcode status WORKFLOW_ID [--verbose] [--json] [--db-path PATH] [--server URL]

Shows a workflow's status, steps, pending decisions, children and latest events (all events with
--verbose). Without --db-path it asks the running server; with it, it reads the file (read-only,
also while a server runs on it).

Exit status: 0 shown, 1 error (e.g. unknown workflow), 2 usage error.
`

export const statusCommand: Command = {
  name: 'status',
  summary: 'show the state of a workflow',
  usage: USAGE,
  async run(argv, io) {
    const args = parseArgs(argv, [
      { name: 'verbose', type: 'boolean' },
      { name: 'json', type: 'boolean' },
      { name: 'db-path', type: 'string' },
      ...CLIENT_FLAGS,
    ])
    const [id, ...extra] = args.positionals
    if (id === undefined) throw new UsageError('expected a WORKFLOW_ID')
    if (extra.length > 0) throw new UsageError('expected one WORKFLOW_ID')
    const json = bool(args, 'json') === true
    const verbose = bool(args, 'verbose') === true
    try {
      let status: Record<string, unknown>
      const dbPath = str(args, 'db-path')
      if (dbPath !== undefined) {
        const rt = openLocal(io, dbPath, 'readonly')
        try {
          const { workflowStatus } = await import('../ops/index.ts')
          status = await workflowStatus({ store: rt.store }, id, verbose)
        } finally {
          await rt.close()
        }
      } else {
        const client = clientFor(io, args)
        status = (await client.get(`/workflows/${seg(id)}/status`, {
          ...(verbose ? { verbose: true } : {}),
        })) as Record<string, unknown>
      }
      io.stdout(json ? `${JSON.stringify(status, null, 2)}\n` : describe(status))
      return EXIT.ok
    } catch (err) {
      return printError(io, err, json)
    }
  },
}

function describe(s: Record<string, unknown>): string {
  const lines = [`workflow ${String(s.workflow_id)}: ${String(s.status)}`]
  const steps = (s.steps ?? {}) as Record<
    string,
    { status: string; duration_ms?: number; error?: { code: string; message: string } }
  >
  for (const [key, st] of Object.entries(steps)) {
    const dur = st.duration_ms === undefined ? '' : ` (${Math.round(st.duration_ms)} ms)`
    const err = st.error === undefined ? '' : ` — [${st.error.code}] ${st.error.message}`
    lines.push(`  ${st.status.padEnd(9)} ${key}${dur}${err}`)
  }
  const err = s.error as { code: string; message: string } | undefined
  if (err !== undefined) lines.push(`error: [${err.code}] ${err.message}`)
  for (const d of (s.pending_decisions ?? []) as Array<Record<string, unknown>>) {
    const opts = (d.options as Array<{ id: string }> | undefined)?.map((o) => o.id).join(', ')
    lines.push(`pending decision on step ${String(d.step_id)} (options: ${opts || 'free-form'})`)
  }
  for (const c of (s.children ?? []) as Array<Record<string, unknown>>) {
    const n = (c.pending_decisions as unknown[] | undefined)?.length ?? 0
    lines.push(
      `child ${String(c.workflow_id)}: ${String(c.status)}${n > 0 ? ` (${n} pending decisions)` : ''}`,
    )
  }
  lines.push(
    `events: ${(s.events as unknown[] | undefined)?.length ?? 0} shown of ${String(s.events_total ?? 0)}`,
  )
  return `${lines.join('\n')}\n`
}
