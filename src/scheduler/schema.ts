/**
 * Wire shapes of scheduled jobs and their runs (TypeBox, so the MCP/HTTP layer can use them as
 * input and output schemas). Times are RFC 3339 text; `next_run_at` is null while a job is disabled.
 */
import { type Static, Type } from '@sinclair/typebox'

export const CatchUp = Type.Union(
  [Type.Literal('none'), Type.Literal('one'), Type.Literal('all')],
  {
    description:
      "Fires missed while the server was down: 'none' drops them, 'one' (default) runs the latest once, 'all' runs each (newest 100).",
  },
)

export const Overlap = Type.Union([Type.Literal('skip'), Type.Literal('allow')], {
  description:
    "'skip' (default): a fire that finds the previous run still active (not completed, failed or cancelled) is recorded as skipped; 'allow': runs overlap.",
})

export const ScheduleInput = Type.Object({
  template_name: Type.String({ minLength: 1, description: 'Template to run at each fire.' }),
  template_version: Type.Optional(
    Type.String({ description: 'Pinned version (e.g. v3); absent = the latest at each fire.' }),
  ),
  cron_expression: Type.String({
    minLength: 1,
    description:
      "Cron: 5 fields (minute hour day-of-month month day-of-week), 6 with seconds first, '@hourly'/'@daily'/…, optional 'TZ=Europe/Paris ' prefix.",
  }),
  timezone: Type.Optional(
    Type.String({ description: 'IANA time zone the fields are read in (default UTC).' }),
  ),
  params: Type.Optional(
    Type.Record(Type.String(), Type.Unknown(), { description: 'Run params of each fire.' }),
  ),
  agent_id: Type.String({ minLength: 1, description: 'Agent owning the runs.' }),
  enabled: Type.Optional(Type.Boolean({ description: 'Default true.' })),
  catch_up: Type.Optional(CatchUp),
  overlap: Type.Optional(Overlap),
})
export type ScheduleInput = Static<typeof ScheduleInput>

export const SchedulePatch = Type.Partial(ScheduleInput)
export type SchedulePatch = Static<typeof SchedulePatch>

export const ScheduleSource = Type.Union([Type.Literal('api'), Type.Literal('trigger')], {
  description: "'trigger': created by the template's triggers.cron (replaced on re-define).",
})
export type ScheduleSource = Static<typeof ScheduleSource>

export const RunStatus = Type.Union(
  [
    Type.Literal('claimed'),
    Type.Literal('running'),
    Type.Literal('suspended'),
    Type.Literal('completed'),
    Type.Literal('failed'),
    Type.Literal('cancelled'),
    Type.Literal('skipped'),
    Type.Literal('error'),
  ],
  {
    description:
      "claimed (start pending), running, suspended, then the workflow's end: completed, failed, cancelled; skipped (overlap); error (could not start: template missing, bad params…).",
  },
)
export type RunStatus = Static<typeof RunStatus>

export const Schedule = Type.Object({
  id: Type.String(),
  template_name: Type.String(),
  template_version: Type.Optional(Type.String()),
  cron_expression: Type.String(),
  timezone: Type.String(),
  params: Type.Record(Type.String(), Type.Unknown()),
  agent_id: Type.String(),
  enabled: Type.Boolean(),
  catch_up: CatchUp,
  overlap: Overlap,
  source: ScheduleSource,
  next_run_at: Type.Union([Type.String(), Type.Null()], { description: 'Next fire (RFC 3339).' }),
  last_run_at: Type.Optional(Type.String({ description: 'Fire time of the latest run.' })),
  last_run_status: Type.Optional(RunStatus),
  last_workflow_id: Type.Optional(Type.String()),
  created_at: Type.String(),
  updated_at: Type.String(),
})
export type Schedule = Static<typeof Schedule>

export const JobRun = Type.Object({
  id: Type.Integer(),
  job_id: Type.String(),
  scheduled_for: Type.String({ description: 'The fire time this run is for (RFC 3339).' }),
  kind: Type.Union([Type.Literal('cron'), Type.Literal('catch_up'), Type.Literal('manual')]),
  status: RunStatus,
  workflow_id: Type.Optional(Type.String()),
  error: Type.Optional(
    Type.Object({ code: Type.String(), message: Type.String() }, { additionalProperties: true }),
  ),
  started_at: Type.String(),
  finished_at: Type.Optional(Type.String()),
})
export type JobRun = Static<typeof JobRun>
