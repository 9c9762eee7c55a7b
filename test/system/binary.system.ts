/**
 * Smoke test of the compiled binary (issue 9, decisions.md D9): dist/opcode is built (or reused when
 * newer than every source and stamped with the current commit), copied alone into an empty temp
 * directory and run there with an empty environment (only HOME, a temp dir): no node_modules, no
 * source tree, no PATH. It must print its version, commit and target, serve MCP on a loopback port
 * with a temp database (re-executing itself once to drop the vault key it got in its environment), and run — through the MCP SDK's real Client — a workflow with jq.eval,
 * shell.exec and a reasoning step answered by a signal; draw it as SVG and PNG (Graphviz, resvg
 * and the font are inside); serve the web panel with every asset its pages reference; and exit 0
 * within 10 s of SIGTERM.
 *
 * The arm64 binary is cross-built and run under qemu-user (`--version`, and a jq evaluation, which
 * starts the worker and its WASM) when qemu-user-static and the arm64 C library are installed or
 * installable with apt-get; otherwise that test is skipped with the reason in its name.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { spawnSync } from 'node:child_process'
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import pkg from '../../package.json' with { type: 'json' }
import { buildBinary, ensureHostBinary, hostTarget, sourceCommit } from '../../scripts/build.ts'
import { probePidNamespace } from '../../src/isolation/pidns.ts'

const VAULT_KEY = 'binary smoke vault passphrase'
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
const ARM64_SYSROOT = '/usr/aarch64-linux-gnu'

interface Qemu {
  /** argv prefix running an arm64 Linux program on this machine. */
  prefix?: string[]
  /** Why arm64 programs cannot run here. */
  reason?: string
}

/**
 * qemu-user with the arm64 C library (Bun's runtime links glibc dynamically), installed with
 * apt-get when missing and this process may (root). Runs once, before the tests are declared.
 */
function findQemu(): Qemu {
  if (process.platform !== 'linux' || process.arch !== 'x64')
    return { reason: `host is ${process.platform}-${process.arch}, not linux-x64` }
  const present = (): Qemu | undefined => {
    const qemu = Bun.which('qemu-aarch64-static') ?? Bun.which('qemu-aarch64')
    if (qemu === null || !existsSync(join(ARM64_SYSROOT, 'lib', 'ld-linux-aarch64.so.1')))
      return undefined
    return { prefix: [qemu, '-L', ARM64_SYSROOT] }
  }
  const found = present()
  if (found !== undefined) return found
  const aptGet = Bun.which('apt-get')
  if (aptGet === null || process.getuid?.() !== 0)
    return {
      reason: 'qemu-user-static and libc6-arm64-cross are not installed (no apt-get as root)',
    }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  const install = () =>
    spawnSync(
      aptGet,
      ['install', '-y', '-qq', '--no-install-recommends', 'qemu-user-static', 'libc6-arm64-cross'],
      { env, encoding: 'utf8', timeout: 300_000 },
    )
  console.log('installing qemu-user-static and libc6-arm64-cross for the arm64 test…')
  let r = install()
  if (r.status !== 0) {
    spawnSync(aptGet, ['update', '-qq'], { env, timeout: 300_000 })
    r = install()
  }
  return (
    present() ?? {
      reason: `qemu-user-static is not installable: ${(r.stderr ?? '').trim().split('\n').pop()}`,
    }
  )
}

const qemu = findQemu()

let dir: string
let home: string
let bin: string

/** Directories from `dir` up to `/` that hold a node_modules folder (must be none). */
function nodeModulesNear(start: string): string[] {
  const found: string[] = []
  for (let d = start; ; d = dirname(d)) {
    if (existsSync(join(d, 'node_modules'))) found.push(d)
    if (dirname(d) === d) return found
  }
}

/** Runs the copied binary in the temp dir with nothing but HOME in its environment. */
function runBinary(args: string[], path = bin): { code: number | null; out: string; err: string } {
  const r = spawnSync(path, args, {
    cwd: dir,
    env: { HOME: home },
    encoding: 'utf8',
    timeout: 60_000,
  })
  return { code: r.status, out: r.stdout, err: r.stderr }
}

beforeAll(() => {
  const built = ensureHostBinary()
  console.log(`binary: ${built.path} (${built.rebuilt ? 'built now' : 'reused, up to date'})`)
  dir = mkdtempSync(join(tmpdir(), 'opcode-binary-'))
  home = join(dir, 'home')
  mkdirSync(home)
  bin = join(dir, 'opcode')
  copyFileSync(built.path, bin)
  chmodSync(bin, 0o755)
}, 300_000)

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

describe('the compiled binary, alone in an empty directory with an empty environment', () => {
  test('has no node_modules anywhere above it', () => {
    expect(nodeModulesNear(dir)).toEqual([])
  })

  test('prints its version, commit and target', () => {
    const text = runBinary(['--version'])
    expect(text.err).toBe('')
    expect(text.code).toBe(0)
    expect(text.out).toBe(
      `opcode ${pkg.version}\ncommit ${sourceCommit()}\ntarget ${hostTarget()}\n`,
    )
    const json = runBinary(['version', '--json'])
    expect(json.code).toBe(0)
    expect(JSON.parse(json.out)).toEqual({
      version: pkg.version,
      commit: sourceCommit(),
      target: hostTarget(),
    })
  })

  test('serves MCP: define, run with a reasoning step, signal, jq, shell, SVG and PNG, then SIGTERM → exit 0', async () => {
    const dbPath = join(dir, 'data', 'opcode.db')
    const proc = Bun.spawn([bin, 'serve', '--listen-addr', '127.0.0.1:0', '--db-path', dbPath], {
      cwd: dir,
      // A key in the environment makes the server re-execute itself without it (D21).
      env: { HOME: home, OPCODE_VAULT_KEY: VAULT_KEY },
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
    })
    const logs: Array<Record<string, unknown>> = []
    let listening: (url: string) => void = () => {}
    const ready = new Promise<string>((resolve) => {
      listening = resolve
    })
    // Drains the JSON log (a full pipe would block the server) and spots the listening line.
    const drain = (async () => {
      let buffered = ''
      for await (const chunk of proc.stderr) {
        buffered += new TextDecoder().decode(chunk)
        let nl = buffered.indexOf('\n')
        while (nl >= 0) {
          const line = buffered.slice(0, nl)
          buffered = buffered.slice(nl + 1)
          nl = buffered.indexOf('\n')
          try {
            const entry = JSON.parse(line) as Record<string, unknown>
            logs.push(entry)
            if (entry.msg === 'opcode server listening') listening(String(entry.url))
          } catch {
            logs.push({ raw: line })
          }
        }
      }
    })()
    const stdout = new Response(proc.stdout).text()
    let client: Client | undefined
    try {
      const url = await Promise.race([
        ready,
        proc.exited.then((code) => {
          throw new Error(`serve exited with ${code}: ${JSON.stringify(logs)}`)
        }),
        Bun.sleep(30_000).then(() => {
          throw new Error(`serve did not listen within 30 s: ${JSON.stringify(logs)}`)
        }),
      ])
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      expect(logs.map((l) => l.msg)).toContain('vault initialized')
      const environ = readFileSync(`/proc/${proc.pid}/environ`, 'utf8')
      expect(environ).not.toContain(VAULT_KEY)
      // Without PATH in its environment the binary still finds `unshare` (src/main.ts): where this
      // machine can make PID namespaces, its commands run in one.
      const isolator = String(logs.find((l) => l.msg === 'isolation ready')?.isolator)
      if (probePidNamespace().prefix !== undefined) expect(isolator).toEndWith('+pidns')

      const health = await fetch(`${url}/healthz`)
      expect(health.status).toBe(200)
      expect(await health.json()).toEqual({ status: 'ok', version: pkg.version })

      client = new Client({ name: 'binary-smoke', version: '1.0.0' })
      await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)))
      const tools = (await client.listTools()).tools.map((t) => t.name).sort()
      expect(tools).toEqual([
        'opcode.define',
        'opcode.diagram',
        'opcode.query',
        'opcode.run',
        'opcode.signal',
        'opcode.status',
      ])
      const call = async (name: string, args: Record<string, unknown>) => {
        const r = await client!.callTool({ name, arguments: args }, undefined, { timeout: 60_000 })
        if (r.isError === true) throw new Error(`${name}: ${JSON.stringify(r.content)}`)
        return r
      }

      const defined = await call('opcode.define', {
        name: 'binary-smoke',
        agent_id: 'smoke',
        definition: {
          inputs: { items: [3, 4, 5] },
          steps: [
            {
              id: 'numbers',
              action: 'jq.eval',
              params: { filter: '{count: (.inputs.items | length), total: (.inputs.items | add)}' },
            },
            {
              id: 'host',
              action: 'shell.exec',
              params: { command: 'echo', args: ['hello', 'from', 'the', 'binary'] },
            },
            {
              id: 'approve',
              type: 'reasoning',
              depends_on: ['numbers', 'host'],
              config: {
                prompt_context: 'Ship the total?',
                options: [{ id: 'ship' }, { id: 'hold' }],
                data_inject: { total: 'steps.numbers.output.result.total' },
              },
            },
            {
              id: 'outcome',
              action: 'jq.eval',
              depends_on: ['approve'],
              params: {
                filter:
                  '{choice: .steps.approve.choice, total: .steps.numbers.result.total, said: .steps.host.stdout_raw}',
              },
            },
          ],
        },
      })
      expect((defined.structuredContent as { name?: string }).name).toBe('binary-smoke')

      const run = (await call('opcode.run', { template_name: 'binary-smoke', agent_id: 'smoke' }))
        .structuredContent as {
        workflow_id: string
        status: string
        pending_decisions: Array<{ step_id: string; options: Array<{ id: string }> }>
      }
      expect(run.status).toBe('suspended')
      expect(run.pending_decisions.map((d) => d.step_id)).toEqual(['approve'])
      expect(run.pending_decisions[0]?.options.map((o) => o.id)).toEqual(['ship', 'hold'])

      const signalled = (
        await call('opcode.signal', {
          workflow_id: run.workflow_id,
          signal_type: 'decision',
          step_id: 'approve',
          payload: { choice: 'ship' },
          agent_id: 'smoke',
        })
      ).structuredContent as { status: string }
      expect(signalled.status).toBe('completed')

      const status = (await call('opcode.status', { workflow_id: run.workflow_id }))
        .structuredContent as {
        status: string
        steps: Record<string, { status: string; output?: unknown }>
      }
      expect(status.status).toBe('completed')
      expect(status.steps.outcome?.output).toEqual({
        result: { choice: 'ship', total: 12, said: 'hello from the binary\n' },
      })
      expect(status.steps.numbers?.output).toEqual({ result: { count: 3, total: 12 } })

      const svg = (await call('opcode.diagram', { workflow_id: run.workflow_id, format: 'svg' }))
        .structuredContent as { format: string; diagram: string }
      expect(svg.format).toBe('svg')
      expect(svg.diagram).toContain('<svg')
      for (const id of ['numbers', 'host', 'approve', 'outcome']) expect(svg.diagram).toContain(id)

      const png = await call('opcode.diagram', { workflow_id: run.workflow_id, format: 'image' })
      const image = (png.content as Array<{ type: string; data?: string; mimeType?: string }>)[0]
      expect(image?.type).toBe('image')
      expect(image?.mimeType).toBe('image/png')
      const bytes = Buffer.from(image?.data ?? '', 'base64')
      expect([...bytes.subarray(0, 8)]).toEqual(PNG_SIGNATURE)
      expect(bytes.length).toBeGreaterThan(2000)

      // The web panel (on by default on loopback): its pages render from the binary, and every
      // stylesheet, script and icon they reference is embedded.
      const page = await fetch(`${url}/`)
      expect(page.status).toBe(200)
      expect(page.headers.get('content-type')).toContain('text/html')
      const html = await page.text()
      const resources = [
        ...html.matchAll(/<(?:link[^>]*\shref|script[^>]*\ssrc)="(\/[^"]+)"/g),
      ].map((m) => (m[1] as string).replaceAll('&amp;', '&'))
      expect(resources.some((a) => a.startsWith('/assets/') && a.includes('.js'))).toBe(true)
      expect(resources.some((a) => a.startsWith('/assets/') && a.includes('.css'))).toBe(true)
      for (const a of resources) {
        const r = await fetch(`${url}${a}`)
        expect({ asset: a, status: r.status }).toEqual({ asset: a, status: 200 })
        expect((await r.arrayBuffer()).byteLength).toBeGreaterThan(100)
      }
      const detail = await fetch(`${url}/workflows/${run.workflow_id}`)
      expect(detail.status).toBe(200)
      expect(await detail.text()).toContain(run.workflow_id)

      await client.close()
      client = undefined

      proc.kill('SIGTERM')
      const code = await Promise.race([proc.exited, Bun.sleep(10_000).then(() => 'still running')])
      expect(code).toBe(0)
      await drain
      expect(logs.map((l) => l.msg)).toContain('opcode shutdown complete')
      expect(logs.filter((l) => l.level === 'ERROR')).toEqual([])
      expect(await stdout).toBe('')
    } finally {
      await client?.close().catch(() => undefined)
      if (proc.exitCode === null) proc.kill('SIGKILL')
    }
  }, 120_000)
})

describe('the linux-arm64 binary', () => {
  test.skipIf(qemu.prefix === undefined)(
    `prints its version and evaluates jq under qemu-user${qemu.reason === undefined ? '' : ` (skipped: ${qemu.reason})`}`,
    () => {
      const arm = join(dir, 'opcode-linux-arm64')
      buildBinary({ target: 'linux-arm64', outfile: arm })
      const prefix = qemu.prefix as string[]
      const run = (args: string[]) =>
        spawnSync(prefix[0] as string, [...prefix.slice(1), arm, ...args], {
          cwd: dir,
          env: { HOME: home },
          encoding: 'utf8',
          timeout: 120_000,
        })
      const version = run(['--version'])
      expect(version.stderr).toBe('')
      expect(version.stdout).toBe(
        `opcode ${pkg.version}\ncommit ${sourceCommit()}\ntarget linux-arm64\n`,
      )
      expect(version.status).toBe(0)
      const jq = run(['eval', '--engine', 'jq', '[.[] * 2]', '--data', '[1, 2, 3]'])
      expect(JSON.parse(jq.stdout)).toEqual([2, 4, 6])
      expect(jq.status).toBe(0)
    },
    300_000,
  )
})
