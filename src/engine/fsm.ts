/**
 * Workflow and step state machines (spec workflow.md §11, extended by decisions.md D6/D21 for
 * interruption and retry-from-failure). Every transition is an event; this table says which are
 * legal so the engine never writes an impossible history.
 */
import { AppError } from '../errors.ts'
import type { StepStatus, WorkflowStatus } from '../schema/run.ts'

const WORKFLOW: Record<WorkflowStatus, ReadonlySet<WorkflowStatus>> = {
  pending: new Set(['active', 'cancelled', 'failed']),
  active: new Set(['active', 'suspended', 'completed', 'failed', 'cancelled']),
  suspended: new Set(['active', 'cancelled', 'failed']),
  // D21: a `retry` signal with a step id reopens a failed workflow.
  failed: new Set(['active']),
  completed: new Set(),
  cancelled: new Set(),
}

const STEP: Record<StepStatus, ReadonlySet<StepStatus>> = {
  pending: new Set(['scheduled', 'running', 'skipped', 'failed', 'completed']),
  scheduled: new Set(['running', 'skipped', 'suspended']),
  running: new Set([
    'running',
    'completed',
    'failed',
    'suspended',
    'retrying',
    'skipped',
    'pending',
  ]),
  retrying: new Set(['running', 'failed', 'skipped', 'pending']),
  suspended: new Set(['running', 'failed', 'skipped', 'completed', 'pending']),
  // D21: retry from a failed step, and reopening of skips caused by a failure.
  failed: new Set(['pending']),
  skipped: new Set(['pending']),
  completed: new Set(),
}

export function canMoveWorkflow(from: WorkflowStatus, to: WorkflowStatus): boolean {
  return WORKFLOW[from].has(to)
}

export function canMoveStep(from: StepStatus, to: StepStatus): boolean {
  return STEP[from].has(to)
}

export function assertWorkflowMove(
  workflowId: string,
  from: WorkflowStatus,
  to: WorkflowStatus,
): void {
  if (!WORKFLOW[from].has(to)) {
    throw new AppError(
      'INVALID_TRANSITION',
      `workflow ${workflowId} cannot go from ${from} to ${to}`,
      {
        details: { workflow_id: workflowId, from, to },
      },
    )
  }
}

export function assertStepMove(
  workflowId: string,
  stepId: string,
  from: StepStatus,
  to: StepStatus,
): void {
  if (!STEP[from].has(to)) {
    throw new AppError('INVALID_TRANSITION', `step ${stepId} cannot go from ${from} to ${to}`, {
      details: { workflow_id: workflowId, step_id: stepId, from, to },
      stepId,
    })
  }
}
