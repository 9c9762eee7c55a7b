/**
 * `opcode serve` as a child process serves the panel (decisions.md D17): on by default on
 * loopback, off with --no-panel, and switched off and on again by SIGHUP after settings.json
 * changes, while the API keeps answering.
 */
import { describe, expect, test } from 'bun:test'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { serve } from '../support/cli.ts'
import { tempDir } from '../support/tmp.ts'

async function statusOf(url: string): Promise<number> {
  return (await fetch(url)).status
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 150; i++) {
    if (await check()) return
    await Bun.sleep(20)
  }
  throw new Error(`timed out waiting for ${what}`)
}

describe('opcode serve and the panel', () => {
  test('on by default on loopback; SIGHUP turns it off and on from settings.json', async () => {
    const home = tempDir('opcode-panel-serve-')
    try {
      const srv = await serve(home.dir, ['--db-path', home.path('p.db')])
      try {
        const page = await fetch(`${srv.url}/`)
        expect(page.status).toBe(200)
        expect(await page.text()).toContain('<title>Dashboard — opcode</title>')
        const js = await fetch(`${srv.url}/assets/panel.js`)
        expect(js.status).toBe(200)
        expect((await js.text()).length).toBeGreaterThan(10_000)
        mkdirSync(join(home.dir, '.opcode'), { recursive: true })
        writeFileSync(join(home.dir, '.opcode', 'settings.json'), JSON.stringify({ panel: false }))
        srv.proc.kill('SIGHUP')
        await until(async () => (await statusOf(`${srv.url}/`)) === 404, 'the panel to go off')
        expect(await statusOf(`${srv.url}/api/v1/workflows`)).toBe(200)
        writeFileSync(join(home.dir, '.opcode', 'settings.json'), JSON.stringify({ panel: true }))
        srv.proc.kill('SIGHUP')
        await until(async () => (await statusOf(`${srv.url}/`)) === 200, 'the panel to come back')
      } finally {
        srv.proc.kill('SIGTERM')
        await srv.proc.exited
      }
    } finally {
      home.cleanup()
    }
  }, 60_000)

  test('--no-panel leaves every panel path 404 and the API working', async () => {
    const home = tempDir('opcode-no-panel-')
    try {
      const srv = await serve(home.dir, ['--db-path', home.path('n.db'), '--no-panel'])
      try {
        for (const p of ['/', '/workflows', '/assets/panel.js', '/login'])
          expect(`${p} ${await statusOf(`${srv.url}${p}`)}`).toBe(`${p} 404`)
        expect(await statusOf(`${srv.url}/api/v1/workflows`)).toBe(200)
      } finally {
        srv.proc.kill('SIGTERM')
        await srv.proc.exited
      }
    } finally {
      home.cleanup()
    }
  }, 60_000)
})
