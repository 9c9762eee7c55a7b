import { afterEach, describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseListenAddr } from './listen.ts'
import {
  assertExposureAllowed,
  loadConfig,
  mergeSettings,
  parseLogLevel,
  resolveConfig,
} from './settings.ts'

let dir = ''
afterEach(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true })
  dir = ''
})

function base(
  settings: Record<string, unknown> = {},
  env: Record<string, string> = {},
  flags = {},
) {
  return resolveConfig({
    env,
    flags,
    settings,
    home: '/home/u',
    dataDir: '/home/u/.opcode',
    settingsPath: '/home/u/.opcode/settings.json',
    cwd: '/work',
  })
}

describe('listen address rule (D21)', () => {
  test(':PORT means 127.0.0.1:PORT and is loopback; other hosts are exposed', () => {
    expect(parseListenAddr(':4100')).toEqual({ host: '127.0.0.1', port: 4100, loopback: true })
    expect(parseListenAddr('4200')).toEqual({ host: '127.0.0.1', port: 4200, loopback: true })
    expect(parseListenAddr('localhost:1')).toMatchObject({ loopback: true })
    expect(parseListenAddr('[::1]:9')).toEqual({ host: '::1', port: 9, loopback: true })
    expect(parseListenAddr('0.0.0.0:4100')).toMatchObject({ host: '0.0.0.0', loopback: false })
    expect(parseListenAddr('10.1.2.3:80')).toMatchObject({ loopback: false })
    for (const bad of ['', 'host', ':x', ':70000', 'a:b:c'])
      expect(() => parseListenAddr(bad)).toThrow('listen address')
  })
})

describe('precedence: flags > env > settings > defaults', () => {
  test('defaults', () => {
    const c = base()
    expect(c.listenAddr).toBe(':4100')
    expect(c.baseUrl).toBe('http://127.0.0.1:4100')
    expect(c.baseUrlExplicit).toBe(false)
    expect(c.dbPath).toBe('/home/u/.opcode/opcode.db')
    expect(c.logLevel).toBe('info')
    expect(c.poolSize).toBe(10)
    expect(c.panel).toBe(true)
    expect(c.agentId).toBe('cli')
    expect(c.authToken).toBeUndefined()
  })

  test('each layer overrides the one below', () => {
    const settings = {
      listen_addr: ':1',
      log_level: 'debug',
      pool_size: 3,
      db_path: '~/x.db',
      panel: true,
    }
    expect(base(settings).listenAddr).toBe(':1')
    expect(base(settings).dbPath).toBe('/home/u/x.db')
    const env = {
      OPCODE_LISTEN_ADDR: ':2',
      OPCODE_LOG_LEVEL: 'WARNING',
      OPCODE_POOL_SIZE: 'abc',
      OPCODE_PANEL: '0',
    }
    const e = base(settings, env)
    expect([e.listenAddr, e.logLevel, e.poolSize, e.panel]).toEqual([':2', 'warn', 3, false])
    const f = base(settings, env, {
      listenAddr: ':3',
      logLevel: 'error',
      poolSize: '7',
      panel: true,
      dbPath: 'rel.db',
    })
    expect([f.listenAddr, f.logLevel, f.poolSize, f.panel, f.dbPath]).toEqual([
      ':3',
      'error',
      7,
      true,
      '/work/rel.db',
    ])
    expect(base({}, { OPCODE_TOKEN: 't1' }).authToken).toBe('t1')
    expect(base({ auth_token: 's1' }, { OPCODE_TOKEN: 't1' }).authToken).toBe('t1')
  })

  test('panel defaults off when exposed; an exposed address needs a token', () => {
    const exposed = base({ listen_addr: '0.0.0.0:4100' })
    expect(exposed.panel).toBe(false)
    expect(exposed.baseUrl).toBe('http://localhost:4100')
    expect(() => assertExposureAllowed(exposed)).toThrow('needs a token')
    expect(() =>
      assertExposureAllowed(base({ listen_addr: '0.0.0.0:1', auth_token: 'x' })),
    ).not.toThrow()
  })

  test('log levels are case-insensitive, warning = warn, unknown = info', () => {
    expect(['DEBUG', 'Warning', 'error', 'loud', undefined].map(parseLogLevel)).toEqual([
      'debug',
      'warn',
      'error',
      'info',
      'info',
    ])
  })
})

describe('settings file', () => {
  test('merge keeps other keys, writes 0600, never a vault key; malformed file is an error', () => {
    dir = mkdtempSync(join(tmpdir(), 'opcode-cfg-'))
    const path = join(dir, '.opcode', 'settings.json')
    mergeSettings(path, { auth_token: 'tok', limits: { memory_mb: 1 } })
    mergeSettings(path, { log_level: 'debug', vault_key: 'nope', limits: undefined })
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({
      auth_token: 'tok',
      limits: { memory_mb: 1 },
      log_level: 'debug',
    })
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(loadConfig({ HOME: dir }).authToken).toBe('tok')
    writeFileSync(path, '{ nope')
    expect(() => loadConfig({ HOME: dir })).toThrow('is not valid JSON')
  })
})
