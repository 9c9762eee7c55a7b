/**
 * `opcode install` (spec server.md §7.1–7.2 with Ours; decisions.md D10, D21): creates
 * `~/.opcode` (0700), merges the given flags into settings.json (0600; everything else is kept, a
 * token is generated when there is none), then signals a running server to reload, or starts one in
 * the background (pidfile, log file) unless `--no-start`. The vault key goes to that server over a
 * pipe on its standard input, never to disk or to its environment.
 */
import { closeSync, mkdirSync, openSync } from 'node:fs'
import {
  generateToken,
  loadConfig,
  logfilePath,
  mergeSettings,
  pidfilePath,
  readSettings,
  type SettingsFile,
} from '../config/index.ts'
import { isAppError } from '../errors.ts'
import { bool, parseArgs, str, UsageError } from './args.ts'
import { type Command, type CommandIo, EXIT } from './command.ts'
import { isAlive, livePid, selfCommand } from './daemon.ts'
import { SERVE_FLAGS } from './serve.ts'

const USAGE = `Usage:
  opcode install [--listen-addr ADDR] [--db-path PATH] [--base-url URL] [--log-level L]
                 [--pool-size N] [--panel | --no-panel] [--agent-id ID] [--vault-key KEY]
                 [--no-start]

Writes ~/.opcode/settings.json (merging: only the settings named by flags change; a bearer token
is generated if there is none), then starts the server in the background (log in
~/.opcode/opcode.log, PID in ~/.opcode/opcode.pid), or asks a running one to reload.

  --vault-key KEY  handed to the started server over a pipe; never written anywhere
  --no-start       only write the settings (image builds)
`

export const installCommand: Command = {
  name: 'install',
  summary: 'write settings and start the server in the background',
  usage: USAGE,
  async run(argv, io) {
    const args = parseArgs(argv, [
      ...SERVE_FLAGS,
      { name: 'agent-id', type: 'string' },
      { name: 'vault-key', type: 'string' },
      { name: 'start', type: 'boolean' },
    ])
    if (args.positionals.length > 0)
      throw new UsageError(`unexpected argument ${JSON.stringify(args.positionals[0])}`)
    const pool = str(args, 'pool-size')
    if (pool !== undefined && !/^\d+$/.test(pool))
      throw new UsageError('--pool-size must be a positive integer')
    let settingsPath: string
    let dataDir: string
    try {
      const base = loadConfig({ ...io.env, OPCODE_LISTEN_ADDR: undefined }, {}, io.cwd)
      settingsPath = base.settingsPath
      dataDir = base.dataDir
    } catch (err) {
      // A malformed settings file is reported, not overwritten.
      io.stderr(`opcode install: ${isAppError(err) ? err.message : String(err)}\n`)
      return EXIT.failed
    }
    const patch: SettingsFile = {}
    const put = (key: string, v: unknown): void => {
      if (v !== undefined) patch[key] = v
    }
    put('listen_addr', str(args, 'listen-addr'))
    put('db_path', str(args, 'db-path'))
    put('base_url', str(args, 'base-url'))
    put('log_level', str(args, 'log-level'))
    put('pool_size', pool === undefined ? undefined : Number(pool))
    put('panel', bool(args, 'panel'))
    put('agent_id', str(args, 'agent-id'))
    if (typeof readSettings(settingsPath).auth_token !== 'string')
      patch.auth_token = generateToken()
    try {
      mkdirSync(dataDir, { recursive: true, mode: 0o700 })
      mergeSettings(settingsPath, patch)
    } catch (err) {
      io.stderr(`opcode install: cannot write ${settingsPath}: ${(err as Error).message}\n`)
      return EXIT.failed
    }
    io.stdout(`Config written to ${settingsPath}\n`)
    if (patch.auth_token !== undefined)
      io.stdout('Generated a bearer token (auth_token in settings.json).\n')

    const config = loadConfig(io.env, {}, io.cwd)
    const pidfile = pidfilePath(config)
    const vaultKey = str(args, 'vault-key')
    const running = livePid(pidfile)
    if (running !== undefined) {
      process.kill(running, 'SIGHUP')
      io.stdout(`Signaled running server (PID ${running}) to reload configuration\n`)
      if (vaultKey !== undefined)
        io.stderr(
          'The vault key applies at start only: opcode stop, then opcode install --vault-key … again.\n',
        )
      return EXIT.ok
    }
    if (bool(args, 'start') === false) {
      io.stdout("Not started (--no-start). Start it with 'opcode serve'.\n")
      if (vaultKey !== undefined) printKeyHint(io)
      return EXIT.ok
    }
    return startBackground(io, config.baseUrl, pidfile, logfilePath(config), vaultKey)
  },
}

async function startBackground(
  io: CommandIo,
  baseUrl: string,
  pidfile: string,
  logfile: string,
  vaultKey: string | undefined,
): Promise<number> {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(io.env))
    if (v !== undefined && k !== 'OPCODE_VAULT_KEY') env[k] = v
  const fd = openSync(logfile, 'a', 0o600)
  let child: ReturnType<typeof Bun.spawn>
  try {
    child = Bun.spawn(
      [...selfCommand(), 'serve', ...(vaultKey === undefined ? [] : ['--vault-key-stdin'])],
      {
        cwd: io.cwd,
        env,
        stdin: vaultKey === undefined ? 'ignore' : 'pipe',
        stdout: fd,
        stderr: fd,
        detached: true,
      },
    )
  } finally {
    closeSync(fd)
  }
  if (vaultKey !== undefined) {
    const sink = child.stdin as import('bun').FileSink
    sink.write(`${vaultKey}\n`)
    await sink.end()
  }
  child.unref()
  const deadline = Date.now() + 15_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null || !isAlive(child.pid)) {
      io.stderr(
        `opcode install: the server exited at start (code ${child.exitCode ?? '?'}); see ${logfile}\n`,
      )
      return EXIT.failed
    }
    try {
      const res = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(1000) })
      if (res.ok && livePid(pidfile) === child.pid) {
        io.stdout(`opcode server started (PID ${child.pid}) at ${baseUrl}; log: ${logfile}\n`)
        if (vaultKey !== undefined) printKeyHint(io)
        return EXIT.ok
      }
    } catch {
      // not listening yet
    }
    await Bun.sleep(100)
  }
  io.stderr(`opcode install: the server did not answer within 15 s; see ${logfile}\n`)
  return EXIT.failed
}

function printKeyHint(io: CommandIo): void {
  io.stdout(
    'The vault key is never stored. Under a service manager pass it as OPCODE_VAULT_KEY_FILE (a file only the service can read) or OPCODE_VAULT_KEY.\n',
  )
}
