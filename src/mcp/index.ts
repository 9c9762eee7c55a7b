/**
 * The MCP surface: tools generated from src/ops on the SDK's low-level Server, the Streamable HTTP
 * and legacy SSE transports, tool-result error mapping, and the stdio bridge. Imports ops, errors
 * and log; never http/ (the HTTP layer mounts this).
 */
export { toolError } from './errors.ts'
export { McpHost, type McpHostOptions } from './host.ts'
export { RateLimiter } from './rate-limit.ts'
export { createMcpSession, INSTRUCTIONS, type McpSession, SERVER_INFO } from './server.ts'
export { SseServerTransport } from './sse-transport.ts'
export { type BridgeOptions, bridgeStdio } from './stdio-bridge.ts'
export { toolList } from './tools.ts'
