/**
 * Plugins with real MCP server processes (test/fixtures/plugins): discovery, calls through the
 * engine, tool errors, a crash mid-call and the restart, a plugin that never answers initialize,
 * the child's environment, removal and reload, waiting during restarts, timeouts.
 */
import { afterEach, describe, expect, test } from 'bun:test'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Logger } from '../../src/engine/ports.ts'
import type { PluginSpec } from '../../src/plugins/config.ts'
import type { PluginHostOptions } from '../../src/plugins/host.ts'
import { createPluginManager, type PluginManager } from '../../src/plugins/manager.ts'
import { openRuntime, type Runtime } from '../../src/runtime.ts'
import type { ExecutionResult } from '../../src/schema/run.ts'
import type { WorkflowDefinition } from '../../src/schema/workflow.ts'
import { listPluginRecords } from '../../src/store/plugins.ts'
import { tempDir } from '../support/tmp.ts'

const FIXTURES = join(import.meta.dir, '..', 'fixtures', 'plugins')
const ECHO = join(FIXTURES, 'echo-server.ts')
const SILENT = join(FIXTURES, 'silent-server.ts')

interface Ctx {
  tmp: ReturnType<typeof tempDir>
  rt: Runtime
  logs: Array<{ level: string; msg: string; attrs?: Record<string, unknown> }>
  logger: Logger
  managers: PluginManager[]
}

let ctx: Ctx | undefined

afterEach(async () => {
  if (ctx === undefined) return
  for (const m of ctx.managers) await m.stop()
  await ctx.rt.close()
  ctx.tmp.cleanup()
  ctx = undefined
})

function setup(): Ctx {
  const tmp = tempDir('opcode-plugins-')
  const logs: Ctx['logs'] = []
  const log =
    (level: string) =>
    (msg: string, attrs?: Record<string, unknown>): void => {
      logs.push({ level, msg, ...(attrs === undefined ? {} : { attrs }) })
    }
  const logger: Logger = {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
  }
  const rt = openRuntime({ dbPath: tmp.path('p.db'), mode: 'local', logger })
  ctx = { tmp, rt, logs, logger, managers: [] }
  return ctx
}

function manager(c: Ctx, options: Partial<PluginHostOptions> = {}): PluginManager {
  const m = createPluginManager({
    registry: c.rt.actions,
    store: c.rt.store,
    logger: c.logger,
    options: { backoffInitialMs: 200, ...options },
  })
  c.managers.push(m)
  return m
}

function echo(extra: Partial<PluginSpec> = {}): PluginSpec {
  return { name: 'echo', command: process.execPath, args: [ECHO], env: {}, enabled: true, ...extra }
}

function run(c: Ctx, steps: WorkflowDefinition['steps']): Promise<ExecutionResult> {
  return c.rt.engine.run({ agentId: 'tester', definition: { steps } })
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await Bun.sleep(20)
  }
}

describe('discovery', () => {
  test('tools become <plugin>.<tool> actions with their input schema; the row mirrors them', async () => {
    const c = setup()
    const m = manager(c)
    m.apply([echo({ env: { SECRET_FOR_PLUGIN: 'shh' } })])
    const info = await m.settled('echo')
    expect(info.status).toBe('active')
    expect(info.pid).toBeNumber()
    expect(info.tools.map((t) => t.action)).toEqual([
      'echo.echo',
      'echo.add',
      'echo.plain',
      'echo.fail',
      'echo.crash',
      'echo.crash_once',
      'echo.grow',
      'echo.slow',
      'echo.env',
      'echo.pid',
    ])
    const action = c.rt.actions.get('echo.echo')
    expect(action?.pure).toBe(false)
    expect(action?.description).toBe('Echoes a message back as JSON text.')
    expect(c.rt.actions.check(action as never, { message: 'hi' })).toEqual([])
    const issues = c.rt.actions.check(action as never, { message: 5 })
    expect(issues[0]).toMatchObject({ path: '/message', severity: 'error' })
    const [row] = listPluginRecords(c.rt.store)
    expect(row).toMatchObject({ name: 'echo', status: 'active', type: 'mcp' })
    expect(row?.config).toEqual({
      command: process.execPath,
      args: [ECHO],
      env_keys: ['SECRET_FOR_PLUGIN'],
      enabled: true,
    })
    expect(row?.tools.map((t) => t.action)).toContain('echo.add')
    expect(JSON.stringify(row)).not.toContain('shh')
    // The child's stderr reaches the log.
    expect(
      c.logs.some(
        (l) => l.msg === 'plugin stderr' && String(l.attrs?.line).startsWith('echo-server ready'),
      ),
    ).toBe(true)
  })
})

describe('calls through the engine', () => {
  test('JSON text, structured content and plain text outputs', async () => {
    const c = setup()
    const m = manager(c)
    m.apply([echo()])
    await m.settled('echo')
    const r = await run(c, [
      { id: 'e', action: 'echo.echo', params: { message: 'hello' } },
      { id: 'a', action: 'echo.add', params: { a: 2, b: 40 } },
      { id: 'p', action: 'echo.plain' },
      {
        id: 'use',
        action: 'echo.echo',
        params: { message: '${{steps.e.output.echo}} ${{steps.a.output.sum}}' },
        depends_on: ['e', 'a'],
      },
    ])
    expect(r.status).toBe('completed')
    expect(r.steps?.e?.output).toEqual({ echo: 'hello' })
    expect(r.steps?.a?.output).toEqual({ sum: 42 })
    expect(r.steps?.p?.output).toEqual({ text: 'hello, this is not JSON' })
    expect(r.steps?.use?.output).toEqual({ echo: 'hello 42' })
  })

  test('a tool error (isError) fails the step with the tool text', async () => {
    const c = setup()
    const m = manager(c)
    m.apply([echo()])
    await m.settled('echo')
    const r = await run(c, [{ id: 'f', action: 'echo.fail', params: { reason: 'disk full' } }])
    expect(r.status).toBe('failed')
    expect(r.steps?.f?.error?.code).toBe('EXECUTION_ERROR')
    expect(r.steps?.f?.error?.message).toContain('echo.fail: could not do it: disk full')
    // The plugin is still fine.
    expect(m.get('echo').status).toBe('active')
  })

  test('params that break the tool schema fail before the call (VALIDATION_ERROR)', async () => {
    const c = setup()
    const m = manager(c)
    m.apply([echo()])
    await m.settled('echo')
    const r = await run(c, [{ id: 'a', action: 'echo.add', params: { a: 'two', b: 1 } }])
    expect(r.steps?.a?.error?.code).toBe('VALIDATION_ERROR')
    expect(r.steps?.a?.error?.message).toContain('/a')
  })

  test('a crash mid-call fails that step; the plugin restarts with its tools; later calls succeed', async () => {
    const c = setup()
    const m = manager(c, { backoffInitialMs: 1000 })
    m.apply([echo()])
    const first = await m.settled('echo')
    const r1 = await run(c, [{ id: 'boom', action: 'echo.crash' }])
    expect(r1.status).toBe('failed')
    expect(r1.steps?.boom?.error?.code).toBe('EXECUTION_ERROR')
    expect(r1.steps?.boom?.error?.message).toContain(
      'plugin "echo" exited during the call to crash',
    )
    expect(r1.steps?.boom?.error?.message).toContain('crashing on purpose')
    await until(() => m.get('echo').status === 'restarting')
    expect(listPluginRecords(c.rt.store)[0]?.status).toBe('restarting')
    expect(alive(first.pid as number)).toBe(false)
    // A call made during the restart waits for the plugin instead of failing.
    const r2 = await run(c, [{ id: 'again', action: 'echo.pid' }])
    expect(r2.status).toBe('completed')
    const second = m.get('echo')
    expect(second.status).toBe('active')
    expect(second.restarts).toBe(1)
    expect((r2.steps?.again?.output as { pid?: number } | undefined)?.pid).toBe(
      second.pid as number,
    )
    expect(second.pid).not.toBe(first.pid)
    expect(listPluginRecords(c.rt.store)[0]).toMatchObject({ status: 'active' })
    expect(c.logs.some((l) => l.msg === 'plugin exited; restarting')).toBe(true)
  })

  test('a step whose first attempt crashes the plugin succeeds on its retry, after the restart', async () => {
    const c = setup()
    const m = manager(c)
    m.apply([echo()])
    const before = await m.settled('echo')
    const marker = c.tmp.path('crashed-once')
    const r = await run(c, [
      {
        id: 'x',
        action: 'echo.crash_once',
        params: { marker },
        retry: { max: 2, backoff: 'constant', delay: '50ms' },
      },
    ])
    expect(r.status).toBe('completed')
    const out = r.steps?.x?.output as { survived: boolean; pid: number }
    expect(out.survived).toBe(true)
    expect(out.pid).not.toBe(before.pid as number)
    expect(m.get('echo').restarts).toBe(1)
  })

  test('per-call timeout: the plugin timeout fails a slow call with TIMEOUT_ERROR', async () => {
    const c = setup()
    const m = manager(c)
    m.apply([echo({ timeoutMs: 300 })])
    await m.settled('echo')
    const r = await run(c, [{ id: 's', action: 'echo.slow', params: { ms: 3000 } }])
    expect(r.steps?.s?.error?.code).toBe('TIMEOUT_ERROR')
    expect(r.steps?.s?.error?.message).toContain('did not answer slow within')
    // The step timeout also stops the call.
    const r2 = await run(c, [
      { id: 's', action: 'echo.slow', params: { ms: 3000 }, timeout: '200ms' },
    ])
    expect(r2.steps?.s?.error?.code).toBe('TIMEOUT_ERROR')
    const fast = await run(c, [{ id: 's', action: 'echo.slow', params: { ms: 10 } }])
    expect(fast.steps?.s?.output).toEqual({ waited: 10 })
  })

  test('a call that cannot be served before the next restart attempt fails at once with ACTION_UNAVAILABLE', async () => {
    const c = setup()
    const m = manager(c, { backoffInitialMs: 30_000 })
    m.apply([echo({ timeoutMs: 5000 })])
    await m.settled('echo')
    await run(c, [{ id: 'boom', action: 'echo.crash' }])
    await until(() => m.get('echo').status === 'restarting')
    const t0 = Date.now()
    const r = await run(c, [{ id: 'e', action: 'echo.echo', params: { message: 'x' } }])
    expect(Date.now() - t0).toBeLessThan(2500) // it did not wait out its 5 s
    expect(r.steps?.e?.error?.code).toBe('ACTION_UNAVAILABLE')
    expect(r.steps?.e?.error?.message).toContain('plugin "echo" is restarting')
    expect(r.steps?.e?.error?.message).toContain('next start attempt in')
  })
})

describe('calls during a restart', () => {
  test('wait for the plugin, then fail ACTION_UNAVAILABLE when it is not back in time', async () => {
    const c = setup()
    const hang = c.tmp.path('hang')
    const m = manager(c, { startTimeoutMs: 5000, backoffInitialMs: 50 })
    m.apply([echo({ timeoutMs: 700, env: { PLUGIN_HANG_FILE: hang } })])
    await m.settled('echo')
    writeFileSync(hang, '') // the restart will hang in initialize
    await run(c, [{ id: 'boom', action: 'echo.crash' }])
    await until(() => c.logs.some((l) => String(l.attrs?.line).includes('hanging on purpose')))
    expect(m.get('echo').status).toBe('restarting')
    const t0 = Date.now()
    const r = await run(c, [{ id: 'e', action: 'echo.echo', params: { message: 'x' } }])
    const waited = Date.now() - t0
    expect(waited).toBeGreaterThanOrEqual(600)
    expect(r.steps?.e?.error?.code).toBe('ACTION_UNAVAILABLE')
    expect(r.steps?.e?.error?.message).toContain(
      'plugin "echo" is restarting and was not back within 0.7 s',
    )
  })
})

describe('a plugin that never answers initialize', () => {
  test('times out cleanly: status error, the child is killed and reaped, no hang', async () => {
    const c = setup()
    const m = manager(c, { startTimeoutMs: 500, backoffInitialMs: 60_000 })
    const t0 = Date.now()
    m.apply([{ name: 'mute', command: process.execPath, args: [SILENT], env: {}, enabled: true }])
    const info = await m.settled('mute')
    expect(Date.now() - t0).toBeLessThan(4000)
    expect(info.status).toBe('error')
    expect(info.error).toContain('did not answer initialize within 0.5 s')
    expect(info.error).toContain('silent-server up')
    expect(info.next_attempt_at).toBeString()
    const line = c.logs.find(
      (l) => l.msg === 'plugin stderr' && String(l.attrs?.line).startsWith('silent-server up'),
    )
    const pid = Number(String(line?.attrs?.line).split('pid=')[1])
    expect(pid).toBeGreaterThan(0)
    await until(() => !alive(pid), 2000) // gone, not a zombie (kill 0 fails only once reaped)
    expect(listPluginRecords(c.rt.store)[0]).toMatchObject({ status: 'error' })
    expect(listPluginRecords(c.rt.store)[0]?.error).toContain('did not answer initialize')
    const t1 = Date.now()
    await m.stop()
    expect(Date.now() - t1).toBeLessThan(1000)
  })

  test('a command that does not exist is an error with a clear message, retried with backoff', async () => {
    const c = setup()
    const m = manager(c, { backoffInitialMs: 60_000 })
    m.apply([
      { name: 'ghost', command: '/nonexistent/mcp-server', args: [], env: {}, enabled: true },
    ])
    const info = await m.settled('ghost')
    expect(info.status).toBe('error')
    expect(info.error).toContain('/nonexistent/mcp-server')
    expect(info.next_attempt_at).toBeString()
  })
})

describe('environment', () => {
  test('the child gets a minimal environment plus its own env, never the vault key or token', async () => {
    const c = setup()
    const saved = { ...process.env }
    process.env.OPCODE_VAULT_KEY = 'vault-key-value'
    process.env.OPCODE_VAULT_KEY_FILE = '/run/secrets/vault'
    process.env.OPCODE_TOKEN = 'api-token'
    process.env.SOME_PARENT_SECRET = 'parent-only'
    try {
      const m = manager(c)
      m.apply([echo({ env: { PLUGIN_SETTING: 'on', OPCODE_VAULT_KEY: 'smuggled' } })])
      await m.settled('echo')
      const r = await run(c, [{ id: 'env', action: 'echo.env' }])
      const env = r.steps?.env?.output as Record<string, string>
      expect(env.PLUGIN_SETTING).toBe('on')
      expect(env.PATH).toBe(process.env.PATH as string)
      expect(env.OPCODE_VAULT_KEY).toBeUndefined()
      expect(env.OPCODE_VAULT_KEY_FILE).toBeUndefined()
      expect(env.OPCODE_TOKEN).toBeUndefined()
      expect(env.SOME_PARENT_SECRET).toBeUndefined()
      expect(JSON.stringify(env)).not.toContain('vault-key-value')
      expect(JSON.stringify(env)).not.toContain('smuggled')
      expect(c.logs.some((l) => l.msg.startsWith('plugin env variables dropped'))).toBe(true)
    } finally {
      for (const k of [
        'OPCODE_VAULT_KEY',
        'OPCODE_VAULT_KEY_FILE',
        'OPCODE_TOKEN',
        'SOME_PARENT_SECRET',
      ]) {
        if (saved[k] === undefined) delete process.env[k]
        else process.env[k] = saved[k]
      }
    }
  })
})

describe('removal and reload', () => {
  test('removing a plugin stops it, unregisters its actions and deletes its row', async () => {
    const c = setup()
    const m = manager(c)
    m.apply([echo()])
    const info = await m.settled('echo')
    m.apply([])
    expect(c.rt.actions.get('echo.echo')).toBeUndefined()
    expect(listPluginRecords(c.rt.store)).toEqual([])
    await until(() => !alive(info.pid as number))
    const r = await run(c, [{ id: 'e', action: 'echo.echo', params: { message: 'x' } }])
    expect(r.steps?.e?.error?.code).toBe('ACTION_UNAVAILABLE')
    expect(() => m.get('echo')).toThrow('plugin "echo" not found')
  })

  test('rediscovery after a restart registers new tools and unregisters removed ones', async () => {
    const c = setup()
    const toolsFile = c.tmp.path('tools.txt')
    writeFileSync(toolsFile, 'echo,add')
    const m = manager(c)
    m.apply([echo({ env: { PLUGIN_TOOLS_FILE: toolsFile } })])
    expect((await m.settled('echo')).tools.map((t) => t.name)).toEqual(['echo', 'add'])
    expect(c.rt.actions.get('echo.pid')).toBeUndefined()
    writeFileSync(toolsFile, 'echo,pid')
    await m.restart('echo')
    const info = await m.settled('echo')
    expect(info.tools.map((t) => t.name)).toEqual(['echo', 'pid'])
    expect(c.rt.actions.get('echo.add')).toBeUndefined()
    expect(c.rt.actions.get('echo.pid')).toBeDefined()
    expect(listPluginRecords(c.rt.store)[0]?.tools.map((t) => t.name)).toEqual(['echo', 'pid'])
  })

  test('a tools/list_changed notification registers the new tools at once', async () => {
    const c = setup()
    const m = manager(c)
    m.apply([echo()])
    await m.settled('echo')
    expect(c.rt.actions.get('echo.extra')).toBeUndefined()
    const r = await run(c, [{ id: 'g', action: 'echo.grow' }])
    expect(r.status).toBe('completed')
    await until(() => c.rt.actions.get('echo.extra') !== undefined)
    const again = await run(c, [{ id: 'x', action: 'echo.extra' }])
    expect(again.steps?.x?.output).toEqual({ extra: true })
    expect(listPluginRecords(c.rt.store)[0]?.tools.map((t) => t.name)).toContain('extra')
  })

  test('reload: a changed config restarts the plugin, an unchanged one keeps its process', async () => {
    const c = setup()
    const m = manager(c)
    const other = { name: 'other', command: process.execPath, args: [ECHO], env: {}, enabled: true }
    m.apply([echo(), other])
    const a = await m.settled('echo')
    const b = await m.settled('other')
    m.apply([echo({ env: { NEW_SETTING: '1' } }), other])
    await until(() => m.get('echo').pid !== undefined && m.get('echo').pid !== a.pid)
    const a2 = await m.settled('echo')
    expect(a2.status).toBe('active')
    expect(a2.config.env_keys).toEqual(['NEW_SETTING'])
    expect(m.get('other').pid).toBe(b.pid as number)
    await until(() => !alive(a.pid as number))
    const r = await run(c, [{ id: 'env', action: 'echo.env' }])
    expect((r.steps?.env?.output as Record<string, string> | undefined)?.NEW_SETTING).toBe('1')
  })

  test('disabled plugins do not run; enabling starts them; restart of a disabled one is refused', async () => {
    const c = setup()
    const m = manager(c)
    m.apply([echo({ enabled: false })])
    expect(m.get('echo').status).toBe('inactive')
    expect(c.rt.actions.get('echo.echo')).toBeUndefined()
    expect(listPluginRecords(c.rt.store)[0]).toMatchObject({
      status: 'inactive',
      config: { enabled: false },
    })
    await expect(m.restart('echo')).rejects.toThrow('is disabled')
    m.apply([echo()])
    expect((await m.settled('echo')).status).toBe('active')
    expect(c.rt.actions.get('echo.echo')).toBeDefined()
    m.apply([echo({ enabled: false })])
    expect(c.rt.actions.get('echo.echo')).toBeUndefined()
    await until(() => m.get('echo').status === 'inactive')
  })

  test('at the next start, the tools of the last run are registered at once and calls wait for the plugin', async () => {
    const c = setup()
    const first = manager(c)
    first.apply([echo()])
    await first.settled('echo')
    await first.stop()
    for (const a of c.rt.actions.list().filter((x) => x.name.startsWith('echo.'))) {
      c.rt.actions.unregister(a.name) // a fresh process has a fresh registry
    }
    const second = manager(c)
    second.apply([echo()])
    expect(second.get('echo').status).toBe('starting')
    expect(c.rt.actions.get('echo.add')).toBeDefined()
    const r = await run(c, [{ id: 'a', action: 'echo.add', params: { a: 1, b: 1 } }])
    expect(r.steps?.a?.output).toEqual({ sum: 2 })
  })

  test('applySettings reads the settings list and reports bad entries without dropping good ones', async () => {
    const c = setup()
    const m = manager(c)
    const problems = m.applySettings([
      { name: 'echo', command: process.execPath, args: [ECHO] },
      { name: 'http', command: 'x' },
    ])
    expect(problems.map((p) => p.path)).toEqual(['/plugins/1/name'])
    expect((await m.settled('echo')).status).toBe('active')
    expect(m.list().map((p) => p.name)).toEqual(['echo'])
  })
})
