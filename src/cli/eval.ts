/**
 * `opcode eval --engine cel|jq|expr EXPR [--data JSON]` (decisions.md D1, D21): evaluates an
 * expression locally so users and agents can try it before saving a workflow. Prints the result as
 * JSON. Exit 0 ok, 1 evaluation error, 2 compile error or bad usage.
 */
import { resolve } from 'node:path'
import { AppError, isAppError } from '../errors.ts'
import { bool, jsonFlag, parseArgs, str, UsageError } from './args.ts'
import { type Command, type CommandIo, EXIT } from './command.ts'

const USAGE = `Usage:
  opcode eval [--engine cel|jq|expr] EXPR [--data JSON | --data-file FILE] [--json]

Evaluates EXPR and prints the result as JSON (EXPR "-" reads it from stdin).

Engines:
  cel    (default) conditions, loop over/condition and step guards. Variables: steps, inputs,
         workflow, context, iter — the top-level keys of --data (absent ones are {}).
         steps maps a step id to its output directly: steps.fetch.status_code.
  expr   the expr.eval action's language. Every top-level key of --data is a variable;
         undefined names are nil.
  jq     the jq.eval action's language (jq 1.8). The whole --data document is the input
         (null without --data).

Flags:
  --engine E        cel, jq or expr (default cel)
  --data JSON       the scope (CEL, Expr) or input document (jq)
  --data-file FILE  read --data from a file (- = stdin)
  --json            print {"result": …} or {"error": {code, message, details}} on stdout

Examples:
  opcode eval 'steps.fetch.status == 200.0 && size(inputs.items) > 0' \\
    --data '{"steps": {"fetch": {"status": 200}}, "inputs": {"items": [1]}}'
  opcode eval --engine expr 'sum(data, {#})' --data '{"data": [1, 2, 3]}'
  opcode eval --engine jq '[.items[] | select(. > 1)]' --data '{"items": [1, 2, 3]}'

Exit status: 0 ok, 1 evaluation error, 2 compile error or bad usage.
`

const ENGINES = ['cel', 'jq', 'expr'] as const
type Engine = (typeof ENGINES)[number]

export const evalCommand: Command = {
  name: 'eval',
  summary: 'evaluate a CEL, jq or Expr expression and print the result as JSON',
  usage: USAGE,
  async run(argv, io) {
    const args = parseArgs(argv, [
      { name: 'engine', type: 'string', short: 'e' },
      { name: 'data', type: 'string' },
      { name: 'data-file', type: 'string' },
      { name: 'json', type: 'boolean' },
    ])
    const engine = (str(args, 'engine') ?? 'cel') as Engine
    if (!ENGINES.includes(engine)) {
      throw new UsageError(`--engine must be cel, jq or expr, not ${JSON.stringify(engine)}`)
    }
    const [first, ...extra] = args.positionals
    if (first === undefined) throw new UsageError('expected an EXPR')
    if (extra.length > 0) {
      throw new UsageError(
        `expected one EXPR, got ${args.positionals.length} (quote the expression)`,
      )
    }
    const json = bool(args, 'json') === true
    const expression = first === '-' ? (await io.readStdin()).replace(/\n$/, '') : first
    const data = await readData(args, io, first === '-')
    if (engine !== 'jq' && data !== undefined && !isObject(data)) {
      throw new UsageError(
        '--data must be a JSON object whose keys are the variables (use jq for other documents)',
      )
    }
    try {
      const result = await evaluate(engine, expression, data)
      io.stdout(`${JSON.stringify(json ? { result } : result, null, 2)}\n`)
      return EXIT.ok
    } catch (err) {
      if (!isAppError(err)) throw err
      if (json) io.stdout(`${JSON.stringify({ error: err.toJSON() }, null, 2)}\n`)
      else io.stderr(describeError(err, expression))
      return err.code === 'VALIDATION_ERROR' ? EXIT.usage : EXIT.failed
    }
  },
}

async function readData(
  args: ReturnType<typeof parseArgs>,
  io: CommandIo,
  stdinTaken: boolean,
): Promise<unknown> {
  const file = str(args, 'data-file')
  if (file !== undefined && str(args, 'data') !== undefined) {
    throw new UsageError('give --data or --data-file, not both')
  }
  if (file === undefined) return jsonFlag(args, 'data')
  if (file === '-' && stdinTaken) throw new UsageError('EXPR and --data-file cannot both be stdin')
  let text: string
  try {
    text = file === '-' ? await io.readStdin() : await Bun.file(resolve(io.cwd, file)).text()
  } catch (err) {
    throw new UsageError(
      `cannot read --data-file ${JSON.stringify(file)}: ${(err as Error).message}`,
    )
  }
  try {
    return JSON.parse(text) as unknown
  } catch (err) {
    throw new UsageError(
      `--data-file ${JSON.stringify(file)} is not valid JSON: ${(err as Error).message}`,
    )
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

async function evaluate(engine: Engine, expression: string, data: unknown): Promise<unknown> {
  const x = await import('../expressions/index.ts')
  if (engine === 'jq') {
    try {
      return await x.evalJq(expression, data ?? null)
    } finally {
      x.shutdownJq()
    }
  }
  const scope = (data ?? {}) as Record<string, unknown>
  if (engine === 'expr') return x.evalExpr(expression, scope)
  try {
    return x.evalCel(expression, scope)
  } catch (err) {
    if (
      isAppError(err) &&
      err.code === 'VALIDATION_ERROR' &&
      err.message.includes('Unknown variable')
    ) {
      const hint = `CEL variables are ${x.CEL_VARIABLES.join(', ')}: put values under one of them, e.g. --data '{"inputs": {...}}'`
      throw new AppError(err.code, `${err.message} (${hint})`, { details: err.details, cause: err })
    }
    throw err
  }
}

/** `[CODE] message`, then the expression with a caret under the position when there is one. */
function describeError(err: AppError, expression: string): string {
  let out = `${err.toString()}\n`
  const position = (err.details as { position?: unknown } | undefined)?.position
  if (typeof position === 'number' && expression.length <= 200 && !expression.includes('\n')) {
    const at = Math.min(position, expression.length)
    out += `  ${sanitize(expression)}\n  ${' '.repeat(at)}^\n`
  }
  return out
}

/** Control characters shown escaped so an expression cannot drive the terminal. */
function sanitize(text: string): string {
  let out = ''
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0
    out += code < 0x20 || code === 0x7f ? `\\x${code.toString(16).padStart(2, '0')}` : ch
  }
  return out
}
