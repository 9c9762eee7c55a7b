/**
 * The path a secret takes in a run, end to end except for the engine's own wiring: a vault
 * secret is interpolated into an http.request header (bearer and basic auth), a loopback server
 * echoes the request back, and the redactor fed by the vault's resolver removes every form of the
 * secret from the step output (what the engine then stores in events and logs).
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { httpRequestAction } from '../actions/http.ts'
import type { ActionContext, Logger, WorkflowServices } from '../engine/ports.ts'
import { interpolate } from '../expressions/index.ts'
import { createRedactor } from './redact.ts'
import { openVault, type VaultMeta, type VaultStorage } from './vault.ts'

const SECRET = 'tok_9f8e7d6c5b4a3210'

function memoryStorage(): VaultStorage {
  let meta: VaultMeta | undefined
  const blobs = new Map<string, Uint8Array>()
  return {
    getMeta: () => meta,
    putMeta: (m) => {
      meta = m
    },
    get: (n) => blobs.get(n),
    put: (n, b) => {
      blobs.set(n, b)
    },
    delete: (n) => blobs.delete(n),
    list: () => [...blobs.keys()].sort(),
  }
}

let server: ReturnType<typeof Bun.serve>
beforeAll(() => {
  // Echoes what it received, in several encodings, the way a careless API might.
  server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch: async (req) => {
      const auth = req.headers.get('authorization') ?? ''
      const token = req.headers.get('x-api-key') ?? ''
      return Response.json({
        auth,
        token,
        token_b64: Buffer.from(token).toString('base64'),
        token_hex: Buffer.from(token).toString('hex'),
        url: req.url,
      })
    },
  })
})
afterAll(() => server.stop(true))

test('a secret echoed back by a server never survives redaction, in any form', async () => {
  const vault = openVault(memoryStorage(), 'passphrase', { iterations: 1000 })
  vault.set('API_TOKEN', SECRET)
  const redactor = createRedactor()
  const params = interpolate(
    {
      url: `http://127.0.0.1:${server.port}/echo?key=\${{secrets.API_TOKEN}}`,
      headers: { 'X-Api-Key': '${{secrets.API_TOKEN}}' },
      auth: { type: 'basic', username: 'agent', password: '${{secrets.API_TOKEN}}' },
    },
    { steps: {}, inputs: {}, workflow: {}, context: {}, secrets: vault.resolver({ redactor }) },
  ) as Record<string, unknown>
  const ctx: ActionContext = {
    workflowId: 'wf',
    stepId: 'call',
    agentId: 'a',
    attempt: 1,
    idempotencyKey: 'wf:call',
    signal: new AbortController().signal,
    scope: {},
    services: {} as WorkflowServices,
    log: { debug() {}, info() {}, warn() {}, error() {} } as Logger,
  }
  const output = await httpRequestAction.execute(params, ctx)
  const raw = JSON.stringify(output)
  // the server did see and echo the secret…
  expect(raw).toContain(SECRET)
  expect(raw).toContain(Buffer.from(`agent:${SECRET}`).toString('base64'))
  // …and nothing of it is left once redacted
  const clean = JSON.stringify(redactor.redact(output))
  for (const form of [
    SECRET,
    Buffer.from(SECRET).toString('base64'),
    Buffer.from(SECRET).toString('hex'),
    Buffer.from(`agent:${SECRET}`).toString('base64'),
  ]) {
    expect(clean).not.toContain(form)
  }
  expect(clean).toContain('[REDACTED]')
  expect(
    Buffer.from(
      (redactor.redact(output) as any).body.auth.replace('Basic ', ''),
      'base64',
    ).toString(),
  ).not.toContain(SECRET)
})
