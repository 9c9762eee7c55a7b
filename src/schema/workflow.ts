/**
 * The workflow definition format (spec workflow.md §1–3), as TypeBox schemas: the single source of
 * truth for types and validation. Wire names are snake_case and match the reference exactly.
 *
 * A Step is flat: its `config` is typed per step type by the *Config schemas below, which contain
 * nested Steps. The validator (src/validation) checks each config against its schema, recursively.
 * Unknown keys are allowed here and reported as warnings by the validator (decisions.md D8).
 */
import { type Static, Type } from '@sinclair/typebox'

export const Duration = Type.String({
  description:
    "Go duration: one or more <number><unit> groups, units ns, us, µs, ms, s, m, h — e.g. '500ms', '1.5s', '1h30m'.",
})
export type Duration = Static<typeof Duration>

export const StepType = ['action', 'condition', 'reasoning', 'parallel', 'loop', 'wait'] as const
export type StepType = (typeof StepType)[number]

export const BackoffStrategy = ['none', 'linear', 'exponential', 'constant'] as const
export type BackoffStrategy = (typeof BackoffStrategy)[number]

export const RetryPolicy = Type.Object(
  {
    max: Type.Integer({
      minimum: 0,
      description: 'Retries after the first attempt (total attempts = max + 1).',
    }),
    backoff: Type.Optional(
      Type.Union(
        BackoffStrategy.map((s) => Type.Literal(s)),
        {
          description:
            "Delay growth between attempts: 'none' | 'linear' | 'exponential' | 'constant' (default none).",
        },
      ),
    ),
    delay: Type.Optional(
      Type.String({ description: "Base delay between attempts, e.g. '500ms'." }),
    ),
    max_delay: Type.Optional(Type.String({ description: "Cap on the delay, e.g. '30s'." })),
  },
  { description: 'Retry policy of a step.' },
)
export type RetryPolicy = Static<typeof RetryPolicy>

export const ErrorStrategy = ['ignore', 'fail_workflow', 'fallback_step', 'retry'] as const
export type ErrorStrategy = (typeof ErrorStrategy)[number]

export const ErrorHandler = Type.Object(
  {
    strategy: Type.Union(
      ErrorStrategy.map((s) => Type.Literal(s)),
      {
        description:
          "What to do once retries are used up: 'ignore' | 'fail_workflow' | 'fallback_step' | 'retry'.",
      },
    ),
    fallback_step: Type.Optional(
      Type.String({
        description:
          "Top-level step id to run in place of the failed one (strategy 'fallback_step').",
      }),
    ),
  },
  { description: 'Error handler of a step, applied after its retries.' },
)
export type ErrorHandler = Static<typeof ErrorHandler>

/** decisions.md D18: per-step resource limits, bounded by the settings' maxima. */
export const StepLimits = Type.Object(
  {
    memory_mb: Type.Optional(Type.Number({ minimum: 0, description: 'Memory limit in MiB.' })),
    cpu_quota: Type.Optional(
      Type.Number({ minimum: 0, description: 'CPU quota in cores (0.5 = half a core).' }),
    ),
    max_pids: Type.Optional(
      Type.Integer({ minimum: 0, description: 'Maximum number of processes.' }),
    ),
    timeout: Type.Optional(Type.String({ description: 'Wall-clock limit, Go duration.' })),
  },
  { description: 'Resource limits for shell.exec in this step (within the server maxima).' },
)
export type StepLimits = Static<typeof StepLimits>

export const Step = Type.Object(
  {
    id: Type.String({
      minLength: 1,
      description:
        'Step id, unique in its list. Hyphens are fine; avoid dots (they separate nested keys).',
    }),
    type: Type.Optional(
      Type.Union(
        StepType.map((s) => Type.Literal(s)),
        { description: "Step type (default 'action')." },
      ),
    ),
    action: Type.Optional(
      Type.String({ description: "Action name for action steps, e.g. 'http.get'." }),
    ),
    params: Type.Optional(
      Type.Unknown({
        description: 'Action parameters; the only place where ${{...}} is resolved.',
      }),
    ),
    depends_on: Type.Optional(
      Type.Array(Type.String(), { description: 'Ids of top-level steps that must finish first.' }),
    ),
    condition: Type.Optional(
      Type.String({ description: 'CEL guard: the step is skipped when it evaluates to false.' }),
    ),
    timeout: Type.Optional(
      Type.String({ description: 'Step deadline (Go duration), fresh for every attempt.' }),
    ),
    retry: Type.Optional(RetryPolicy),
    on_error: Type.Optional(ErrorHandler),
    config: Type.Optional(
      Type.Unknown({
        description: 'Type-specific configuration (condition, loop, parallel, wait, reasoning).',
      }),
    ),
    limits: Type.Optional(StepLimits),
  },
  { description: 'One node of the workflow DAG.' },
)
export type Step = Static<typeof Step>

export const StepList = Type.Array(Step)

export const ConditionConfig = Type.Object({
  expression: Type.String({
    minLength: 1,
    description: 'CEL expression whose value picks the branch.',
  }),
  branches: Type.Optional(
    Type.Record(Type.String(), StepList, {
      description:
        "Branch bodies keyed by the result's text ('true', 'false', a string, a number).",
    }),
  ),
  default: Type.Optional(
    Type.Array(Step, { description: 'Body used when no branch key matches.' }),
  ),
})
export type ConditionConfig = Static<typeof ConditionConfig>

export const LoopMode = ['for_each', 'while', 'until'] as const
export type LoopMode = (typeof LoopMode)[number]

export const LoopConfig = Type.Object({
  mode: Type.Optional(
    Type.Union(
      LoopMode.map((s) => Type.Literal(s)),
      { description: "'for_each' (default), 'while' or 'until'." },
    ),
  ),
  over: Type.Optional(
    Type.String({ description: 'for_each: CEL expression yielding a list, e.g. inputs.items.' }),
  ),
  condition: Type.Optional(
    Type.String({
      description: 'while/until: CEL condition; sees iter.index and the last iteration outputs.',
    }),
  ),
  body: Type.Array(Step, { minItems: 1, description: 'Steps run in order for every iteration.' }),
  max_iter: Type.Optional(
    Type.Integer({ minimum: 0, description: 'Cap on iterations (0 = none).' }),
  ),
})
export type LoopConfig = Static<typeof LoopConfig>

export const ParallelMode = ['all', 'race'] as const
export type ParallelMode = (typeof ParallelMode)[number]

export const ParallelConfig = Type.Object({
  branches: Type.Array(StepList, {
    minItems: 1,
    description: 'Branches run concurrently; each is a sequential list of steps.',
  }),
  mode: Type.Optional(
    Type.Union(
      ParallelMode.map((s) => Type.Literal(s)),
      { description: "'all' (default): wait for every branch; 'race': first success wins." },
    ),
  ),
})
export type ParallelConfig = Static<typeof ParallelConfig>

export const WaitConfig = Type.Object({
  duration: Type.Optional(
    Type.String({ description: "Sleep this long (Go duration). Wins over 'signal'." }),
  ),
  signal: Type.Optional(
    Type.String({
      description: "Suspend until a 'data' signal whose payload.signal equals this name arrives.",
    }),
  ),
})
export type WaitConfig = Static<typeof WaitConfig>

export const DecisionOption = Type.Object({
  id: Type.String({ minLength: 1, description: 'Choice id an agent sends back.' }),
  description: Type.Optional(Type.String({ description: 'What this choice means.' })),
})
export type DecisionOption = Static<typeof DecisionOption>

export const ReasoningConfig = Type.Object({
  prompt_context: Type.Optional(
    Type.String({ description: 'Text shown to the agent or human deciding.' }),
  ),
  options: Type.Optional(
    Type.Array(DecisionOption, { description: 'Allowed choices; empty or absent = free-form.' }),
  ),
  data_inject: Type.Optional(
    Type.Record(Type.String(), Type.String(), {
      description:
        "Values placed in the decision context, e.g. {'status': 'steps.fetch.output.status'}.",
    }),
  ),
  timeout: Type.Optional(Type.String({ description: 'Decision deadline (Go duration).' })),
  fallback: Type.Optional(Type.String({ description: 'Choice applied when the deadline passes.' })),
  target_agent: Type.Optional(
    Type.String({ description: 'Only this agent may resolve the decision.' }),
  ),
})
export type ReasoningConfig = Static<typeof ReasoningConfig>

export const OnTimeout = ['fail', 'suspend', 'cancel'] as const
export type OnTimeout = (typeof OnTimeout)[number]

export const WorkflowDefinition = Type.Object(
  {
    steps: Type.Array(Step, { minItems: 1, description: 'Top-level DAG nodes.' }),
    inputs: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description: 'Default run params, shallow-merged under the params of each run.',
      }),
    ),
    timeout: Type.Optional(
      Type.String({ description: 'Deadline for the whole run, active time only (Go duration).' }),
    ),
    on_timeout: Type.Optional(
      Type.Union(
        OnTimeout.map((s) => Type.Literal(s)),
        { description: "What the deadline does: 'fail' (default), 'suspend' or 'cancel'." },
      ),
    ),
    on_complete: Type.Optional(Step),
    on_error: Type.Optional(Step),
    metadata: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description: 'Opaque; metadata.name titles diagrams.',
      }),
    ),
  },
  { description: 'A workflow definition: a DAG of steps.' },
)
export type WorkflowDefinition = Static<typeof WorkflowDefinition>

/** decisions.md D19: template triggers. */
export const CronTrigger = Type.Object({
  expression: Type.String({
    description:
      "Cron expression: 5 fields, 6 with seconds, '@hourly', 'TZ=Europe/Paris 0 9 * * *'.",
  }),
  timezone: Type.Optional(Type.String({ description: 'IANA time zone (default UTC).' })),
  params: Type.Optional(
    Type.Record(Type.String(), Type.Unknown(), { description: 'Run params of each fire.' }),
  ),
  agent_id: Type.Optional(
    Type.String({ description: 'Agent owning the runs (default: the defining agent).' }),
  ),
  catch_up: Type.Optional(
    Type.Union([Type.Literal('none'), Type.Literal('one'), Type.Literal('all')], {
      description: "Fires missed while down: 'none', 'one' (default) or 'all'.",
    }),
  ),
  overlap: Type.Optional(
    Type.Union([Type.Literal('skip'), Type.Literal('allow')], {
      description: "'skip' (default) while the previous run is active, or 'allow'.",
    }),
  ),
})
export type CronTrigger = Static<typeof CronTrigger>

export const Triggers = Type.Object(
  { cron: Type.Optional(CronTrigger) },
  { description: 'Template triggers.' },
)
export type Triggers = Static<typeof Triggers>
