/**
 * The shape of a CLI command (decisions.md D1). Each command lives in its own file under src/cli
 * and is listed in commands.ts. `run` returns the exit code: 0 ok, 1 failed/runtime error,
 * 2 usage or validation error, 3 suspended.
 */

export interface CommandIo {
  stdout(text: string): void
  stderr(text: string): void
  /** Reads all of standard input (for `--from-stdin`, `-`). */
  readStdin(): Promise<string>
  env: Record<string, string | undefined>
  cwd: string
}

export interface Command {
  name: string
  /** One line for the command list. */
  summary: string
  /** Full help text printed by `opcode <name> --help`. */
  usage: string
  run(args: string[], io: CommandIo): Promise<number>
}

export const EXIT = { ok: 0, failed: 1, usage: 2, suspended: 3 } as const
