/**
 * The in-process event hub: implements the engine's EventPublisher port; the SSE stream of the HTTP
 * API, MCP progress notifications and the panel subscribe to it. Imports only engine port types.
 */
export {
  DEFAULT_BUFFER,
  EventHub,
  type HubEvent,
  type HubFilter,
  RECENT_EVENTS,
  type RecentEntry,
  type Subscription,
} from './hub.ts'
