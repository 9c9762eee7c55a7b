/**
 * The shared fixtures of test/fixtures/definitions (also used by other suites and the docs): each
 * valid file passes, each invalid file yields exactly the listed problems.
 */
import { describe, expect, test } from 'bun:test'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Issue } from '../errors.ts'
import { parseDefinitionText, type ValidationResult } from './index.ts'

const DIR = join(import.meta.dir, '..', '..', 'test', 'fixtures', 'definitions')

function load(name: string): ValidationResult {
  return parseDefinitionText(readFileSync(join(DIR, name), 'utf8'))
}

/** `path code` lines, for comparing whole reports at a glance. */
function lines(issues: Issue[]): string[] {
  return issues.map((i) => `${i.path} ${i.code}`)
}

function errorsOf(result: ValidationResult): Issue[] {
  if (result.ok) throw new Error('expected an invalid definition')
  return result.errors
}

describe('valid fixtures', () => {
  for (const file of readdirSync(join(DIR, 'valid'))) {
    test(`valid/${file} passes validation`, () => {
      const result = load(`valid/${file}`)
      expect(result.ok ? [] : result.errors).toEqual([])
      expect(result.ok).toBe(true)
    })
  }

  test('the definition returned is the input, unknown keys included (D8)', () => {
    const text = readFileSync(join(DIR, 'valid/reference-leniency.json'), 'utf8')
    const result = parseDefinitionText(text)
    if (!result.ok) throw new Error('expected valid')
    expect(result.definition).toEqual(JSON.parse(text))
    expect((result.definition as unknown as Record<string, unknown>).name).toBe(
      'written-for-the-reference',
    )
  })

  test('well-formed definitions give no warnings', () => {
    for (const file of ['linear.json', 'diamond.json', 'all-step-types.json']) {
      expect(load(`valid/${file}`)).toMatchObject({ ok: true, warnings: [] })
    }
  })

  test("the seed README's example warns about ${{steps.X.result}} (D21)", () => {
    const result = load('valid/readme-example.json')
    expect(result.warnings).toHaveLength(1)
    expect(result.warnings[0]).toMatchObject({
      path: '/steps/1/params/body',
      code: 'VALIDATION_ERROR',
      severity: 'warning',
    })
    expect(result.warnings[0]?.message).toContain('did you mean "${{steps.fetch_data.output}}"')
  })

  test('reference-style files load with warnings for unknown keys and a bad step timeout', () => {
    expect(lines(load('valid/reference-leniency.json').warnings)).toEqual([
      '/name VALIDATION_ERROR',
      '/description VALIDATION_ERROR',
      '/context VALIDATION_ERROR',
      '/steps/0/description VALIDATION_ERROR',
      '/steps/0/timeout VALIDATION_ERROR',
      '/steps/0/retry/max VALIDATION_ERROR',
      '/steps/1/config/note VALIDATION_ERROR',
    ])
  })

  test('injection-looking and unicode ids are plain ids', () => {
    const result = load('valid/unusual-ids.json')
    expect(result.ok).toBe(true)
    // Only the dotted id is worth a warning.
    expect(lines(result.warnings)).toEqual(['/steps/1/id VALIDATION_ERROR'])
  })

  test('warnings.json shows every kind of warning, each at its pointer', () => {
    const result = load('valid/warnings.json')
    expect(result.ok).toBe(true)
    const byPath = new Map<string, string[]>()
    for (const w of result.warnings) byPath.set(w.path, [...(byPath.get(w.path) ?? []), w.message])
    const has = (path: string, text: string) =>
      expect(byPath.get(path)?.some((m) => m.includes(text))).toBe(true)
    has('/description', 'unknown key "description"')
    has('/steps/0/dependson', 'did you mean "depends_on"?')
    has('/steps/0/params/body', 'did you mean "${{steps.fetch_data.output}}"')
    has('/steps/0/params/who', 'unknown namespace "user"')
    has('/steps/0/params/item', 'only available inside a loop body')
    has('/steps/0/params/${{inputs.key}}', 'is not interpolated; only values are')
    has('/steps/0/timeout', 'is ignored: the step has no deadline')
    has('/steps/0/retry/max', 'more than 10 retries')
    has('/steps/0/retry/max_delay', 'shorter than retry.delay')
    has('/steps/0/config', 'config is not used by action steps')
    has('/steps/1/id', 'dots in ids')
    has('/steps/1/timeout', 'not interpolated')
    has('/steps/1/on_error/fallback_step', 'only used with strategy "fallback_step"')
    has('/steps/1/params/message', 'names step "missing", which is not in this workflow')
    has('/steps/2/action', '"action" is not used by condition steps')
    has('/steps/2/params', 'params are only used by action steps')
    has('/steps/2/config/branches/True', 'never matches')
    has('/steps/2/config/branches/false/0/depends_on', 'depends_on is ignored inside bodies')
    has('/steps/3/config/prompt_context', 'prompt_context is empty')
    has('/steps/3/config/options/1/label', 'unknown key "config.options[1].label"')
    has('/steps/3/config/fallback', 'not one of the options ("yes", "no")')
    has('/steps/3/config/timeout', 'longer than the step timeout')
    has('/steps/3/config/timeout', 'longer than the workflow timeout')
    has('/steps/3/config/data_inject/raw', 'did you mean "${{steps.fetch.output}}"')
    has('/steps/4/config/signal', '"signal" is ignored when "duration" is set')
    has('/steps/4/config/duration', 'longer than the step timeout')
    has('/steps/4/config/duration', 'longer than the workflow timeout')
    has('/steps/5/config/over', '"over" is not used by while loops')
    has('/steps/6/condition', 'condition is blank and is ignored')
    has('/on_complete/depends_on', 'hooks run once the workflow has ended')
    expect(result.warnings.every((w) => w.severity === 'warning')).toBe(true)
  })
})

describe('invalid fixtures', () => {
  test('malformed-json.txt: one error with line and column', () => {
    expect(errorsOf(load('invalid/malformed-json.txt'))).toEqual([
      {
        path: '',
        code: 'VALIDATION_ERROR',
        message: "invalid JSON at line 3, column 44: trailing comma before '}'",
        severity: 'error',
      },
    ])
  })

  test('not-an-object.json and no-steps.json', () => {
    expect(errorsOf(load('invalid/not-an-object.json'))[0]?.message).toBe(
      'a workflow definition must be a JSON object with a "steps" array, got an array',
    )
    expect(errorsOf(load('invalid/no-steps.json'))).toEqual([
      {
        path: '/steps',
        code: 'VALIDATION_ERROR',
        message: 'workflow has no steps: "steps" needs at least one step',
        severity: 'error',
      },
    ])
  })

  test('cycle.json: the cycle is named, the self-dependency pointed at, the blocked step warned', () => {
    const result = load('invalid/cycle.json')
    const errors = errorsOf(result)
    expect(errors.map((e) => [e.path, e.code, e.message])).toEqual([
      ['/steps/5/depends_on/0', 'CYCLE_DETECTED', 'step "self" depends on itself'],
      ['/steps', 'CYCLE_DETECTED', 'workflow contains a cycle: a → b → c → a'],
    ])
    expect(result.warnings.map((w) => [w.path, w.message])).toEqual([
      ['/steps/4', 'step "after" can never run: it depends on a step in a cycle'],
    ])
  })

  test('wrong-types.json: a type error at every wrong field, none missed', () => {
    expect(lines(errorsOf(load('invalid/wrong-types.json')))).toEqual([
      '/inputs VALIDATION_ERROR',
      '/timeout VALIDATION_ERROR',
      '/on_timeout VALIDATION_ERROR',
      '/metadata VALIDATION_ERROR',
      '/steps/0/id VALIDATION_ERROR',
      '/steps/0/type VALIDATION_ERROR',
      '/steps/0/action VALIDATION_ERROR',
      '/steps/0/depends_on VALIDATION_ERROR',
      '/steps/0/condition VALIDATION_ERROR',
      '/steps/0/timeout VALIDATION_ERROR',
      '/steps/0/retry/max VALIDATION_ERROR',
      '/steps/0/retry/backoff VALIDATION_ERROR',
      '/steps/0/retry/delay VALIDATION_ERROR',
      '/steps/0/on_error VALIDATION_ERROR',
      '/steps/0/limits/memory_mb VALIDATION_ERROR',
      '/steps/0/limits/max_pids VALIDATION_ERROR',
      '/steps/1 VALIDATION_ERROR',
      '/steps/2 VALIDATION_ERROR',
      '/on_complete VALIDATION_ERROR',
    ])
    const messages = errorsOf(load('invalid/wrong-types.json')).map((e) => e.message)
    expect(messages).toContain('step at /steps/0: retry.max must be an integer, got a string ("3")')
    expect(messages).toContain('workflow: inputs must be an object, got an array')
    expect(messages).toContain('step at /steps/0: limits.max_pids must be ≥ 0, got -1')
  })

  test('every-rule.json: every rule of §4/§5 reported at once', () => {
    const errors = errorsOf(load('invalid/every-rule.json'))
    expect(errors.map((e) => `${e.path} ${e.message}`)).toEqual([
      '/timeout workflow: invalid timeout "5 minutes": expected a duration such as "500ms", "30s", "5m" or "1h30m"',
      '/steps/0/id step at /steps/0 has an empty id',
      '/steps/2/id duplicate step id "dup" (first used at /steps/1)',
      '/steps/3 step "no-action": action steps need an "action" name, e.g. "http.get"',
      '/steps/4/type step "bad-type": type "lambda" is not one of "action", "condition", "reasoning", "parallel", "loop", "wait"',
      '/steps/5/depends_on/0 step "deps" depends on unknown step "ghost"',
      '/steps/5/depends_on/2 step "deps" lists "dup" twice in depends_on',
      '/steps/6/retry/max step "retry": retry.max must be ≥ 0, got -1',
      '/steps/6/retry/backoff step "retry": retry.backoff "random" is not one of "none", "linear", "exponential", "constant"',
      '/steps/6/retry/delay step "retry": invalid retry.delay "fast": expected a duration such as "500ms", "30s", "5m" or "1h30m"',
      '/steps/6/retry/max_delay step "retry": retry.max_delay "-1s" must not be negative',
      '/steps/7/on_error step "handler": strategy "fallback_step" needs on_error.fallback_step, the id of a top-level step',
      '/steps/8/on_error/fallback_step step "handler2": fallback step "nowhere" is not a top-level step',
      '/steps/9/on_error/strategy step "handler3": on_error.strategy "panic" is not one of "ignore", "fail_workflow", "fallback_step", "retry"',
      '/steps/10/config step "loop-no-cap": a loop needs "max_iter" > 0 or a "condition"; for a for_each loop, set max_iter to cap the iterations',
      '/steps/11/config/body step "loop-empty": the loop body must not be empty',
      '/steps/12/config/mode step "loop-mode": config.mode "forever" is not one of "for_each", "while", "until"',
      '/steps/13/config/max_iter step "loop-max": config.max_iter must be an integer, got a number (1.5)',
      '/steps/14/config step "no-config": parallel steps need a "config" object',
      '/steps/15/config/branches step "par-empty": a parallel step needs at least one branch',
      '/steps/16/config/mode step "par-mode": config.mode "first" is not one of "all", "race"',
      '/steps/17/config/expression step "cond-empty": config.expression must not be empty',
      '/steps/18/config step "wait-nothing": a wait step needs "duration" (e.g. "30s") or "signal"',
      '/steps/19/config/duration step "wait-bad": invalid config.duration "a while": expected a duration such as "500ms", "30s", "5m" or "1h30m"',
      '/steps/20/config/options/2/id step "think": config.options[2].id is required',
      '/steps/20/config/options/1/id step "think": duplicate option id "a"',
      '/steps/20/config/timeout step "think": invalid config.timeout "later": expected a duration such as "500ms", "30s", "5m" or "1h30m"',
      '/steps/21/params/message step "unclosed": unclosed "${{" at character 1: add "}}" in "${{inputs.name"',
      '/steps/22/config/expression step "bad-cel": config.expression: invalid CEL expression at position 11: Unexpected token: EOF',
      '/steps/23/condition step "bad-guard": condition: invalid CEL expression at position 0: Unknown variable: unknown_var',
      '/steps/24/condition step "template-guard": condition "${{ }}" has no expression inside "${{ }}"',
      '/steps/25/config/condition step "template-cel": config.condition is a CEL expression, not a template: write steps.<id>.<field> without "${{ }}" and without ".output" (invalid CEL expression at position 0: Unexpected character: $)',
      '/steps/26/config/over step "bad-over": config.over: invalid CEL expression at position 13: Unexpected token: EOF',
    ])
    expect(errors.every((e) => e.code === 'VALIDATION_ERROR' && e.severity === 'error')).toBe(true)
  })

  test('nested.json: the same rules apply inside parallel, condition and loop bodies (A24)', () => {
    const errors = errorsOf(load('invalid/nested.json'))
    const body = '/steps/0/config/branches/0/0/config/branches/true/0/config/body'
    const dflt = '/steps/0/config/branches/0/0/config/default/0'
    expect(errors.map((e) => `${e.path} ${e.message}`)).toEqual([
      `${body}/0/action step "leaf": action steps need an "action" name, e.g. "http.get"`,
      `${body}/1/id duplicate step id "leaf" (first used at ${body}/0)`,
      `${body}/1/config/duration step "leaf": invalid config.duration "never": expected a duration such as "500ms", "30s", "5m" or "1h30m"`,
      `${body}/2/on_error/fallback_step step "fb": fallback step "leaf" is not a top-level step`,
      `${dflt}/id step at ${dflt} has an empty id`,
      `${dflt}/config step at ${dflt}: reasoning steps need a "config" object`,
    ])
  })

  test('fallback-loop.json: fallback chains that loop, and self-fallback', () => {
    expect(errorsOf(load('invalid/fallback-loop.json')).map((e) => [e.path, e.message])).toEqual([
      ['/steps/2/on_error/fallback_step', 'step "self-rescue" cannot be its own fallback step'],
      [
        '/steps/0/on_error/fallback_step',
        'fallback steps form a loop: "primary" → "secondary" → "primary"',
      ],
    ])
  })
})
