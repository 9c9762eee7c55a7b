/**
 * The CLI's HTTP client of the running server (decisions.md D1): JSON requests to `/api/v1` at the
 * configured address, with the bearer token from settings/env. Error bodies come back as AppErrors
 * with their code; an unreachable server is one clear message naming the address.
 */
import { type Config, type ConfigFlags, loadConfig } from '../config/index.ts'
import { AppError, isErrorCode } from '../errors.ts'
import { type FlagSpec, type ParsedArgs, str } from './args.ts'
import type { CommandIo } from './command.ts'

export interface ApiClient {
  baseUrl: string
  agentId: string
  config: Config
  get(path: string, query?: Record<string, string | number | boolean | undefined>): Promise<unknown>
  post(path: string, body: unknown): Promise<unknown>
  delete(path: string, body?: unknown): Promise<unknown>
}

/** Flags every client command accepts. */
export const CLIENT_FLAGS: FlagSpec[] = [
  { name: 'agent-id', type: 'string' },
  { name: 'server', type: 'string' },
]

/** Builds a client from settings, environment and the command's flags. */
export function clientFor(io: CommandIo, args: ParsedArgs): ApiClient {
  const flags: ConfigFlags = {}
  const agent = str(args, 'agent-id')
  if (agent !== undefined) flags.agentId = agent
  const config = loadConfig(io.env, flags, io.cwd)
  const server = str(args, 'server') ?? io.env.OPCODE_URL
  const baseUrl = (server === undefined || server === '' ? config.baseUrl : server).replace(
    /\/+$/,
    '',
  )
  return createClient(baseUrl, config)
}

export function createClient(baseUrl: string, config: Config): ApiClient {
  const headers: Record<string, string> = { Accept: 'application/json' }
  if (config.authToken !== undefined) headers.Authorization = `Bearer ${config.authToken}`
  const request = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    let res: Response
    try {
      res = await fetch(`${baseUrl}/api/v1${path}`, {
        method,
        headers: body === undefined ? headers : { ...headers, 'Content-Type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
    } catch (err) {
      throw new AppError(
        'EXECUTION_ERROR',
        `no opcode server is reachable at ${baseUrl} (${(err as Error).message}); start one with 'opcode serve' or 'opcode install', or pass --db-path to work on a database file`,
        { cause: err },
      )
    }
    const text = await res.text()
    let parsed: unknown
    try {
      parsed = text === '' ? {} : JSON.parse(text)
    } catch {
      throw new AppError(
        'EXECUTION_ERROR',
        `the server at ${baseUrl} answered HTTP ${res.status} with a non-JSON body`,
      )
    }
    if (res.ok) return parsed
    const e = parsed as { code?: unknown; message?: unknown; details?: unknown; issues?: unknown }
    if (isErrorCode(e.code) && typeof e.message === 'string') {
      throw new AppError(e.code, e.message, {
        ...(e.details === undefined ? {} : { details: e.details }),
        ...(Array.isArray(e.issues) ? { issues: e.issues } : {}),
      })
    }
    throw new AppError('EXECUTION_ERROR', `the server at ${baseUrl} answered HTTP ${res.status}`)
  }
  return {
    baseUrl,
    agentId: config.agentId,
    config,
    get(path, query) {
      const q = new URLSearchParams()
      for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) q.set(k, String(v))
      const qs = q.toString()
      return request('GET', qs === '' ? path : `${path}?${qs}`)
    },
    post: (path, body) => request('POST', path, body ?? {}),
    delete: (path, body) => request('DELETE', path, body ?? {}),
  }
}

/** Percent-encodes one path segment. */
export function seg(value: string): string {
  return encodeURIComponent(value)
}
