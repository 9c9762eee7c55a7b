/**
 * CLI dispatch: `opcode <command> [args]`. No command → serve. Unknown command → usage, exit 2.
 */

import { UsageError } from './args.ts'
import { type Command, type CommandIo, EXIT } from './command.ts'
import { commands } from './commands.ts'

export const VERSION = '0.1.0'

export function usage(list: Command[] = commands): string {
  const width = Math.max(8, ...list.map((c) => c.name.length))
  const lines = list.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`)
  return [
    'opcode — durable workflows for AI agents, over MCP',
    '',
    'Usage: opcode <command> [flags]      (no command: serve)',
    '',
    'Commands:',
    ...lines,
    '',
    "Run 'opcode <command> --help' for a command's flags.",
    '',
  ].join('\n')
}

export async function runCli(argv: string[], io: CommandIo): Promise<number> {
  let [name, ...rest] = argv
  if (name === undefined) {
    name = 'serve'
    rest = []
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.stdout(usage())
    return EXIT.ok
  }
  if (name === '--version' || name === '-v') name = 'version'
  if (name.startsWith('-') && commands.some((c) => c.name === 'serve')) {
    // `opcode --listen-addr :4200` is `opcode serve --listen-addr :4200`.
    rest = [name, ...rest]
    name = 'serve'
  }
  const command = commands.find((c) => c.name === name)
  if (command === undefined) {
    io.stderr(`opcode: unknown command '${name}'\n\n${usage()}`)
    return EXIT.usage
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(`${command.usage.trimEnd()}\n`)
    return EXIT.ok
  }
  try {
    return await command.run(rest, io)
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`opcode ${command.name}: ${err.message}\n\n${command.usage.trimEnd()}\n`)
      return EXIT.usage
    }
    throw err
  }
}

/** A CommandIo over the real process. */
export function processIo(): CommandIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    readStdin: () => Bun.stdin.text(),
    env: process.env,
    cwd: process.cwd(),
  }
}
