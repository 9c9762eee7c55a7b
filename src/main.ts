/**
 * Composition root and process entry point: `bun src/main.ts <command>`; the compiled binary's
 * entry too. Commands assemble the adapters they need (see src/cli).
 *
 * Everything is imported on demand: in the compiled binary a module's code runs only when first
 * imported, so `opcode --version` answers without loading the server, Elysia or the MCP SDK.
 */

const argv = process.argv.slice(2)

// Started with an empty environment (`env -i`, some init systems), there is no PATH: use the one
// POSIX shells fall back to, so `unshare` (PID namespaces) and the programs shell.exec names are
// found as they would be from a shell. Children inherit it.
if (process.platform !== 'win32' && (process.env.PATH === undefined || process.env.PATH === ''))
  process.env.PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

// The compiled binary starts with the JIT's tier-up thresholds raised (scripts/build.ts,
// --compile-jit-policy) so that run-once start-up code is not compiled; once started (a server
// answers within a fraction of a second), hot code gets the normal policy again.
if (Bun.isStandaloneExecutable) setTimeout(() => Bun.unsafe.setJITPolicy(1), 1000).unref()

const VERSION_ARGS = new Set(['version', '--version', '-v'])

if (VERSION_ARGS.has(argv[0] ?? '') && argv.slice(1).every((a) => a === '--json')) {
  const { versionCommand } = await import('./cli/version.ts')
  process.exitCode = await versionCommand.run(argv.slice(1), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    readStdin: () => Bun.stdin.text(),
    env: process.env,
    cwd: process.cwd(),
  })
} else {
  const { processIo, runCli } = await import('./cli/main.ts')
  process.exitCode = await runCli(argv, processIo())
}
