/**
 * The command table (decisions.md D1). Add a command by importing it here; keep the list sorted
 * by name. `opcode` with no command serves.
 */
import { installClientForms } from './client-forms.ts'
import type { Command } from './command.ts'
import { defineCommand } from './define.ts'
import { diagramCommand } from './diagram.ts'
import { evalCommand } from './eval.ts'
import { installCommand } from './install.ts'
import { pluginCommand } from './plugin.ts'
import { queryCommand } from './query.ts'
import { runCommand } from './run.ts'
import { scheduleCommand } from './schedule.ts'
import { secretCommand } from './secret.ts'
import { serveCommand } from './serve.ts'
import { signalCommand } from './signal.ts'
import { statusCommand } from './status.ts'
import { stdioCommand } from './stdio.ts'
import { stopCommand } from './stop.ts'
import { validateCommand } from './validate.ts'
import { versionCommand } from './version.ts'

// run --template, signal without --db-path and diagram --template/--workflow talk to the server.
installClientForms()

export const commands: Command[] = [
  defineCommand,
  diagramCommand,
  evalCommand,
  installCommand,
  pluginCommand,
  queryCommand,
  runCommand,
  scheduleCommand,
  secretCommand,
  serveCommand,
  signalCommand,
  statusCommand,
  stdioCommand,
  stopCommand,
  validateCommand,
  versionCommand,
]
