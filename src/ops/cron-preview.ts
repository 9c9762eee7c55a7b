/**
 * Cron preview for the scheduler form (panel.md §3.7 Ours): validates an expression server-side
 * with the scheduler's own parser and shows the next fire times before a job is saved.
 */
import { Type } from '@sinclair/typebox'
import { compileCron } from '../scheduler/index.ts'
import { defineOp } from './op.ts'

export const cronPreviewOp = defineOp({
  name: 'schedules.preview',
  description:
    'Checks a cron expression (5 or 6 fields, @descriptors, TZ= prefix) and returns its next fire times; VALIDATION_ERROR explains a bad one.',
  tool: false,
  readOnly: true,
  http: { method: 'GET', path: '/cron/preview' },
  input: Type.Object({
    cron_expression: Type.String({ minLength: 1 }),
    timezone: Type.Optional(Type.String()),
    count: Type.Optional(Type.Integer({ minimum: 1, maximum: 20 })),
  }),
  handle(svc, input) {
    const tz = input.timezone === undefined || input.timezone === '' ? undefined : input.timezone
    const cron = compileCron(input.cron_expression, tz)
    return {
      cron_expression: cron.expression,
      timezone: cron.timezone,
      next: cron.upcoming(svc.now(), input.count ?? 3).map((ms) => new Date(ms).toISOString()),
    }
  },
})
