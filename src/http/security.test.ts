import { describe, expect, test } from 'bun:test'
import { RequestGuard } from './security.ts'

const req = (headers: Record<string, string>) =>
  new Request('http://127.0.0.1:4100/api/v1/x', { headers })

describe('RequestGuard', () => {
  const loop = new RequestGuard({
    requireToken: false,
    loopback: true,
    origins: ['https://panel.example'],
    hosts: [],
  })
  loop.setPort(4100)

  test('own and configured origins pass; others, null and other ports are refused', () => {
    expect(loop.check(req({}))).toBeUndefined()
    expect(loop.check(req({ origin: 'http://localhost:4100' }))).toBeUndefined()
    expect(loop.check(req({ origin: 'http://127.0.0.2:4100' }))).toBeUndefined()
    expect(loop.check(req({ origin: 'https://panel.example' }))).toBeUndefined()
    expect(loop.check(req({ origin: 'http://localhost:9999' }))?.code).toBe('FORBIDDEN')
    expect(loop.check(req({ origin: 'https://evil.example' }))?.code).toBe('FORBIDDEN')
    expect(loop.check(req({ origin: 'null' }))?.code).toBe('FORBIDDEN')
  })

  test('on loopback the Host must be a loopback name', () => {
    expect(loop.check(req({ host: 'localhost:4100' }))).toBeUndefined()
    expect(loop.check(req({ host: '[::1]:4100' }))).toBeUndefined()
    expect(loop.check(req({ host: 'rebind.example:4100' }))?.code).toBe('FORBIDDEN')
  })

  test('tokens: required when exposed, compared exactly, also read from the opcode_token cookie', () => {
    const g = new RequestGuard({
      token: 's3cret',
      requireToken: true,
      loopback: false,
      origins: [],
      hosts: [],
    })
    g.setPort(4100)
    expect(g.check(req({}))?.code).toBe('UNAUTHORIZED')
    expect(g.check(req({ authorization: 'Bearer s3cre' }))?.code).toBe('UNAUTHORIZED')
    expect(g.check(req({ authorization: 'Bearer s3cret' }))).toBeUndefined()
    expect(g.check(req({ cookie: 'a=1; opcode_token=s3cret' }))).toBeUndefined()
    expect(g.check(req({ host: 'anything.example' }))?.code).toBe('UNAUTHORIZED')
  })
})
