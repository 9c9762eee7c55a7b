import { describe, expect, test } from 'bun:test'
import { AppError } from '../errors.ts'
import {
  childEnvironment,
  parsePluginConfig,
  publicConfig,
  readPluginConfigs,
  sameProcess,
} from './config.ts'

describe('plugin configuration', () => {
  test('defaults: no args, empty env, enabled', () => {
    expect(parsePluginConfig({ name: 'github', command: 'gh-mcp' })).toEqual({
      name: 'github',
      command: 'gh-mcp',
      args: [],
      env: {},
      enabled: true,
    })
    expect(parsePluginConfig({ name: 'x', command: 'c', timeout: '1m30s' }).timeoutMs).toBe(90_000)
  })

  test.each([
    [{ command: 'c' }, '/name'],
    [{ name: 'a', command: '' }, '/command'],
    [{ name: 'a.b', command: 'c' }, '/name'],
    [{ name: '9lives', command: 'c' }, '/name'],
    [{ name: 'http', command: 'c' }, '/name'],
    [{ name: 'Workflow', command: 'c' }, '/name'],
    [{ name: 'a', command: 'c', args: 'x' }, '/args'],
    [{ name: 'a', command: 'c', env: { A: 1 } }, '/env/A'],
    [{ name: 'a', command: 'c', env: { 'A=B': 'x' } }, '/env'],
    [{ name: 'a', command: 'c', timeout: 'soon' }, '/timeout'],
    [{ name: 'a', command: 'c', timeout: '-1s' }, '/timeout'],
    [{ name: 'a', command: 'c', enabled: 'yes' }, '/enabled'],
  ])('%p is rejected at %s', (raw, path) => {
    try {
      parsePluginConfig(raw)
      throw new Error('accepted')
    } catch (err) {
      expect(err).toBeInstanceOf(AppError)
      expect((err as AppError).code).toBe('VALIDATION_ERROR')
      expect((err as AppError).issues?.[0]?.path).toBe(path)
    }
  })

  test('a settings list keeps the good entries and reports the bad ones with their index', () => {
    const { plugins, problems } = readPluginConfigs([
      { name: 'one', command: 'a' },
      { name: 'bad name', command: 'b' },
      'nope',
      { name: 'one', command: 'c' },
      { name: 'two', command: 'd', enabled: false },
    ])
    expect(plugins.map((p) => [p.name, p.command, p.enabled])).toEqual([
      ['one', 'a', true],
      ['two', 'd', false],
    ])
    expect(problems.map((p) => p.path)).toEqual([
      '/plugins/1/name',
      '/plugins/2',
      '/plugins/3/name',
    ])
    expect(readPluginConfigs(undefined)).toEqual({ plugins: [], problems: [] })
    expect(readPluginConfigs({}).problems[0]?.path).toBe('/plugins')
  })

  test('the child environment is PATH, HOME, LANG and the plugin env, never the server secrets', () => {
    const parent = {
      PATH: '/bin',
      HOME: '/home/op',
      LANG: 'fr_FR.UTF-8',
      OPCODE_VAULT_KEY: 'secret',
      OPCODE_TOKEN: 'tok',
      AWS_SECRET_ACCESS_KEY: 'aws',
      USER: 'op',
    }
    const { env, dropped } = childEnvironment(
      { env: { API_URL: 'https://x', OPCODE_VAULT_KEY: 'sneaky', OPCODE_VAULT_KEY_FILE: '/k' } },
      parent,
    )
    expect(env).toEqual({
      PATH: '/bin',
      HOME: '/home/op',
      LANG: 'fr_FR.UTF-8',
      API_URL: 'https://x',
    })
    expect(dropped.sort()).toEqual(['OPCODE_VAULT_KEY', 'OPCODE_VAULT_KEY_FILE'])
    expect(childEnvironment({ env: {} }, {}).env).toEqual({
      PATH: '/usr/local/bin:/usr/bin:/bin',
      LANG: 'C.UTF-8',
    })
  })

  test('the stored config holds env names, never values', () => {
    const spec = parsePluginConfig({
      name: 'gh',
      command: 'gh-mcp',
      args: ['--stdio'],
      env: { GITHUB_TOKEN: 'ghp_secret', B: '1' },
    })
    const stored = publicConfig(spec)
    expect(stored).toEqual({
      command: 'gh-mcp',
      args: ['--stdio'],
      env_keys: ['B', 'GITHUB_TOKEN'],
      enabled: true,
    })
    expect(JSON.stringify(stored)).not.toContain('ghp_secret')
  })

  test('sameProcess ignores enabled, sees command, args, env and cwd', () => {
    const a = parsePluginConfig({ name: 'p', command: 'c', args: ['1'], env: { A: '1', B: '2' } })
    expect(sameProcess(a, { ...a, enabled: false })).toBe(true)
    expect(sameProcess(a, { ...a, env: { B: '2', A: '1' } })).toBe(true)
    expect(sameProcess(a, { ...a, env: { A: '1', B: '3' } })).toBe(false)
    expect(sameProcess(a, { ...a, args: ['2'] })).toBe(false)
    expect(sameProcess(a, { ...a, cwd: '/tmp' })).toBe(false)
  })
})
