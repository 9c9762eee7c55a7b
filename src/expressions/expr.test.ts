import { describe, expect, test } from 'bun:test'
import { AppError } from '../errors.ts'
import { checkExpr, compileExpr, evalExpr } from './expr.ts'
import { builtinNames } from './expr-builtins.ts'

const env = {
  data: [1, 2, 3],
  users: [
    { name: 'Ann', age: 31, role: 'admin', tags: ['a', 'b'] },
    { name: 'Bob', age: 17, role: 'user', tags: [] },
    { name: 'Cid', age: 45, role: 'user', tags: ['c'] },
  ],
  steps: { 'fetch-data': { body: { count: 5, items: [{ score: 3 }, { score: 9 }] } } },
  inputs: { threshold: 4, name: 'Opcode' },
  s: 'Hello, World',
}

function error(source: string, e: Record<string, unknown> = env): AppError {
  try {
    const v = evalExpr(source, e)
    throw new Error(`expected an error from ${source}, got ${JSON.stringify(v)}`)
  } catch (err) {
    if (err instanceof AppError) return err
    throw err
  }
}

/** [source, expected] evaluated against `env`. */
function table(rows: Array<[string, unknown]>): void {
  for (const [source, expected] of rows) {
    test(source, () => {
      expect(evalExpr(source, env)).toEqual(expected)
    })
  }
}

describe('literals', () => {
  table([
    ['42', 42],
    ['0x1F + 0o17 + 0b11', 31 + 15 + 3],
    ['1_000_000', 1000000],
    ['1.5e3', 1500],
    ['"a\\tb\\u00e9\\x41"', 'a\tbéA'],
    ["'single'", 'single'],
    ['`raw\\n`', 'raw\\n'],
    ['true && !false', true],
    ['nil', null],
    ['[1, "two", nil, [3],]', [1, 'two', null, [3]]],
    ['{a: 1, "b-c": 2, 3: "x"}', { a: 1, 'b-c': 2, 3: 'x' }],
    ['1 /* comment */ + 1 // trailing', 2],
  ])
})

describe('operators and precedence (expr-lang)', () => {
  table([
    ['1 + 2 * 3 - 4 / 2', 5],
    ['(1 + 2) * 3', 9],
    ['7 % 3', 1],
    ['7 / 2', 3.5],
    ['2 ** 3 ** 2', 512],
    ['2 ^ 10', 1024],
    ['-2 ** 2', -4],
    ['-(3)', -3],
    ['1 < 2 == true', true],
    ['"a" < "b" and "b" >= "b"', true],
    ['1 == 1.0', true],
    ['[1, [2]] == [1, [2]] && {a: 1} == {a: 1.0}', true],
    ['true or false and false', true],
    ['not true || true', true],
    ['not (1 > 2)', true],
    ['2 in data && 5 not in data', true],
    ['"age" in users[0] && !("x" in users[0])', true],
    ['1 in {1: "a"} && !(2 in {1: "a"}) && !(nil in {a: 1})', true],
    ['s contains "World" and s startsWith "Hell" and s endsWith "ld"', true],
    ['s matches "^H.*d$" && not (s matches "^x")', true],
    ['s not contains "zzz"', true],
    ['1..4', [1, 2, 3, 4]],
    ['3..1', []],
    ['data + [4]', [1, 2, 3, 4]],
    ['"a" + "b"', 'ab'],
    ['nope ?? "fallback"', 'fallback'],
    ['0 ?? 1', 0],
    ['data[0] > 0 ? "pos" : "neg"', 'pos'],
    ['true ? false ? 1 : 2 : 3', 2],
  ])
})

describe('member access', () => {
  table([
    ['users[0].name', 'Ann'],
    ['users[-1].name', 'Cid'],
    ["steps['fetch-data'].body.count", 5],
    ['steps["fetch-data"]["body"]["items"][1].score', 9],
    ['users[0].missing', null],
    ['users[0]?.missing?.deeper', null],
    ['nope?.a.b.c', null],
    ['nope?.[0]', null],
    ['data[1:]', [2, 3]],
    ['data[:2]', [1, 2]],
    ['data[-2:]', [2, 3]],
    ['data[:]', [1, 2, 3]],
    ['s[0:5]', 'Hello'],
    ['s[7]', 'W'],
    ['undefinedVariable', null],
  ])
})

describe('let, if and pipes', () => {
  table([
    ['let x = 5; x * 2', 10],
    ['let x = 2; let y = x + 1; x * y', 6],
    ['let data = 10; data', 10],
    ['if data[0] == 1 { "one" } else { "other" }', 'one'],
    ['if false { 1 } else if true { 2 } else { 3 }', 2],
    ['data | map(# * 2) | filter(# > 2) | sum()', 10],
    ['users | filter(.age >= 18) | map(.name) | join(", ")', 'Ann, Cid'],
  ])
})

describe('predicates and collection builtins', () => {
  table([
    ['filter(data, # > 1)', [2, 3]],
    ['filter(data, {# > 1})', [2, 3]],
    ["filter(steps['fetch-data'].body.items, {.score >= inputs.threshold})", [{ score: 9 }]],
    ['map(users, .name)', ['Ann', 'Bob', 'Cid']],
    ['map(data, # * #index)', [0, 2, 6]],
    ['all(users, .age > 10) && any(users, .role == "admin")', true],
    ['none(users, .age > 90) && one(users, .role == "admin")', true],
    ['count(users, .role == "user")', 2],
    ['count([true, false, true])', 2],
    ['sum(data)', 6],
    ['sum(data, {#})', 6],
    ['sum(users, .age)', 93],
    ['find(users, .age > 40).name', 'Cid'],
    ['find(users, .age > 90)', null],
    ['findIndex(users, .name == "Bob")', 1],
    ['findLast(data, # < 3)', 2],
    ['findLastIndex(data, # > 5)', -1],
    ['groupBy(users, .role).user | map(.name)', ['Bob', 'Cid']],
    ['sortBy(users, .age) | map(.name)', ['Bob', 'Ann', 'Cid']],
    ['sortBy(users, .name, "desc") | map(.name)', ['Cid', 'Bob', 'Ann']],
    ['reduce(data, #acc + #, 10)', 16],
    ['reduce(data, #acc * #)', 6],
    ['reduce([], #acc + #)', null],
    ['map(users, len(.tags)) | max()', 2],
    ['len(data) + len("héllo") + len({a: 1})', 9],
    ['first(data) + last(data)', 4],
    ['take(data, 2)', [1, 2]],
    ['reverse(data)', [3, 2, 1]],
    ['sort([3, 1, 2])', [1, 2, 3]],
    ['sort(["b", "a"], "desc")', ['b', 'a']],
    ['uniq([1, 2, 1, [1], [1]])', [1, 2, [1]]],
    ['flatten([1, [2, [3, [4]]]])', [1, 2, 3, 4]],
    ['concat([1], [2, 3], [])', [1, 2, 3]],
    ['keys({a: 1, b: 2})', ['a', 'b']],
    ['values({a: 1, b: 2})', [1, 2]],
    ['toPairs({a: 1})', [['a', 1]]],
    ['fromPairs([["a", 1], ["b", 2]])', { a: 1, b: 2 }],
    ['get(users, 5) ?? get(users[0], "name")', 'Ann'],
    ['min(3, 1, 2) + max([4, 9])', 10],
    ['mean([1, 2, 3, 4]) + median([5, 1, 3])', 5.5],
  ])
})

describe('string, number and conversion builtins', () => {
  table([
    ['upper(inputs.name) + lower(inputs.name)', 'OPCODEopcode'],
    ['trim("  x  ") + trim("--x--", "-")', 'xx'],
    ['trimPrefix("v1.2", "v") + trimSuffix("file.txt", ".txt")', '1.2file'],
    ['split("a,b,c", ",")', ['a', 'b', 'c']],
    ['split("a,b,c", ",", 2)', ['a', 'b,c']],
    ['splitAfter("a,b", ",")', ['a,', 'b']],
    ['replace("a-b-c", "-", "+")', 'a+b+c'],
    ['repeat("ab", 3)', 'ababab'],
    ['indexOf("héllo", "l") + lastIndexOf("hello", "l")', 5],
    ['hasPrefix(s, "Hello") && hasSuffix(s, "World")', true],
    ['contains(s, "lo, W") && startsWith(s, "H") && endsWith(s, "d")', true],
    ['join(["a", "b"]) + join(["a", "b"], "-")', 'aba-b'],
    ['abs(-3) + ceil(1.2) + floor(1.8) + round(2.5) + round(-2.5)', 3 + 2 + 1 + 3 - 3],
    ['int("42") + int(3.9) + float("1.5")', 46.5],
    [
      'string(1000000) + string(0.00001) + string(true) + string(nil) + string([1])',
      '10000000.00001truenil[1]',
    ],
    [
      'type(1) + type(1.5) + type("") + type(nil) + type([]) + type({})',
      'intfloatstringnilarraymap',
    ],
    ['toJSON({a: [1]})', '{\n  "a": [\n    1\n  ]\n}'],
    ['fromJSON("{\\"a\\": [1, 2]}").a[1]', 2],
    ['toBase64("hi") + fromBase64("aGk=")', 'aGk=hi'],
    [
      'bitand(12, 10) + bitor(12, 10) + bitxor(12, 10) + bitnot(0) + bitshl(1, 4) + bitshr(16, 2)',
      8 + 14 + 6 - 1 + 16 + 4,
    ],
  ])
})

describe('compile errors (VALIDATION_ERROR with position, line and column)', () => {
  test('type errors between literals are caught at compile time, like expr-lang', () => {
    for (const [source, message] of [
      ['"a" + 1', 'invalid operation: + (mismatched types string and int)'],
      ['not 5', 'invalid operation: not int'],
      ['1 && true', 'mismatched types int and bool'],
      ['"a" > 1', 'mismatched types string and int'],
      ['1.5 % 2', 'mismatched types float and int'],
    ] as const) {
      const err = error(source)
      expect({ source, code: err.code }).toEqual({ source, code: 'VALIDATION_ERROR' })
      expect(err.message).toContain(message)
    }
  })

  test('syntax errors point at the offending token', () => {
    const err = error('users[0].name ==\n  (1 +')
    expect(err.code).toBe('VALIDATION_ERROR')
    expect(err.details).toMatchObject({ engine: 'Expr', line: 2, column: 7, position: 23 })
    expect(err.message).toContain('line 2, column 7')
  })

  test('unknown functions, method calls, misplaced # and bad arity', () => {
    expect(error('foo(1)').message).toContain('unknown function foo()')
    expect(error('s.upper()').message).toContain('method calls are not supported')
    expect(error('# + 1').message).toContain('only valid inside a predicate')
    expect(error('.x').message).toContain('only valid inside a predicate')
    expect(error('len(1, 2)').message).toContain('len() takes 1 argument, got 2')
    expect(error('filter(data)').message).toContain('filter() takes 2 arguments')
  })

  test('bad literals', () => {
    expect(error('"unclosed').message).toContain('unclosed string')
    expect(error('"bad \\q escape"').message).toContain('invalid escape')
    expect(error('0x').message).toContain('invalid number')
    expect(error('1 @ 2').message).toContain('unexpected character')
    expect(error('#foo').message).toContain('unknown pointer')
    expect(error('"a" matches "("').message).toContain('invalid regular expression')
    expect(error('if true { 1 }').message).toContain('"if" needs an "else"')
  })

  test('checkExpr reports without throwing; compiled programs are cached', () => {
    expect(checkExpr('filter(data, # > 1)')).toEqual({ ok: true })
    expect(checkExpr('1 +')).toMatchObject({ ok: false, position: 3 })
    expect(checkExpr('')).toEqual({ ok: false, message: 'empty expr expression', position: 0 })
    const a = compileExpr('data[0] + 1')
    expect(a.run({ data: [1] })).toBe(2)
    expect(a.run({ data: [5] })).toBe(6)
  })
})

describe('run-time errors (EXECUTION_ERROR with position)', () => {
  test.each([
    ['data[5]', 'index out of range: 5 (array of length 3)'],
    ['nope.x', 'cannot fetch "x" from nil'],
    ['users.name', 'cannot fetch "name" from array'],
    ['1 / 0', 'division by zero'],
    ['5 % (data[0] - 1)', 'integer divide by zero'],
    ['s + 1', 'invalid operation: string + int'],
    ['s > 1', 'invalid operation: string > int'],
    ['filter(data, # + 1)', 'filter() predicate must return a bool'],
    ['upper(1 + data[0])', 'upper() expects a string'],
    ['data && true', 'left side of && must be a bool'],
    ['int("x")', 'int(): cannot parse'],
    ['fromJSON("{")', 'fromJSON()'],
    ['s matches inputs.pattern', 'matches needs strings'],
    ['users[0].age matches "x"', 'matches needs strings'],
  ])('%s', (source, message) => {
    const err = error(source)
    expect(err.code).toBe('EXECUTION_ERROR')
    expect(err.message).toContain(message)
    expect(typeof (err.details as { position?: unknown }).position).toBe('number')
  })

  test('results with NaN or Infinity are rejected', () => {
    expect(error('[2 ** 2000]').message).toContain('Infinity')
  })
})

test('the builtin library is complete', () => {
  for (const name of [
    'len',
    'upper',
    'lower',
    'trim',
    'contains',
    'startsWith',
    'endsWith',
    'split',
    'join',
    'abs',
    'ceil',
    'floor',
    'round',
    'filter',
    'map',
    'count',
    'any',
    'all',
    'none',
    'one',
    'sum',
    'min',
    'max',
    'find',
    'findIndex',
    'groupBy',
    'sortBy',
    'reduce',
  ]) {
    expect(builtinNames()).toContain(name)
  }
})
