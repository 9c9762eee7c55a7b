/**
 * The web panel's server side (panel.md, decisions.md D17, D20, D21): page routes rendered from
 * panel/ (Preact + htm islands), embedded assets, sign-in and CSRF. Imports ops (data only through
 * the API's operations), http security and the panel's page components; panel/ never imports src/.
 */
import type { Elysia } from 'elysia'
import type { Config } from '../../config/index.ts'
import type { OpServices } from '../../ops/index.ts'
import { mountPanel, type PanelHandle, panelOf } from './mount.ts'

export { mountPanel, type PanelHandle, panelOf }

/** What `opcode serve` exposes for extensions (src/cli/serve.ts `serveHooks`). */
export interface ServeHooks<S extends { svc: OpServices }> {
  mount?: (app: Elysia, svc: OpServices) => void
  onReload?: Array<(config: Config, server: S) => void>
}

/** Plugs the panel into `opcode serve`: mounted at start, toggled and reconfigured by SIGHUP. */
export function installPanel<S extends { svc: OpServices }>(hooks: ServeHooks<S>): void {
  const previous = hooks.mount
  hooks.mount = (app, svc) => {
    previous?.(app, svc)
    mountPanel(app, svc)
  }
  hooks.onReload ??= []
  hooks.onReload.push((config, server) => panelOf(server.svc)?.reload(config))
}
