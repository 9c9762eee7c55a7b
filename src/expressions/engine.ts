/**
 * The `Expressions` port of the engine (engine/ports.ts): CEL for conditions, loops and guards,
 * and `${{…}}` interpolation of step params.
 */
import type { Expressions } from '../engine/ports.ts'
import { evalCel } from './cel.ts'
import { interpolate } from './interpolate.ts'

export function createExpressions(): Expressions {
  return {
    cel: (expression, scope) => evalCel(expression, scope),
    interpolate: (value, scope) => interpolate(value, scope),
  }
}
