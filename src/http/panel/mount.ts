/**
 * Mounts the web panel on the server's Elysia app (same port as MCP and the API):
 *
 * - page routes (`/`, `/workflows`, …) rendered on the server, `/assets/*` (embedded bundle),
 *   `/login` and `/logout`; all answer 404 while the panel is off (D17: on by default only on a
 *   loopback address; `--no-panel`, `OPCODE_PANEL=false`, SIGHUP toggles it);
 * - the request guard of the API on every page (Origin, Host against DNS rebinding, token): off
 *   loopback an unauthenticated page redirects to the sign-in form (D21);
 * - a CSRF check on every mutation a browser sends, to /api/v1 or to the panel: same-origin fetch
 *   metadata and the session's CSRF token (API clients with their own `Authorization` header are
 *   not concerned). Mutations themselves are the API's, so each writes its audit row.
 */
import type { Elysia } from 'elysia'
import type { PageContext } from '../../../panel/pages/index.ts'
import type { Config } from '../../config/index.ts'
import { AppError, toAppError } from '../../errors.ts'
import type { OpServices } from '../../ops/index.ts'
import { serverInfoOf, updateServerConfig } from '../../ops/server-info.ts'
import { errorResponse } from '../errors.ts'
import { RequestGuard } from '../security.ts'
import { FAVICON, PAGE_HEADERS, renderDocument } from './document.ts'
import {
  CSRF_HEADER,
  cleanOperatorName,
  isBrowserRequest,
  isHttps,
  OPERATOR_COOKIE,
  operatorOf,
  PanelSessions,
  parseCookies,
  SESSION_COOKIE,
  safeNext,
  serializeCookie,
  THEME_COOKIE,
  TOKEN_COOKIE,
} from './session.ts'

export interface PanelHandle {
  readonly enabled: boolean
  setEnabled(on: boolean): void
  /** Applies a reloaded configuration (panel flag, token, allowed origins). */
  reload(config: Config): void
}

const handles = new WeakMap<OpServices, PanelHandle>()

/** The panel mounted for these services, if any. */
export function panelOf(svc: OpServices): PanelHandle | undefined {
  return handles.get(svc)
}

const PANEL_POSTS = new Set(['/login', '/logout'])
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

function pathOf(request: Request): string {
  return new URL(request.url).pathname
}

function guardFor(config: Config, port: number): RequestGuard {
  const baseUrl = config.baseUrl.replace(/:0$/, `:${port}`)
  let host: string[] = []
  try {
    host = [new URL(baseUrl).hostname.toLowerCase()]
  } catch {
    host = []
  }
  const guard = new RequestGuard({
    ...(config.authToken === undefined ? {} : { token: config.authToken }),
    requireToken: !config.listen.loopback,
    loopback: config.listen.loopback,
    origins: [...config.http.allowed_origins, baseUrl],
    hosts: host,
  })
  guard.setPort(port)
  return guard
}

function htmlResponse(body: string, status = 200, extra: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { ...PAGE_HEADERS, ...extra } })
}

function redirect(location: string, cookies: string[] = []): Response {
  const headers = new Headers({ Location: location, 'Cache-Control': 'no-store' })
  for (const c of cookies) headers.append('Set-Cookie', c)
  return new Response(null, { status: 303, headers })
}

export function mountPanel(app: Elysia, svc: OpServices): PanelHandle {
  const info = serverInfoOf(svc)
  if (info === undefined)
    throw new AppError('CONFLICT', 'the panel needs a running server (attachServerInfo)')
  let config = info.config
  let enabled = config.panel
  let guard = guardFor(config, info.port)
  const sessions = new PanelSessions()
  const baseUrl = () => config.baseUrl.replace(/:0$/, `:${info.port}`)
  // The renderer (Preact, the pages, the embedded bundle) loads on the first panel request only.
  let modules:
    | Promise<
        [
          typeof import('./pages.ts'),
          typeof import('./assets.ts'),
          typeof import('../../../panel/pages/index.ts'),
        ]
      >
    | undefined
  const load = () => {
    modules ??= Promise.all([
      import('./pages.ts'),
      import('./assets.ts'),
      import('../../../panel/pages/index.ts'),
    ])
    return modules
  }

  const handle: PanelHandle = {
    get enabled() {
      return enabled
    },
    setEnabled(on) {
      enabled = on
    },
    reload(next) {
      config = next
      enabled = next.panel
      guard = guardFor(next, info.port)
      updateServerConfig(svc, next)
    },
  }
  handles.set(svc, handle)

  const notFound = (request: Request): Response =>
    errorResponse(
      new AppError('NOT_FOUND', `no route ${request.method} ${pathOf(request)}`, {
        details: { method: request.method, path: pathOf(request) },
      }),
    )

  /** Session cookie of the request, and the Set-Cookie header when it had none. */
  const session = (request: Request) => {
    const cookies = parseCookies(request)
    let sid = cookies[SESSION_COOKIE]
    let setCookie: string | undefined
    if (sid === undefined || !/^[A-Za-z0-9_-]{16,64}$/.test(sid)) {
      sid = sessions.newSessionId()
      setCookie = serializeCookie(SESSION_COOKIE, sid, { secure: isHttps(request, baseUrl()) })
      cookies[SESSION_COOKIE] = sid
    }
    return { cookies, sid, setCookie, csrf: sessions.csrfFor(sid) }
  }

  // CSRF and fetch-metadata checks on every browser mutation. The API's own guard (Origin, Host,
  // token) has already run: it is registered first.
  app.onRequest(({ request }) => {
    if (SAFE_METHODS.has(request.method)) return undefined
    const path = pathOf(request)
    const panelPost = PANEL_POSTS.has(path)
    if (!panelPost && !path.startsWith('/api/')) return undefined
    if (panelPost && !enabled) return undefined
    const cookies = parseCookies(request)
    if (!panelPost && !isBrowserRequest(request, cookies)) return undefined
    const site = request.headers.get('sec-fetch-site')
    if (site !== null && site !== 'same-origin') {
      return errorResponse(
        new AppError('FORBIDDEN', `cross-site request refused (Sec-Fetch-Site: ${site})`),
      )
    }
    if (panelPost) return undefined // the form's CSRF field is checked by the route
    if (!sessions.validCsrf(cookies, request.headers.get(CSRF_HEADER))) {
      return errorResponse(
        new AppError(
          'FORBIDDEN',
          'missing or invalid CSRF token: reload the panel page and try again (API clients: send Authorization: Bearer <token>)',
        ),
      )
    }
    return undefined
  })

  const pageContext = (
    request: Request,
    cookies: Record<string, string>,
    csrf: string,
    pending: number,
    stream: boolean,
  ): PageContext => {
    const theme = cookies[THEME_COOKIE]
    return {
      path: pathOf(request),
      operator: operatorOf(cookies),
      theme: theme === 'light' || theme === 'dark' ? theme : 'system',
      signedIn: cookies[TOKEN_COOKIE] !== undefined && !config.listen.loopback,
      stream,
      pendingDecisions: pending,
      version: svc.version,
      csrf,
    }
  }

  /** Guard failures on a page: sign in when the token is missing or wrong, else a plain refusal. */
  const refusedPage = (request: Request, refused: AppError): Response => {
    if (refused.code === 'UNAUTHORIZED' && request.method === 'GET') {
      const url = new URL(request.url)
      return redirect(`/login?next=${encodeURIComponent(url.pathname + url.search)}`)
    }
    return errorResponse(refused)
  }

  const renderPage = async (
    request: Request,
    params: Record<string, string>,
  ): Promise<Response> => {
    if (!enabled) return notFound(request)
    const refused = guard.check(request)
    if (refused !== undefined) return refusedPage(request, refused)
    const [pages, assets, ui] = await load()
    const { cookies, csrf, setCookie } = session(request)
    const url = new URL(request.url)
    const route = pages.PAGES.find((p) => p.path === routeOf(url.pathname))
    const extra: Record<string, string> = setCookie === undefined ? {} : { 'Set-Cookie': setCookie }
    let pending = 0
    try {
      pending = (await pages.callOp<{ pending: number }>(svc, 'decisions.pending_count')).pending
    } catch {
      pending = 0
    }
    try {
      if (route === undefined) throw new AppError('NOT_FOUND', `no page ${url.pathname}`)
      const ctx = pageContext(request, cookies, csrf, pending, route.live)
      const probe = await route.load(svc, ctx, url, params)
      const html = renderDocument({
        title: probe.title,
        body: probe.body,
        assetVersion: assets.ASSET_VERSION,
        csrf,
        operator: ctx.operator,
        theme: ctx.theme,
        ...(probe.stream === undefined
          ? {}
          : { stream: `/api/v1/events/stream?${new URLSearchParams(probe.stream).toString()}` }),
      })
      return htmlResponse(html, 200, extra)
    } catch (err) {
      const e = toAppError(err, 'INTERNAL_ERROR')
      if (e.code === 'INTERNAL_ERROR')
        svc.logger.error('panel page failed', { path: url.pathname, error: e.message })
      const ctx = pageContext(request, cookies, csrf, pending, false)
      const status = e.code === 'NOT_FOUND' ? 404 : e.code === 'INTERNAL_ERROR' ? 500 : 400
      const title = status === 404 ? 'Not found' : 'Something went wrong'
      const html = renderDocument({
        title,
        body: ui.MessagePage({ ctx, title, message: e.message, status }),
        assetVersion: assets.ASSET_VERSION,
        csrf,
        operator: ctx.operator,
        theme: ctx.theme,
      })
      return htmlResponse(html, status, extra)
    }
  }

  for (const p of [
    '/',
    '/workflows',
    '/workflows/:id',
    '/templates',
    '/templates/:name',
    '/decisions',
    '/scheduler',
    '/events',
    '/agents',
    '/plugins',
    '/secrets',
    '/settings',
    '/audit',
  ]) {
    app.get(p, ({ request, params }: { request: Request; params: Record<string, string> }) =>
      renderPage(request, decodeParams(params)),
    )
  }

  app.get(
    '/assets/:name',
    async ({ request, params }: { request: Request; params: { name: string } }) => {
      if (!enabled) return notFound(request)
      const refused = guard.check(request)
      // Assets hold no data; only the Host/Origin part of the guard matters for them.
      if (refused !== undefined && refused.code !== 'UNAUTHORIZED') return errorResponse(refused)
      const [, assets] = await load()
      return assets.assetResponse(params.name, request) ?? notFound(request)
    },
  )
  const favicon = ({ request }: { request: Request }) =>
    enabled
      ? new Response(FAVICON, {
          headers: { 'Content-Type': 'image/svg+xml', 'Cache-Control': 'public, max-age=86400' },
        })
      : notFound(request)
  app.get('/favicon.svg', favicon)
  app.get('/favicon.ico', favicon)

  // -------------------------------------------------------------------------------------------
  // Sign-in (required off loopback, D21)

  /** The sign-in form (always 200: a refused attempt is the form again, with the reason). */
  const loginPage = async (request: Request, next: string, error?: string): Promise<Response> => {
    const [, assets, ui] = await load()
    const { csrf, setCookie, cookies } = session(request)
    const theme = cookies[THEME_COOKIE]
    const html = renderDocument({
      title: 'Sign in',
      body: ui.LoginPage({ next, csrf, ...(error === undefined ? {} : { error }) }),
      assetVersion: assets.ASSET_VERSION,
      csrf,
      operator: 'panel',
      theme: theme === 'light' || theme === 'dark' ? theme : 'system',
    })
    return htmlResponse(html, 200, setCookie === undefined ? {} : { 'Set-Cookie': setCookie })
  }

  app.get('/login', ({ request }: { request: Request }) => {
    if (!enabled) return notFound(request)
    const refused = guard.check(request)
    if (refused !== undefined && refused.code !== 'UNAUTHORIZED') return errorResponse(refused)
    return loginPage(request, safeNext(new URL(request.url).searchParams.get('next')))
  })

  app.post(
    '/login',
    async ({ request, body }: { request: Request; body: unknown }) => {
      if (!enabled) return notFound(request)
      const refused = guard.check(request)
      if (refused !== undefined && refused.code !== 'UNAUTHORIZED') return errorResponse(refused)
      const form = new URLSearchParams(typeof body === 'string' ? body : '')
      const next = safeNext(form.get('next'))
      const cookies = parseCookies(request)
      if (!sessions.validCsrf(cookies, form.get('csrf')))
        return loginPage(request, next, 'The form expired: try again.')
      if (!sessions.mayTry())
        return loginPage(request, next, 'Too many failed attempts: wait a minute.')
      const token = form.get('token') ?? ''
      if (config.authToken === undefined) {
        return loginPage(
          request,
          next,
          'This server has no token configured: nothing to sign in to.',
        )
      }
      if (!PanelSessions.tokenMatches(token, config.authToken)) {
        sessions.recordFailure()
        svc.logger.warn('panel sign-in refused: wrong token')
        return loginPage(request, next, 'That token is not valid.')
      }
      const secure = isHttps(request, baseUrl())
      const set = [serializeCookie(TOKEN_COOKIE, token, { secure })]
      const name = cleanOperatorName(form.get('name') ?? '')
      if (name !== undefined)
        set.push(
          serializeCookie(OPERATOR_COOKIE, name, { httpOnly: false, secure, maxAge: 31_536_000 }),
        )
      svc.logger.info('panel sign-in', { operator: name === undefined ? 'panel' : `panel:${name}` })
      return redirect(next, set)
    },
    { parse: 'text' },
  )

  app.post(
    '/logout',
    ({ request, body }: { request: Request; body: unknown }) => {
      if (!enabled) return notFound(request)
      const form = new URLSearchParams(typeof body === 'string' ? body : '')
      if (!sessions.validCsrf(parseCookies(request), form.get('csrf')))
        return errorResponse(new AppError('FORBIDDEN', 'missing or invalid CSRF token'))
      const secure = isHttps(request, baseUrl())
      return redirect('/login', [serializeCookie(TOKEN_COOKIE, '', { secure, maxAge: 0 })])
    },
    { parse: 'text' },
  )

  return handle
}

/** The route pattern of a page path (`/workflows/abc` → `/workflows/:id`). */
function routeOf(path: string): string {
  if (/^\/workflows\/[^/]+$/.test(path)) return '/workflows/:id'
  if (/^\/templates\/[^/]+$/.test(path)) return '/templates/:name'
  return path.length > 1 ? path.replace(/\/+$/, '') : path
}

function decodeParams(params: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(params ?? {})) {
    try {
      out[k] = decodeURIComponent(v)
    } catch {
      out[k] = v
    }
  }
  return out
}
