import { describe, expect, test } from 'bun:test'
import { Type } from '@sinclair/typebox'
import type { Action } from '../engine/ports.ts'
import { AppError } from '../errors.ts'
import { assertEqualsAction } from './assert.ts'
import { httpRequestAction } from './http.ts'
import { builtinActions } from './index.ts'
import { assertParams, createActionRegistry, paramIssues } from './registry.ts'

function fake(name: string, params: Action['params'] = Type.Object({})): Action {
  return { name, description: `${name} action`, params, pure: true, execute: () => ({ ok: true }) }
}

function thrown(fn: () => unknown): AppError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(AppError)
    return err as AppError
  }
  throw new Error('expected an AppError')
}

describe('registry', () => {
  test('registers, looks up, lists sorted by name and unregisters', () => {
    const reg = createActionRegistry([fake('b.two'), fake('a.one')])
    reg.register({ ...fake('c.three'), pure: false })
    expect(reg.names()).toEqual(['a.one', 'b.two', 'c.three'])
    expect(reg.list()).toEqual([
      { name: 'a.one', description: 'a.one action', pure: true },
      { name: 'b.two', description: 'b.two action', pure: true },
      { name: 'c.three', description: 'c.three action', pure: false },
    ])
    expect(reg.get('b.two')?.name).toBe('b.two')
    expect(reg.get('nope')).toBeUndefined()
    reg.unregister('b.two')
    expect(reg.get('b.two')).toBeUndefined()
    expect(reg.names()).toEqual(['a.one', 'c.three'])
  })

  test('a duplicate name is a CONFLICT, an empty name or no action a VALIDATION_ERROR', () => {
    const reg = createActionRegistry([fake('x.y')])
    expect(thrown(() => reg.register(fake('x.y'))).code).toBe('CONFLICT')
    expect(thrown(() => createActionRegistry([fake('d'), fake('d')])).code).toBe('CONFLICT')
    expect(thrown(() => reg.register(fake(''))).code).toBe('VALIDATION_ERROR')
    expect(thrown(() => reg.register(fake('   '))).code).toBe('VALIDATION_ERROR')
    expect(thrown(() => reg.register(undefined as unknown as Action)).code).toBe('VALIDATION_ERROR')
  })

  test('holds every built-in of this folder with the right purity', () => {
    const reg = createActionRegistry(builtinActions())
    expect(reg.names()).toEqual([
      'assert.contains',
      'assert.equal',
      'assert.equals',
      'assert.matches',
      'assert.schema',
      'assert.truthy',
      'crypto.decode',
      'crypto.encode',
      'crypto.hash',
      'crypto.hmac',
      'crypto.uuid',
      'expr.eval',
      'http.get',
      'http.post',
      'http.request',
      'jq.eval',
      'workflow.context',
      'workflow.emit',
      'workflow.fail',
      'workflow.log',
      'workflow.notify',
      'workflow.run',
    ])
    const pure = reg
      .list()
      .filter((a) => a.pure)
      .map((a) => a.name)
    expect(pure).toEqual([
      'assert.contains',
      'assert.equal',
      'assert.equals',
      'assert.matches',
      'assert.schema',
      'assert.truthy',
      'crypto.decode',
      'crypto.encode',
      'crypto.hash',
      'crypto.hmac',
      'crypto.uuid',
      'expr.eval',
      'jq.eval',
      'workflow.fail',
    ])
  })

  test('every param of every built-in has a description for agents', () => {
    for (const action of builtinActions()) {
      const props = (action.params as { properties?: Record<string, { description?: string }> })
        .properties
      expect(props).toBeDefined()
      for (const [key, schema] of Object.entries(props ?? {})) {
        expect(`${action.name}.${key}: ${schema.description ?? ''}`).not.toEndWith(': ')
      }
      expect(action.description.length).toBeGreaterThan(10)
    }
  })
})

describe('params checking (TypeBox schemas)', () => {
  const reg = createActionRegistry(builtinActions())
  const http = reg.get('http.request') as Action

  test('a missing required param is an error at its path', () => {
    expect(reg.check(http, {})).toEqual([
      {
        path: '/url',
        code: 'VALIDATION_ERROR',
        message: "missing required param 'url'",
        severity: 'error',
      },
    ])
  })

  test('wrong types are errors saying what was expected, without echoing values', () => {
    const issues = reg.check(http, {
      url: 'http://x',
      max_redirects: 'five',
      follow_redirects: 'yes',
      body_encoding: 'xml',
      auth: { type: 'oauth', token: 's3cret' },
    })
    expect(issues).toEqual([
      {
        path: '/auth/type',
        code: 'VALIDATION_ERROR',
        message: 'param \'auth.type\' must be one of "bearer", "basic", "api_key", got a string',
        severity: 'error',
      },
      {
        path: '/body_encoding',
        code: 'VALIDATION_ERROR',
        message:
          'param \'body_encoding\' must be one of "json", "form", "text", "raw", got a string',
        severity: 'error',
      },
      {
        path: '/follow_redirects',
        code: 'VALIDATION_ERROR',
        message: "param 'follow_redirects' must be a boolean, got a string",
        severity: 'error',
      },
      {
        path: '/max_redirects',
        code: 'VALIDATION_ERROR',
        message: "param 'max_redirects' must be an integer, got a string",
        severity: 'error',
      },
    ])
    expect(JSON.stringify(issues)).not.toContain('s3cret')
  })

  test('unknown params are warnings, never errors (reference workflow files keep working)', () => {
    const issues = reg.check(http, {
      url: 'http://x',
      workdir: '/tmp',
      auth: { type: 'bearer', token: 't', scope: 'x' },
    })
    expect(issues).toEqual([
      {
        path: '/auth/scope',
        code: 'UNKNOWN_PARAM',
        message: "unknown param 'auth.scope' is ignored",
        severity: 'warning',
      },
      {
        path: '/workdir',
        code: 'UNKNOWN_PARAM',
        message: "unknown param 'workdir' is ignored",
        severity: 'warning',
      },
    ])
  })

  test('http.get warns that a method param is ignored', () => {
    const get = reg.get('http.get') as Action
    expect(reg.check(get, { url: 'http://x', method: 'PUT' }).map((i) => i.severity)).toEqual([
      'warning',
    ])
  })

  test('params that are not an object are one error at the root', () => {
    for (const bad of [null, [], 'x', 3]) {
      const issues = reg.check(http, bad)
      expect(issues).toHaveLength(1)
      expect(issues[0]?.path).toBe('')
      expect(issues[0]?.message).toStartWith('params must be an object, got ')
    }
  })

  test('a required param of any type must still be present (null counts as present)', () => {
    expect(paramIssues(assertEqualsAction, { expected: 1 })).toEqual([
      {
        path: '/actual',
        code: 'VALIDATION_ERROR',
        message: "missing required param 'actual'",
        severity: 'error',
      },
    ])
    expect(paramIssues(assertEqualsAction, { expected: null, actual: null })).toEqual([])
  })

  test('constraint violations (minLength) name the param', () => {
    const issues = reg.check(http, { url: '' })
    expect(issues).toHaveLength(1)
    expect(issues[0]?.path).toBe('/url')
    expect(issues[0]?.message).toStartWith("param 'url': expected string length")
  })

  test('assertParams throws VALIDATION_ERROR with the spec message and the issues', () => {
    const err = thrown(() => assertParams(httpRequestAction, { method: 'GET' }))
    expect(err.code).toBe('VALIDATION_ERROR')
    expect(err.message).toBe("http.request: missing required param 'url'")
    expect(err.issues?.[0]?.path).toBe('/url')
    // warnings alone do not throw
    assertParams(httpRequestAction, { url: 'http://x', extra: 1 })
  })
})

describe('params checking (plain JSON Schemas, as plugin tools declare them)', () => {
  const schema = {
    type: 'object',
    properties: {
      email: { type: 'string', format: 'email' },
      count: { type: 'integer', minimum: 1 },
      tags: { type: 'array', items: { type: 'string' } },
    },
    required: ['email'],
    additionalProperties: false,
  }

  test('required, type, format and array item errors with JSON-pointer paths', () => {
    const reg = createActionRegistry([fake('plug.tool', schema)])
    const tool = reg.get('plug.tool') as Action
    expect(reg.check(tool, { email: 'a@b.co', count: 2, tags: ['x'] })).toEqual([])
    const issues = reg.check(tool, { count: 0, tags: ['x', 5] })
    expect(issues.map((i) => [i.path, i.severity])).toEqual([
      ['/count', 'error'],
      ['/email', 'error'],
      ['/tags/1', 'error'],
    ])
    expect(issues.find((i) => i.path === '/email')?.message).toBe("missing required param 'email'")
    expect(issues.find((i) => i.path === '/tags/1')?.message).toBe("param 'tags[1]' must be string")
    const fmt = reg.check(tool, { email: 'not-an-email' })
    expect(fmt).toEqual([
      {
        path: '/email',
        code: 'VALIDATION_ERROR',
        message: 'param \'email\' must match format "email"',
        severity: 'error',
      },
    ])
  })

  test('additionalProperties: false yields a warning, not an error', () => {
    const reg = createActionRegistry([fake('plug.tool', schema)])
    const issues = reg.check(reg.get('plug.tool') as Action, { email: 'a@b.co', extra: true })
    expect(issues).toEqual([
      {
        path: '/extra',
        code: 'UNKNOWN_PARAM',
        message: "unknown param 'extra' is ignored",
        severity: 'warning',
      },
    ])
  })

  test('a draft-07 schema is compiled with the draft-07 rules', () => {
    const draft7 = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      definitions: { n: { type: 'number' } },
      properties: { n: { $ref: '#/definitions/n' }, pair: { items: [{ type: 'string' }] } },
    }
    const reg = createActionRegistry([fake('plug.old', draft7)])
    const tool = reg.get('plug.old') as Action
    expect(reg.check(tool, { n: 1, pair: ['a'] })).toEqual([])
    expect(reg.check(tool, { n: 'x' }).map((i) => i.path)).toEqual(['/n'])
    expect(reg.check(tool, { pair: [1] }).map((i) => i.path)).toEqual(['/pair/0'])
  })

  test('a schema that does not compile is refused at registration', () => {
    const reg = createActionRegistry()
    const err = thrown(() =>
      reg.register(fake('plug.bad', { type: 'object', properties: { a: { type: 42 } } })),
    )
    expect(err.code).toBe('VALIDATION_ERROR')
    expect(err.message).toContain('plug.bad')
    expect(reg.get('plug.bad')).toBeUndefined()
  })
})
