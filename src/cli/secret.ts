/**
 * `opcode secret set NAME [--from-stdin] | list | delete NAME` (decisions.md D1, D10): manages the
 * vault. Values are write-only: read from standard input (never from an argument, which would land
 * in shell history and /proc), never printed. Without --db-path the running server stores them
 * (it holds the vault key); with --db-path the database file is opened here and the key comes from
 * OPCODE_VAULT_KEY / OPCODE_VAULT_KEY_FILE.
 */
import { resolve } from 'node:path'
import { AppError } from '../errors.ts'
import { bool, parseArgs, str, UsageError } from './args.ts'
import { CLIENT_FLAGS, clientFor, seg } from './client.ts'
import { type Command, type CommandIo, EXIT } from './command.ts'
import { printError } from './local.ts'

const USAGE = `Usage:
  opcode secret set NAME [--from-stdin]     store or replace a secret (value read from stdin)
  opcode secret list                        names of the stored secrets (never values)
  opcode secret delete NAME                 delete a secret

Flags:
  --from-stdin     read the value from standard input (the default when stdin is not a terminal;
                   on a terminal the value is asked for without echo)
  --db-path PATH   work on a database file here instead of the running server; the vault key
                   then comes from OPCODE_VAULT_KEY or OPCODE_VAULT_KEY_FILE
  --agent-id ID    who does it (audit), --server URL, --json

Workflows read a secret as \${{secrets.NAME}}; its value never appears in events, outputs or logs.

Exit status: 0 done, 1 error (no vault key, server unreachable, unknown secret), 2 usage error.
`

interface SecretBackend {
  set(name: string, value: string): Promise<{ replaced: boolean }>
  list(): Promise<{ names: string[]; vault: string }>
  delete(name: string): Promise<void>
  close(): Promise<void>
}

export const secretCommand: Command = {
  name: 'secret',
  summary: 'store, list or delete vault secrets (values are write-only)',
  usage: USAGE,
  async run(argv, io) {
    const args = parseArgs(argv, [
      { name: 'from-stdin', type: 'boolean' },
      { name: 'db-path', type: 'string' },
      { name: 'json', type: 'boolean' },
      ...CLIENT_FLAGS,
    ])
    const [verb, name, ...extra] = args.positionals
    const json = bool(args, 'json') === true
    if (verb === undefined) throw new UsageError('expected set, list or delete')
    if (extra.length > 0) throw new UsageError(`unexpected argument ${extra[0]}`)
    if ((verb === 'set' || verb === 'delete') && (name === undefined || name === '')) {
      throw new UsageError(`secret ${verb} needs a NAME`)
    }
    if (verb === 'list' && name !== undefined) throw new UsageError('secret list takes no NAME')
    if (verb !== 'set' && verb !== 'list' && verb !== 'delete')
      throw new UsageError(`unknown verb "${verb}"`)
    let backend: SecretBackend
    try {
      backend = await backendFor(io, args)
    } catch (err) {
      return printError(io, err, json)
    }
    try {
      if (verb === 'list') {
        const { names, vault } = await backend.list()
        if (json)
          io.stdout(`${JSON.stringify({ secrets: names.map((n) => ({ name: n })), vault })}\n`)
        else io.stdout(names.length === 0 ? '(no secrets)\n' : `${names.join('\n')}\n`)
        return EXIT.ok
      }
      if (verb === 'delete') {
        await backend.delete(name as string)
        if (json) io.stdout(`${JSON.stringify({ deleted: name })}\n`)
        else io.stdout(`deleted ${name}\n`)
        return EXIT.ok
      }
      const value = await readValue(io, bool(args, 'from-stdin') === true)
      const { replaced } = await backend.set(name as string, value)
      if (json) io.stdout(`${JSON.stringify({ name, replaced })}\n`)
      else io.stdout(`${replaced ? 'replaced' : 'stored'} ${name}\n`)
      return EXIT.ok
    } catch (err) {
      return printError(io, err, json)
    } finally {
      await backend.close()
    }
  },
}

/** The value: stdin when piped (or --from-stdin); on a terminal, a prompt without echo. */
async function readValue(io: CommandIo, fromStdin: boolean): Promise<string> {
  let text: string
  if (fromStdin || !process.stdin.isTTY) {
    text = await io.readStdin()
  } else {
    io.stderr('value (not shown): ')
    const stty = (mode: string) => Bun.spawnSync(['stty', mode], { stdin: 'inherit' })
    stty('-echo')
    try {
      text = (await readLine()) ?? ''
    } finally {
      stty('echo')
      io.stderr('\n')
    }
  }
  const value = text.endsWith('\r\n')
    ? text.slice(0, -2)
    : text.endsWith('\n')
      ? text.slice(0, -1)
      : text
  if (value === '') throw new AppError('VALIDATION_ERROR', 'the secret value is empty')
  return value
}

async function readLine(): Promise<string | undefined> {
  for await (const line of console) return line
  return undefined
}

async function backendFor(
  io: CommandIo,
  args: ReturnType<typeof parseArgs>,
): Promise<SecretBackend> {
  const dbPath = str(args, 'db-path')
  if (dbPath === undefined) {
    const client = clientFor(io, args)
    return {
      async set(name, value) {
        return (await client.post('/secrets', { name, value, agent_id: client.agentId })) as {
          replaced: boolean
        }
      },
      async list() {
        const r = (await client.get('/secrets')) as {
          secrets: Array<{ name: string }>
          vault: string
        }
        return { names: r.secrets.map((s) => s.name), vault: r.vault }
      },
      async delete(name) {
        await client.delete(`/secrets/${seg(name)}`, { agent_id: client.agentId })
      },
      async close() {},
    }
  }
  const [{ openStore }, { sqliteVaultStorage }, { openVault, readVaultKey, checkName }] =
    await Promise.all([
      import('../store/sqlite.ts'),
      import('../platform.ts'),
      import('../vault/index.ts'),
    ])
  const store = openStore(resolve(io.cwd, dbPath), { owner: { mode: 'local' } })
  const storage = sqliteVaultStorage(store)
  let vault: ReturnType<typeof openVault> | undefined
  const unlocked = () => {
    if (vault !== undefined) return vault
    const key = readVaultKey(io.env)
    if (key === undefined) {
      throw new AppError(
        'VAULT_ERROR',
        'vault not initialized: set OPCODE_VAULT_KEY or OPCODE_VAULT_KEY_FILE',
      )
    }
    for (const w of key.warnings) io.stderr(`warning: ${w}\n`)
    vault = openVault(storage, key.key)
    return vault
  }
  return {
    async set(name, value) {
      checkName(name)
      const v = unlocked()
      const replaced = storage.get(name) !== undefined
      v.set(name, value)
      return { replaced }
    },
    async list() {
      return {
        names: storage.list(),
        vault: readVaultKey(io.env) === undefined ? 'uninitialized' : 'ready',
      }
    },
    async delete(name) {
      checkName(name)
      if (!storage.delete(name)) throw new AppError('NOT_FOUND', `secret "${name}" not found`)
    },
    async close() {
      vault?.close()
      store.close()
    },
  }
}
