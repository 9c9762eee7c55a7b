/**
 * `shell.exec` through the isolator this machine detects (cgroups v1 + PID namespace here), as an
 * agent would call it: argv and shell forms, stdin, env (never the vault key or the token), cwd
 * under the path rules, timeout, limits from the step clamped to the server's maxima, output caps
 * and JSON stdout.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../../test/support/tmp.ts'
import type { ActionContext, Logger, WorkflowServices } from '../engine/ports.ts'
import { AppError } from '../errors.ts'
import {
  createFallbackIsolator,
  createPathPolicy,
  type DetectedIsolator,
  detectIsolator,
  type Isolator,
  parseLimitSettings,
  resolveReal,
} from '../isolation/index.ts'
import { killAll, marker, processesWith } from '../isolation/test-support.ts'
import type { StepLimits } from '../schema/workflow.ts'
import { createActionRegistry } from './registry.ts'
import { type ShellOutput, shellAction } from './shell.ts'

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} }

function makeCtx(extra: Partial<ActionContext> = {}): ActionContext {
  return {
    workflowId: 'wf-1',
    stepId: 'run',
    agentId: 'agent',
    attempt: 1,
    idempotencyKey: 'wf-1:run',
    signal: new AbortController().signal,
    scope: {},
    services: {} as WorkflowServices,
    log: quiet,
    ...extra,
  }
}

const detected: DetectedIsolator = await detectIsolator({ drainGraceMs: 500 })
const memoryCgroup = detected.isolator.capabilities.memory === 'cgroup'

let tmp: ReturnType<typeof tempDir>
let root: string
beforeAll(() => {
  tmp = tempDir('opcode-shell-')
  root = resolveReal(tmp.dir) as string
  mkdirSync(join(root, 'data'))
  mkdirSync(join(root, 'work'))
})
afterAll(() => tmp.cleanup())

const serverEnv = {
  PATH: '/usr/local/bin:/usr/bin:/bin',
  HOME: '/root',
  LANG: 'C.UTF-8',
  OPCODE_VAULT_KEY: 'correct horse battery staple',
  OPCODE_VAULT_KEY_FILE: '/run/secrets/opcode',
  OPCODE_TOKEN: 'tok-123',
}

function make(options: { isolator?: Isolator; limits?: unknown; maxOutputBytes?: number } = {}) {
  return shellAction({
    isolator: options.isolator ?? detected.isolator,
    paths: createPathPolicy({ deny: [join(root, 'data')] }),
    defaults: {
      env: serverEnv,
      limits: parseLimitSettings(options.limits),
      ...(options.maxOutputBytes === undefined ? {} : { maxOutputBytes: options.maxOutputBytes }),
    },
  })
}

async function run(
  params: Record<string, unknown>,
  ctx = makeCtx(),
  action = make(),
): Promise<ShellOutput> {
  return (await action.execute(params, ctx)) as ShellOutput
}

async function failure(
  params: Record<string, unknown>,
  ctx = makeCtx(),
  action = make(),
): Promise<AppError> {
  try {
    await action.execute(params, ctx)
  } catch (err) {
    expect(err).toBeInstanceOf(AppError)
    return err as AppError
  }
  throw new Error('expected shell.exec to fail')
}

describe('shell.exec', () => {
  test('is a side-effecting action whose params schema the registry accepts', () => {
    const action = make()
    expect(action.pure).toBe(false)
    const registry = createActionRegistry([action])
    expect(
      registry.check(action, { command: 'ls', args: ['-l'], env: { A: 'b' }, timeout: '5s' }),
    ).toEqual([])
    expect(registry.check(action, { args: [1] }).map((i) => i.path)).toEqual([
      '/args/0',
      '/command',
    ])
  })

  test('runs a program with arguments passed verbatim (no shell parsing)', async () => {
    const out = await run({ command: 'printf', args: ['%s|', 'a b', '$HOME', '*'] })
    expect(out).toMatchObject({
      stdout: 'a b|$HOME|*|',
      stdout_raw: 'a b|$HOME|*|',
      stderr: '',
      exit_code: 0,
      killed: false,
    })
    expect(out.duration_ms).toBeGreaterThanOrEqual(0)
  })

  test('shell: true runs the command and its args joined by spaces through /bin/sh -c', async () => {
    const out = await run({
      command: 'echo "$((6 * 7))"; echo',
      args: ['x', '&&', 'echo y'],
      shell: true,
    })
    expect(out.stdout_raw).toBe('42\nx\ny\n')
  })

  test('a non-zero exit is a successful step reporting exit_code', async () => {
    const out = await run({ command: 'echo oops >&2; exit 7', shell: true })
    expect(out).toMatchObject({ exit_code: 7, stderr: 'oops\n', stdout: '' })
  })

  test('stdout that is JSON as a whole is parsed; stdout_raw keeps the text', async () => {
    expect((await run({ command: 'echo \' {"a": [1, 2]} \'', shell: true })).stdout).toEqual({
      a: [1, 2],
    })
    expect((await run({ command: 'echo 3', shell: true })).stdout).toBe(3)
    expect((await run({ command: 'echo true', shell: true })).stdout).toBe(true)
    expect((await run({ command: 'echo null', shell: true })).stdout).toBeNull()
    const text = await run({ command: 'echo "{not json"', shell: true })
    expect(text.stdout).toBe('{not json\n')
    expect(text.stdout_raw).toBe('{not json\n')
  })

  test('feeds stdin when it is not empty', async () => {
    expect((await run({ command: 'cat', stdin: 'piped\ntext' })).stdout).toBe('piped\ntext')
    expect((await run({ command: 'cat', stdin: '' })).stdout).toBe('')
  })

  test("inherits the server's environment without the vault key, its file or the token; env adds to it", async () => {
    const out = await run({ command: 'env', env: { EXTRA: 'yes', LANG: 'C' } })
    const lines = (out.stdout_raw as string).split('\n')
    expect(lines).toContain('EXTRA=yes')
    expect(lines).toContain('LANG=C')
    expect(lines).toContain('HOME=/root')
    expect(out.stdout_raw).not.toContain('OPCODE_VAULT_KEY')
    expect(out.stdout_raw).not.toContain('OPCODE_TOKEN')
    expect(out.stdout_raw).not.toContain('correct horse')
  })

  test('env may not set the vault key or the token (VALIDATION_ERROR)', async () => {
    const err = await failure({ command: 'env', env: { OPCODE_VAULT_KEY: 'x' } })
    expect(err.code).toBe('VALIDATION_ERROR')
    expect(err.message).toBe('shell.exec: env may not set OPCODE_VAULT_KEY')
  })

  test('cwd (or its alias workdir) sets the working directory', async () => {
    expect((await run({ command: 'pwd', cwd: join(root, 'work') })).stdout_raw).toBe(
      `${join(root, 'work')}\n`,
    )
    expect((await run({ command: 'pwd', workdir: join(root, 'work') })).stdout_raw).toBe(
      `${join(root, 'work')}\n`,
    )
  })

  test('a denied cwd is PATH_DENIED; a missing one is EXECUTION_ERROR', async () => {
    const denied = await failure({ command: 'pwd', cwd: join(root, 'data') })
    expect(denied.code).toBe('PATH_DENIED')
    expect(denied.message).toBe(
      `shell.exec: cwd path denied: path "${join(root, 'data')}" is denied`,
    )
    const missing = await failure({ command: 'pwd', cwd: join(root, 'nope') })
    expect(missing.code).toBe('EXECUTION_ERROR')
    expect(missing.message).toContain('no such file or directory')
  })

  test('an unknown program is EXECUTION_ERROR; a relative path is resolved against cwd', async () => {
    const err = await failure({ command: 'definitely-not-a-program-xyz' })
    expect(err.code).toBe('EXECUTION_ERROR')
    expect(err.message).toBe(
      'shell.exec: executable file not found in $PATH: definitely-not-a-program-xyz',
    )
    const line = await failure({ command: 'echo hello world' })
    expect(line.message).toBe(
      'shell.exec: executable file not found in $PATH: echo hello world (to run a command line, set shell: true or pass the arguments in args)',
    )
    const script = join(root, 'work', 'hello.sh')
    writeFileSync(script, '#!/bin/sh\necho "hello $1"\n')
    chmodSync(script, 0o755)
    expect(
      (await run({ command: './hello.sh', args: ['you'], cwd: join(root, 'work') })).stdout_raw,
    ).toBe('hello you\n')
    chmodSync(script, 0o644)
    expect((await failure({ command: './hello.sh', cwd: join(root, 'work') })).message).toBe(
      'shell.exec: cannot run ./hello.sh: permission denied',
    )
  })

  test('missing or empty command and bad params are VALIDATION_ERRORs', async () => {
    expect((await failure({})).message).toContain("missing required param 'command'")
    expect((await failure({ command: '   ' })).code).toBe('VALIDATION_ERROR')
    expect((await failure({ command: 'ls', args: 'one string' })).code).toBe('VALIDATION_ERROR')
    expect((await failure({ command: 'ls', timeout: 'soon' })).message).toBe(
      `shell.exec: timeout must be a positive Go duration such as '30s', got "soon"`,
    )
  })

  test('the timeout kills the whole tree and reports killed: true with exit_code -1', async () => {
    const m = marker()
    try {
      const out = await run({
        command: `sleep ${m} & sleep ${m}; echo never`,
        shell: true,
        timeout: '300ms',
      })
      expect(out).toMatchObject({ killed: true, exit_code: -1, signal: 'SIGKILL', stdout: '' })
      expect(processesWith(m)).toEqual([])
    } finally {
      killAll(m)
    }
  })

  test('the timeout param is clamped to the maximum; the step deadline bounds it too', async () => {
    const action = make({ limits: { max: { timeout: '300ms' } } })
    const clamped = await run({ command: 'sleep', args: ['5'], timeout: '1h' }, makeCtx(), action)
    expect(clamped.killed).toBe(true)
    expect(clamped.duration_ms).toBeLessThan(5000)
    const byDeadline = await run(
      { command: 'sleep', args: ['5'] },
      makeCtx({ deadline: Date.now() + 300 }),
    )
    expect(byDeadline.killed).toBe(true)
  })

  test('limits given as a function are read at each call (SIGHUP reload)', async () => {
    let settings = parseLimitSettings({ timeout: '200ms' })
    const action = shellAction({
      isolator: detected.isolator,
      paths: createPathPolicy(),
      defaults: { env: serverEnv, limits: () => settings },
    })
    expect((await run({ command: 'sleep', args: ['0.5'] }, makeCtx(), action)).killed).toBe(true)
    settings = parseLimitSettings({ timeout: '5s' })
    expect((await run({ command: 'sleep', args: ['0.5'] }, makeCtx(), action)).killed).toBe(false)
  })

  test("the step's limits.timeout is the default timeout", async () => {
    const limits: StepLimits = { timeout: '250ms' }
    const out = await run({ command: 'sleep', args: ['5'] }, makeCtx({ limits }))
    expect(out.killed).toBe(true)
  })

  test('cancelling the step kills the command and throws the engine reason', async () => {
    const ac = new AbortController()
    const m = marker()
    setTimeout(() => ac.abort(new AppError('TIMEOUT_ERROR', 'step run timed out after 200ms')), 200)
    try {
      const err = await failure({ command: 'sleep', args: [m] }, makeCtx({ signal: ac.signal }))
      expect(err.code).toBe('TIMEOUT_ERROR')
      expect(processesWith(m)).toEqual([])
      const already = await failure({ command: 'true' }, makeCtx({ signal: ac.signal }))
      expect(already.code).toBe('ISOLATION_ERROR')
    } finally {
      killAll(m)
    }
  })

  test('output beyond the cap is dropped without blocking; stdout is then left as text', async () => {
    const out = await run(
      { command: 'head -c 3000000 /dev/zero | tr "\\000" 7; echo done >&2', shell: true },
      makeCtx(),
      make({ maxOutputBytes: 1000 }),
    )
    expect(out.exit_code).toBe(0)
    expect(out.stdout_raw.length).toBe(1000)
    expect(out.stdout).toBe(out.stdout_raw) // a cut number is not parsed
    expect(out.stdout_truncated).toBe(true)
    expect(out.stderr).toBe('done\n')
    expect(out.stderr_truncated).toBeUndefined()
  })

  test('works with the fallback isolator too', async () => {
    const out = await run(
      { command: 'echo $$', shell: true },
      makeCtx(),
      make({ isolator: createFallbackIsolator() }),
    )
    expect(out.exit_code).toBe(0)
    expect(Number(out.stdout)).toBeGreaterThan(1)
  })
})

describe.skipIf(!memoryCgroup)(
  `shell.exec limits (${detected.name}${memoryCgroup ? '' : '; skipped: no memory cgroup on this machine'})`,
  () => {
    test("a step's memory_mb kills a memory hog: limit_exceeded memory, exit_code -1", async () => {
      const out = await run(
        { command: 'tail', args: ['/dev/zero'] },
        makeCtx({ limits: { memory_mb: 32 } }),
      )
      expect(out).toMatchObject({
        exit_code: -1,
        signal: 'SIGKILL',
        killed: false,
        limit_exceeded: 'memory',
      })
    })

    test('step limits above the maxima are clamped to them', async () => {
      const action = make({ limits: { max: { memory_mb: 32 } } })
      const out = await run(
        { command: 'tail', args: ['/dev/zero'] },
        makeCtx({ limits: { memory_mb: 100_000 } }),
        action,
      )
      expect(out.limit_exceeded).toBe('memory')
    })
  },
)
