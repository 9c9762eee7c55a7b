/**
 * The web panel in a real browser (decisions.md D9): Playwright driving Debian's Chromium against
 * a real server started in-process on 127.0.0.1:0 with a temp database and demo data. Every page
 * loads without console errors in light and dark themes at 1280×800 and at phone width (and is
 * screenshotted: OPCODE_PANEL_SCREENSHOTS, default $TMPDIR/opcode-panel-screenshots); a template is
 * created by paste, with the validator's problems shown at their JSON paths; a run started through
 * the API changes status live; a decision resolved in the UI completes its workflow; cross-origin
 * requests are refused; off loopback the panel asks for the token.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type BrowserContext, chromium, type Page } from 'playwright-core'
import { type PanelServer, seedDemo, startPanelServer } from '../support/panel-fixture.ts'

const CHROMIUM = '/usr/bin/chromium'
const SHOTS = process.env.OPCODE_PANEL_SCREENSHOTS ?? join(tmpdir(), 'opcode-panel-screenshots')

let s: PanelServer
let ids: Awaited<ReturnType<typeof seedDemo>>
let context: BrowserContext
let page: Page
let profile = ''
const errors: string[] = []

async function launch(): Promise<BrowserContext> {
  profile = mkdtempSync(join(tmpdir(), 'opcode-chromium-'))
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

function watch(p: Page): void {
  p.on('console', (m) => {
    if (m.type() === 'error') errors.push(`${p.url()}: ${m.text()}`)
  })
  p.on('pageerror', (e) => errors.push(`${p.url()}: ${e.message}`))
}

/** Opens a panel page and waits until its islands are hydrated. */
async function open(path: string, p: Page = page): Promise<void> {
  const r = await p.goto(`${s.url}${path}`)
  expect(r?.status()).toBe(200)
  await p.waitForSelector('html[data-ready="true"]', { timeout: 15_000 })
}

beforeAll(async () => {
  s = await startPanelServer({
    vaultKey: 'system-test-vault-key',
    // A real MCP server over stdio as a plugin, for the plugins page.
    settings: {
      plugins: [
        {
          name: 'echo',
          command: process.execPath,
          args: [join(import.meta.dir, '..', 'fixtures', 'plugins', 'echo-server.ts')],
        },
      ],
    },
  })
  ids = await seedDemo(s)
  await s.api('POST', '/secrets', { name: 'CRM_TOKEN', value: 'crm-secret-1', agent_id: 'ops' })
  await s.api('POST', '/templates', {
    name: 'gated',
    agent_id: 'ops-agent',
    definition: {
      steps: [
        { id: 'start', action: 'test.echo', params: {} },
        {
          id: 'wait',
          action: 'test.gate',
          params: { gate: '${{inputs.gate}}' },
          depends_on: ['start'],
        },
        { id: 'finish', action: 'test.echo', params: { done: true }, depends_on: ['wait'] },
      ],
    },
  })
  context = await launch()
  page = await context.newPage()
  watch(page)
  page.on('dialog', (d) => void d.accept())
}, 120_000)

afterAll(async () => {
  await context?.close()
  await s?.stop()
  if (profile !== '') rmSync(profile, { recursive: true, force: true })
})

const MODES = [
  { name: 'light-desktop', scheme: 'light', viewport: { width: 1280, height: 800 } },
  { name: 'dark-desktop', scheme: 'dark', viewport: { width: 1280, height: 800 } },
  { name: 'light-phone', scheme: 'light', viewport: { width: 390, height: 844 } },
  { name: 'dark-phone', scheme: 'dark', viewport: { width: 390, height: 844 } },
] as const

describe('panel pages', () => {
  test('every page loads with no console errors, in both themes, at 1280×800 and at phone width', async () => {
    rmSync(SHOTS, { recursive: true, force: true })
    mkdirSync(SHOTS, { recursive: true })
    const pages: Array<[string, string]> = [
      ['dashboard', '/'],
      ['workflows', '/workflows'],
      ['workflow-suspended', `/workflows/${ids.suspended[0]}`],
      ['workflow-failed', `/workflows/${ids.failed}`],
      ['workflow-completed', `/workflows/${ids.completed}`],
      ['templates', '/templates'],
      ['template', '/templates/refund-approval'],
      ['decisions', '/decisions'],
      ['scheduler', '/scheduler'],
      ['events', '/events'],
      ['agents', '/agents'],
      ['plugins', '/plugins'],
      ['secrets', '/secrets'],
      ['settings', '/settings'],
      ['audit', '/audit'],
    ]
    const p = await context.newPage()
    watch(p)
    for (const mode of MODES) {
      await p.setViewportSize(mode.viewport)
      await p.emulateMedia({ colorScheme: mode.scheme })
      for (const [name, path] of pages) {
        await open(path, p)
        expect(await p.title()).toMatch(/ — opcode$/)
        expect(await p.locator('main h2, main table, main .card').count()).toBeGreaterThan(0)
        // The theme follows the system setting; the background must match it.
        const bg = await p.evaluate(() => getComputedStyle(document.body).backgroundColor)
        const dark = /rgb\((\d+)/.exec(bg)?.[1]
        expect(mode.scheme === 'dark' ? Number(dark) < 60 : Number(dark) > 200).toBe(true)
        // Readable at phone width: the page itself never scrolls sideways (wide tables scroll
        // inside their own box).
        const overflow = await p.evaluate(
          () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
        )
        expect(overflow).toBeLessThanOrEqual(1)
        await p.screenshot({ path: join(SHOTS, `${name}-${mode.name}.png`), fullPage: true })
      }
    }
    await p.close()
    console.log(`panel screenshots: ${SHOTS}`)
    expect(errors).toEqual([])
  }, 240_000)

  test('is keyboard reachable: skip link first, tabs move with the arrow keys', async () => {
    await page.setViewportSize({ width: 1280, height: 800 })
    await open(`/workflows/${ids.failed}`)
    await page.keyboard.press('Tab')
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content')
    await page.keyboard.press('Enter')
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main')
    await page.focus('#tab-diagram')
    await page.keyboard.press('ArrowRight')
    expect(await page.getAttribute('#tab-steps', 'aria-selected')).toBe('true')
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('tab-steps')
    await page.waitForSelector('[data-step="push"][data-status="failed"]')
    expect(await page.textContent('[data-step="push"]')).toContain('CRM answered 503')
    await page.screenshot({ path: join(SHOTS, 'workflow-failed-steps.png'), fullPage: true })
    expect(errors).toEqual([])
  })
})

describe('templates by paste', () => {
  test('a broken definition shows the problems at their JSON paths; a fixed one is saved', async () => {
    await open('/templates')
    const before = errors.length
    await page.getByRole('button', { name: 'New template…' }).click()
    await page.fill('input[name=name]', 'pasted-flow')
    // Not JSON at all: the syntax error is located before anything is sent.
    await page.fill('textarea[name=definition]', '{\n  "steps": [\n    { "id": "a", }\n  ]\n}')
    await page.getByRole('button', { name: 'Validate and save' }).click()
    await page.waitForSelector('#editor-problems .error-note')
    expect(await page.textContent('#editor-problems')).toContain('not valid JSON')
    expect(await page.locator('.annotated .code-line.has-problem').count()).toBe(1)
    // Valid JSON, invalid workflow: the server's validator reports each problem with its path.
    const broken = JSON.stringify(
      {
        steps: [
          { id: 'fetch', action: 'test.echo', params: {} },
          { id: 'use', action: 'test.echo', depends_on: ['missing-step'] },
        ],
      },
      null,
      2,
    )
    await page.fill('textarea[name=definition]', broken)
    await page.getByRole('button', { name: 'Validate and save' }).click()
    await page.waitForSelector('.problems li')
    const problems = await page.textContent('.problems')
    expect(problems).toContain('/steps/1/depends_on/0')
    expect(problems).toContain('missing-step')
    // Shown inline: the offending line of the definition, with the message under it.
    await page.screenshot({ path: join(SHOTS, 'template-editor-problems.png'), fullPage: true })
    const marked = await page.locator('.annotated .code-line.has-problem').allTextContents()
    expect(marked.some((l) => l.includes('"missing-step"'))).toBe(true)
    // Clicking a problem selects its place in the editor.
    await page.locator('.problems li button').first().click()
    const selected = await page.evaluate(() => {
      const t = document.querySelector('textarea[name=definition]') as HTMLTextAreaElement
      return t.value.slice(t.selectionStart, t.selectionEnd)
    })
    expect(selected).toBe('"missing-step"')
    expect(
      (await s.apiRaw('GET', '/templates/pasted-flow')).status,
      'nothing is stored while the definition is invalid',
    ).toBe(404)
    // The browser logs the refused save (HTTP 422); that is what this part expects.
    const logged = errors.splice(before)
    expect(logged.length).toBe(1)
    expect(logged[0]).toContain('422')
    await page.fill('textarea[name=definition]', broken.replace('missing-step', 'fetch'))
    await page.getByRole('button', { name: 'Validate and save' }).click()
    await page.waitForURL(/\/templates\/pasted-flow\?version=v1&saved=1$/)
    expect(await page.textContent('main')).toContain('Saved pasted-flow v1')
    const t = await s.api<{ agent_id: string }>('GET', '/templates/pasted-flow')
    expect(t.agent_id).toBe('panel')
    const audit = await s.api<{ audit: Array<{ action: string; resource_id: string }> }>(
      'GET',
      '/audit?agent_id=panel',
    )
    expect(
      audit.audit.some((a) => a.action === 'template.define' && a.resource_id === 'pasted-flow:v1'),
    ).toBe(true)
    expect(errors).toEqual([])
  })
})

describe('live updates', () => {
  test('a run started through the API changes status on the open pages without a reload', async () => {
    await open('/workflows')
    await page.evaluate(() => {
      ;(window as unknown as { marker: number }).marker = 42
    })
    await page.waitForSelector('.live-status.live')
    const started = await s.api<{ workflow_id: string }>('POST', '/workflows', {
      template_name: 'gated',
      agent_id: 'api-client',
      params: { gate: 'list' },
      wait: false,
    })
    const row = `tr[data-workflow="${started.workflow_id}"]`
    await page.waitForSelector(`${row}[data-status="active"]`, { timeout: 10_000 })
    s.gates.release('list')
    await page.waitForSelector(`${row}[data-status="completed"]`, { timeout: 10_000 })
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42)

    // The detail page: status, steps and the timeline follow the stream.
    const second = await s.api<{ workflow_id: string }>('POST', '/workflows', {
      template_name: 'gated',
      agent_id: 'api-client',
      params: { gate: 'detail' },
      wait: false,
    })
    await open(`/workflows/${second.workflow_id}`)
    await page.evaluate(() => {
      ;(window as unknown as { marker: number }).marker = 7
    })
    await page.waitForSelector('.workflow-view[data-status="active"]')
    await page.waitForSelector('.live-status.live')
    s.gates.release('detail')
    await page.waitForSelector('.workflow-view[data-status="completed"]', { timeout: 10_000 })
    await page.click('#tab-events')
    await page.waitForSelector('.timeline [data-seq]:has-text("workflow_completed")')
    await page.click('#tab-steps')
    await page.waitForSelector('[data-step="finish"][data-status="completed"]')
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(7)
    expect(errors).toEqual([])
  })
})

describe('decisions', () => {
  test('a decision resolved in the UI resumes its workflow to completion', async () => {
    const run = await s.api<{
      workflow_id: string
      status: string
      pending_decisions: Array<{ id: string }>
    }>('POST', '/workflows', {
      template_name: 'refund-approval',
      agent_id: 'billing-agent',
      params: { amount: 75 },
    })
    expect(run.status).toBe('suspended')
    const decisionId = run.pending_decisions[0]?.id as string
    await open('/decisions')
    const card = page.locator(`[data-decision="${decisionId}"]`)
    await card.getByText('Refund of 120 EUR').waitFor()
    await card.locator('label.option', { hasText: 'approve' }).click()
    await card.locator('textarea[name=reasoning]').fill('customer is in good standing')
    await card.getByRole('button', { name: 'Resolve' }).click()
    await card.getByText('Resolved with').waitFor({ timeout: 10_000 })
    let status = ''
    for (let i = 0; i < 50 && status !== 'completed'; i++) {
      status = (
        await s.api<{ workflow: { status: string } }>('GET', `/workflows/${run.workflow_id}`)
      ).workflow.status
      if (status !== 'completed') await Bun.sleep(100)
    }
    expect(status).toBe('completed')
    const detail = await s.api<{
      decisions: Array<{ status: string; resolution: { choice: string; reasoning: string } }>
      events: Array<{ event_type: string }>
    }>('GET', `/workflows/${run.workflow_id}`)
    expect(detail.decisions[0]?.status).toBe('resolved')
    expect(detail.decisions[0]?.resolution).toMatchObject({
      choice: 'approve',
      reasoning: 'customer is in good standing',
    })
    expect(detail.events.map((e) => e.event_type)).toContain('decision_resolved')
    const audit = await s.api<{
      audit: Array<{ action: string; resource_id: string; details: Record<string, unknown> }>
    }>('GET', '/audit?agent_id=panel')
    const row = audit.audit.find(
      (a) => a.action === 'decision.resolve' && a.resource_id === decisionId,
    )
    // Answered by the panel on behalf of the agent the decision was for.
    expect(row?.details).toMatchObject({ choice: 'approve', on_behalf_of: 'finance-team' })
    await open(`/workflows/${run.workflow_id}`)
    await page.waitForSelector('.workflow-view[data-status="completed"]')
    expect(errors).toEqual([])
  })
})

describe('scheduler', () => {
  test('a job is created with a server-checked cron, disabled, run now, and shows its history', async () => {
    await open('/scheduler')
    await page.getByRole('button', { name: 'New job…' }).click()
    await page.selectOption('select[name=template_name]', 'nightly-etl')
    await page.fill('input[name=cron_expression]', '61 * * * *')
    await page.locator('#cron-preview .text-bad').waitFor()
    await page.fill('input[name=cron_expression]', '30 6 * * 1-5')
    await page.locator('#cron-preview', { hasText: 'Next fires' }).waitFor()
    await page.fill('input[name=timezone]', 'Europe/Paris')
    // Shown in the job's own zone: 06:30 in Paris.
    await page.locator('#cron-preview', { hasText: '06:30 Europe/Paris' }).first().waitFor()
    await page.screenshot({ path: join(SHOTS, 'scheduler-new-job.png'), fullPage: true })
    await page.getByRole('button', { name: 'Create job' }).click()
    const row = page.locator('tbody[data-job]', { hasText: '30 6 * * 1-5' })
    await row.waitFor()
    expect(await row.textContent()).toContain('Europe/Paris')
    await row.getByRole('switch').click()
    await row.locator('[role=switch][aria-checked="false"]').waitFor()
    await row.getByRole('button', { name: 'Run now' }).click()
    await row.getByRole('button', { name: 'History' }).click()
    await row.locator('.history a.mono').first().waitFor({ timeout: 10_000 })
    const jobs = await s.api<{
      schedules: Array<{ cron_expression: string; enabled: boolean; agent_id: string }>
    }>('GET', '/schedules')
    const job = jobs.schedules.find((j) => j.cron_expression === '30 6 * * 1-5')
    expect(job).toMatchObject({ enabled: false, agent_id: 'panel' })
    const audit = await s.api<{ audit: Array<{ action: string }> }>('GET', '/audit?agent_id=panel')
    const actions = audit.audit.map((a) => a.action)
    for (const a of ['schedule.add', 'schedule.disable', 'schedule.run_now'])
      expect(actions).toContain(a)
    // The refused cron previews were 422s the browser logged: expected here.
    const logged = errors.splice(0)
    expect(logged.every((e) => e.includes('422'))).toBe(true)
  })
})

describe('plugins', () => {
  test('a plugin shows its status and tools, and restarts from the page', async () => {
    await open('/plugins')
    const row = page.locator('tr[data-plugin="echo"]')
    await row.locator('.badge', { hasText: 'active' }).waitFor({ timeout: 15_000 })
    const restarted = page.waitForResponse((r) => r.url().endsWith('/api/v1/plugins/echo/restart'))
    await row.getByRole('button', { name: 'Restart' }).click()
    expect((await restarted).status()).toBe(200)
    await row.locator('.badge', { hasText: 'active' }).waitFor({ timeout: 15_000 })
    await row.locator('summary').click()
    expect(await row.textContent()).toContain('echo.')
    const audit = await s.api<{ audit: Array<{ action: string; resource_id: string }> }>(
      'GET',
      '/audit?agent_id=panel',
    )
    expect(audit.audit.some((a) => a.action === 'plugin.restart' && a.resource_id === 'echo')).toBe(
      true,
    )
    expect(errors).toEqual([])
  })
})

describe('cross-site requests', () => {
  test('a form and a fetch from another origin are refused and change nothing', async () => {
    const target = `${s.url}/api/v1/workflows/${ids.running}/cancel`
    const evil = Bun.serve({
      hostname: '127.0.0.1',
      port: 0,
      fetch(req) {
        const path = new URL(req.url).pathname
        const body =
          path === '/form'
            ? // text/plain forms can carry a JSON body: the classic CSRF against JSON APIs.
              `<form id="f" method="post" enctype="text/plain" action="${target}"><input name='{"agent_id":"evil","reason":"' value='"}'></form><script>document.getElementById('f').submit()</script>`
            : `<script>fetch(${JSON.stringify(target)}, {method: 'POST', mode: 'no-cors', credentials: 'include', body: '{"agent_id":"evil"}'}).then(() => { document.title = 'sent' }, () => { document.title = 'failed' })</script>`
        return new Response(`<!doctype html><html><body>${body}</body></html>`, {
          headers: { 'Content-Type': 'text/html' },
        })
      },
    })
    try {
      const p = await context.newPage()
      // The panel's session cookie exists in this browser (the other tests used it).
      const refused = p.waitForResponse((r) => r.url() === target)
      await p.goto(`http://127.0.0.1:${evil.port}/form`)
      const r = await refused
      expect(r.status()).toBe(403)
      expect(await r.text()).toContain('FORBIDDEN')
      await p.goto(`http://127.0.0.1:${evil.port}/fetch`)
      await p.waitForFunction(() => document.title !== '')
      await p.close()
    } finally {
      evil.stop(true)
    }
    const w = await s.api<{ workflow: { status: string } }>('GET', `/workflows/${ids.running}`)
    expect(w.workflow.status).toBe('active')
    const audit = await s.api<{ audit: Array<{ agent_id: string }> }>('GET', '/audit?agent_id=evil')
    expect(audit.audit).toEqual([])
  })

  test('a same-origin mutation without the CSRF token is refused; with it, it passes', async () => {
    await open('/secrets')
    const before = errors.length
    const results = await page.evaluate(async () => {
      const token =
        document.querySelector('meta[name="opcode-csrf"]')?.getAttribute('content') ?? ''
      const send = (headers: Record<string, string>) =>
        fetch('/api/v1/secrets', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', ...headers },
          body: JSON.stringify({ name: 'FROM_PAGE', value: 'v', agent_id: 'panel' }),
        }).then(async (r) => ({ status: r.status, body: await r.text() }))
      return [
        await send({}),
        await send({ 'X-Opcode-Csrf': 'forged' }),
        await send({ 'X-Opcode-Csrf': token }),
      ]
    })
    expect(results.map((r) => r.status)).toEqual([403, 403, 200])
    // The browser logs the two refusals; they are what this test expects.
    const logged = errors.splice(before)
    expect(logged.every((e) => e.includes('403'))).toBe(true)
    expect(results[0]?.body).toContain('CSRF')
    const list = await s.api<{ secrets: Array<{ name: string }> }>('GET', '/secrets')
    expect(list.secrets.map((x) => x.name)).toContain('FROM_PAGE')
  })
})

describe('sign-in off loopback', () => {
  test('the panel asks for the token, refuses a wrong one, and signs out', async () => {
    const exposed = await startPanelServer({
      listenAddr: '0.0.0.0:0',
      // Off loopback the panel is off unless asked for (D17).
      settings: { auth_token: 'the-right-token-0123456789', panel: true },
    })
    try {
      const p = await context.newPage()
      watch(p)
      await p.goto(`${exposed.url}/workflows`)
      expect(new URL(p.url()).pathname).toBe('/login')
      expect((await p.request.get(`${exposed.url}/api/v1/workflows`)).status()).toBe(401)
      await p.fill('input[name=token]', 'wrong')
      await p.click('button[type=submit]')
      expect(await p.textContent('.error-note')).toContain('not valid')
      await p.fill('input[name=token]', 'the-right-token-0123456789')
      await p.fill('input[name=name]', 'alice')
      await p.click('button[type=submit]')
      await p.waitForURL(`${exposed.url}/workflows`)
      await p.waitForSelector('html[data-ready="true"]')
      expect(await p.textContent('.operator')).toContain('panel:alice')
      // The cookie is HttpOnly and SameSite=Strict; the API accepts it from the panel.
      const cookie = (await context.cookies(exposed.url)).find((c) => c.name === 'opcode_token')
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' })
      expect(await p.evaluate(() => document.cookie.includes('opcode_token'))).toBe(false)
      await p.waitForSelector('.live-status.live')
      await p.getByRole('button', { name: 'Sign out' }).click()
      await p.waitForURL(/\/login$/)
      await p.goto(`${exposed.url}/`)
      expect(new URL(p.url()).pathname).toBe('/login')
      await p.close()
      expect(errors).toEqual([])
    } finally {
      await exposed.stop()
    }
  })
})
