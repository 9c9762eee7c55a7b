/**
 * The cron scheduler (spec server.md §11 Ours; decisions.md D13, D19): cron parsing (pure), the
 * fire plan (pure), and the loop that claims due fires in SQL and starts them on the engine.
 * Imports the engine, the store and validation; never the transports (ops, mcp, http, cli).
 */
export { CRON_DESCRIPTORS, type CronSchedule, compileCron, isValidCron } from './cron.ts'
export {
  DEFAULT_SCHEDULER_OPTIONS,
  type ManualRun,
  type Scheduler,
  type SchedulerDeps,
  type SchedulerOptions,
  startScheduler,
  type TickReport,
} from './loop.ts'
export {
  CATCH_UP_POLICIES,
  type CatchUpPolicy,
  type FireKind,
  type FirePlan,
  OVERLAP_POLICIES,
  type OverlapPolicy,
  planFires,
} from './plan.ts'
export {
  CatchUp,
  JobRun,
  Overlap,
  RunStatus,
  Schedule,
  ScheduleInput,
  SchedulePatch,
  ScheduleSource,
} from './schema.ts'
export { cronTriggerOf } from './triggers.ts'
