/**
 * A diagram is drawn only for a definition the engine would accept: the validator's errors are
 * reported as they are by define and run, and levels come from the engine's DAG module.
 */
import { computeLevels } from '../engine/dag.ts'
import { AppError } from '../errors.ts'
import type { WorkflowDefinition } from '../schema/workflow.ts'
import { toValidationError, validateDefinition } from '../validation/index.ts'

/** Returns the DAG levels of the top-level steps, or throws VALIDATION_ERROR / CYCLE_DETECTED. */
export function checkDefinition(definition: WorkflowDefinition): string[][] {
  const result = validateDefinition(definition)
  if (!result.ok) {
    const [only, ...rest] = result.errors
    // A cycle alone keeps its own code, as the engine reports it when a run starts.
    if (only !== undefined && rest.length === 0 && only.code === 'CYCLE_DETECTED')
      throw new AppError('CYCLE_DETECTED', only.message, {
        issues: [...result.errors, ...result.warnings],
      })
    throw toValidationError(result)
  }
  return computeLevels(definition.steps)
}
