/**
 * Structured JSON logging with request-scoped correlation (spec server.md §17). Imports only the
 * engine's Logger port type; used by serve, the HTTP and MCP layers.
 */
export {
  createJsonLogger,
  currentLogScope,
  type JsonLogger,
  type JsonLoggerOptions,
  type LogScope,
  withLogScope,
} from './logger.ts'
