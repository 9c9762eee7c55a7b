/**
 * Our jq (jq-wasm, jq 1.8 in a worker) against Debian's `gojq` as an oracle (decisions.md D9), on a
 * corpus of filters and documents that workflows use. Results are compared as JSON values (object
 * key order ignored: gojq sorts keys); failures are compared by kind: a compile error (gojq exit 3)
 * must be our VALIDATION_ERROR, a run-time error (exit 5) our EXECUTION_ERROR. Needs `gojq`
 * (`apt-get install -y gojq`; .ci/run installs it); skipped with a message when it is absent.
 *
 * Known differences kept out of the corpus (jq 1.8 is the reference, gojq 0.12 the oracle): jq 1.8
 * removed `leaf_paths`, and `@uri` encodes a space as `%20` where gojq writes `+`.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AppError } from '../../src/errors.ts'
import { evalJq, shutdownJq } from '../../src/expressions/index.ts'

const GOJQ = Bun.which('gojq')
if (GOJQ === null) {
  console.warn(
    'jq-oracle: gojq not found (apt-get install -y gojq); the oracle comparison is skipped',
  )
}

afterAll(() => {
  shutdownJq()
})

const orders = {
  orders: [
    {
      id: 'o1',
      customer: { name: 'Ann', tier: 'gold' },
      total: 120.5,
      items: [
        { sku: 'a', qty: 2 },
        { sku: 'b', qty: 1 },
      ],
      status: 'shipped',
    },
    {
      id: 'o2',
      customer: { name: 'Bob', tier: 'silver' },
      total: 15,
      items: [{ sku: 'a', qty: 1 }],
      status: 'pending',
    },
    {
      id: 'o3',
      customer: { name: 'Cid', tier: 'gold' },
      total: 999.99,
      items: [],
      status: 'cancelled',
      note: null,
    },
  ],
  meta: { page: 1, per_page: 50, next: null, tags: ['x', 'y', 'x'] },
}

const scope = {
  steps: {
    fetch: {
      status_code: 200,
      body: {
        users: [
          { login: 'ann', admin: true },
          { login: 'bob', admin: false },
        ],
      },
    },
    'parse-data': {
      rows: [
        [1, 2],
        [3, 4],
      ],
    },
  },
  inputs: { threshold: 100, region: 'eu', text: 'Hello, World\nsecond line "quoted"' },
  workflow: { run_id: 'wf-1' },
  context: {},
}

/** [filter, input] */
const CORPUS: Array<[string, unknown]> = [
  ['.', orders],
  ['.orders[0].customer.name', orders],
  ['.orders[].id', orders],
  ['[.orders[] | select(.total > 100) | .id]', orders],
  ['[.orders[] | {id, name: .customer.name}]', orders],
  ['.orders | map(.total) | add', orders],
  ['.orders | length', orders],
  ['[.orders[].items | length] | max', orders],
  ['.orders | group_by(.customer.tier) | map({tier: .[0].customer.tier, n: length})', orders],
  ['.orders | sort_by(.total) | reverse | map(.id)', orders],
  ['.orders | min_by(.total).id', orders],
  ['[.orders[] | .items[] | .qty] | add', orders],
  ['.meta.tags | unique', orders],
  ['.meta | keys', orders],
  ['.meta | to_entries | map(select(.value != null)) | from_entries', orders],
  ['.orders[2].note // "none"', orders],
  ['.orders[] | select(.status == "pending") | .customer', orders],
  ['[.orders[] | .status] | index("pending")', orders],
  ['.orders | any(.total > 500)', orders],
  ['.orders | all(.items | length > 0)', orders],
  ['[.orders[] | .total | floor]', orders],
  ['[.orders[] | .total | tostring]', orders],
  ['.orders | map(.id) | join(",")', orders],
  ['.orders[0] | has("note"), has("id")', orders],
  ['.orders[0] | del(.items) | keys', orders],
  ['.orders[0] | .items |= map(.qty * 10)', orders],
  ['.orders | [limit(2; .[])] | map(.id)', orders],
  ['.orders | first(.[] | select(.customer.tier == "gold")) | .id', orders],
  ['[paths(type == "number")] | length', orders],
  ['[.. | numbers] | add', orders],
  ['reduce .orders[] as $o (0; . + ($o.items | length))', orders],
  ['[foreach .orders[] as $o (0; . + 1)]', orders],
  ['.orders | to_entries | map("\\(.key):\\(.value.id)")', orders],
  ['.orders[0].customer | with_entries(.value |= ascii_upcase)', orders],
  ['.meta.tags | map(. == "x") | map(not)', orders],
  ['[range(5)] | map(. * 2) | .[1:3]', null],
  ['[range(0; 10; 3)]', null],
  ['"a,b,c" | split(",")', null],
  ['"Hello" | ascii_downcase, ascii_upcase, length', null],
  ['"abc" | test("B"; "i")', null],
  ['"abc123" | [match("[0-9]+").string]', null],
  ['"2024-01-02" | sub("-"; "/"; "g")', null],
  ['"  x  " | ltrimstr("  ") | rtrimstr("  ")', null],
  ['{"a":1,"b":{"c":2}} | [paths(scalars) | join(".")]', null],
  ['{"a":{"b":1}} * {"a":{"c":2}}', null],
  ['[1,2,3] - [2]', null],
  ['[3,1,2] | sort | reverse', null],
  ['[1,[2,[3]]] | flatten', null],
  ['[1,2] | contains([1])', null],
  ['{"a":1} | tojson | fromjson', null],
  ['[1, null, 2] | map(values)', null],
  ['1 as $x | 2 as $y | [$x, $y, $x + $y]', null],
  ['def double: . * 2; [1, 2] | map(double)', null],
  ['try error("x") catch .', null],
  ['[.[] | (1 / .)?]', [1, 0, 2]],
  ['if . > 2 then "big" elif . > 1 then "mid" else "small" end', 2],
  ['@base64', 'hello'],
  ['@base64d', 'aGVsbG8='],
  ['@uri', 'a/b&c=d?é'],
  ['@csv', [1, 'a', null]],
  ['@html', '<a href="x">'],
  ['[.[] | @text]', [1, 'x', true]],
  ['splits(", ")', 'a, b, c'],
  ['[.[] | tostring]', [1, 'x', [1], { a: 1 }]],
  ['.steps.fetch.body.users | map(select(.admin)) | map(.login)', scope],
  ['.steps["parse-data"].rows | map(add)', scope],
  ['.inputs.text | split("\\n") | length', scope],
  ['.inputs.text', scope],
  ['.inputs | to_entries | map(.key) | sort', scope],
  ['{region: .inputs.region, users: (.steps.fetch.body.users | length)}', scope],
  ['.inputs.threshold as $t | [.steps.fetch.status_code | select(. >= $t)]', scope],
  ['$ENV | type', null],
  ['[env | length]', null],
  ['empty', null],
  ['.missing.deeper', {}],
  ['.[0]', []],
  ['1e3, 0.5, -0, 100000000000', null],
  // Failures: the kind must agree.
  ['.a |', null],
  ['nosuchfunction(1)', null],
  ['{', null],
  ['error("boom")', null],
  ['.a + 1', { a: 'x' }],
  ['.[] | ascii_downcase', [1]],
  ['1 / 0', null],
  ['keys', 5],
  ['.a.b', { a: 'text' }],
]

interface Outcome {
  ok: boolean
  value?: unknown
  kind?: 'compile' | 'runtime'
}

async function gojq(filter: string, input: unknown): Promise<Outcome> {
  const proc = Bun.spawn([GOJQ as string, '-c', filter], {
    stdin: new TextEncoder().encode(JSON.stringify(input)),
    stdout: 'pipe',
    stderr: 'pipe',
    env: {},
  })
  const [stdout, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited])
  if (code !== 0) return { ok: false, kind: code === 3 ? 'compile' : 'runtime' }
  const values = stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as unknown)
  return { ok: true, value: values.length === 0 ? null : values.length === 1 ? values[0] : values }
}

async function ours(filter: string, input: unknown): Promise<Outcome> {
  try {
    return { ok: true, value: await evalJq(filter, input) }
  } catch (err) {
    if (!(err instanceof AppError)) throw err
    return { ok: false, kind: err.code === 'VALIDATION_ERROR' ? 'compile' : 'runtime' }
  }
}

describe('jq agrees with gojq', () => {
  test.skipIf(GOJQ === null)(
    `on ${CORPUS.length} filters (results as JSON values, failures by kind)`,
    async () => {
      const mismatches: string[] = []
      for (const [filter, input] of CORPUS) {
        const [expected, actual] = await Promise.all([gojq(filter, input), ours(filter, input)])
        try {
          expect(actual).toEqual(expected)
        } catch {
          mismatches.push(
            `${filter}\n    gojq: ${JSON.stringify(expected)}\n    ours: ${JSON.stringify(actual)}`,
          )
        }
      }
      expect(mismatches).toEqual([])
    },
  )

  test.skipIf(GOJQ === null)(
    'the corpus exercises both success and every failure kind',
    async () => {
      const outcomes = await Promise.all(CORPUS.map(([f, i]) => gojq(f, i)))
      expect(outcomes.filter((o) => o.ok).length).toBeGreaterThan(70)
      expect(outcomes.some((o) => o.kind === 'compile')).toBe(true)
      expect(outcomes.some((o) => o.kind === 'runtime')).toBe(true)
    },
  )
})

describe('jq in a compiled binary', () => {
  test('bun build --compile with the worker as an extra entry point runs jq', async () => {
    const root = join(import.meta.dir, '..', '..')
    const dir = mkdtempSync(join(tmpdir(), 'opcode-jq-bin-'))
    try {
      const out = join(dir, 'opcode')
      const build = Bun.spawn(
        [
          process.execPath,
          'build',
          '--compile',
          'src/main.ts',
          'src/expressions/jq-worker.ts',
          '--outfile',
          out,
        ],
        { cwd: root, stdout: 'pipe', stderr: 'pipe' },
      )
      expect(await build.exited).toBe(0)
      // Run from another directory: the worker must come from inside the binary.
      const run = Bun.spawn([out, 'eval', '--engine', 'jq', '[.[] | . * 2]', '--data', '[1, 2]'], {
        cwd: dir,
        stdout: 'pipe',
        stderr: 'pipe',
      })
      const [stdout, stderr, code] = await Promise.all([
        new Response(run.stdout).text(),
        new Response(run.stderr).text(),
        run.exited,
      ])
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' })
      expect(JSON.parse(stdout)).toEqual([2, 4])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
