import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import type { Action, ActionContext, Logger, WorkflowServices } from '../engine/ports.ts'
import { AppError } from '../errors.ts'
import {
  type HttpOutput,
  httpActions,
  httpGetAction,
  httpPostAction,
  httpRequestAction,
} from './http.ts'

// ---------------------------------------------------------------------------------------------
// A loopback service that answers whatever the test needs (never the internet).

type Server = ReturnType<typeof Bun.serve>
let server: Server
let other: Server
let base: string
let otherBase: string
const MiB = 1024 * 1024

function echo(req: Request, body: string): Response {
  const url = new URL(req.url)
  return Response.json({
    method: req.method,
    path: url.pathname,
    query: url.search,
    headers: Object.fromEntries(req.headers),
    body,
  })
}

async function route(req: Request): Promise<Response> {
  const url = new URL(req.url)
  const parts = url.pathname.split('/').filter(Boolean)
  const [head, arg] = parts
  const body = await req.text()
  switch (head) {
    case 'echo':
      return echo(req, body)
    case 'status':
      return Response.json({ error: 'nope', code: Number(arg) }, { status: Number(arg) })
    case 'redirect': {
      const n = Number(arg)
      return new Response(null, {
        status: 302,
        headers: { Location: n <= 1 ? '/echo' : `/redirect/${n - 1}` },
      })
    }
    case 'redirect-code':
      return new Response('moving', { status: Number(arg), headers: { Location: '/echo' } })
    case 'to-other':
      return new Response(null, { status: 307, headers: { Location: `${otherBase}/echo` } })
    case 'to-ftp':
      return new Response(null, { status: 302, headers: { Location: 'ftp://example.com/x' } })
    case 'bytes':
      return new Response(new Uint8Array(Number(arg)).fill(97), {
        headers: { 'Content-Type': 'text/plain' },
      })
    case 'stream': {
      const total = Number(arg)
      let sent = 0
      return new Response(
        new ReadableStream({
          pull(c) {
            if (sent >= total) return c.close()
            const n = Math.min(64 * 1024, total - sent)
            sent += n
            c.enqueue(new Uint8Array(n).fill(98))
          },
        }),
        { headers: { 'Content-Type': 'application/octet-stream' } },
      )
    }
    case 'slow':
      await Bun.sleep(Number(arg))
      return new Response('late')
    case 'slow-body': {
      // Headers now, the rest of the body only after `arg` ms.
      const delay = Number(arg)
      return new Response(
        new ReadableStream({
          async start(c) {
            c.enqueue(new TextEncoder().encode('first '))
            await Bun.sleep(delay)
            try {
              c.enqueue(new TextEncoder().encode('second'))
              c.close()
            } catch {
              // the client went away
            }
          },
        }),
        { headers: { 'Content-Type': 'text/plain' } },
      )
    }
    case 'text':
      return new Response('plain text', { headers: { 'Content-Type': 'text/plain' } })
    case 'bad-json':
      return new Response('{not json', { headers: { 'Content-Type': 'application/json' } })
    case 'problem':
      return new Response('{"title":"Bad"}', {
        status: 400,
        headers: { 'Content-Type': 'application/problem+json' },
      })
    case 'empty':
      return new Response(null, { status: 204 })
    case 'latin1':
      return new Response(new Uint8Array([0x63, 0x61, 0x66, 0xe9]), {
        headers: { 'Content-Type': 'text/plain; charset=iso-8859-1' },
      })
    case 'cookies': {
      const h = new Headers({ 'x-custom-header': 'v', 'content-type': 'text/plain' })
      h.append('set-cookie', 'a=1')
      h.append('set-cookie', 'b=2')
      return new Response('ok', { headers: h })
    }
    case 'gzip':
      return new Response(gzipSync(JSON.stringify({ zipped: true })), {
        headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
      })
    default:
      return new Response('not found', { status: 404 })
  }
}

beforeAll(() => {
  server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: route })
  other = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch: async (req) => echo(req, await req.text()),
  })
  base = `http://127.0.0.1:${server.port}`
  otherBase = `http://127.0.0.1:${other.port}`
})

afterAll(() => {
  server.stop(true)
  other.stop(true)
})

// ---------------------------------------------------------------------------------------------

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} }

function makeCtx(signal: AbortSignal = new AbortController().signal): ActionContext {
  return {
    workflowId: 'wf-1',
    stepId: 'call',
    agentId: 'agent',
    attempt: 1,
    idempotencyKey: 'wf-1:call',
    signal,
    scope: {},
    services: {} as WorkflowServices,
    log: quiet,
  }
}

async function call(
  params: Record<string, unknown>,
  action: Action = httpRequestAction,
  ctx: ActionContext = makeCtx(),
): Promise<HttpOutput> {
  return (await action.execute(params, ctx)) as HttpOutput
}

async function failure(
  params: Record<string, unknown>,
  action: Action = httpRequestAction,
  ctx: ActionContext = makeCtx(),
): Promise<AppError> {
  try {
    await action.execute(params, ctx)
  } catch (err) {
    expect(err).toBeInstanceOf(AppError)
    return err as AppError
  }
  throw new Error('expected the request to fail')
}

interface Echo {
  method: string
  path: string
  query: string
  headers: Record<string, string>
  body: string
}

describe('http.request output', () => {
  test('has status_code, status line, canonical headers, parsed JSON body, content_type, duration', async () => {
    const out = await call({ url: `${base}/echo?x=1` })
    expect(Object.keys(out).sort()).toEqual([
      'body',
      'content_type',
      'duration_ms',
      'headers',
      'status',
      'status_code',
    ])
    expect(out.status_code).toBe(200)
    expect(out.status).toBe('200 OK')
    expect(out.content_type).toStartWith('application/json')
    expect(out.headers['Content-Type']).toBe(out.content_type)
    expect(out.headers['Content-Length']).toBeDefined()
    expect(Number.isInteger(out.duration_ms) && out.duration_ms >= 0).toBe(true)
    const body = out.body as Echo
    expect([body.method, body.path, body.query]).toEqual(['GET', '/echo', '?x=1'])
  })

  test('names repeated headers canonically; Set-Cookie keeps its first value', async () => {
    const out = await call({ url: `${base}/cookies` })
    expect(out.headers['X-Custom-Header']).toBe('v')
    expect(out.headers['Set-Cookie']).toBe('a=1')
    expect(out.body).toBe('ok')
  })

  test('non-JSON, broken JSON, +json, empty, latin1 and gzip bodies', async () => {
    expect((await call({ url: `${base}/text` })).body).toBe('plain text')
    expect((await call({ url: `${base}/bad-json` })).body).toBe('{not json')
    const problem = await call({ url: `${base}/problem` })
    expect([problem.status_code, problem.status, problem.body]).toEqual([
      400,
      '400 Bad Request',
      { title: 'Bad' },
    ])
    const empty = await call({ url: `${base}/empty` })
    expect([empty.status_code, empty.body]).toEqual([204, null])
    expect((await call({ url: `${base}/latin1` })).body).toBe('café')
    expect((await call({ url: `${base}/gzip` })).body).toEqual({ zipped: true })
  })

  test('without fail_on_error_status every status is a success', async () => {
    const out = await call({ url: `${base}/status/503` })
    expect([out.status_code, out.status, out.body]).toEqual([
      503,
      '503 Service Unavailable',
      { error: 'nope', code: 503 },
    ])
  })
})

describe('request construction', () => {
  test('json body (default) with Content-Type application/json and the method upper-cased', async () => {
    const out = await call({ url: `${base}/echo`, method: 'put', body: { a: [1, 2], b: null } })
    const e = out.body as Echo
    expect(e.method).toBe('PUT')
    expect(e.headers['content-type']).toBe('application/json')
    expect(JSON.parse(e.body)).toEqual({ a: [1, 2], b: null })
  })

  test('form body: keys sorted, values as text, arrays as repeated keys', async () => {
    const out = await call({
      url: `${base}/echo`,
      method: 'POST',
      body_encoding: 'form',
      body: { z: 'last word', a: 1e6, list: ['x', 'y'], n: null, t: true },
    })
    const e = out.body as Echo
    expect(e.headers['content-type']).toBe('application/x-www-form-urlencoded')
    expect(e.body).toBe('a=1000000&list=x&list=y&n=&t=true&z=last+word')
  })

  test('form with a non-object body is a VALIDATION_ERROR', async () => {
    const err = await failure({
      url: `${base}/echo`,
      method: 'POST',
      body_encoding: 'form',
      body: [1],
    })
    expect(err.code).toBe('VALIDATION_ERROR')
    expect(err.message).toBe("http.request: body_encoding 'form' needs an object body")
  })

  test('text body is text/plain; raw body has no content type; numbers use JS text', async () => {
    const text = (
      await call({
        url: `${base}/echo`,
        method: 'POST',
        body_encoding: 'text',
        body: 0.00001,
      })
    ).body as Echo
    expect(text.headers['content-type']).toBe('text/plain; charset=utf-8')
    expect(text.body).toBe('0.00001')
    const raw = (
      await call({
        url: `${base}/echo`,
        method: 'POST',
        body_encoding: 'raw',
        body: 'a,b\n1,2',
      })
    ).body as Echo
    expect(raw.headers['content-type']).toBeUndefined()
    expect(raw.body).toBe('a,b\n1,2')
  })

  test('headers override the content type; auth comes last', async () => {
    const e = (
      await call({
        url: `${base}/echo`,
        method: 'POST',
        body: { a: 1 },
        headers: { 'Content-Type': 'application/vnd.api+json', 'X-Count': 3, Authorization: 'x' },
        auth: { type: 'bearer', token: 'tok' },
      })
    ).body as Echo
    expect(e.headers['content-type']).toBe('application/vnd.api+json')
    expect(e.headers['x-count']).toBe('3')
    expect(e.headers.authorization).toBe('Bearer tok')
    expect(e.headers['user-agent']).toBe('opcode')
  })

  test('basic and api_key auth', async () => {
    const basic = (
      await call({
        url: `${base}/echo`,
        auth: { type: 'basic', username: 'ann', password: 'pä:ss' },
      })
    ).body as Echo
    expect(basic.headers.authorization).toBe(`Basic ${Buffer.from('ann:pä:ss').toString('base64')}`)
    const key = (
      await call({
        url: `${base}/echo`,
        auth: { type: 'api_key', header_name: 'X-API-Key', header_value: 'k1' },
      })
    ).body as Echo
    expect(key.headers['x-api-key']).toBe('k1')
  })

  test('incomplete auth is a VALIDATION_ERROR naming the missing field', async () => {
    expect((await failure({ url: `${base}/echo`, auth: { type: 'bearer' } })).message).toBe(
      "http.request: auth type 'bearer' needs a non-empty auth.token",
    )
    expect((await failure({ url: `${base}/echo`, auth: { type: 'api_key' } })).code).toBe(
      'VALIDATION_ERROR',
    )
    expect((await failure({ url: `${base}/echo`, auth: { type: 'basic' } })).code).toBe(
      'VALIDATION_ERROR',
    )
  })

  test('idempotency_key: true sends the stable step key, a string sends itself', async () => {
    const a = (await call({ url: `${base}/echo`, method: 'POST', idempotency_key: true }))
      .body as Echo
    expect(a.headers['idempotency-key']).toBe('wf-1:call')
    const b = (await call({ url: `${base}/echo`, method: 'POST', idempotency_key: 'order-7' }))
      .body as Echo
    expect(b.headers['idempotency-key']).toBe('order-7')
    const c = (await call({ url: `${base}/echo`, idempotency_key: false })).body as Echo
    expect(c.headers['idempotency-key']).toBeUndefined()
  })

  test('http.get and http.post force their method', async () => {
    const g = (await call({ url: `${base}/echo`, method: 'DELETE' }, httpGetAction)).body as Echo
    expect(g.method).toBe('GET')
    const p = (await call({ url: `${base}/echo`, method: 'GET', body: { a: 1 } }, httpPostAction))
      .body as Echo
    expect([p.method, p.body]).toEqual(['POST', '{"a":1}'])
  })

  test('a GET with a body is refused instead of silently dropping the body', async () => {
    const err = await failure({ url: `${base}/echo`, body: { q: 1 } }, httpGetAction)
    expect(err.code).toBe('VALIDATION_ERROR')
    expect(err.message).toStartWith('http.get: a GET request cannot carry a body')
  })

  test('bad url, method, timeout and missing url are VALIDATION_ERRORs', async () => {
    expect((await failure({ url: 'not a url' })).message).toBe(
      'http.request: invalid url: expected an absolute http:// or https:// URL',
    )
    expect((await failure({ url: 'ftp://example.com/x' })).message).toBe(
      'http.request: invalid url: scheme ftp is not http or https',
    )
    expect((await failure({ url: `${base}/echo`, method: 'GE T' })).code).toBe('VALIDATION_ERROR')
    expect((await failure({ url: `${base}/echo`, timeout: 'soon' })).message).toBe(
      "http.request: invalid timeout 'soon': expected a positive Go duration such as '30s'",
    )
    const missing = await failure({})
    expect([missing.code, missing.message]).toEqual([
      'VALIDATION_ERROR',
      "http.request: missing required param 'url'",
    ])
  })
})

describe('redirects', () => {
  test('are followed up to max_redirects requests in total (N−1 redirects)', async () => {
    const ok = await call({ url: `${base}/redirect/3`, max_redirects: 4 })
    expect([ok.status_code, (ok.body as Echo).path]).toEqual([200, '/echo'])
    const err = await failure({ url: `${base}/redirect/3`, max_redirects: 3 })
    expect([err.code, err.message]).toEqual([
      'EXECUTION_ERROR',
      'http.request: request failed: stopped after 3 redirects',
    ])
  })

  test('the default limit is 10 requests; max_redirects ≤ 0 means the default', async () => {
    expect((await call({ url: `${base}/redirect/9` })).status_code).toBe(200)
    expect((await failure({ url: `${base}/redirect/10` })).message).toContain(
      'stopped after 10 redirects',
    )
    expect((await failure({ url: `${base}/redirect/10`, max_redirects: 0 })).message).toContain(
      'stopped after 10 redirects',
    )
  })

  test('follow_redirects: false returns the 3xx response itself', async () => {
    const out = await call({ url: `${base}/redirect-code/301`, follow_redirects: false })
    expect([out.status_code, out.status, out.headers.Location, out.body]).toEqual([
      301,
      '301 Moved Permanently',
      '/echo',
      'moving',
    ])
  })

  test('303 turns a POST into a body-less GET; 307 and 308 keep method and body', async () => {
    const see = (await call({ url: `${base}/redirect-code/303`, method: 'POST', body: { a: 1 } }))
      .body as Echo
    expect([see.method, see.body, see.headers['content-type']]).toEqual(['GET', '', undefined])
    for (const code of [307, 308]) {
      const keep = (
        await call({
          url: `${base}/redirect-code/${code}`,
          method: 'POST',
          body: { a: 1 },
        })
      ).body as Echo
      expect([keep.method, keep.body]).toEqual(['POST', '{"a":1}'])
    }
  })

  test('credentials are dropped when a redirect leaves the host; other headers follow', async () => {
    const e = (
      await call({
        url: `${base}/to-other`,
        method: 'POST',
        auth: { type: 'api_key', header_name: 'X-API-Key', header_value: 'k1' },
        headers: { Authorization: 'Bearer t', 'X-Trace': 'abc' },
        idempotency_key: true,
      })
    ).body as Echo
    expect(e.headers['x-api-key']).toBeUndefined()
    expect(e.headers.authorization).toBeUndefined()
    expect(e.headers['x-trace']).toBe('abc')
    expect(e.headers['idempotency-key']).toBe('wf-1:call')
  })

  test('a redirect to a non-http scheme fails', async () => {
    expect((await failure({ url: `${base}/to-ftp` })).message).toBe(
      'http.request: request failed: redirect to unsupported scheme ftp',
    )
  })
})

describe('errors', () => {
  test('fail_on_error_status: 4xx → NON_RETRYABLE with the output as details', async () => {
    const err = await failure({ url: `${base}/status/404`, fail_on_error_status: true })
    expect([err.code, err.message, err.retryable]).toEqual([
      'NON_RETRYABLE',
      'http.request: server returned 404',
      false,
    ])
    const details = err.details as HttpOutput
    expect([details.status_code, details.body]).toEqual([404, { error: 'nope', code: 404 }])
  })

  test('fail_on_error_status: 5xx, 408 and 429 → EXECUTION_ERROR (retryable)', async () => {
    for (const code of [500, 502, 408, 429]) {
      const err = await failure({ url: `${base}/status/${code}`, fail_on_error_status: true })
      expect([err.code, err.message, err.retryable]).toEqual([
        'EXECUTION_ERROR',
        `http.request: server returned ${code}`,
        true,
      ])
      expect((err.details as HttpOutput).status_code).toBe(code)
    }
  })

  test('a refused connection is EXECUTION_ERROR "request failed"', async () => {
    const gone = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response('x') })
    const url = `http://127.0.0.1:${gone.port}/`
    gone.stop(true)
    const err = await failure({ url })
    expect(err.code).toBe('EXECUTION_ERROR')
    expect(err.message).toStartWith('http.request: request failed: ')
  })

  test('timeout covers waiting for the response', async () => {
    const err = await failure({ url: `${base}/slow/2000`, timeout: '100ms' })
    expect([err.code, err.message]).toEqual([
      'EXECUTION_ERROR',
      'http.request: request failed: timed out after 100ms',
    ])
  })

  test('timeout covers reading the body', async () => {
    const err = await failure({ url: `${base}/slow-body/2000`, timeout: '150ms' })
    expect(err.message).toBe('http.request: request failed: timed out after 150ms')
  })

  test('a very long timeout does not overflow into an immediate one', async () => {
    const out = await call({ url: `${base}/slow/20`, timeout: '1000h' })
    expect(out.body).toBe('late')
  })

  test('the configured default timeout applies when the step sets none', async () => {
    const [request] = httpActions({ timeoutMs: 80 })
    const err = await failure({ url: `${base}/slow/2000` }, request)
    expect(err.message).toBe('http.request: request failed: timed out after 80ms')
  })

  test('aborting the step signal stops the request (waiting or reading)', async () => {
    for (const path of ['/slow/2000', '/slow-body/2000']) {
      const ac = new AbortController()
      setTimeout(() => ac.abort(new Error('step cancelled')), 80)
      const err = await failure({ url: `${base}${path}` }, httpRequestAction, makeCtx(ac.signal))
      expect([err.code, err.message]).toEqual([
        'EXECUTION_ERROR',
        'http.request: request failed: cancelled',
      ])
    }
  })

  test('an engine abort carrying an AppError surfaces that error; an aborted signal sends nothing', async () => {
    const ac = new AbortController()
    const reason = new AppError('TIMEOUT_ERROR', 'step call timed out')
    setTimeout(() => ac.abort(reason), 50)
    expect(await failure({ url: `${base}/slow/2000` }, httpRequestAction, makeCtx(ac.signal))).toBe(
      reason,
    )
    expect(await failure({ url: `${base}/echo` }, httpRequestAction, makeCtx(ac.signal))).toBe(
      reason,
    )
  })
})

describe('response size cap', () => {
  test('a body of exactly the cap is read; one byte more fails naming the cap (default 10 MiB)', async () => {
    const ok = await call({ url: `${base}/bytes/${10 * MiB}` })
    expect((ok.body as string).length).toBe(10 * MiB)
    const err = await failure({ url: `${base}/bytes/${10 * MiB + 1}` })
    expect(err.code).toBe('EXECUTION_ERROR')
    expect(err.message).toBe(
      'http.request: response body exceeds the 10 MiB limit (max response size); the response was not read',
    )
  })

  test('a streamed body without Content-Length is cut off at the configured cap', async () => {
    const [request] = httpActions({ maxResponseBytes: 100 * 1024 })
    expect(
      ((await call({ url: `${base}/stream/${100 * 1024}` }, request)).body as string).length,
    ).toBe(100 * 1024)
    const err = await failure({ url: `${base}/stream/${5 * MiB}` }, request)
    expect(err.message).toContain('exceeds the 100 KiB limit')
    expect(err.details).toEqual({ status_code: 200, max_response_bytes: 100 * 1024 })
  })
})

// ---------------------------------------------------------------------------------------------

const hasOpenssl = Bun.which('openssl') !== null

describe('TLS', () => {
  let tlsServer: Server | undefined
  let dir = ''

  beforeAll(() => {
    if (!hasOpenssl) return
    dir = mkdtempSync(join(tmpdir(), 'http-tls-'))
    const res = Bun.spawnSync([
      'openssl',
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ])
    expect(res.exitCode).toBe(0)
    tlsServer = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      tls: {
        cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
        key: readFileSync(join(dir, 'key.pem'), 'utf8'),
      },
      fetch: () => Response.json({ secure: true }),
    })
  })

  afterAll(() => {
    tlsServer?.stop(true)
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  test.skipIf(!hasOpenssl)(
    'a self-signed certificate fails unless tls_skip_verify (needs openssl)',
    async () => {
      const url = `https://127.0.0.1:${tlsServer?.port}/`
      const err = await failure({ url })
      expect(err.code).toBe('EXECUTION_ERROR')
      expect(err.message).toStartWith('http.request: request failed: ')
      const out = await call({ url, tls_skip_verify: true })
      expect([out.status_code, out.body]).toEqual([200, { secure: true }])
      // the unverified connection was not pooled: a verified request still fails
      expect((await failure({ url })).code).toBe('EXECUTION_ERROR')
    },
  )
})
