/**
 * A diagram is drawn only for a definition the engine would accept: the validator's errors are
 * reported as they are by define and run, and levels come from the engine's DAG module.
 */
import { computeLevels } from '../engine/dag.ts'
import type { Issue } from '../errors.ts'
import { AppError } from '../errors.ts'
import type { WorkflowDefinition } from '../schema/workflow.ts'
import { toValidationError, validateDefinition } from '../validation/index.ts'

/** Returns the DAG levels of the top-level steps, or throws VALIDATION_ERROR / CYCLE_DETECTED. */
export function checkDefinition(definition: WorkflowDefinition): string[][] {
  const result = validateDefinition(definition)
  if (!result.ok) throw definitionError(result)
  return computeLevels(definition.steps)
}

/**
 * The error for a failed validation: VALIDATION_ERROR with every issue, except that a cycle alone
 * keeps its own code CYCLE_DETECTED, as the engine reports it when a run starts.
 */
export function definitionError(result: { errors: Issue[]; warnings: Issue[] }): AppError {
  const [only, ...rest] = result.errors
  if (only !== undefined && rest.length === 0 && only.code === 'CYCLE_DETECTED')
    return new AppError('CYCLE_DETECTED', only.message, {
      issues: [...result.errors, ...result.warnings],
    })
  return toValidationError(result)
}
