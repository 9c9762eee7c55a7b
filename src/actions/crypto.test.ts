import { describe, expect, test } from 'bun:test'
import type { Action, ActionContext } from '../engine/ports.ts'
import { AppError } from '../errors.ts'
import {
  cryptoDecodeAction,
  cryptoEncodeAction,
  cryptoHashAction,
  cryptoHmacAction,
  cryptoUuidAction,
} from './crypto.ts'

const ctx = {} as ActionContext

function run(action: Action, params: Record<string, unknown>): Record<string, unknown> {
  return action.execute(params, ctx) as Record<string, unknown>
}

function failure(action: Action, params: Record<string, unknown>): AppError {
  let out: unknown
  try {
    out = action.execute(params, ctx)
  } catch (err) {
    expect(err).toBeInstanceOf(AppError)
    return err as AppError
  }
  throw new Error(`expected the action to throw, got ${JSON.stringify(out)}`)
}

describe('crypto.hash', () => {
  test('matches the reference vectors (sha256 of "" and "hello")', () => {
    expect(run(cryptoHashAction, { data: '' })).toEqual({
      hash: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      algorithm: 'sha256',
    })
    expect(run(cryptoHashAction, { data: 'hello', algorithm: 'sha256' })).toEqual({
      hash: '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824',
      algorithm: 'sha256',
    })
  })

  test('supports md5, sha1, sha384 and sha512 over UTF-8 bytes', () => {
    expect(run(cryptoHashAction, { data: 'hello', algorithm: 'md5' }).hash).toBe(
      '5d41402abc4b2a76b9719d911017c592',
    )
    expect(run(cryptoHashAction, { data: 'hello', algorithm: 'sha1' }).hash).toBe(
      'aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d',
    )
    expect(run(cryptoHashAction, { data: 'hello', algorithm: 'SHA384' })).toEqual({
      hash: '59e1748777448c69de6b800d7a33bbfb9ff1b463e44354c3553bcdb9c666fa90125a3c79f90397bdf5f6a13de828684f',
      algorithm: 'sha384',
    })
    expect(run(cryptoHashAction, { data: 'hello', algorithm: 'sha512' }).hash).toBe(
      '9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043',
    )
    // "é" is hashed as its two UTF-8 bytes c3 a9
    expect(run(cryptoHashAction, { data: 'é', algorithm: 'md5' }).hash).toBe(
      '66ddcd97cfdeabb2f6fb8a999b4bc76f',
    )
  })

  test('an unsupported algorithm is a VALIDATION_ERROR naming it', () => {
    const err = failure(cryptoHashAction, { data: 'x', algorithm: 'crc32' })
    expect(err.code).toBe('VALIDATION_ERROR')
    expect(err.message).toBe('unsupported hash algorithm: crc32')
  })

  test('numbers and booleans (typed interpolation) are hashed as their JSON text', () => {
    expect(run(cryptoHashAction, { data: 42 }).hash).toBe(
      run(cryptoHashAction, { data: '42' }).hash,
    )
    expect(run(cryptoHashAction, { data: 1e21 }).hash).toBe(
      run(cryptoHashAction, { data: '1e+21' }).hash,
    )
    expect(run(cryptoHashAction, { data: true }).hash).toBe(
      run(cryptoHashAction, { data: 'true' }).hash,
    )
  })

  test('missing or object data is a VALIDATION_ERROR, not the hash of ""', () => {
    expect(failure(cryptoHashAction, {}).message).toBe("crypto.hash: missing required param 'data'")
    expect(failure(cryptoHashAction, { data: { a: 1 } }).code).toBe('VALIDATION_ERROR')
  })
})

describe('crypto.hmac', () => {
  test('computes RFC 4231 test case 2 and honours the algorithm', () => {
    const params = { key: 'Jefe', data: 'what do ya want for nothing?' }
    expect(run(cryptoHmacAction, params)).toEqual({
      hmac: '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
      algorithm: 'sha256',
    })
    expect(run(cryptoHmacAction, { ...params, algorithm: 'sha512' }).hmac).toBe(
      '164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737',
    )
    expect(run(cryptoHmacAction, { ...params, algorithm: 'md5' }).hmac).toBe(
      '750c783e6ab0b503eaa86e310a5db738',
    )
  })

  test('key and data are required; a bad algorithm is refused', () => {
    expect(failure(cryptoHmacAction, { data: 'x' }).message).toBe(
      "crypto.hmac: missing required param 'key'",
    )
    expect(failure(cryptoHmacAction, { data: 'x', key: 'k', algorithm: 'sha3' }).message).toBe(
      'unsupported hash algorithm: sha3',
    )
  })
})

describe('crypto.uuid', () => {
  test('returns distinct random version-4 UUIDs in lowercase', () => {
    const a = run(cryptoUuidAction, {}).uuid as string
    const b = run(cryptoUuidAction, {}).uuid as string
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(b).not.toBe(a)
  })
})

describe('crypto.encode / crypto.decode', () => {
  const cases: Array<[string, string, string]> = [
    ['base64', 'hello wörld?>', 'aGVsbG8gd8O2cmxkPz4='],
    ['base64url', 'hello wörld?>', 'aGVsbG8gd8O2cmxkPz4'],
    ['hex', 'hi é', '686920c3a9'],
    ['url', 'a b&c=d/é~', 'a%20b%26c%3Dd%2F%C3%A9~'],
  ]

  for (const [encoding, text, encoded] of cases) {
    test(`${encoding} round-trips UTF-8 text`, () => {
      expect(run(cryptoEncodeAction, { data: text, encoding })).toEqual({ result: encoded })
      expect(run(cryptoDecodeAction, { data: encoded, encoding })).toEqual({ result: text })
    })
  }

  test('decoding accepts unpadded base64, padded base64url, line breaks and "+" as space', () => {
    expect(run(cryptoDecodeAction, { data: 'aGk', encoding: 'base64' }).result).toBe('hi')
    expect(run(cryptoDecodeAction, { data: 'aGk=', encoding: 'base64url' }).result).toBe('hi')
    expect(run(cryptoDecodeAction, { data: 'aGVs\nbG8=', encoding: 'base64' }).result).toBe('hello')
    expect(run(cryptoDecodeAction, { data: 'a+b%2Bc', encoding: 'url' }).result).toBe('a b+c')
    expect(run(cryptoDecodeAction, { data: '48494A', encoding: 'hex' }).result).toBe('HIJ')
  })

  test('invalid input to decode is a VALIDATION_ERROR saying what is wrong', () => {
    const bad: Array<[string, string, string]> = [
      ['base64', 'a$bc', 'characters outside the base64 alphabet'],
      ['base64', 'a-b_', 'characters outside the base64 alphabet'],
      ['base64url', 'ab+/', 'characters outside the base64url alphabet'],
      ['base64', 'abcde', 'truncated data'],
      ['base64', 'aGk==', 'bad padding'],
      ['hex', 'abc', 'expected an even number of hexadecimal digits'],
      ['hex', 'zz', 'expected an even number of hexadecimal digits'],
      ['url', '100%', 'bad escape at offset 3'],
      ['url', '%G1', 'bad escape at offset 0'],
    ]
    for (const [encoding, data, why] of bad) {
      const err = failure(cryptoDecodeAction, { data, encoding })
      expect(err.code).toBe('VALIDATION_ERROR')
      expect(err.message).toBe(`crypto.decode: invalid ${encoding} input: ${why}`)
    }
  })

  test('decoded bytes that are not UTF-8 text are refused', () => {
    const err = failure(cryptoDecodeAction, { data: 'ff00fe', encoding: 'hex' })
    expect(err.code).toBe('VALIDATION_ERROR')
    expect(err.message).toBe('crypto.decode: the decoded bytes are not valid UTF-8 text')
  })

  test('an unknown encoding or missing data is a params error', () => {
    expect(failure(cryptoEncodeAction, { data: 'x', encoding: 'rot13' }).code).toBe(
      'VALIDATION_ERROR',
    )
    expect(failure(cryptoDecodeAction, { encoding: 'hex' }).message).toBe(
      "crypto.decode: missing required param 'data'",
    )
  })
})
