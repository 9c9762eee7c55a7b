/**
 * Composition root and process entry point: `bun src/main.ts <command>`; the compiled binary's
 * entry too. Commands assemble the adapters they need (see src/cli).
 */
import { processIo, runCli } from './cli/main.ts'

const code = await runCli(process.argv.slice(2), processIo())
process.exitCode = code
