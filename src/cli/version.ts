/** `opcode version` / `--version` / `-v` (decisions.md D1, D21): version, commit and target. */
import { buildInfo } from '../config/version.ts'
import { bool, parseArgs } from './args.ts'
import { type Command, EXIT } from './command.ts'

export const versionCommand: Command = {
  name: 'version',
  summary: 'print the version, commit and target',
  usage: 'Usage:\n  opcode version [--json]\n',
  async run(argv, io) {
    const args = parseArgs(argv, [{ name: 'json', type: 'boolean' }])
    const info = buildInfo()
    io.stdout(
      bool(args, 'json') === true
        ? `${JSON.stringify(info)}\n`
        : `opcode ${info.version}\ncommit ${info.commit}\ntarget ${info.target}\n`,
    )
    return EXIT.ok
  },
}
