/** `opcode stop` (decisions.md D1): stops the background server named by the pidfile (SIGTERM). */
import { loadConfig, pidfilePath } from '../config/index.ts'
import { isAppError } from '../errors.ts'
import { parseArgs, UsageError } from './args.ts'
import { type Command, EXIT } from './command.ts'
import { isAlive, livePid } from './daemon.ts'

export const stopCommand: Command = {
  name: 'stop',
  summary: 'stop the background server started by install',
  usage:
    'Usage:\n  opcode stop\n\nSends SIGTERM to the server in ~/.opcode/opcode.pid and waits up to 15 s for it to exit.\nExit status: 0 stopped, 1 no server running or it did not stop.\n',
  async run(argv, io) {
    const args = parseArgs(argv, [])
    if (args.positionals.length > 0) throw new UsageError('stop takes no arguments')
    let pidfile: string
    try {
      pidfile = pidfilePath(loadConfig(io.env, {}, io.cwd))
    } catch (err) {
      io.stderr(`opcode stop: ${isAppError(err) ? err.message : String(err)}\n`)
      return EXIT.failed
    }
    const pid = livePid(pidfile)
    if (pid === undefined) {
      io.stderr(`opcode stop: no running opcode server (no live process in ${pidfile})\n`)
      return EXIT.failed
    }
    try {
      process.kill(pid, 'SIGTERM')
    } catch (err) {
      io.stderr(`opcode stop: cannot signal PID ${pid}: ${(err as Error).message}\n`)
      return EXIT.failed
    }
    const deadline = Date.now() + 15_000
    while (Date.now() < deadline) {
      if (!isAlive(pid)) {
        io.stdout(`stopped opcode server (PID ${pid})\n`)
        return EXIT.ok
      }
      await Bun.sleep(50)
    }
    io.stderr(`opcode stop: PID ${pid} is still running after 15 s\n`)
    return EXIT.failed
  },
}
