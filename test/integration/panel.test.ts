/**
 * The panel's HTTP side on a real server: pages rendered with their data and security headers, the
 * panel switched off and on (D17, SIGHUP), DNS-rebinding and cross-site refusals, the CSRF rules
 * for browser mutations of /api/v1 (API clients unaffected), sign-in off loopback (D21), the
 * embedded assets (version, gzip, size budget), and the operator recorded in the audit log.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { resolveConfig } from '../../src/config/index.ts'
import { assetSizes } from '../../src/http/panel/assets.ts'
import { installPanel, panelOf } from '../../src/http/panel/index.ts'
import { type PanelServer, seedDemo, startPanelServer } from '../support/panel-fixture.ts'

let s: PanelServer
let ids: Awaited<ReturnType<typeof seedDemo>>

beforeAll(async () => {
  s = await startPanelServer({ vaultKey: 'panel-test-key' })
  ids = await seedDemo(s)
}, 60_000)

afterAll(async () => {
  await s?.stop()
})

/** A browser-like GET: returns the response, its HTML and the cookies it set. */
async function get(
  path: string,
  headers: Record<string, string> = {},
  base = s.url,
): Promise<{ res: Response; html: string; cookies: string[] }> {
  const res = await fetch(`${base}${path}`, { headers, redirect: 'manual' })
  return { res, html: await res.text(), cookies: res.headers.getSetCookie() }
}

function meta(html: string, name: string): string | undefined {
  return new RegExp(`<meta name="${name}" content="([^"]*)"`).exec(html)?.[1]
}

/** A session: its cookie and the page's CSRF token. */
async function session(): Promise<{ cookie: string; csrf: string }> {
  const { html, cookies } = await get('/settings')
  const cookie = (cookies.find((c) => c.startsWith('opcode_session=')) ?? '').split(
    ';',
  )[0] as string
  return { cookie, csrf: meta(html, 'opcode-csrf') ?? '' }
}

describe('pages', () => {
  test('are rendered on the server with their data, islands and security headers', async () => {
    const { res, html, cookies } = await get('/')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('text/html')
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'")
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'")
    expect(res.headers.get('x-frame-options')).toBe('DENY')
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(html).toContain('<title>Dashboard — opcode</title>')
    expect(html).toContain('data-island="dashboard"')
    expect(html).toContain('billing-agent')
    expect(html).not.toMatch(/<script>(?!<\/script>)/) // no inline script: only the module file
    expect(meta(html, 'opcode-stream')).toBe('/api/v1/events/stream?include_custom=false')
    expect(meta(html, 'opcode-operator')).toBe('panel')
    const c = cookies.find((x) => x.startsWith('opcode_session='))
    expect(c).toContain('HttpOnly')
    expect(c).toContain('SameSite=Strict')
  })

  test('the workflow page carries its diagram, steps, decisions and a resumable stream', async () => {
    const id = ids.suspended[0] as string
    const { res, html } = await get(`/workflows/${id}`)
    expect(res.status).toBe(200)
    expect(html).toContain('<svg')
    expect(html).toContain('Refund of 120 EUR requested by ACME Corp')
    expect(html).toContain(id)
    const stream = meta(html, 'opcode-stream') ?? ''
    expect(stream).toContain(`workflow_id=${id}`)
    expect(decodeURIComponent(stream)).toMatch(new RegExp(`last_event_id=${id}:\\d+`))
    const missing = await get('/workflows/no-such-workflow')
    expect(missing.res.status).toBe(404)
    expect(missing.html).toContain('workflow &quot;no-such-workflow&quot; not found')
  })

  test('every page renders, and the lists honour their filters', async () => {
    for (const path of [
      '/workflows',
      '/templates',
      '/templates/nightly-etl?version=v1',
      '/decisions',
      '/decisions?status=resolved',
      '/scheduler',
      '/events',
      '/agents',
      '/plugins',
      '/secrets',
      '/settings',
      '/audit',
    ]) {
      const { res } = await get(path)
      expect(`${path} ${res.status}`).toBe(`${path} 200`)
    }
    const failed = (await get('/workflows?status=failed')).html
    expect(failed).toContain(ids.failed)
    expect(failed).not.toContain(ids.completed)
    const byAgent = (await get('/workflows?agent_id=billing-agent&limit=25')).html
    expect(byAgent).toContain(ids.suspended[0] as string)
    expect(byAgent).not.toContain(ids.running)
    const one = (await get(`/events?workflow_id=${ids.failed}`)).html
    expect(one).toContain('workflow_failed')
    expect(one).not.toContain(ids.running)
    // The whole (small) log is in memory: a page past its end is empty without reading the log.
    const past = (await get('/events?offset=2000')).html
    expect(past).toContain('No events match')
    expect(past).not.toContain('read from the event log')
    expect((await get('/templates/no-such-template')).res.status).toBe(404)
  })

  test('the theme and the operator name come from their cookies', async () => {
    const { html } = await get('/', { Cookie: 'opcode_theme=dark; opcode_operator=alice' })
    expect(html).toContain('<html lang="en" data-theme="dark">')
    expect(meta(html, 'opcode-operator')).toBe('panel:alice')
    const odd = await get('/', { Cookie: 'opcode_theme=neon; opcode_operator=<script>' })
    expect(odd.html).toContain('<html lang="en">')
    expect(meta(odd.html, 'opcode-operator')).toBe('panel')
  })

  test('a page asked for under another host name is refused (DNS rebinding)', async () => {
    const { res } = await get('/', { Host: 'evil.example:80' })
    expect(res.status).toBe(403)
  })
})

describe('switching the panel off and on', () => {
  test('off, every panel path is 404 while the API works; SIGHUP turns it back on', async () => {
    const handle = panelOf(s.server.svc)
    expect(handle?.enabled).toBe(true)
    const hooks: Parameters<typeof installPanel>[0] = {}
    installPanel(hooks)
    const off = resolveConfig({
      env: { OPCODE_PANEL: 'false' },
      flags: { listenAddr: '127.0.0.1:0', dbPath: `${s.dir}/opcode.db` },
      settings: {},
      home: s.dir,
      dataDir: `${s.dir}/.opcode`,
      settingsPath: `${s.dir}/.opcode/settings.json`,
      cwd: s.dir,
    })
    for (const fn of hooks.onReload ?? []) fn(off, s.server)
    expect(handle?.enabled).toBe(false)
    for (const path of ['/', '/workflows', '/assets/panel.js', '/login', '/favicon.ico']) {
      expect(`${path} ${(await get(path)).res.status}`).toBe(`${path} 404`)
    }
    expect((await s.apiRaw('GET', '/workflows')).status).toBe(200)
    expect((await s.api<Record<string, unknown>>('GET', '/settings')).panel).toBe(false)
    const on = { ...off, panel: true }
    for (const fn of hooks.onReload ?? []) fn(on, s.server)
    expect((await get('/')).res.status).toBe(200)
  })

  test('off loopback the panel is off unless asked for (D17)', async () => {
    const exposed = await startPanelServer({
      listenAddr: '0.0.0.0:0',
      settings: { auth_token: 'exposed-token-1234567890' },
    })
    try {
      expect((await get('/', {}, exposed.url)).res.status).toBe(404)
      expect((await exposed.apiRaw('GET', '/workflows')).status).toBe(200)
    } finally {
      await exposed.stop()
    }
  })
})

describe('cross-site and CSRF protection of mutations', () => {
  const body = JSON.stringify({ name: 'CSRF_PROBE', value: 'v', agent_id: 'panel' })
  const post = (headers: Record<string, string>) =>
    fetch(`${s.url}/api/v1/secrets`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body,
    })

  test('a plain API client needs no CSRF token; a browser request does', async () => {
    expect((await post({})).status).toBe(200)
    const { cookie, csrf } = await session()
    const noToken = await post({ Cookie: cookie, 'Sec-Fetch-Site': 'same-origin' })
    expect(noToken.status).toBe(403)
    expect((await noToken.json()).message).toContain('CSRF')
    const forged = await post({
      Cookie: cookie,
      'Sec-Fetch-Site': 'same-origin',
      'X-Opcode-Csrf': 'x',
    })
    expect(forged.status).toBe(403)
    // Another session's token does not fit this session.
    const other = await session()
    const swapped = await post({ Cookie: cookie, 'X-Opcode-Csrf': other.csrf })
    expect(swapped.status).toBe(403)
    const ok = await post({
      Cookie: cookie,
      'Sec-Fetch-Site': 'same-origin',
      'X-Opcode-Csrf': csrf,
    })
    expect(ok.status).toBe(200)
    // Fetch metadata alone marks a browser: no cookie, no token, refused.
    expect((await post({ 'Sec-Fetch-Site': 'same-origin' })).status).toBe(403)
  })

  test('cross-site and same-site requests are refused even with a valid token', async () => {
    const { cookie, csrf } = await session()
    for (const site of ['cross-site', 'same-site', 'none']) {
      const r = await post({ Cookie: cookie, 'Sec-Fetch-Site': site, 'X-Opcode-Csrf': csrf })
      expect(`${site} ${r.status}`).toBe(`${site} 403`)
    }
    const foreign = await post({
      Origin: 'http://evil.example',
      'X-Opcode-Csrf': csrf,
      Cookie: cookie,
    })
    expect(foreign.status).toBe(403)
  })

  test('an explicit Authorization header is not a browser credential: no CSRF token needed', async () => {
    const t = await startPanelServer({ settings: { auth_token: 'explicit-token-1234567' } })
    try {
      const r = await fetch(`${t.url}/api/v1/secrets`, {
        method: 'POST',
        headers: {
          Authorization: 'Bearer explicit-token-1234567',
          Cookie: 'opcode_session=abcdefghijklmnopqrstuv',
          'Content-Type': 'application/json',
        },
        body: JSON.stringify({ name: 'X', value: 'y' }),
      })
      // The vault is locked on this server: the request got past every check to the operation.
      expect(r.status).toBe(500)
      expect((await r.json()).code).toBe('VAULT_ERROR')
    } finally {
      await t.stop()
    }
  })

  test('sign-out needs the CSRF token; safe methods are never checked', async () => {
    const bare = await fetch(`${s.url}/logout`, { method: 'POST', body: '', redirect: 'manual' })
    expect(bare.status).toBe(403)
    const { cookie, csrf } = await session()
    const ok = await fetch(`${s.url}/logout`, {
      method: 'POST',
      headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `csrf=${encodeURIComponent(csrf)}`,
      redirect: 'manual',
    })
    expect(ok.status).toBe(303)
    expect(ok.headers.getSetCookie().join()).toContain(
      'opcode_token=; Path=/; SameSite=Strict; HttpOnly; Max-Age=0',
    )
    const read = await fetch(`${s.url}/api/v1/workflows`, {
      headers: { Cookie: cookie, 'Sec-Fetch-Site': 'same-origin' },
    })
    expect(read.status).toBe(200)
  })
})

describe('sign-in off loopback (D21)', () => {
  const TOKEN = 'sign-in-token-abcdefghij'
  let t: PanelServer
  beforeAll(async () => {
    t = await startPanelServer({
      listenAddr: '0.0.0.0:0',
      settings: { auth_token: TOKEN, panel: true },
    })
  })
  afterAll(async () => {
    await t?.stop()
  })

  async function loginForm(): Promise<{ cookie: string; csrf: string }> {
    const { html, cookies } = await get('/login', {}, t.url)
    return {
      cookie: (cookies.find((c) => c.startsWith('opcode_session=')) ?? '').split(';')[0] as string,
      csrf: /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '',
    }
  }

  const submit = (cookie: string, form: Record<string, string>) =>
    fetch(`${t.url}/login`, {
      method: 'POST',
      headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
      redirect: 'manual',
    })

  test('pages redirect to the sign-in form, which keeps where you were going', async () => {
    const { res } = await get('/workflows?status=failed', {}, t.url)
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/login?next=%2Fworkflows%3Fstatus%3Dfailed')
    // With the token as a bearer header (a script, curl) the page is served.
    const direct = await get('/', { Authorization: `Bearer ${TOKEN}` }, t.url)
    expect(direct.res.status).toBe(200)
  })

  test('the right token sets an HttpOnly SameSite=Strict cookie and goes back where it was', async () => {
    const { cookie, csrf } = await loginForm()
    const r = await submit(cookie, { csrf, token: TOKEN, name: 'alice', next: '/decisions' })
    expect(r.status).toBe(303)
    expect(r.headers.get('location')).toBe('/decisions')
    const set = r.headers.getSetCookie()
    const tokenCookie = set.find((c) => c.startsWith('opcode_token=')) as string
    expect(tokenCookie).toContain('HttpOnly')
    expect(tokenCookie).toContain('SameSite=Strict')
    expect(set.find((c) => c.startsWith('opcode_operator='))).toContain('alice')
    const page = await get(
      '/decisions',
      { Cookie: `${cookie}; ${tokenCookie.split(';')[0]}; opcode_operator=alice` },
      t.url,
    )
    expect(page.res.status).toBe(200)
    expect(page.html).toContain('Sign out')
    expect(meta(page.html, 'opcode-operator')).toBe('panel:alice')
    // The same cookie authenticates the event stream (EventSource cannot send headers).
    const stream = await fetch(`${t.url}/api/v1/events/stream`, {
      headers: { Cookie: tokenCookie.split(';')[0] as string },
    })
    expect(stream.status).toBe(200)
    expect(stream.headers.get('content-type')).toContain('text/event-stream')
    await stream.body?.cancel()
    expect((await fetch(`${t.url}/api/v1/events/stream`)).status).toBe(401)
  })

  test('a wrong token, a missing CSRF field and an outside `next` are refused', async () => {
    const { cookie, csrf } = await loginForm()
    const wrong = await submit(cookie, { csrf, token: 'nope' })
    expect(wrong.status).toBe(200)
    expect(await wrong.text()).toContain('That token is not valid.')
    expect(wrong.headers.getSetCookie().some((c) => c.startsWith('opcode_token='))).toBe(false)
    const noCsrf = await submit(cookie, { token: TOKEN })
    expect(await noCsrf.text()).toContain('The form expired')
    const outside = await submit(cookie, { csrf, token: TOKEN, next: '//evil.example/' })
    expect(outside.headers.get('location')).toBe('/')
  })

  test('repeated failures are throttled, even for the right token', async () => {
    const { cookie, csrf } = await loginForm()
    for (let i = 0; i < 10; i++) await submit(cookie, { csrf, token: `wrong-${i}` })
    const r = await submit(cookie, { csrf, token: TOKEN })
    expect(await r.text()).toContain('Too many failed attempts')
    expect(r.headers.getSetCookie().some((c) => c.startsWith('opcode_token='))).toBe(false)
  })
})

describe('assets', () => {
  test('are embedded, versioned, gzipped when accepted, and small', async () => {
    const { html } = await get('/')
    const version = /panel\.js\?v=([a-z0-9]+)/.exec(html)?.[1] as string
    expect(version).toBeString()
    const js = await fetch(`${s.url}/assets/panel.js?v=${version}`, {
      headers: { 'Accept-Encoding': 'gzip' },
    })
    expect(js.status).toBe(200)
    expect(js.headers.get('content-type')).toContain('text/javascript')
    expect(js.headers.get('cache-control')).toContain('immutable')
    expect((await js.text()).length).toBeGreaterThan(10_000)
    const unversioned = await fetch(`${s.url}/assets/panel.css`)
    expect(unversioned.headers.get('cache-control')).toBe('no-cache')
    const etag = unversioned.headers.get('etag') as string
    const again = await fetch(`${s.url}/assets/panel.css`, { headers: { 'If-None-Match': etag } })
    expect(again.status).toBe(304)
    expect((await fetch(`${s.url}/assets/nope.js`)).status).toBe(404)
    const sizes = assetSizes()
    // The budget of the issue: ≤ 100 KB of JavaScript gzipped.
    expect(sizes['panel.js']?.gzip).toBeLessThan(100 * 1024)
    expect(sizes['panel.css']?.gzip).toBeLessThan(20 * 1024)
  })
})

describe('audit', () => {
  test('a mutation made from the panel is recorded with the operator it names', async () => {
    const { cookie, csrf } = await session()
    const r = await fetch(`${s.url}/api/v1/workflows/${ids.running}/cancel`, {
      method: 'POST',
      headers: {
        Cookie: `${cookie}; opcode_operator=carol`,
        'Sec-Fetch-Site': 'same-origin',
        'X-Opcode-Csrf': csrf,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({ agent_id: 'panel:carol', reason: 'cancelled from the panel' }),
    })
    expect(r.status).toBe(200)
    expect((await r.json()).status).toBe('cancelled')
    const audit = await s.api<{ audit: Array<Record<string, unknown>> }>(
      'GET',
      '/audit?agent_id=panel:carol',
    )
    expect(audit.audit[0]).toMatchObject({
      action: 'workflow.cancel',
      resource_id: ids.running,
      details: { reason: 'cancelled from the panel', via: 'http' },
    })
  })
})
