/**
 * The operation abstraction: written once here, mounted by both transports (MCP tools in src/mcp,
 * JSON routes under /api/v1 in src/http). An op declares its input as a TypeBox schema (the MCP
 * `inputSchema` and the HTTP validator both come from it), whether it only reads, its HTTP route,
 * and a handler that returns a JSON value or throws an AppError.
 */
import type { Static, TObject, TSchema } from '@sinclair/typebox'
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler'
import { Value } from '@sinclair/typebox/value'
import type { Engine } from '../engine/engine.ts'
import type { ActionRegistry, Logger } from '../engine/ports.ts'
import { AppError, type Issue } from '../errors.ts'
import type { EventHub } from '../hub/index.ts'
import type { AuditEntry } from '../store/records.ts'
import type { SqliteStore } from '../store/sqlite.ts'
import type { SessionDirectory } from './sessions.ts'

/** What every operation may use. Assembled once by serve (or a test). */
export interface OpServices {
  store: SqliteStore
  engine: Engine
  actions: ActionRegistry
  hub: EventHub
  sessions: SessionDirectory
  logger: Logger
  /** Build version reported by /healthz and `opcode version`. */
  version: string
  /** Called after a template version is stored (the scheduler syncs `triggers.cron` here). */
  afterDefine: Array<(template: DefinedTemplate) => void>
  /** Extra `opcode.query` resources (the scheduler adds `schedules`). */
  queryResources: Map<string, QueryResource>
  now(): number
}

export interface DefinedTemplate {
  name: string
  version: string
  agent_id: string
  triggers?: unknown
}

/** A resource of `opcode.query` contributed from outside the ops folder. */
export interface QueryResource {
  description: string
  list(svc: Pick<OpServices, 'store'>, filter: Record<string, unknown>): unknown[]
}

/** Who is calling and how (transport details an op may use). */
export interface CallContext {
  transport: 'mcp' | 'http'
  /** MCP session id (remembered for the agent, decisions.md D20). */
  sessionId?: string
  /** Sends a progress notification when the MCP client asked for progress. */
  progress?: (p: { progress: number; total?: number; message?: string }) => void
  /** Aborted when the caller goes away (ops may stop waiting; work continues). */
  signal?: AbortSignal
}

export interface HttpRoute {
  method: 'GET' | 'POST' | 'DELETE'
  /** Path under /api/v1, Elysia syntax (`/workflows/:workflow_id`). */
  path: string
  /** HTTP status of a success (default 200). */
  status?: number
}

export interface OpDefinition<I extends TObject> {
  /** MCP tool name (`opcode.run`) or internal name of an API-only op (`workflows.list`). */
  name: string
  description: string
  input: I
  output?: TSchema
  readOnly: boolean
  /** Exposed as an MCP tool (the six tools); others are HTTP only. */
  tool: boolean
  http: HttpRoute
  /** Audit row of a successful mutation (D20); undefined = none. */
  audit?: (input: Static<I>, result: unknown) => AuditEntry | undefined
  handle(svc: OpServices, input: Static<I>, call: CallContext): Promise<unknown> | unknown
}

export interface Op<I extends TObject = TObject> extends OpDefinition<I> {
  /** Validates and normalises raw input (the lenient coercions of spec server.md §3). */
  parse(raw: unknown): Static<I>
}

export function defineOp<I extends TObject>(def: OpDefinition<I>): Op<I> {
  const check = TypeCompiler.Compile(def.input)
  return { ...def, parse: (raw) => parseInput(def.input, check, raw) }
}

/**
 * Input normalisation, in order: a missing body is `{}`; `null` values are absent; an object
 * parameter given as a string holding a JSON object is parsed (agents often double-encode);
 * numbers and booleans given as strings are converted (query strings). Then the schema decides.
 */
function parseInput<I extends TObject>(schema: I, check: TypeCheck<I>, raw: unknown): Static<I> {
  let value: unknown = raw === undefined || raw === null ? {} : raw
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new AppError('VALIDATION_ERROR', 'arguments must be a JSON object')
  }
  if (check.Check(value)) return value as Static<I>
  const obj: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === null) continue
    const prop = schema.properties[k] as TSchema | undefined
    if (prop !== undefined && typeof v === 'string' && wantsObject(prop)) {
      const t = v.trim()
      if (t.startsWith('{')) {
        try {
          obj[k] = JSON.parse(t)
          continue
        } catch {
          // left as a string: the schema reports the type error below
        }
      }
    }
    obj[k] = v
  }
  value = Value.Convert(schema, obj)
  if (check.Check(value)) return value as Static<I>
  const issues: Issue[] = []
  for (const e of check.Errors(value)) {
    if (issues.length >= 20) break
    const name = e.path.replace(/^\//, '').replace(/\//g, '.')
    const missing = e.value === undefined
    issues.push({
      path: e.path,
      code: 'VALIDATION_ERROR',
      message: missing ? `${name} is required` : `${name}: ${e.message}`,
      severity: 'error',
    })
  }
  const first = issues[0]
  throw new AppError(
    'VALIDATION_ERROR',
    first === undefined
      ? 'invalid arguments'
      : issues.length === 1
        ? first.message
        : `${first.message} (and ${issues.length - 1} more problems)`,
    { details: { problems: issues.map((i) => ({ path: i.path, message: i.message })) } },
  )
}

function wantsObject(s: TSchema): boolean {
  if (s.type === 'object') return true
  const anyOf = (s.anyOf ?? s.oneOf) as TSchema[] | undefined
  return anyOf?.some((x) => x.type === 'object') === true
}
