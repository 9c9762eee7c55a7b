/**
 * The panel's static assets, embedded at build time (see bundle.ts: a macro inlines them into this
 * module), served with a content-hash version for immutable caching and gzip when accepted. This
 * module is imported lazily, on the first panel request, so other commands never pay for it.
 */
import { bundlePanel } from './bundle.ts' with { type: 'macro' }

const BUNDLE = bundlePanel()

export const ASSET_VERSION: string = BUNDLE.version

interface Asset {
  body: string
  type: string
  gzip?: Uint8Array<ArrayBuffer>
}

const ASSETS: Record<string, Asset> = {
  'panel.js': { body: BUNDLE.js, type: 'text/javascript; charset=utf-8' },
  'panel.css': { body: BUNDLE.css, type: 'text/css; charset=utf-8' },
}

/** Byte sizes of the embedded assets, raw and gzipped (tests, the bench, the report). */
export function assetSizes(): Record<string, { bytes: number; gzip: number }> {
  const out: Record<string, { bytes: number; gzip: number }> = {}
  for (const [name, a] of Object.entries(ASSETS)) {
    out[name] = { bytes: Buffer.byteLength(a.body), gzip: gzipOf(a).byteLength }
  }
  return out
}

function gzipOf(a: Asset): Uint8Array<ArrayBuffer> {
  a.gzip ??= Bun.gzipSync(Buffer.from(a.body), { level: 9 }) as Uint8Array<ArrayBuffer>
  return a.gzip
}

/** The response for `/assets/<name>`, or undefined when there is no such asset. */
export function assetResponse(name: string, request: Request): Response | undefined {
  const a = ASSETS[name]
  if (a === undefined) return undefined
  const etag = `"${ASSET_VERSION}"`
  const versioned = new URL(request.url).searchParams.get('v') === ASSET_VERSION
  const headers: Record<string, string> = {
    'Content-Type': a.type,
    ETag: etag,
    'Cache-Control': versioned ? 'public, max-age=31536000, immutable' : 'no-cache',
    'X-Content-Type-Options': 'nosniff',
    Vary: 'Accept-Encoding',
  }
  if (request.headers.get('if-none-match') === etag)
    return new Response(null, { status: 304, headers })
  if (/\bgzip\b/.test(request.headers.get('accept-encoding') ?? '')) {
    return new Response(gzipOf(a), { headers: { ...headers, 'Content-Encoding': 'gzip' } })
  }
  return new Response(a.body, { headers })
}
