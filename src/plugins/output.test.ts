import { describe, expect, test } from 'bun:test'
import { AppError } from '../errors.ts'
import { restartDelay } from './host.ts'
import { callError, toolOutput } from './output.ts'

const text = (t: string) => ({ type: 'text', text: t })

describe('tool results as step outputs', () => {
  test('structuredContent wins', () => {
    expect(toolOutput('p', 't', { content: [text('3')], structuredContent: { sum: 3 } })).toEqual({
      sum: 3,
    })
  })

  test('JSON text is parsed; other text comes as {text}', () => {
    expect(toolOutput('p', 't', { content: [text('{"a":[1,2]}')] })).toEqual({ a: [1, 2] })
    expect(toolOutput('p', 't', { content: [text(' [1, 2] ')] })).toEqual([1, 2])
    expect(toolOutput('p', 't', { content: [text('42')] })).toBe(42)
    expect(toolOutput('p', 't', { content: [text('hello')] })).toEqual({ text: 'hello' })
    expect(toolOutput('p', 't', { content: [text('{"a":'), text('1}')] })).toEqual({ a: 1 })
    expect(toolOutput('p', 't', { content: [text('line 1'), text('line 2')] })).toEqual({
      text: 'line 1\nline 2',
    })
  })

  test('other content types are passed through', () => {
    const image = { type: 'image', data: 'AAAA', mimeType: 'image/png' }
    expect(toolOutput('p', 't', { content: [image] })).toEqual({ content: [image] })
    expect(toolOutput('p', 't', { content: [text('a picture'), image] })).toEqual({
      text: 'a picture',
      content: [text('a picture'), image],
    })
    expect(toolOutput('p', 't', { content: [] })).toEqual({})
    expect(toolOutput('p', 't', {})).toEqual({})
  })

  test('isError fails with EXECUTION_ERROR and the tool text', () => {
    try {
      toolOutput('gh', 'create_issue', { content: [text('rate limited')], isError: true })
      throw new Error('no error')
    } catch (err) {
      expect(err).toBeInstanceOf(AppError)
      expect((err as AppError).code).toBe('EXECUTION_ERROR')
      expect((err as AppError).message).toBe('gh.create_issue: rate limited')
      expect((err as AppError).details).toEqual({ plugin: 'gh', tool: 'create_issue' })
    }
    expect(() => toolOutput('p', 't', { isError: true })).toThrow('without text')
  })
})

describe('call errors', () => {
  const rpc = (code: number, message: string) =>
    Object.assign(new Error(`MCP error ${code}: ${message}`), { code })

  test('map to codes an agent can act on', () => {
    const closed = callError('p', 't', rpc(-32000, 'Connection closed'), {
      timeoutMs: 1000,
      stderr: 'boom',
    })
    expect(closed.code).toBe('EXECUTION_ERROR')
    expect(closed.message).toBe('plugin "p" exited during the call to t (stderr: boom)')
    const slow = callError('p', 't', rpc(-32001, 'Request timed out'), { timeoutMs: 1500 })
    expect(slow.code).toBe('TIMEOUT_ERROR')
    expect(slow.message).toBe('plugin "p" did not answer t within 1.5 s')
    expect(callError('p', 't', rpc(-32602, 'bad'), { timeoutMs: 1 }).code).toBe('VALIDATION_ERROR')
    expect(callError('p', 't', rpc(-32601, 'nope'), { timeoutMs: 1 }).code).toBe(
      'ACTION_UNAVAILABLE',
    )
    expect(callError('p', 't', rpc(-32603, 'oops'), { timeoutMs: 1 }).message).toBe('p.t: oops')
    expect(callError('p', 't', new Error('x'), { timeoutMs: 1 }).code).toBe('EXECUTION_ERROR')
  })
})

describe('restart backoff', () => {
  test('1 s doubling to a 60 s cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 50].map((n) => restartDelay(n, 1000, 60_000))).toEqual([
      1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000,
    ])
    expect(restartDelay(0, 1000, 60_000)).toBe(1000)
  })
})
