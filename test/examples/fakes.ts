/**
 * Loopback stand-ins for the services the examples call: a tiny `Bun.serve` on 127.0.0.1:0 per
 * service, answering from a route table and recording every request. Never the internet.
 */

export interface FakeRequest {
  method: string
  path: string
  query: Record<string, string>
  headers: Record<string, string>
  /** Parsed JSON when the body is JSON, else the text ('' when empty). */
  body: any
}

/** What a route returns: a JSON body (status 200), a `reply(...)`, or a Response. */
export type RouteResult = Response | Reply | unknown
export type Route = (req: FakeRequest, n: number) => RouteResult | Promise<RouteResult>

export class Reply {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {}
}

/** A response with a status (and optional headers); objects are sent as JSON, strings as text. */
export function reply(status: number, body: unknown = null, headers?: Record<string, string>) {
  return new Reply(status, body, headers)
}

export interface FakeService {
  url: string
  requests: FakeRequest[]
  /** Requests whose `METHOD /path` (or `/path`) matches. */
  hits(route: string): FakeRequest[]
  /** Bodies of the requests `hits(route)` returns. */
  bodies(route: string): any[]
  close(): void
}

/**
 * Starts a fake service. Route keys are `METHOD /path` or `/path` (any method); a path segment
 * `:name` matches anything. Unknown routes answer 404. `n` counts calls of that route (1-based).
 */
export function fakeService(routes: Record<string, Route>): FakeService {
  const requests: FakeRequest[] = []
  const counts = new Map<string, number>()
  const table = Object.entries(routes).map(([key, fn]) => {
    const [a, b] = key.split(' ')
    const method = b === undefined ? undefined : a
    const path = (b ?? a) as string
    return { key, method, parts: path.split('/'), fn }
  })
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(request) {
      const u = new URL(request.url)
      const text = await request.text()
      let body: any = text
      if (text !== '' && (request.headers.get('content-type') ?? '').includes('json')) {
        try {
          body = JSON.parse(text)
        } catch {
          body = text
        }
      }
      const req: FakeRequest = {
        method: request.method,
        path: u.pathname,
        query: Object.fromEntries(u.searchParams),
        headers: Object.fromEntries(request.headers),
        body,
      }
      requests.push(req)
      const parts = u.pathname.split('/')
      const route = table.find(
        (r) =>
          (r.method === undefined || r.method === request.method) &&
          r.parts.length === parts.length &&
          r.parts.every((p, i) => p.startsWith(':') || p === parts[i]),
      )
      if (route === undefined) return Response.json({ error: 'not found' }, { status: 404 })
      const n = (counts.get(route.key) ?? 0) + 1
      counts.set(route.key, n)
      const out = await route.fn(req, n)
      if (out instanceof Response) return out
      if (out instanceof Reply) {
        if (typeof out.body === 'string')
          return new Response(out.body, { status: out.status, headers: out.headers })
        return Response.json(out.body, { status: out.status, headers: out.headers })
      }
      return Response.json(out ?? null)
    },
  })
  return {
    url: `http://127.0.0.1:${server.port}`,
    requests,
    hits(route) {
      const [a, b] = route.split(' ')
      const method = b === undefined ? undefined : a
      const path = b ?? a
      return requests.filter(
        (r) => r.path === path && (method === undefined || r.method === method),
      )
    },
    bodies(route) {
      return this.hits(route).map((r) => r.body)
    },
    close() {
      void server.stop(true) // resolves when connections are closed; nothing waits on it
    },
  }
}
