/**
 * The command table (decisions.md D1). Add a command by importing it here; keep the list sorted
 * by name. `opcode` with no command serves.
 */
import type { Command } from './command.ts'
import { diagramCommand } from './diagram.ts'
import { evalCommand } from './eval.ts'
import { runCommand } from './run.ts'
import { signalCommand } from './signal.ts'
import { validateCommand } from './validate.ts'

export const commands: Command[] = [
  diagramCommand,
  evalCommand,
  runCommand,
  signalCommand,
  validateCommand,
]
