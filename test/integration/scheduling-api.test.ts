/**
 * The scheduler and the plugins inside a real server: template triggers on define, the `schedules`
 * and `plugins` resources of opcode.query, the JSON API, and the `opcode schedule` / `opcode plugin`
 * commands run against it.
 */
import { afterEach, describe, expect, test } from 'bun:test'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { CommandIo } from '../../src/cli/command.ts'
import { defineCommand } from '../../src/cli/define.ts'
import { pluginCommand } from '../../src/cli/plugin.ts'
import { scheduleCommand } from '../../src/cli/schedule.ts'
import { createScheduleStore } from '../../src/store/schedules.ts'
import { openStore } from '../../src/store/sqlite.ts'
import { startTestServer, type TestServer } from '../support/server.ts'
import { tempDir } from '../support/tmp.ts'

const ECHO = join(import.meta.dir, '..', 'fixtures', 'plugins', 'echo-server.ts')

let srv: TestServer | undefined
afterEach(async () => {
  await srv?.stop()
  srv = undefined
})

async function api(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: any }> {
  const res = await fetch(`${srv?.url}/api/v1${path}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  return { status: res.status, json: await res.json() }
}

async function cli(
  command: typeof scheduleCommand,
  argv: string[],
): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const io: CommandIo = {
    stdout: (t) => {
      out += t
    },
    stderr: (t) => {
      err += t
    },
    readStdin: async () => '',
    env: { HOME: srv?.dir as string },
    cwd: srv?.dir as string,
  }
  const code = await command.run(['--server', srv?.url as string, ...argv], io)
  return { code, out, err }
}

const ping = { steps: [{ id: 'count', action: 'test.count', params: { key: 'ping' } }] }

describe('template triggers through opcode.define', () => {
  test('triggers.cron creates the schedule; query lists it; a bad cron stores nothing', async () => {
    srv = await startTestServer()
    const ok = await api('POST', '/templates', {
      name: 'nightly',
      definition: ping,
      agent_id: 'author',
      triggers: { cron: { expression: '0 2 * * *', timezone: 'Europe/Paris', params: { a: 1 } } },
    })
    expect(ok.status).toBe(201)
    const q = await api('POST', '/query', {
      resource: 'schedules',
      filter: { template_name: 'nightly' },
    })
    expect(q.json.schedules).toHaveLength(1)
    expect(q.json.schedules[0]).toMatchObject({
      template_name: 'nightly',
      template_version: 'v1',
      cron_expression: '0 2 * * *',
      timezone: 'Europe/Paris',
      source: 'trigger',
      agent_id: 'author',
      params: { a: 1 },
    })
    expect(q.json.schedules[0].next_run_at).toMatch(/^20\d\d-/)

    const bad = await api('POST', '/templates', {
      name: 'nightly',
      definition: ping,
      agent_id: 'author',
      triggers: { cron: { expression: '0 25 * * *' } },
    })
    expect(bad.status).toBe(422) // a definition that fails validation (decisions.md D21)
    expect(bad.json.code).toBe('VALIDATION_ERROR')
    expect(bad.json.issues[0].path).toBe('/triggers/cron/expression')
    const versions = await api('GET', '/templates?name=nightly')
    expect(versions.json.templates.map((t: { version: string }) => t.version)).toEqual(['v1'])

    // Re-define without triggers: the trigger's schedule goes.
    await api('POST', '/templates', { name: 'nightly', definition: ping, agent_id: 'author' })
    const after = await api('POST', '/query', { resource: 'schedules' })
    expect(after.json.schedules).toEqual([])
  })
})

describe('a local define (--db-path)', () => {
  test('creates the triggers.cron schedule the server will run', async () => {
    const tmp = tempDir('opcode-local-define-')
    try {
      const file = tmp.path('wf.json')
      writeFileSync(file, JSON.stringify({ steps: [{ id: 'id', action: 'crypto.uuid' }] }))
      const db = tmp.path('local.db')
      let err = ''
      const io: CommandIo = {
        stdout: () => {},
        stderr: (t) => {
          err += t
        },
        readStdin: async () => '',
        env: { HOME: tmp.dir },
        cwd: tmp.dir,
      }
      const code = await defineCommand.run(
        ['nightly', file, '--db-path', db, '--triggers', '{"cron":{"expression":"@daily"}}'],
        io,
      )
      expect(err).toBe('')
      expect(code).toBe(0)
      const store = openStore(db)
      try {
        const jobs = createScheduleStore(store).list()
        expect(jobs.map((j) => [j.template_name, j.cron_expression, j.source])).toEqual([
          ['nightly', '@daily', 'trigger'],
        ])
      } finally {
        store.close()
      }
    } finally {
      tmp.cleanup()
    }
  })
})

describe('opcode schedule', () => {
  test('add, list, show, run-now, disable, enable, rm against the server', async () => {
    srv = await startTestServer()
    await api('POST', '/templates', { name: 'ping', definition: ping, agent_id: 'author' })

    const added = await cli(scheduleCommand, [
      'add',
      'ping',
      '*/5 * * * *',
      '--params',
      '{"x":1}',
      '--json',
    ])
    expect(added.code).toBe(0)
    const job = JSON.parse(added.out)
    expect(job).toMatchObject({
      template_name: 'ping',
      cron_expression: '*/5 * * * *',
      params: { x: 1 },
    })

    const bad = await cli(scheduleCommand, ['add', 'ping', '*/61 * * * *'])
    expect(bad.code).toBe(2)
    expect(bad.err).toContain('VALIDATION_ERROR')
    const missing = await cli(scheduleCommand, ['add', 'nope', '@daily'])
    expect(missing.code).toBe(1)
    expect(missing.err).toContain('template "nope" not found')

    const list = await cli(scheduleCommand, ['list'])
    expect(list.code).toBe(0)
    expect(list.out).toContain(job.id)
    expect(list.out).toContain('"*/5 * * * *" UTC  enabled')

    const fired = await cli(scheduleCommand, ['run-now', job.id, '--json'])
    expect(fired.code).toBe(0)
    const run = JSON.parse(fired.out)
    expect(run.workflow_id).toBeString()
    await srv.server.runtime.engine.untilQuiescent(run.workflow_id)
    const show = await cli(scheduleCommand, ['show', job.id])
    expect(show.out).toContain('manual')
    expect(show.out).toContain(run.workflow_id)
    expect(srv.effects.get('ping')).toBe(1)

    const off = await cli(scheduleCommand, ['disable', job.id, '--json'])
    expect(JSON.parse(off.out)).toMatchObject({ enabled: false, next_run_at: null })
    const on = await cli(scheduleCommand, ['enable', job.id, '--json'])
    expect(JSON.parse(on.out).enabled).toBe(true)

    const rm = await cli(scheduleCommand, ['rm', job.id])
    expect(rm.out).toBe(`removed ${job.id}\n`)
    const gone = await cli(scheduleCommand, ['show', job.id])
    expect(gone.code).toBe(1)
    expect(gone.err).toContain(`scheduled_job "${job.id}" not found`)

    const audit = srv.server.runtime.store.db
      .query("SELECT action FROM audit_log WHERE resource_type = 'schedule' ORDER BY id")
      .all() as Array<{ action: string }>
    expect(audit.map((a) => a.action)).toEqual([
      'schedule.add',
      'schedule.run_now',
      'schedule.disable',
      'schedule.enable',
      'schedule.remove',
    ])
  })

  test('usage errors exit through the usage path', async () => {
    srv = await startTestServer()
    await expect(cli(scheduleCommand, ['add', 'only-template'])).rejects.toThrow(
      'TEMPLATE and CRON',
    )
    await expect(cli(scheduleCommand, ['frobnicate'])).rejects.toThrow('unknown subcommand')
    await expect(
      cli(scheduleCommand, ['add', 't', '@daily', '--catch-up', 'maybe']),
    ).rejects.toThrow('--catch-up')
  })
})

describe('opcode plugin', () => {
  test('add writes settings.json and starts it; list; restart; rm removes it and its actions', async () => {
    srv = await startTestServer()
    const added = await cli(pluginCommand, [
      'add',
      'echo',
      '--env',
      'GREETING=hi',
      '--json',
      '--',
      process.execPath,
      ECHO,
    ])
    expect(added.err).toBe('')
    expect(added.code).toBe(0)
    const settingsPath = join(srv.dir, '.opcode', 'settings.json')
    const settings = JSON.parse(readFileSync(settingsPath, 'utf8'))
    expect(settings.plugins).toEqual([
      { name: 'echo', command: process.execPath, args: [ECHO], env: { GREETING: 'hi' } },
    ])
    const manager = srv.server.svc.actions
    const deadline = Date.now() + 10_000
    while (manager.get('echo.echo') === undefined && Date.now() < deadline) await Bun.sleep(25)
    expect(manager.get('echo.echo')).toBeDefined()

    const run = await api('POST', '/workflows', {
      template_name: 'x',
      agent_id: 'a',
    })
    expect(run.status).toBe(404)
    await api('POST', '/templates', {
      name: 'greet',
      agent_id: 'a',
      definition: { steps: [{ id: 'e', action: 'echo.echo', params: { message: 'hello' } }] },
    })
    const ok = await api('POST', '/workflows', { template_name: 'greet', agent_id: 'a' })
    expect(ok.json.status).toBe('completed')
    expect(ok.json.steps.e.output).toEqual({ echo: 'hello' })

    const list = await cli(pluginCommand, ['list'])
    expect(list.out).toMatch(/^echo {2}active {2}pid \d+ {2}\d+ tools: echo\.echo, /)
    const q = await api('POST', '/query', { resource: 'plugins' })
    expect(q.json.plugins[0]).toMatchObject({ name: 'echo', status: 'active' })
    expect(q.json.plugins[0].config.env_keys).toEqual(['GREETING'])

    const dup = await cli(pluginCommand, ['add', 'echo', '--', 'x'])
    expect(dup.code).toBe(1)
    expect(dup.err).toContain('already exists')

    const restarted = await cli(pluginCommand, ['restart', 'echo', '--json'])
    expect(JSON.parse(restarted.out)).toMatchObject({ name: 'echo', status: 'active' })

    const rm = await cli(pluginCommand, ['rm', 'echo'])
    expect(rm.code).toBe(0)
    expect(JSON.parse(readFileSync(settingsPath, 'utf8')).plugins).toEqual([])
    expect(manager.get('echo.echo')).toBeUndefined()
    const none = await cli(pluginCommand, ['rm', 'echo'])
    expect(none.code).toBe(1)
    expect(none.err).toContain('plugin "echo" not found')
  })

  test('reloadPlugins (what SIGHUP calls) applies the settings list again', async () => {
    srv = await startTestServer({
      settings: { plugins: [{ name: 'echo', command: process.execPath, args: [ECHO] }] },
    })
    const actions = srv.server.svc.actions
    const wait = async (cond: () => boolean) => {
      const end = Date.now() + 10_000
      while (!cond() && Date.now() < end) await Bun.sleep(25)
    }
    await wait(() => actions.get('echo.add') !== undefined)
    expect(actions.get('echo.add')).toBeDefined()
    const problems = srv.server.reloadPlugins([{ name: 'bad name', command: 'x' }])
    expect(problems.map((p) => p.path)).toEqual(['/plugins/0/name'])
    expect(actions.get('echo.add')).toBeUndefined()
    const q = await api('POST', '/query', { resource: 'plugins' })
    expect(q.json.plugins).toEqual([])
  })

  test('a bad plugin is refused with the field at fault', async () => {
    srv = await startTestServer()
    const r = await cli(pluginCommand, ['add', 'http', '--', 'x'])
    expect(r.err).toContain('reserved')
    expect(r.code).toBe(2)
    expect(r.err).toContain('reserved')
  })
})
