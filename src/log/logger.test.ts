import { expect, test } from 'bun:test'
import { createJsonLogger, withLogScope } from './logger.ts'

test('JSON lines with level filter, correlation scope, and masked secrets', async () => {
  const lines: string[] = []
  const log = createJsonLogger({ level: 'info', write: (l) => lines.push(l) })
  log.addSecret('hunter2-secret')
  log.debug('hidden')
  await withLogScope({ workflow_id: 'w1', agent_id: 'a1' }, async () => {
    await Bun.sleep(1)
    withLogScope({ step_id: 's1', tool: 'opcode.run' }, () => {
      log.info('step ran', {
        token: 'abc',
        authorization: 'Bearer x',
        note: 'pw is hunter2-secret',
        n: 3,
        token_required: false,
      })
    })
  })
  log.setLevel('debug')
  log.debug('now shown')
  expect(lines.length).toBe(2)
  const rec = JSON.parse(lines[0] as string) as Record<string, unknown>
  expect(rec).toMatchObject({
    level: 'INFO',
    msg: 'step ran',
    workflow_id: 'w1',
    agent_id: 'a1',
    step_id: 's1',
    tool: 'opcode.run',
    token: '[REDACTED]',
    authorization: '[REDACTED]',
    note: 'pw is [REDACTED]',
    n: 3,
    token_required: false,
  })
  expect(rec.time as string).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$/)
  expect(lines.join('')).not.toContain('hunter2')
})
