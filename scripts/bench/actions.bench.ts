/**
 * Cost of the built-in actions' hot paths: params checking through the registry, the pure
 * actions (crypto, assert) and one loopback HTTP round trip. No reference figures exist for these.
 */
import { builtinActions, createActionRegistry } from '../../src/actions/index.ts'
import type { Action, ActionContext, WorkflowServices } from '../../src/engine/ports.ts'
import type { BenchCase, BenchSuite } from './lib.ts'

const ctx: ActionContext = {
  workflowId: 'wf',
  stepId: 's',
  agentId: 'a',
  attempt: 1,
  idempotencyKey: 'wf:s',
  signal: new AbortController().signal,
  scope: {},
  services: {} as WorkflowServices,
  log: { debug() {}, info() {}, warn() {}, error() {} },
}

export const suite: BenchSuite = {
  name: 'actions',
  cases(): BenchCase[] {
    const registry = createActionRegistry(builtinActions())
    const get = (name: string) => registry.get(name) as Action
    const http = get('http.request')
    const httpParams = {
      url: 'https://api.example.com/items',
      method: 'POST',
      headers: { 'X-Trace': 'abc' },
      body: { a: 1, b: [1, 2, 3] },
      auth: { type: 'bearer', token: 't' },
      timeout: '5s',
    }
    const big = Object.fromEntries(
      Array.from({ length: 100 }, (_, i) => [`k${i}`, { v: i, s: 'x' }]),
    )
    const copy = structuredClone(big)
    const text = `${'lorem ipsum '.repeat(80)}order #4521 shipped`
    const schema = {
      type: 'object',
      required: ['email', 'age'],
      properties: { email: { type: 'string', format: 'email' }, age: { type: 'integer' } },
    }
    const server = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      fetch: () => Response.json({ ok: true }),
    })
    const url = `http://127.0.0.1:${server.port}/`
    return [
      {
        scenario: 'registry.check http.request params',
        reference_ns: null,
        run: () => registry.check(http, httpParams),
      },
      {
        scenario: 'crypto.hash sha256 (1 KiB)',
        reference_ns: null,
        run: () => get('crypto.hash').execute({ data: text }, ctx),
      },
      {
        scenario: 'assert.equals (100-key objects)',
        reference_ns: null,
        run: () => get('assert.equals').execute({ expected: big, actual: copy }, ctx),
      },
      {
        scenario: 'assert.matches (RE2, 1 KiB, cached pattern)',
        reference_ns: null,
        run: () => get('assert.matches').execute({ value: text, pattern: '#(\\d+) shipped' }, ctx),
      },
      {
        scenario: 'assert.schema (cached schema)',
        reference_ns: null,
        run: () => get('assert.schema').execute({ data: { email: 'a@b.co', age: 3 }, schema }, ctx),
      },
      {
        scenario: 'http.get loopback round trip',
        reference_ns: null,
        run: () => get('http.get').execute({ url }, ctx),
        iterations: 300,
        teardown: () => server.stop(true),
      },
    ]
  },
}
