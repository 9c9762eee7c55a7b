/**
 * A real opcode server with the web panel mounted (in-process, 127.0.0.1 port 0, temp HOME and
 * database, a vault key) and a little demo data put in through the JSON API: templates of several
 * shapes, completed / failed / suspended / running workflows, a scheduled job and secrets. Used by
 * the panel's integration tests and by the browser system test.
 */
import { Type } from '@sinclair/typebox'
import { resolveConfig, type SettingsFile } from '../../src/config/index.ts'
import type { Action, Logger } from '../../src/engine/ports.ts'
import { mountPanel } from '../../src/http/panel/index.ts'
import { type RunningServer, startServer } from '../../src/server.ts'
import { Effects, testActions } from './engine.ts'
import { tempDir } from './tmp.ts'

export const quietLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} }

/** `test.gate`: blocks until the test opens the gate named by `params.gate`. */
export class Gates {
  private readonly waiting = new Map<string, Array<() => void>>()
  private readonly open = new Set<string>()
  action: Action = {
    name: 'test.gate',
    description: 'waits until the test opens the gate params.gate',
    params: Type.Record(Type.String(), Type.Unknown()),
    pure: false,
    execute: (p) =>
      new Promise((resolve) => {
        const name = String(p.gate ?? 'default')
        if (this.open.has(name)) return resolve({ gate: name })
        this.waiting.set(name, [...(this.waiting.get(name) ?? []), () => resolve({ gate: name })])
      }),
  }
  release(name: string): void {
    this.open.add(name)
    for (const fn of this.waiting.get(name) ?? []) fn()
    this.waiting.delete(name)
  }
}

export interface PanelServer {
  server: RunningServer
  url: string
  /** Directory of the database and settings. */
  dir: string
  gates: Gates
  /** JSON API call from outside the browser (no cookies: a plain API client). */
  api<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T>
  apiRaw(method: string, path: string, init?: RequestInit): Promise<Response>
  stop(): Promise<void>
}

export async function startPanelServer(
  opts: {
    listenAddr?: string
    settings?: SettingsFile
    env?: Record<string, string>
    vaultKey?: string
    logger?: Logger
    /** Reuse this directory (database and settings) instead of a fresh one; not removed on stop. */
    dir?: string
  } = {},
): Promise<PanelServer> {
  const tmp =
    opts.dir === undefined
      ? tempDir('opcode-panel-')
      : { dir: opts.dir, path: (n: string) => `${opts.dir}/${n}`, cleanup: () => {} }
  const gates = new Gates()
  const config = resolveConfig({
    env: opts.env ?? {},
    flags: { listenAddr: opts.listenAddr ?? '127.0.0.1:0', dbPath: tmp.path('opcode.db') },
    settings: opts.settings ?? {},
    home: tmp.dir,
    dataDir: tmp.path('.opcode'),
    settingsPath: tmp.path('.opcode/settings.json'),
    cwd: tmp.dir,
  })
  const server = await startServer({
    config,
    logger: opts.logger ?? quietLogger,
    version: 'test',
    actions: [...testActions(new Effects()), gates.action],
    mount: (app, svc) => {
      mountPanel(app, svc)
    },
    ...(opts.vaultKey === undefined ? {} : { vaultKey: opts.vaultKey }),
    runtime: { engine: { poolSize: 8 } },
  })
  const token = config.authToken
  const apiRaw = (method: string, path: string, init: RequestInit = {}) =>
    fetch(`${server.url}/api/v1${path}`, {
      method,
      ...init,
      headers: {
        'Content-Type': 'application/json',
        ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }),
        ...(init.headers as Record<string, string> | undefined),
      },
    })
  return {
    server,
    url: server.url,
    dir: tmp.dir,
    gates,
    apiRaw,
    async api<T>(method: string, path: string, body?: unknown): Promise<T> {
      const r = await apiRaw(method, path, body === undefined ? {} : { body: JSON.stringify(body) })
      const text = await r.text()
      if (!r.ok) throw new Error(`${method} ${path}: HTTP ${r.status} ${text}`)
      return JSON.parse(text) as T
    },
    async stop() {
      try {
        await server.stop(2000)
      } finally {
        tmp.cleanup()
      }
    },
  }
}

export const DEMO_TEMPLATES: Record<string, Record<string, unknown>> = {
  'nightly-etl': {
    description: 'Extract orders, transform in two branches, load and report',
    definition: {
      steps: [
        { id: 'extract', action: 'test.sleep', params: { ms: 40 } },
        { id: 'clean', action: 'test.sleep', params: { ms: 15 }, depends_on: ['extract'] },
        { id: 'enrich', action: 'test.sleep', params: { ms: 25 }, depends_on: ['extract'] },
        {
          id: 'load',
          action: 'test.echo',
          params: { rows: 1280 },
          depends_on: ['clean', 'enrich'],
        },
        { id: 'report', action: 'test.echo', params: { ok: true }, depends_on: ['load'] },
      ],
    },
  },
  'refund-approval': {
    description: 'A human approves refunds above the limit',
    definition: {
      inputs: { amount: 120, customer: 'ACME Corp' },
      steps: [
        {
          id: 'lookup',
          action: 'test.echo',
          params: { order: 'A-1042', amount: '${{inputs.amount}}' },
        },
        {
          id: 'approve',
          type: 'reasoning',
          depends_on: ['lookup'],
          config: {
            prompt_context:
              'Refund of 120 EUR requested by ACME Corp for order A-1042. Approve it?',
            options: [
              { id: 'approve', description: 'Pay the refund now' },
              { id: 'reject', description: 'Refuse and notify the customer' },
            ],
            data_inject: { order: 'steps.lookup.output.order' },
            target_agent: 'finance-team',
          },
        },
        { id: 'notify', action: 'test.echo', params: { sent: true }, depends_on: ['approve'] },
      ],
    },
  },
  'sync-crm': {
    description: 'Push contacts to the CRM (its API is down)',
    definition: {
      steps: [
        { id: 'fetch', action: 'test.echo', params: { contacts: 3 } },
        {
          id: 'push',
          action: 'test.fail',
          params: { code: 'EXECUTION_ERROR', message: 'CRM answered 503 Service Unavailable' },
          depends_on: ['fetch'],
        },
      ],
    },
  },
  'long-job': {
    description: 'Waits for an external gate',
    definition: {
      steps: [
        { id: 'prepare', action: 'test.echo', params: {} },
        { id: 'work', action: 'test.gate', params: { gate: 'demo' }, depends_on: ['prepare'] },
      ],
    },
  },
}

/** Puts the demo data in through the API; returns the ids of interesting workflows. */
export async function seedDemo(s: PanelServer): Promise<{
  completed: string
  failed: string
  suspended: string[]
  running: string
}> {
  for (const [name, t] of Object.entries(DEMO_TEMPLATES)) {
    await s.api('POST', '/templates', { name, agent_id: 'ops-agent', ...t })
  }
  const run = (template_name: string, agent_id: string, params: Record<string, unknown> = {}) =>
    s.api<{ workflow_id: string; status: string }>('POST', '/workflows', {
      template_name,
      agent_id,
      params,
    })
  let completed = ''
  for (let i = 0; i < 4; i++)
    completed = (await run('nightly-etl', 'data-agent', { day: i })).workflow_id
  const failed = (await run('sync-crm', 'crm-agent')).workflow_id
  const suspended = [
    (await run('refund-approval', 'billing-agent')).workflow_id,
    (await run('refund-approval', 'billing-agent', { amount: 480 })).workflow_id,
  ]
  const running = (
    await s.api<{ workflow_id: string }>('POST', '/workflows', {
      template_name: 'long-job',
      agent_id: 'ops-agent',
      wait: false,
    })
  ).workflow_id
  await s.api('POST', '/schedules', {
    template_name: 'nightly-etl',
    cron_expression: '0 2 * * *',
    agent_id: 'data-agent',
  })
  return { completed, failed, suspended, running }
}
