/**
 * `opcode diagram FILE --format ascii|mermaid|svg|image [--out F]` (decisions.md D1): draws a
 * definition file locally. Where the definition comes from is a `DiagramSource`; the client forms
 * (`--template NAME [--version V]`, `--workflow ID` with status) plug in as further sources in
 * `diagramSources` without touching the rendering and output code below.
 */
import { resolve } from 'node:path'
import {
  buildDiagramModel,
  definitionError,
  parseDiagramFormat,
  renderAscii,
  renderDiagram,
  type StepStateLike,
} from '../diagram/index.ts'
import { AppError, isAppError } from '../errors.ts'
import type { WorkflowDefinition } from '../schema/workflow.ts'
import { parseDefinitionText } from '../validation/index.ts'
import { type FlagSpec, type ParsedArgs, parseArgs, str, UsageError } from './args.ts'
import { type Command, type CommandIo, EXIT } from './command.ts'

/** What a source hands to the renderer. */
export interface DiagramInput {
  definition: WorkflowDefinition
  /** Step states keyed by step key, for a status overlay. */
  states?: Record<string, StepStateLike>
  title?: string
}

/** One way of naming the workflow to draw. */
export interface DiagramSource {
  /** Flags this source adds to the command. */
  flags: FlagSpec[]
  /** Usage lines for `--help`. */
  usage: string[]
  /** Whether the parsed arguments select this source. */
  matches(args: ParsedArgs): boolean
  load(args: ParsedArgs, io: CommandIo): Promise<DiagramInput>
}

/** A definition file (`-` reads standard input), drawn without status. */
export const fileSource: DiagramSource = {
  flags: [],
  usage: ['opcode diagram FILE --format F [--out PATH]     a definition file (- = stdin)'],
  matches: (args) => args.positionals.length > 0,
  async load(args, io) {
    const [file, ...extra] = args.positionals
    if (extra.length > 0) throw new UsageError(`expected one FILE, got ${args.positionals.length}`)
    const path = file as string
    let text: string
    if (path === '-') text = await io.readStdin()
    else {
      const handle = Bun.file(resolve(io.cwd, path))
      if (!(await handle.exists())) throw new UsageError(`no such file: ${path}`)
      text = await handle.text()
    }
    const result = parseDefinitionText(text)
    if (!result.ok) throw definitionError(result)
    return { definition: result.definition }
  },
}

/** Sources in order of precedence; the server client adds `--template` and `--workflow` here. */
export const diagramSources: DiagramSource[] = [fileSource]

const COMMON_FLAGS: FlagSpec[] = [
  { name: 'format', type: 'string', short: 'f' },
  { name: 'out', type: 'string', short: 'o' },
  { name: 'width', type: 'string' },
]

export const diagramCommand: Command = {
  name: 'diagram',
  summary: 'draw a workflow as ASCII, Mermaid, SVG or PNG',
  get usage() {
    return [
      'Usage:',
      ...diagramSources.flatMap((s) => s.usage.map((line) => `  ${line}`)),
      '',
      'Flags:',
      '  --format, -f F   ascii (default), mermaid, svg, or image (PNG; needs --out)',
      '  --out, -o PATH   write to PATH instead of standard output',
      '  --width N        widest ASCII line in columns (default 100); wider graphs become a list',
      '',
      'Exit codes: 0 drawn, 1 could not draw (e.g. too large for the format), 2 usage error or',
      'invalid definition (its problems are printed).',
      '',
    ].join('\n')
  },
  async run(argv, io) {
    const args = parseArgs(argv, [...COMMON_FLAGS, ...diagramSources.flatMap((s) => s.flags)])
    const format = parseFormat(str(args, 'format') ?? 'ascii')
    const out = str(args, 'out')
    const width = parseWidth(str(args, 'width'))
    if (format === 'png' && out === undefined)
      throw new UsageError('--format image writes binary PNG: give --out FILE.png')
    const source = diagramSources.find((s) => s.matches(args))
    if (source === undefined) throw new UsageError('name a definition FILE to draw')
    try {
      const input = await source.load(args, io)
      const model = buildDiagramModel(
        input.definition,
        input.states,
        input.title === undefined ? {} : { title: input.title },
      )
      const rendered =
        format === 'ascii' && width !== undefined
          ? renderAscii(model, { maxWidth: width })
          : await renderDiagram(model, format)
      if (out === undefined) {
        io.stdout(rendered as string)
        return EXIT.ok
      }
      await Bun.write(resolve(io.cwd, out), rendered)
      io.stderr(`wrote ${out}\n`)
      return EXIT.ok
    } catch (err) {
      if (!isAppError(err)) throw err
      io.stderr(describe(err))
      return err.code === 'VALIDATION_ERROR' || err.code === 'CYCLE_DETECTED'
        ? EXIT.usage
        : EXIT.failed
    }
  },
}

function parseFormat(text: string) {
  try {
    return parseDiagramFormat(text)
  } catch (err) {
    throw new UsageError(err instanceof AppError ? err.message : String(err))
  }
}

function parseWidth(text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const n = Number(text)
  if (!Number.isInteger(n) || n < 20 || n > 1000)
    throw new UsageError('--width must be an integer from 20 to 1000')
  return n
}

/** `[CODE] message`, then one line per problem of an invalid definition. */
function describe(err: AppError): string {
  const lines = [`opcode diagram: ${err.toString()}`]
  const issues = err.issues ?? []
  if (issues.length > 1 || (issues.length === 1 && issues[0]?.message !== err.message))
    for (const issue of issues)
      lines.push(`  ${issue.severity} ${issue.path || '/'}: ${issue.message}`)
  return `${lines.join('\n')}\n`
}
