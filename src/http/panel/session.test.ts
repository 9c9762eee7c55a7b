import { describe, expect, test } from 'bun:test'
import {
  cleanOperatorName,
  isBrowserRequest,
  operatorOf,
  PanelSessions,
  parseCookies,
  SESSION_COOKIE,
  safeNext,
  serializeCookie,
} from './session.ts'

const req = (headers: Record<string, string>) => new Request('http://127.0.0.1/x', { headers })

describe('panel sessions', () => {
  test('a CSRF token belongs to one session of one process', () => {
    const a = new PanelSessions()
    const sid = a.newSessionId()
    const token = a.csrfFor(sid)
    expect(a.validCsrf({ [SESSION_COOKIE]: sid }, token)).toBe(true)
    expect(a.validCsrf({ [SESSION_COOKIE]: a.newSessionId() }, token)).toBe(false)
    expect(a.validCsrf({}, token)).toBe(false)
    expect(a.validCsrf({ [SESSION_COOKIE]: sid }, '')).toBe(false)
    expect(a.validCsrf({ [SESSION_COOKIE]: sid }, `${token}x`)).toBe(false)
    // Another server process (a restart) has another key.
    expect(new PanelSessions().validCsrf({ [SESSION_COOKIE]: sid }, token)).toBe(false)
  })

  test('failed sign-ins are limited per window', () => {
    const s = new PanelSessions(3, 1000)
    expect(s.mayTry(0)).toBe(true)
    for (let i = 0; i < 3; i++) s.recordFailure(i)
    expect(s.mayTry(10)).toBe(false)
    expect(s.mayTry(1500)).toBe(true)
    expect(PanelSessions.tokenMatches('abc', 'abc')).toBe(true)
    expect(PanelSessions.tokenMatches('abd', 'abc')).toBe(false)
    expect(PanelSessions.tokenMatches('abc', undefined)).toBe(false)
  })

  test('cookies parse and serialise with safe defaults', () => {
    expect(parseCookies(req({ Cookie: 'a=1; b=x%20y; a=2; junk; c=' }))).toEqual({
      a: '1',
      b: 'x y',
      c: '',
    })
    expect(serializeCookie('n', 'v w')).toBe('n=v%20w; Path=/; SameSite=Strict; HttpOnly')
    expect(serializeCookie('n', 'v', { httpOnly: false, maxAge: 0, secure: true })).toBe(
      'n=v; Path=/; SameSite=Strict; Max-Age=0; Secure',
    )
  })

  test('the operator is panel or panel:<name>; odd names are ignored', () => {
    expect(operatorOf({})).toBe('panel')
    expect(operatorOf({ opcode_operator: 'alice@example.com' })).toBe('panel:alice@example.com')
    expect(operatorOf({ opcode_operator: 'bob smith' })).toBe('panel')
    expect(cleanOperatorName(' carol ')).toBe('carol')
    expect(cleanOperatorName('x'.repeat(65))).toBeUndefined()
  })

  test('only paths of this server are valid places to return to', () => {
    expect(safeNext('/workflows?status=failed')).toBe('/workflows?status=failed')
    expect(safeNext('//evil.example')).toBe('/')
    expect(safeNext('https://evil.example')).toBe('/')
    expect(safeNext('/\\evil')).toBe('/')
    expect(safeNext(null)).toBe('/')
  })

  test('browser requests are told apart from API clients', () => {
    expect(isBrowserRequest(req({}), {})).toBe(false)
    expect(isBrowserRequest(req({ 'Sec-Fetch-Site': 'same-origin' }), {})).toBe(true)
    expect(isBrowserRequest(req({}), { opcode_session: 'x' })).toBe(true)
    expect(isBrowserRequest(req({}), { opcode_token: 'x' })).toBe(true)
    expect(
      isBrowserRequest(req({ Authorization: 'Bearer t', 'Sec-Fetch-Site': 'cross-site' }), {
        opcode_token: 'x',
      }),
    ).toBe(false)
  })
})
