/**
 * The command table (decisions.md D1). Add a command by importing it here; keep the list sorted
 * by name. `opcode` with no command serves.
 */
import type { Command } from './command.ts'

export const commands: Command[] = []
