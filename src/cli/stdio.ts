/**
 * `opcode stdio` (decisions.md D1/D21): MCP over standard input/output for stdio-only clients,
 * relayed to the running server. With no server running it fails at once with a message naming
 * the address it tried.
 */
import { isAppError } from '../errors.ts'
import { parseArgs, UsageError } from './args.ts'
import { CLIENT_FLAGS, clientFor } from './client.ts'
import { type Command, EXIT } from './command.ts'

export const stdioCommand: Command = {
  name: 'stdio',
  summary: 'speak MCP on stdin/stdout, relayed to the running server',
  usage:
    'Usage:\n  opcode stdio [--server URL]\n\nFor MCP clients that only launch stdio servers: {"command": "opcode", "args": ["stdio"]}.\nNeeds a running server (opcode serve / opcode install); uses its token from settings.\n',
  async run(argv, io) {
    const args = parseArgs(argv, CLIENT_FLAGS)
    if (args.positionals.length > 0) throw new UsageError('stdio takes no arguments')
    let client: ReturnType<typeof clientFor>
    try {
      client = clientFor(io, args)
    } catch (err) {
      io.stderr(`opcode stdio: ${isAppError(err) ? err.message : String(err)}\n`)
      return EXIT.failed
    }
    try {
      const res = await fetch(`${client.baseUrl}/healthz`, { signal: AbortSignal.timeout(3000) })
      if (!res.ok) throw new Error(`HTTP ${res.status}`)
    } catch (err) {
      io.stderr(
        `opcode stdio: no opcode server is running at ${client.baseUrl} (${(err as Error).message}); start it with 'opcode serve' or 'opcode install'\n`,
      )
      return EXIT.failed
    }
    const { bridgeStdio } = await import('../mcp/index.ts')
    await bridgeStdio({
      baseUrl: client.baseUrl,
      ...(client.config.authToken === undefined ? {} : { token: client.config.authToken }),
      stdin: process.stdin,
      stdout: process.stdout,
      onError: (m) => io.stderr(`${m}\n`),
    })
    return EXIT.ok
  },
}
