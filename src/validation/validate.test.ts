import { describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Issue } from '../errors.ts'
import {
  LIMITS,
  parseDefinitionText,
  toValidationError,
  type ValidationResult,
  validateDefinition,
} from './index.ts'

type Json = Record<string, unknown>

const act = (id: string, extra: Json = {}): Json => ({ id, action: 'workflow.log', ...extra })
const wf = (...steps: unknown[]): Json => ({ steps })

function errors(result: ValidationResult): Issue[] {
  return result.ok ? [] : result.errors
}

function only(result: ValidationResult): Issue {
  const list = errors(result)
  if (list.length !== 1) throw new Error(`expected one error, got ${JSON.stringify(list)}`)
  return list[0] as Issue
}

function warningAt(result: ValidationResult, path: string): Issue | undefined {
  return result.warnings.find((w) => w.path === path)
}

describe('validateDefinition: basics', () => {
  test('accepts a minimal definition without warnings', () => {
    const def = wf(act('a'))
    expect(validateDefinition(def)).toEqual({ ok: true, definition: def as never, warnings: [] })
  })

  test('an empty type means action (spec §4)', () => {
    expect(validateDefinition(wf(act('a', { type: '' })))).toMatchObject({ ok: true })
    expect(only(validateDefinition(wf({ id: 'a', type: '' }))).message).toBe(
      'step "a": action steps need an "action" name, e.g. "http.get"',
    )
  })

  test('step types are case-sensitive', () => {
    expect(only(validateDefinition(wf(act('a', { type: 'Action' })))).path).toBe('/steps/0/type')
  })

  test('ids need only be unique within their own list', () => {
    const loop = (id: string, body: unknown[]) => ({
      id,
      type: 'loop',
      config: { over: 'inputs.items', max_iter: 2, body },
    })
    const def = wf(act('x'), loop('l1', [act('x'), act('y')]), loop('l2', [act('x')]))
    expect(validateDefinition(def)).toMatchObject({ ok: true, warnings: [] })
  })

  test('suggests the closest top-level id for an unknown dependency', () => {
    const result = validateDefinition(
      wf(act('fetch-data'), act('b', { depends_on: ['fetch_dat'] })),
    )
    expect(only(result).message).toBe(
      'step "b" depends on unknown step "fetch_dat"; did you mean "fetch-data"?',
    )
  })

  test('reports every independent cycle', () => {
    const def = wf(
      act('a', { depends_on: ['b'] }),
      act('b', { depends_on: ['a'] }),
      act('x', { depends_on: ['y'] }),
      act('y', { depends_on: ['z'] }),
      act('z', { depends_on: ['x'] }),
    )
    expect(errors(validateDefinition(def)).map((e) => [e.code, e.message])).toEqual([
      ['CYCLE_DETECTED', 'workflow contains a cycle: a → b → a'],
      // x depends on y, y on z, z on x: in execution order z runs before y, y before x.
      ['CYCLE_DETECTED', 'workflow contains a cycle: x → z → y → x'],
    ])
  })

  test('accepts Go durations everywhere (D8) and warns about a zero workflow timeout', () => {
    const def = {
      timeout: '1h30m',
      steps: [
        act('a', { timeout: '1.5s', retry: { max: 2, delay: '300µs', max_delay: '2μs' } }),
        { id: 'w', type: 'wait', config: { duration: '500us' } },
        { id: 'r', type: 'reasoning', config: { prompt_context: 'p', timeout: '0' } },
      ],
    }
    const result = validateDefinition(def)
    expect(errors(result)).toEqual([])
    expect(validateDefinition({ ...def, timeout: '0s' }).warnings[0]?.message).toBe(
      'workflow: timeout "0s" expires as soon as the run starts',
    )
  })

  test('negative durations are errors, a non-positive step timeout a warning', () => {
    expect(
      only(validateDefinition(wf({ id: 'w', type: 'wait', config: { duration: '-1s' } }))).message,
    ).toBe('step "w": config.duration "-1s" must not be negative')
    const result = validateDefinition(wf(act('a', { timeout: '-5s' })))
    expect(result.ok).toBe(true)
    expect(warningAt(result, '/steps/0/timeout')?.message).toBe(
      'step "a": timeout "-5s" is not positive: the step has no deadline',
    )
  })

  test('unknown keys inside retry, on_error and limits are warnings with their full name', () => {
    const def = wf(
      act('a', {
        retry: { max: 1, jitter: true },
        on_error: { strategy: 'ignore', notify: 'x' },
        limits: { memory_mb: 1, swap: 2 },
      }),
    )
    const result = validateDefinition(def)
    expect(result.ok).toBe(true)
    expect(result.warnings.map((w) => w.message)).toEqual([
      'step "a": unknown key "retry.jitter" is kept but not used',
      'step "a": unknown key "on_error.notify" is kept but not used',
      'step "a": unknown key "limits.swap" is kept but not used',
    ])
  })

  test('template arguments put inside the definition get a pointed hint', () => {
    const result = validateDefinition({
      ...wf(act('a')),
      triggers: { cron: { expression: '@hourly' } },
    })
    expect(result.ok).toBe(true)
    expect(result.warnings.map((w) => w.message)).toEqual([
      'workflow: unknown key "triggers" is kept but not used (triggers are an argument of opcode.define, beside the definition)',
    ])
  })

  test('a step that is its own dependency is CYCLE_DETECTED at its depends_on entry', () => {
    const issue = only(validateDefinition(wf(act('a', { depends_on: ['a'] }))))
    expect(issue).toEqual({
      path: '/steps/0/depends_on/0',
      code: 'CYCLE_DETECTED',
      message: 'step "a" depends on itself',
      severity: 'error',
    })
  })

  test('nested steps may reference each other and top-level steps by id', () => {
    const def = wf(act('top'), {
      id: 'l',
      type: 'loop',
      depends_on: ['top'],
      config: {
        over: 'inputs.items',
        max_iter: 3,
        body: [
          act('first', { params: { v: '${{loop.item}}' } }),
          act('second', { params: { a: '${{steps.first.output}}', b: '${{steps.top.output.x}}' } }),
        ],
      },
    })
    expect(validateDefinition(def)).toMatchObject({ ok: true, warnings: [] })
  })

  test('references to secrets and context are fine; a bare namespace is not', () => {
    const ok = validateDefinition(
      wf(act('a', { params: { k: '${{secrets.API_KEY}}', c: '${{ context.intent }}' } })),
    )
    expect(ok).toMatchObject({ ok: true, warnings: [] })
    const bare = validateDefinition(wf(act('a', { params: { k: '${{secrets}}' } })))
    expect(warningAt(bare, '/steps/0/params/k')?.message).toContain('needs a secret name')
  })

  test('interpolation syntax errors are errors: unclosed, empty, nested', () => {
    for (const [text, reason] of [
      ['${{inputs.a', 'unclosed'],
      ['x ${{  }} y', 'empty reference'],
      ['${{ ${{inputs.a}} }}', 'nested'],
    ] as const) {
      const issue = only(validateDefinition(wf(act('a', { params: { p: [text] } }))))
      expect(issue.path).toBe('/steps/0/params/p/0')
      expect(issue.message).toContain(reason)
    }
  })

  test('params must be an object, or a string that is one whole reference', () => {
    expect(only(validateDefinition(wf(act('a', { params: [1] })))).message).toBe(
      'step "a": params must be an object, got an array',
    )
    expect(validateDefinition(wf(act('a', { params: '${{inputs.body}}' }))).ok).toBe(true)
    expect(validateDefinition(wf(act('a', { params: null }))).ok).toBe(true)
  })

  test('fallback_step must name a top-level step, even from a nested step', () => {
    const nested = (target: string) =>
      wf(act('rescue'), {
        id: 'p',
        type: 'parallel',
        config: {
          branches: [
            [act('x', { on_error: { strategy: 'fallback_step', fallback_step: target } })],
          ],
        },
      })
    expect(validateDefinition(nested('rescue')).ok).toBe(true)
    expect(only(validateDefinition(nested('x'))).message).toBe(
      'step "x": fallback step "x" is not a top-level step',
    )
  })

  test('hooks are validated like steps, with their own paths', () => {
    const def = {
      steps: [act('a')],
      on_complete: { id: 'done', type: 'wait', config: {} },
      on_error: { action: 'workflow.log' },
    }
    expect(errors(validateDefinition(def)).map((e) => `${e.path} ${e.message}`)).toEqual([
      '/on_complete/config step "done": a wait step needs "duration" (e.g. "30s") or "signal"',
      '/on_error step at /on_error has no id: every step needs a non-empty "id"',
    ])
  })

  test('checkCel can be replaced, or turned off with null', () => {
    const def = wf({ id: 'c', type: 'condition', config: { expression: 'anything at all' } })
    expect(errors(validateDefinition(def)).length).toBe(1)
    expect(validateDefinition(def, { checkCel: null }).ok).toBe(true)
    const seen: string[] = []
    const custom = validateDefinition(def, {
      checkCel: (e) => {
        seen.push(e)
        return 'nope'
      },
    })
    expect(seen).toEqual(['anything at all'])
    expect(only(custom).message).toBe('step "c": config.expression: nope')
  })
})

describe('validateDefinition: action registry', () => {
  const registry = { has: (name: string) => name === 'workflow.log' }
  const def = {
    steps: [
      act('a'),
      { id: 'b', action: 'nope.one' },
      {
        id: 'c',
        type: 'condition',
        config: { expression: 'true', default: [{ id: 'd', action: 'nope.two' }] },
      },
      {
        id: 'e',
        type: 'loop',
        config: { max_iter: 1, over: '[1]', body: [{ id: 'f', action: 'nope.three' }] },
      },
    ],
    on_error: { id: 'g', action: 'nope.four' },
  }

  test('without a registry, action names are not checked', () => {
    expect(validateDefinition(def).ok).toBe(true)
  })

  test('unknown actions are ACTION_UNAVAILABLE errors at every depth and in hooks', () => {
    const result = validateDefinition(def, { actions: registry })
    expect(errors(result).map((e) => [e.path, e.code, e.message])).toEqual([
      ['/steps/1/action', 'ACTION_UNAVAILABLE', 'step "b": unknown action "nope.one"'],
      [
        '/steps/2/config/default/0/action',
        'ACTION_UNAVAILABLE',
        'step "d": unknown action "nope.two"',
      ],
      [
        '/steps/3/config/body/0/action',
        'ACTION_UNAVAILABLE',
        'step "f": unknown action "nope.three"',
      ],
      ['/on_error/action', 'ACTION_UNAVAILABLE', 'step "g": unknown action "nope.four"'],
    ])
  })

  test('unknownActionSeverity warning keeps the definition valid (local validate, D21)', () => {
    const result = validateDefinition(def, { actions: registry, unknownActionSeverity: 'warning' })
    expect(result.ok).toBe(true)
    expect(result.warnings.map((w) => [w.code, w.severity])).toEqual(
      Array(4).fill(['ACTION_UNAVAILABLE', 'warning']),
    )
  })
})

describe('toValidationError and parseDefinitionText', () => {
  test('one error: its message; several: a count; issues hold errors then warnings', () => {
    const one = validateDefinition({ steps: [act('a', { depends_on: ['b'] })], name: 'x' })
    if (one.ok) throw new Error('expected invalid')
    const err = toValidationError(one)
    expect(err.code).toBe('VALIDATION_ERROR')
    expect(err.message).toBe('step "a" depends on unknown step "b"')
    expect(err.details).toEqual({ error_count: 1, warning_count: 1 })
    expect(err.issues?.map((i) => i.severity)).toEqual(['error', 'warning'])
    expect(err.toJSON().issues).toHaveLength(2)

    const many = validateDefinition(
      wf(act('a', { depends_on: ['x'] }), act('b', { depends_on: ['y'] })),
    )
    if (many.ok) throw new Error('expected invalid')
    expect(toValidationError(many).message).toBe('validation failed with 2 errors')
  })

  test('reports JSON syntax errors with line and column', () => {
    const cases: [string, string][] = [
      ['{', 'invalid JSON at line 1, column 2: unexpected end of input: expected a property name'],
      ['{"steps": [}', 'invalid JSON at line 1, column 12: expected a value before "}"'],
      ["{'steps': []}", 'invalid JSON at line 1, column 2: strings must use double quotes'],
      [
        '{"a": 01}',
        "invalid JSON at line 1, column 8: expected ',' or '}' after a property, got \"1\"",
      ],
      ['{"a": tru}', 'invalid JSON at line 1, column 7: unexpected word "tru"'],
      [
        '{"a": "x\ny"}',
        'invalid JSON at line 1, column 9: control character in a string (write a newline as \\n, a tab as \\t)',
      ],
      [
        '{"a": 1} {"b": 2}',
        'invalid JSON at line 1, column 10: unexpected "{" after the end of the JSON value',
      ],
      [
        '{\n  // note\n  "a": 1\n}',
        'invalid JSON at line 2, column 3: expected a property name in double quotes, got "/"',
      ],
      ['{"a": "\\x"}', 'invalid JSON at line 1, column 8: invalid escape "\\x" in a string'],
      ['{"a": "open', 'invalid JSON at line 1, column 7: unterminated string'],
    ]
    for (const [text, message] of cases) {
      expect(errors(parseDefinitionText(text)).map((e) => e.message)).toEqual([message])
    }
  })

  test('empty text, a BOM and non-string input', () => {
    expect(only(parseDefinitionText('  \n')).message).toBe(
      'the definition is empty: expected a JSON object',
    )
    expect(parseDefinitionText(`\ufeff${JSON.stringify(wf(act('a')))}`).ok).toBe(true)
    expect(only(parseDefinitionText(42 as unknown as string)).message).toBe(
      'the definition must be JSON text',
    )
  })

  test('passes options through', () => {
    const text = JSON.stringify(wf({ id: 'a', action: 'x.y' }))
    expect(only(parseDefinitionText(text, { actions: { has: () => false } })).code).toBe(
      'ACTION_UNAVAILABLE',
    )
  })
})

describe('bad input never crashes or hangs', () => {
  test('any non-object input gets one clear error', () => {
    for (const input of [undefined, null, 0, 'steps', true, [], [act('a')], () => 1, Symbol('s')]) {
      const issue = only(validateDefinition(input))
      expect(issue.path).toBe('')
      expect(issue.message).toStartWith('a workflow definition must be a JSON object')
    }
  })

  test('wrong types at every position of a rich definition: always a result, never a throw', () => {
    const base = JSON.parse(
      readFileSync(
        join(import.meta.dir, '..', '..', 'test/fixtures/definitions/valid/all-step-types.json'),
        'utf8',
      ),
    ) as Json
    const replacements: unknown[] = [null, 0, -1, 1.5, '', 'x', '${{', true, [], {}, [[]], [null]]
    // Every location in the tree, as a list of keys from the root.
    const locations: (string | number)[][] = []
    const stack: [unknown, (string | number)[]][] = [[base, []]]
    while (stack.length > 0) {
      const [value, at] = stack.pop() as [unknown, (string | number)[]]
      if (at.length > 0) locations.push(at)
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) stack.push([value[i], [...at, i]])
      } else if (value !== null && typeof value === 'object') {
        for (const [k, v] of Object.entries(value)) stack.push([v, [...at, k]])
      }
    }
    expect(locations.length).toBeGreaterThan(120)
    let invalid = 0
    for (const at of locations) {
      for (const replacement of replacements) {
        const copy = structuredClone(base)
        let parent: Record<string | number, unknown> = copy
        for (const key of at.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>
        parent[at[at.length - 1] as string | number] = replacement
        const result = validateDefinition(copy)
        for (const issue of [...errors(result), ...result.warnings]) {
          expect(issue.path === '' || issue.path.startsWith('/')).toBe(true)
          expect(issue.message.length).toBeGreaterThan(0)
          expect(issue.code).not.toBe('INTERNAL_ERROR')
        }
        if (!result.ok) invalid++
      }
    }
    expect(invalid).toBeGreaterThan(locations.length)
  })

  test('a 10 MB definition of big params validates (the size is not a problem by itself)', () => {
    const big = 'x'.repeat(1024)
    const steps = Array.from({ length: 100 }, (_, i) =>
      act(`s${i}`, { params: { chunks: Array.from({ length: 100 }, () => big) } }),
    )
    const text = JSON.stringify(wf(...steps))
    expect(text.length).toBeGreaterThan(10_000_000)
    expect(parseDefinitionText(text)).toMatchObject({ ok: true, warnings: [] })
  })

  test('a 10 MB definition of 120,000 steps is refused with one error about the step limit', () => {
    const steps = Array.from({ length: 120_000 }, (_, i) =>
      act(`step-number-${i}`, { params: { message: 'some text to fill the file up' } }),
    )
    const text = JSON.stringify(wf(...steps))
    expect(text.length).toBeGreaterThan(10_000_000)
    const issue = only(parseDefinitionText(text))
    expect(issue.path).toBe(`/steps/${LIMITS.maxSteps}`)
    expect(issue.message).toBe(
      'workflow has more than 10000 steps (nested ones included); split it into templates run by workflow.run',
    )
  })

  test('text over the size limit is refused before parsing', () => {
    const text = `{"steps": [], "pad": "${'x'.repeat(LIMITS.maxTextBytes)}"}`
    expect(only(parseDefinitionText(text)).message).toStartWith(
      `the definition is ${text.length} bytes; the limit is ${LIMITS.maxTextBytes} bytes`,
    )
  })

  test('1,000-deep nesting of loop bodies: one clear error at the first step too deep', () => {
    let inner: Json = act('leaf')
    for (let i = 999; i >= 0; i--) {
      inner = { id: `l${i}`, type: 'loop', config: { max_iter: 1, over: '[1]', body: [inner] } }
    }
    const def = wf(inner)
    const issue = only(validateDefinition(def))
    const depth = LIMITS.maxNesting
    expect(issue.path).toBe(`/steps/0${'/config/body/0'.repeat(depth)}`)
    expect(issue.message).toStartWith(`step "l${depth}": nested more than ${depth} levels deep`)
    // The same through text (JSON.parse and the walk are both iterative enough).
    expect(only(parseDefinitionText(JSON.stringify(def))).path).toBe(issue.path)
    // Exactly at the limit is fine.
    let ok: Json = act('leaf')
    for (let i = depth - 1; i >= 0; i--) {
      ok = { id: `l${i}`, type: 'parallel', config: { branches: [[ok]] } }
    }
    expect(validateDefinition(wf(ok)).ok).toBe(true)
  })

  test('100,000-deep JSON inside params: a depth error, no stack overflow', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`
    const text = `{"steps": [{"id": "a", "action": "x", "params": {"v": ${deep}}}]}`
    const issue = only(parseDefinitionText(text))
    expect(issue.message).toBe(
      `step "a": params is nested more than ${LIMITS.maxValueDepth} levels deep`,
    )
    expect(issue.path).toStartWith('/steps/0/params/v/0/0/0')
    // A malformed deep text is located without recursion either.
    expect(only(parseDefinitionText(`{"a": ${'['.repeat(100_000)}`)).message).toBe(
      `invalid JSON at line 1, column ${100_007}: unexpected end of input: expected a value`,
    )
  })

  test('cyclic JavaScript objects (not JSON) terminate', () => {
    const step: Json = { id: 'l', type: 'loop', config: { max_iter: 1, over: '[1]', body: [] } }
    ;((step.config as Json).body as unknown[]).push(step, step)
    const params: Json = {}
    params.self = params
    const result = validateDefinition(wf(step, act('p', { params })))
    expect(result.ok).toBe(false)
    expect(errors(result).some((e) => e.message.includes('more than 10000 steps'))).toBe(true)
  })

  test('__proto__ keys are plain unknown keys; __proto__ as a step id is refused', () => {
    const text =
      '{"__proto__": {"polluted": true}, "steps": [{"id": "a", "action": "x", "__proto__": {"polluted": 1}, "params": {"__proto__": {"polluted": 2}}}]}'
    const result = parseDefinitionText(text)
    expect(result.ok).toBe(true)
    expect(result.warnings.map((w) => w.path)).toEqual(['/__proto__', '/steps/0/__proto__'])
    expect(({} as Json).polluted).toBeUndefined()
    const reserved = only(parseDefinitionText('{"steps": [{"id": "__proto__", "action": "x"}]}'))
    expect(reserved.message).toBe('step id "__proto__" is reserved; choose another id')
  })

  test('control characters in ids are escaped in messages, long ids clipped and refused', () => {
    const evil = 'a\u001b[31mred\u0000'
    const result = validateDefinition(wf(act(evil), act(evil)))
    const message = only(result).message
    expect(message).toBe('duplicate step id "a\\u001b[31mred\\u0000" (first used at /steps/0)')
    expect(message).not.toContain('\u001b')
    const long = 'x'.repeat(LIMITS.maxIdLength + 1)
    expect(only(validateDefinition(wf(act(long)))).message).toBe(
      `step id is ${LIMITS.maxIdLength + 1} characters long; the limit is ${LIMITS.maxIdLength}`,
    )
  })

  test('thousands of problems are capped, with a count of the rest', () => {
    const steps = Array.from({ length: 3_000 }, (_, i) => ({ id: `s${i}`, extra: 1 }))
    const result = validateDefinition(wf(...steps))
    const errs = errors(result)
    expect(errs).toHaveLength(LIMITS.maxIssues + 1)
    expect(errs[LIMITS.maxIssues]?.message).toBe(
      `2500 more errors not listed (only the first ${LIMITS.maxIssues} are)`,
    )
    expect(result.warnings).toHaveLength(LIMITS.maxIssues + 1)
  })
})
