import { describe, expect, test } from 'bun:test'
import { AppError } from '../errors.ts'
import { createRedactor, encodedForms, REDACTED } from './redact.ts'

const SECRET = 's3cr3t/Tok+en=42 ü'
const b64 = (s: string) => Buffer.from(s).toString('base64')

describe('createRedactor', () => {
  const r = createRedactor([SECRET])

  test('redacts the exact value wherever it appears in a string', () => {
    expect(r.redactText(`token=${SECRET}; again ${SECRET}`)).toBe(
      `token=${REDACTED}; again ${REDACTED}`,
    )
    expect(r.redactText('nothing here')).toBe('nothing here')
  })

  test('redacts base64, base64url, hex, URL-encoded and JSON-escaped forms', () => {
    const forms = [
      b64(SECRET),
      b64(SECRET).replace(/=+$/, ''),
      Buffer.from(SECRET).toString('base64url'),
      Buffer.from(SECRET).toString('hex'),
      Buffer.from(SECRET).toString('hex').toUpperCase(),
      encodeURIComponent(SECRET),
      encodeURIComponent(SECRET).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
      new URLSearchParams({ q: SECRET }).toString().slice(2),
    ]
    for (const f of forms) {
      expect(r.redactText(`<${f}>`)).not.toContain(f)
      expect(r.redactText(`<${f}>`)).toContain(REDACTED)
    }
  })

  test('redacts the JSON-escaped form of a secret with quotes or newlines (JSON inside a string)', () => {
    const odd = 'pa"ss\nw\\ord'
    const j = createRedactor([odd])
    const text = JSON.stringify({ password: odd })
    expect(text).not.toContain(odd)
    expect(j.redactText(text)).toBe(`{"password":"${REDACTED}"}`)
  })

  test('finds the secret inside a longer base64 text at any byte offset (Basic auth header)', () => {
    for (const user of ['u', 'us', 'usr', 'user1']) {
      const header = `Basic ${b64(`${user}:${SECRET}`)}`
      const out = r.redactText(header)
      expect(out).toContain(REDACTED)
      // what is left cannot be decoded back to the secret
      expect(
        Buffer.from(out.replace('Basic ', '').replace(REDACTED, ''), 'base64').toString(),
      ).not.toContain(SECRET)
    }
  })

  test('redacts JSON values deeply, keys included, and returns the same object when clean', () => {
    const clean = { a: [1, { b: 'x' }], c: null }
    expect(r.redact(clean)).toBe(clean)
    const dirty = {
      headers: { Authorization: `Bearer ${SECRET}` },
      list: ['ok', b64(SECRET)],
      [SECRET]: 'as a key',
      n: 7,
    }
    expect(r.redact(dirty) as unknown).toEqual({
      headers: { Authorization: `Bearer ${REDACTED}` },
      list: ['ok', REDACTED],
      [REDACTED]: 'as a key',
      n: 7,
    })
    expect(dirty.headers.Authorization).toBe(`Bearer ${SECRET}`) // the input is not mutated
  })

  test('a number whose digits hold a secret is redacted too', () => {
    const pin = createRedactor(['123456'])
    expect(pin.redact({ code: 123456, longer: 91234567, other: 12345 }) as unknown).toEqual({
      code: REDACTED,
      longer: REDACTED,
      other: 12345,
    })
  })

  test('errors come back as new errors with redacted message and details', () => {
    const err = new AppError('EXECUTION_ERROR', `auth failed for ${SECRET}`, {
      details: { echoed: SECRET },
      stepId: 'call',
    })
    const out = r.redact(err)
    expect(out).toBeInstanceOf(AppError)
    expect(out.message).toBe(`auth failed for ${REDACTED}`)
    expect(out.details).toEqual({ echoed: REDACTED })
    expect(out.stepId).toBe('call')
    expect(out.code).toBe('EXECUTION_ERROR')
    expect(r.redact(new Error(`x ${SECRET}`)).message).toBe(`x ${REDACTED}`)
  })

  test('values shorter than 4 characters are not redacted; no secret means no work', () => {
    const short = createRedactor(['abc'])
    expect(short.size).toBe(0)
    expect(short.redactText('abcabc')).toBe('abcabc')
    const none = createRedactor()
    const v = { a: SECRET }
    expect(none.redact(v)).toBe(v)
  })

  test('secrets added later are redacted from then on; the longest match wins', () => {
    const later = createRedactor()
    later.add('alpha-123')
    later.add('alpha-123-extended')
    expect(later.size).toBe(2)
    expect(later.redactText('x alpha-123-extended y alpha-123')).toBe(`x ${REDACTED} y ${REDACTED}`)
  })

  test('regex metacharacters in a secret are taken literally', () => {
    const meta = createRedactor(['a.b*c(d)'])
    expect(meta.redactText('a.b*c(d) aXbbbcd')).toBe(`${REDACTED} aXbbbcd`)
  })
})

test('encodedForms lists the exact value first and never a form shorter than the minimum', () => {
  const forms = encodedForms('hunter22')
  expect(forms[0]).toBe('hunter22')
  expect(forms).toContain(b64('hunter22'))
  expect(forms).toContain(Buffer.from('hunter22').toString('hex'))
  expect(forms.every((f) => f.length >= 4)).toBe(true)
})
