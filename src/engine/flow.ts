/**
 * Flow control (spec workflow.md §7.5–7.7, §7.12 with A7, A8, A21, D11): condition, loop and
 * parallel steps, and the nested sequences they run. Resuming re-enters them: chosen branches are
 * replayed, finished iterations are not run again, terminal nested steps are reported as they are.
 */
import { AppError, toAppError } from '../errors.ts'
import type { ConditionConfig, LoopConfig, ParallelConfig, Step } from '../schema/workflow.ts'
import { Cancel } from './cancel.ts'
import { type Attempt, type Core, type Frame, SUSPENDED } from './core.ts'
import type { StepRuntime } from './reduce.ts'
import type { Run } from './run.ts'
import { celScope } from './scope.ts'
import { executeStep, typeName } from './step.ts'

type SequenceResult =
  | { kind: 'ok'; last: unknown }
  | { kind: 'failed'; error: AppError }
  | { kind: 'suspended' }
  | { kind: 'aborted' }

/** Runs a nested list in order (§7.12); a failure or a suspension stops it. */
export async function runSequence(
  core: Core,
  run: Run,
  steps: readonly Step[],
  prefix: string,
  frame: Frame,
): Promise<SequenceResult> {
  let last: unknown = null
  const locals = new Map<string, string>()
  const inner: Frame = { ...frame, parent: frame, locals }
  for (const s of steps) {
    if (run.final || run.stop !== undefined || frame.cancel.aborted) return { kind: 'aborted' }
    const key = `${prefix}.${s.id}`
    const o = await executeStep(core, run, s, key, inner)
    locals.set(s.id, key)
    switch (o.kind) {
      case 'completed':
        last = o.hasOutput ? o.output : null
        break
      case 'skipped':
        break
      case 'suspended':
        return { kind: 'suspended' }
      case 'failed':
        return { kind: 'failed', error: o.error }
      case 'aborted':
        return { kind: 'aborted' }
    }
  }
  return { kind: 'ok', last }
}

function fromSequence(core: Core, run: Run, key: string, r: SequenceResult): Attempt | undefined {
  switch (r.kind) {
    case 'ok':
      return undefined
    case 'failed':
      return { ok: false, error: r.error }
    case 'suspended':
      core.emit(run, 'step_suspended', key, { reason: 'nested' })
      return SUSPENDED
    case 'aborted':
      return {
        ok: false,
        error: new AppError('CANCELLED', `step ${key} was stopped`, { stepId: key }),
      }
  }
}

/** A21: the branch key of a CEL value is its JS/JSON text. */
export function branchKey(value: unknown): string {
  if (typeof value === 'string') return value
  if (typeof value === 'boolean' || typeof value === 'number') return String(value)
  if (value === null || value === undefined) return 'null'
  return JSON.stringify(value)
}

function evalCel(
  core: Core,
  run: Run,
  expression: string,
  frame: Frame,
  locals?: Map<string, string>,
): unknown {
  return core.deps.expressions.cel(expression, celScope(run, frame, locals))
}

// ---------------------------------------------------------------------------------------------

export async function attemptCondition(
  core: Core,
  run: Run,
  step: Step,
  key: string,
  frame: Frame,
  st: StepRuntime,
): Promise<Attempt> {
  const cfg = (step.config ?? {}) as ConditionConfig
  let chosen = st.branch
  if (chosen === undefined) {
    let value: unknown
    try {
      value = evalCel(core, run, cfg.expression, frame)
    } catch (err) {
      const e = toAppError(err)
      return {
        ok: false,
        error: new AppError(
          'EXECUTION_ERROR',
          `condition step ${key}: CEL evaluation failed: ${e.message}`,
          {
            stepId: key,
            cause: e,
          },
        ),
      }
    }
    chosen = branchKey(value)
    core.emit(run, 'condition_evaluated', key, { expression: cfg.expression, result: chosen })
    markUntaken(core, run, key, cfg, chosen)
  }
  const branches = cfg.branches ?? {}
  let body: Step[] | undefined
  // Spec §7.5: the default body is taken "with key default" — the output's branch and the nested
  // keys say `default` (as the reference: workflows test `branch == 'default'`); `value` keeps the
  // evaluated key, which no branch matched.
  let head: Record<string, unknown> = { branch: chosen }
  if (Object.hasOwn(branches, chosen)) body = branches[chosen]
  else if (cfg.default !== undefined && cfg.default.length > 0) {
    body = cfg.default
    head = { branch: 'default', value: chosen }
  }
  if (body === undefined)
    return { ok: true, output: { branch: chosen, skipped: true }, hasOutput: true }
  if (body.length === 0) return { ok: true, output: head, hasOutput: true }
  const r = await runSequence(core, run, body, `${key}.${head.branch as string}`, frame)
  const stop = fromSequence(core, run, key, r)
  if (stop !== undefined) return stop
  return { ok: true, output: { ...head, output: (r as { last: unknown }).last }, hasOutput: true }
}

/** D11: the steps of branches not taken are recorded skipped under their nested keys. */
function markUntaken(
  core: Core,
  run: Run,
  key: string,
  cfg: ConditionConfig,
  chosen: string,
): void {
  const branches = cfg.branches ?? {}
  const taken = Object.hasOwn(branches, chosen)
    ? chosen
    : cfg.default?.length
      ? 'default'
      : undefined
  const lists: Array<[string, Step[]]> = Object.entries(branches)
  if (cfg.default !== undefined) lists.push(['default', cfg.default])
  for (const [segment, steps] of lists) {
    if (segment === taken || !Array.isArray(steps)) continue
    for (const s of steps)
      core.emit(run, 'step_skipped', `${key}.${segment}.${s.id}`, { reason: 'branch_not_taken' })
  }
}

// ---------------------------------------------------------------------------------------------

export async function attemptLoop(
  core: Core,
  run: Run,
  step: Step,
  key: string,
  frame: Frame,
  st: StepRuntime,
): Promise<Attempt> {
  const cfg = (step.config ?? {}) as LoopConfig
  const mode = cfg.mode ?? 'for_each'
  const maxIter = cfg.max_iter !== undefined && cfg.max_iter > 0 ? cfg.max_iter : 0
  const body = cfg.body ?? []
  const results: unknown[] = st.loopResults === undefined ? [] : [...st.loopResults]
  const done = results.length
  let items: unknown[] | undefined
  if (mode === 'for_each') {
    if (cfg.over === undefined || cfg.over.trim() === '') {
      return {
        ok: false,
        error: new AppError('VALIDATION_ERROR', `loop step ${key}: 'over' is required`, {
          stepId: key,
        }),
      }
    }
    let value: unknown
    try {
      value = evalCel(core, run, cfg.over, frame)
    } catch (err) {
      return {
        ok: false,
        error: loopError(key, `'over' evaluation failed: ${toAppError(err).message}`),
      }
    }
    if (value === null || value === undefined) items = []
    else if (Array.isArray(value)) items = value
    else
      return {
        ok: false,
        error: loopError(key, `'over' expression must produce a list, got ${typeName(value)}`),
      }
  } else if (mode !== 'while' && mode !== 'until') {
    return {
      ok: false,
      error: new AppError('VALIDATION_ERROR', `loop step ${key}: unknown mode "${String(mode)}"`, {
        stepId: key,
      }),
    }
  }

  for (let i = 0; ; i++) {
    if (maxIter > 0 && i >= maxIter) break
    let item: unknown = null
    if (items !== undefined) {
      if (i >= items.length) break
      item = items[i]
    }
    const iterFrame: Frame = {
      ...frame,
      parent: frame,
      loop: { item, index: i },
      locals: undefined,
    }
    if (mode === 'while' && i >= done) {
      const r = checkCondition(core, run, key, cfg, iterFrame, i - 1)
      if (typeof r !== 'boolean') return r
      if (!r) break
    }
    if (i < done) continue
    if (run.final || run.stop !== undefined || frame.cancel.aborted) {
      return {
        ok: false,
        error: new AppError('CANCELLED', `loop step ${key} was stopped`, { stepId: key }),
      }
    }
    const payload = items === undefined ? { iteration: i } : { iteration: i, item }
    if (st.loopStarted !== i) core.emit(run, 'loop_iter_started', key, payload)
    const r = await runSequence(core, run, body, `${key}.iter_${i}`, iterFrame)
    const stop = fromSequence(core, run, key, r)
    if (stop !== undefined) return stop
    const last = (r as { last: unknown }).last
    results[i] = last
    core.emit(run, 'loop_iter_completed', key, { ...payload, output: last })
    if (mode === 'until') {
      const c = checkCondition(core, run, key, cfg, iterFrame, i)
      if (typeof c !== 'boolean') return c
      if (c) break
    }
  }
  core.emit(run, 'loop_completed', key)
  return { ok: true, output: { iterations: results.length, results }, hasOutput: true }
}

function loopError(key: string, message: string): AppError {
  return new AppError('EXECUTION_ERROR', `loop step ${key}: ${message}`, { stepId: key })
}

/**
 * while/until conditions (A7): `iter.index` of the current iteration and the body outputs of
 * iteration `lastIter` under their local ids.
 */
function checkCondition(
  core: Core,
  run: Run,
  key: string,
  cfg: LoopConfig,
  frame: Frame,
  lastIter: number,
): boolean | Attempt {
  const locals = new Map<string, string>()
  if (lastIter >= 0)
    for (const s of cfg.body ?? []) locals.set(s.id, `${key}.iter_${lastIter}.${s.id}`)
  let value: unknown
  try {
    if (cfg.condition === undefined || cfg.condition.trim() === '')
      throw new Error('condition is empty')
    value = evalCel(core, run, cfg.condition, frame, locals)
  } catch (err) {
    return {
      ok: false,
      error: loopError(key, `condition evaluation failed: ${toAppError(err).message}`),
    }
  }
  if (typeof value !== 'boolean') {
    return {
      ok: false,
      error: loopError(key, `condition must evaluate to bool, got ${typeName(value)}`),
    }
  }
  return value
}

// ---------------------------------------------------------------------------------------------

export async function attemptParallel(
  core: Core,
  run: Run,
  step: Step,
  key: string,
  frame: Frame,
  st: StepRuntime,
): Promise<Attempt> {
  const cfg = (step.config ?? {}) as ParallelConfig
  const branches = cfg.branches ?? []
  const mode = cfg.mode ?? 'all'
  if (!st.parallelStarted)
    core.emit(run, 'parallel_started', key, { mode, branches: branches.length })
  if (mode !== 'all' && mode !== 'race') {
    return {
      ok: false,
      error: new AppError(
        'VALIDATION_ERROR',
        `parallel step ${key}: unknown mode "${String(mode)}"`,
        { stepId: key },
      ),
    }
  }
  if (mode === 'all') {
    const results = await Promise.all(
      branches.map((b, i) =>
        runSequence(core, run, b, `${key}.branch_${i}`, { ...frame, parent: frame }),
      ),
    )
    // The lowest-index failure wins; siblings ran to their end (§7.7).
    for (const r of results) if (r.kind === 'failed') return { ok: false, error: r.error }
    for (const r of results)
      if (r.kind === 'aborted') return fromSequence(core, run, key, r) as Attempt
    if (results.some((r) => r.kind === 'suspended'))
      return fromSequence(core, run, key, { kind: 'suspended' }) as Attempt
    core.emit(run, 'parallel_completed', key)
    return {
      ok: true,
      output: { mode: 'all', branches: results.map((r) => (r.kind === 'ok' ? r.last : null)) },
      hasOutput: true,
    }
  }
  return raceBranches(core, run, key, branches, frame)
}

async function raceBranches(
  core: Core,
  run: Run,
  key: string,
  branches: Step[][],
  frame: Frame,
): Promise<Attempt> {
  const controllers = branches.map(() => new Cancel())
  const offParent = frame.cancel.onAbort(() => {
    for (const c of controllers) c.abort(frame.cancel.reason)
  })
  let winner = -1
  let winnerOutput: unknown = null
  let firstError: AppError | undefined
  let suspended = false
  try {
    await new Promise<void>((resolve) => {
      let pending = branches.length
      if (pending === 0) resolve()
      branches.forEach((b, i) => {
        const ac = controllers[i] as Cancel
        runSequence(core, run, b, `${key}.branch_${i}`, {
          ...frame,
          parent: frame,
          cancel: ac,
        }).then(
          (r) => {
            if (r.kind === 'ok' && winner === -1) {
              winner = i
              winnerOutput = r.last
              controllers.forEach((c, j) => {
                if (j !== i)
                  c.abort(new AppError('CANCELLED', `branch ${j} of ${key} lost the race`))
              })
              resolve()
            } else if (r.kind === 'failed' && firstError === undefined) firstError = r.error
            else if (r.kind === 'suspended') suspended = true
            if (--pending === 0) resolve()
          },
          (err: unknown) => {
            if (firstError === undefined) firstError = toAppError(err)
            if (--pending === 0) resolve()
          },
        )
      })
    })
  } finally {
    offParent()
  }
  if (winner >= 0) {
    for (let j = 0; j < branches.length; j++) {
      if (j !== winner) skipOpenSteps(core, run, `${key}.branch_${j}.`, 'branch_not_taken')
    }
    core.emit(run, 'parallel_completed', key)
    return { ok: true, output: { mode: 'race', winner, output: winnerOutput }, hasOutput: true }
  }
  if (suspended) return fromSequence(core, run, key, { kind: 'suspended' }) as Attempt
  if (firstError !== undefined) return { ok: false, error: firstError }
  return fromSequence(core, run, key, { kind: 'aborted' }) as Attempt
}

/** Records every non-terminal step under `prefix` as skipped (losing race branches, ended runs). */
export function skipOpenSteps(core: Core, run: Run, prefix: string, reason: string): void {
  for (const [k, st] of run.state.steps) {
    if (!k.startsWith(prefix)) continue
    if (st.status === 'completed' || st.status === 'failed' || st.status === 'skipped') continue
    const d = run.state.decisions.get(k)
    if (d?.status === 'pending')
      core.emit(run, 'decision_cancelled', k, { reason, cancelled_by: 'system' })
    core.emit(run, 'step_skipped', k, { reason })
  }
}
