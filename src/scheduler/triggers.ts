/**
 * Template `triggers` (decisions.md D19): `{cron?: {expression, timezone?, params?, agent_id?,
 * catch_up?, overlap?}}`. Checked at define time, before the template is stored, so a bad cron
 * never reaches the scheduler. Unknown trigger kinds are left alone (decisions.md D8).
 */
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { AppError, type Issue } from '../errors.ts'
import { CronTrigger } from '../schema/workflow.ts'
import { compileCron } from './cron.ts'

const checkCron = TypeCompiler.Compile(CronTrigger)

/**
 * The cron trigger of a template's `triggers`, checked; undefined when there is none. Throws
 * VALIDATION_ERROR (issues under `/triggers/cron/...`) for a malformed trigger or cron expression.
 */
export function cronTriggerOf(triggers: unknown): CronTrigger | undefined {
  if (triggers === undefined || triggers === null) return undefined
  if (typeof triggers !== 'object' || Array.isArray(triggers)) {
    throw new AppError('VALIDATION_ERROR', 'triggers must be an object such as {"cron": {...}}', {
      issues: [issue('/triggers', 'must be an object')],
    })
  }
  const cron = (triggers as Record<string, unknown>).cron
  if (cron === undefined || cron === null) return undefined
  if (!checkCron.Check(cron)) {
    const issues: Issue[] = []
    for (const e of checkCron.Errors(cron)) {
      if (issues.length >= 10) break
      issues.push(issue(`/triggers/cron${e.path}`, e.message))
    }
    const first = issues[0]
    throw new AppError(
      'VALIDATION_ERROR',
      `invalid triggers.cron: ${first === undefined ? 'malformed' : `${first.path}: ${first.message}`}`,
      { issues },
    )
  }
  try {
    compileCron(cron.expression, cron.timezone)
  } catch (err) {
    const e = err as AppError
    throw new AppError('VALIDATION_ERROR', `triggers.cron: ${e.message}`, {
      issues: [issue('/triggers/cron/expression', e.message)],
      ...(e.details === undefined ? {} : { details: e.details }),
    })
  }
  return cron
}

function issue(path: string, message: string): Issue {
  return { path, code: 'VALIDATION_ERROR', message, severity: 'error' }
}
