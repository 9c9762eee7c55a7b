/**
 * Running the real `opcode` CLI as child processes (`bun src/main.ts …`) with HOME in a temp dir,
 * so a test never touches the real home or the default database.
 */
import { join } from 'node:path'

export const MAIN = join(import.meta.dir, '..', '..', 'src', 'main.ts')

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

export function cliEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('OPCODE_')) env[k] = v
  }
  return { ...env, HOME: home, ...extra }
}

export async function opcode(
  home: string,
  args: string[],
  opts: { stdin?: string; env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  const proc = Bun.spawn(['bun', MAIN, ...args], {
    cwd: opts.cwd ?? home,
    env: cliEnv(home, opts.env),
    stdin: opts.stdin === undefined ? 'ignore' : new Blob([opts.stdin]),
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const timer = setTimeout(() => proc.kill(9), opts.timeoutMs ?? 30_000)
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ])
  clearTimeout(timer)
  return { code, stdout, stderr }
}

/** A free TCP port on 127.0.0.1 (bound once, then released). */
export function freePort(): number {
  const s = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response('') })
  const port = s.port as number
  s.stop(true)
  return port
}

export interface ServeProcess {
  proc: ReturnType<typeof Bun.spawn>
  url: string
  /** Everything the server wrote to stderr so far. */
  logs(): string
}

/** Starts `opcode serve` and waits until /healthz answers. */
export async function serve(
  home: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<ServeProcess> {
  const port = freePort()
  const proc = Bun.spawn(['bun', MAIN, 'serve', '--listen-addr', `127.0.0.1:${port}`, ...args], {
    cwd: home,
    env: cliEnv(home, env),
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  })
  let log = ''
  void (async () => {
    const decoder = new TextDecoder()
    for await (const chunk of proc.stderr as ReadableStream<Uint8Array>)
      log += decoder.decode(chunk)
  })()
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 20_000
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`serve exited ${proc.exitCode}: ${log}`)
    try {
      if ((await fetch(`${url}/healthz`)).ok) return { proc, url, logs: () => log }
    } catch {
      // not yet
    }
    await Bun.sleep(50)
  }
  proc.kill(9)
  throw new Error(`serve did not start: ${log}`)
}
