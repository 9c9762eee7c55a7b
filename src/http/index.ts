/**
 * The HTTP surface (Elysia): MCP transports, the JSON API under /api/v1 generated from src/ops, the
 * event stream, security checks and error mapping. Imports ops, mcp, hub, store read models.
 */
export { API_PREFIX, createHttpApp, type HttpAppOptions } from './app.ts'
export { errorResponse, httpStatusOf, jsonResponse } from './errors.ts'
export { openEventStream } from './events-stream.ts'
export { RequestGuard, type SecurityPolicy } from './security.ts'
