/**
 * `crypto.hash`, `crypto.hmac`, `crypto.uuid` (spec actions.md §4) and `crypto.encode` /
 * `crypto.decode` (decisions.md D7). All pure: re-running them after a crash is harmless.
 * Text is hashed and encoded as UTF-8; digests are lowercase hex.
 */
import { createHash, createHmac, randomUUID } from 'node:crypto'
import { type Static, Type } from '@sinclair/typebox'
import type { Action } from '../engine/ports.ts'
import { AppError } from '../errors.ts'
import { assertParams } from './registry.ts'

const HashAlgorithm = ['sha256', 'sha512', 'sha384', 'md5', 'sha1'] as const
type HashAlgorithm = (typeof HashAlgorithm)[number]
const Encoding = ['base64', 'base64url', 'hex', 'url'] as const
type Encoding = (typeof Encoding)[number]

const algorithm = Type.Optional(
  Type.String({
    description: "Digest algorithm: 'sha256' (default), 'sha512', 'sha384', 'md5' or 'sha1'.",
  }),
)

/** Text params also take numbers and booleans (as their JSON text): typed interpolation yields them. */
const text = (description: string) =>
  Type.Union([Type.String(), Type.Number(), Type.Boolean()], { description })

const HashParams = Type.Object({
  data: text('Text to hash (its UTF-8 bytes; numbers and booleans as their JSON text).'),
  algorithm,
})

const HmacParams = Type.Object({
  data: text('Text to authenticate (its UTF-8 bytes).'),
  key: text('Secret key (its UTF-8 bytes), e.g. ${{secrets.WEBHOOK_KEY}}.'),
  algorithm,
})

const encoding = Type.Union(
  Encoding.map((e) => Type.Literal(e)),
  {
    description:
      "'base64' (standard, padded), 'base64url' (URL-safe, unpadded), 'hex' (lowercase) or 'url' (percent-encoding, RFC 3986).",
  },
)

const EncodeParams = Type.Object({
  data: text('Text to encode (its UTF-8 bytes).'),
  encoding,
})

const DecodeParams = Type.Object({
  data: Type.String({ description: 'Encoded text; the decoded bytes must be UTF-8 text.' }),
  encoding,
})

function checkedAlgorithm(name: string | undefined): HashAlgorithm {
  const alg = (name ?? 'sha256').toLowerCase()
  if (!(HashAlgorithm as readonly string[]).includes(alg)) {
    throw new AppError('VALIDATION_ERROR', `unsupported hash algorithm: ${name}`, {
      details: { supported: HashAlgorithm },
    })
  }
  return alg as HashAlgorithm
}

export const cryptoHashAction: Action = {
  name: 'crypto.hash',
  description: 'Hashes text: returns {hash: lowercase hex, algorithm}.',
  params: HashParams,
  pure: true,
  execute(params) {
    assertParams(cryptoHashAction, params)
    const p = params as Static<typeof HashParams>
    const alg = checkedAlgorithm(p.algorithm)
    return { hash: createHash(alg).update(String(p.data), 'utf8').digest('hex'), algorithm: alg }
  },
}

export const cryptoHmacAction: Action = {
  name: 'crypto.hmac',
  description: 'Computes an HMAC of text with a key: returns {hmac: lowercase hex, algorithm}.',
  params: HmacParams,
  pure: true,
  execute(params) {
    assertParams(cryptoHmacAction, params)
    const p = params as Static<typeof HmacParams>
    const alg = checkedAlgorithm(p.algorithm)
    return {
      hmac: createHmac(alg, Buffer.from(String(p.key), 'utf8'))
        .update(String(p.data), 'utf8')
        .digest('hex'),
      algorithm: alg,
    }
  },
}

export const cryptoUuidAction: Action = {
  name: 'crypto.uuid',
  description: 'Returns {uuid}: a random version-4 UUID (36 lowercase characters).',
  params: Type.Object({}),
  pure: true,
  execute: () => ({ uuid: randomUUID() }),
}

export const cryptoEncodeAction: Action = {
  name: 'crypto.encode',
  description: 'Encodes text as base64, base64url, hex or URL percent-encoding: returns {result}.',
  params: EncodeParams,
  pure: true,
  execute(params) {
    assertParams(cryptoEncodeAction, params)
    const p = params as Static<typeof EncodeParams>
    return { result: encode(String(p.data), p.encoding) }
  },
}

export const cryptoDecodeAction: Action = {
  name: 'crypto.decode',
  description:
    'Decodes base64, base64url, hex or URL percent-encoding back to text: returns {result}; invalid input fails with VALIDATION_ERROR.',
  params: DecodeParams,
  pure: true,
  execute(params) {
    assertParams(cryptoDecodeAction, params)
    const p = params as Static<typeof DecodeParams>
    return { result: decode(p.data, p.encoding) }
  },
}

/** Every crypto.* action. */
export function cryptoActions(): Action[] {
  return [
    cryptoHashAction,
    cryptoHmacAction,
    cryptoUuidAction,
    cryptoEncodeAction,
    cryptoDecodeAction,
  ]
}

// ---------------------------------------------------------------------------------------------

function encode(text: string, enc: Encoding): string {
  const bytes = Buffer.from(text, 'utf8')
  switch (enc) {
    case 'base64':
      return bytes.toString('base64')
    case 'base64url':
      return bytes.toString('base64url')
    case 'hex':
      return bytes.toString('hex')
    case 'url':
      return percentEncode(bytes)
  }
}

function decode(text: string, enc: Encoding): string {
  const fail = (why: string) =>
    new AppError('VALIDATION_ERROR', `crypto.decode: invalid ${enc} input: ${why}`)
  let bytes: Uint8Array
  switch (enc) {
    case 'base64':
    case 'base64url': {
      // Line breaks are tolerated (MIME-wrapped base64); anything else outside the alphabet is not.
      const s = text.replace(/[\r\n]/g, '')
      const alphabet = enc === 'base64' ? /^[A-Za-z0-9+/]*={0,2}$/ : /^[A-Za-z0-9_-]*={0,2}$/
      if (!alphabet.test(s)) throw fail(`characters outside the ${enc} alphabet`)
      const body = s.replace(/=+$/, '')
      if (body.length % 4 === 1) throw fail('truncated data')
      if (s.length !== body.length && s.length % 4 !== 0) throw fail('bad padding')
      bytes = Buffer.from(body, enc)
      break
    }
    case 'hex':
      if (!/^(?:[0-9a-fA-F]{2})*$/.test(text)) {
        throw fail('expected an even number of hexadecimal digits')
      }
      bytes = Buffer.from(text, 'hex')
      break
    case 'url':
      bytes = percentDecode(text, fail)
      break
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw new AppError(
      'VALIDATION_ERROR',
      'crypto.decode: the decoded bytes are not valid UTF-8 text',
    )
  }
}

const UNRESERVED = /[A-Za-z0-9\-._~]/

function percentEncode(bytes: Uint8Array): string {
  let out = ''
  for (const b of bytes) {
    const c = String.fromCharCode(b)
    out += b < 0x80 && UNRESERVED.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

/** `%XX` sequences to bytes; `+` means a space (form encoding), as Go's QueryUnescape reads it. */
function percentDecode(text: string, fail: (why: string) => AppError): Uint8Array {
  const out: number[] = []
  const raw = Buffer.from(text, 'utf8')
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i] as number
    if (b === 0x25) {
      const hex = raw.subarray(i + 1, i + 3).toString('latin1')
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw fail(`bad escape at offset ${i}`)
      out.push(Number.parseInt(hex, 16))
      i += 2
    } else {
      out.push(b === 0x2b ? 0x20 : b)
    }
  }
  return Uint8Array.from(out)
}
