/**
 * Build-time bundling of the panel's browser code, called as a Bun macro by assets.ts: `bun build
 * --compile` (and `bun src/main.ts` in development) run `bundlePanel()` while transpiling and
 * inline its result — the minified JS and CSS — as string literals. The compiled binary therefore
 * contains the assets and reads nothing from disk; no CDN, works offline. Bun.build cannot be
 * called from inside a macro (the bundler is busy running it), so the Bun CLI is spawned instead.
 */
import { join } from 'node:path'

export interface PanelBundle {
  js: string
  css: string
  /** Content hash of js + css: the asset URLs' version, for immutable caching. */
  version: string
}

const PANEL_DIR = join(import.meta.dir, '..', '..', '..', 'panel')

function build(entry: string, extra: string[] = []): string {
  const r = Bun.spawnSync(
    [process.execPath, 'build', join(PANEL_DIR, entry), '--minify', ...extra],
    { stdout: 'pipe', stderr: 'pipe', env: { ...process.env, NO_COLOR: '1' } },
  )
  if (!r.success || r.stdout.length === 0) {
    throw new Error(
      `panel: bun build ${entry} failed: ${r.stderr.toString() || `exit ${r.exitCode}`}`,
    )
  }
  return r.stdout.toString()
}

export function bundlePanel(): PanelBundle {
  const js = build('main.ts', ['--target=browser', '--format=esm'])
  const css = build('styles.css')
  const version = Bun.hash(`${js}\u0000${css}`).toString(36)
  return { js, css, version }
}
