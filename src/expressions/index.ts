/**
 * Expressions: CEL (conditions, loops, guards), jq (`jq.eval`), Expr (`expr.eval`) and typed
 * `${{…}}` interpolation. Implements the engine's `Expressions` port; imports only engine/ports and
 * errors. The libraries (cel-js, jq-wasm) never leak past this folder.
 */
export { CEL_VARIABLES, checkCel, compileCel, evalCel } from './cel.ts'
export { createExpressions } from './engine.ts'
export { type CompiledExpr, checkExpr, compileExpr, type EvalOptions, evalExpr } from './expr.ts'
export { builtinNames as exprBuiltinNames } from './expr-builtins.ts'
export { interpolate } from './interpolate.ts'
export {
  checkJq,
  compileJq,
  evalJq,
  JQ_DEFAULT_TIMEOUT_MS,
  type JqOptions,
  shutdownJq,
} from './jq.ts'
export { embedText } from './json.ts'
export { type FoundReference, findReferences, unwrapGuard } from './references.ts'
export { NAMESPACES, parseReference, type Reference } from './template.ts'
