/**
 * What expressions and actions see of a run: the `steps`, `inputs`, `workflow`, `context`, `iter`
 * and `loop` namespaces, with A7's local names inside nested sequences.
 */
import type { Core, Frame } from './core.ts'
import type { ActionScope, CelScope, InterpolationScope, SecretResolver } from './ports.ts'
import type { Run } from './run.ts'

/** Step key → output, plus the local ids of enclosing sequences (inner shadows outer). */
export function stepsScope(run: Run, frame: Frame | undefined): Record<string, unknown> {
  const outputs = run.state.outputs
  let chain: Array<Map<string, string>> | undefined
  for (let f = frame; f !== undefined; f = f.parent) {
    if (f.locals !== undefined && f.locals.size > 0) {
      if (chain === undefined) chain = []
      chain.push(f.locals)
    }
  }
  if (chain === undefined) return outputs
  const out: Record<string, unknown> = Object.assign(Object.create(null), outputs)
  for (let i = chain.length - 1; i >= 0; i--) {
    for (const [local, full] of chain[i] as Map<string, string>) {
      if (Object.hasOwn(outputs, full)) out[local] = outputs[full]
      else delete out[local]
    }
  }
  return out
}

export function celScope(
  run: Run,
  frame: Frame | undefined,
  extraLocals?: Map<string, string>,
): CelScope {
  let steps = stepsScope(run, frame)
  if (extraLocals !== undefined && extraLocals.size > 0) {
    steps = Object.assign(Object.create(null), steps)
    for (const [local, full] of extraLocals) {
      if (Object.hasOwn(run.state.outputs, full)) steps[local] = run.state.outputs[full]
    }
  }
  const loop = frame?.loop
  return {
    steps,
    inputs: run.meta.inputs,
    workflow: run.workflowScope(),
    context: run.contextScope(),
    iter: loop === undefined ? {} : { item: loop.item, index: loop.index },
  }
}

export function interpolationScope(
  core: Core,
  run: Run,
  frame: Frame | undefined,
): InterpolationScope {
  const scope: InterpolationScope = {
    steps: stepsScope(run, frame),
    inputs: run.meta.inputs,
    workflow: run.workflowScope(),
    context: run.contextScope(),
  }
  if (frame?.loop !== undefined) scope.loop = frame.loop
  const vault = core.deps.secrets
  if (vault !== undefined) scope.secrets = recordingResolver(vault, run)
  return scope
}

/** Resolves secrets and remembers their values so the run can redact them everywhere. */
function recordingResolver(vault: SecretResolver, run: Run): SecretResolver {
  return {
    resolve(name: string): string {
      const value = vault.resolve(name)
      if (value !== '') run.secretValues.add(value)
      return value
    },
  }
}

/** The action context of spec §7.4: run params at top level, then the namespaces and ids. */
export function actionScope(run: Run, frame: Frame | undefined, stepKey: string): ActionScope {
  return {
    ...run.meta.inputs,
    steps: stepsScope(run, frame),
    inputs: run.meta.inputs,
    workflow: run.workflowScope(),
    context: run.contextScope(),
    workflow_id: run.id,
    step_id: stepKey,
    agent_id: run.meta.agentId,
    ...(frame?.loop === undefined ? {} : { loop: frame.loop }),
  }
}
