/**
 * Built-in actions (spec actions.md) and the action registry. Adapters of engine/ports.ts `Action`
 * and `ActionRegistry`; this folder imports only engine/ports, errors and schema, never the store.
 */
import type { Action } from '../engine/ports.ts'
import { createPathPolicy } from '../isolation/paths.ts'
import {
  assertActions,
  assertContainsAction,
  assertEqualAction,
  assertEqualsAction,
  assertMatchesAction,
  assertSchemaAction,
  assertTruthyAction,
} from './assert.ts'
import {
  cryptoActions,
  cryptoDecodeAction,
  cryptoEncodeAction,
  cryptoHashAction,
  cryptoHmacAction,
  cryptoUuidAction,
} from './crypto.ts'
import { exprEvalAction } from './expr-eval.ts'
import { fsActions } from './fs.ts'
import {
  type HttpOptions,
  type HttpOutput,
  httpActions,
  httpGetAction,
  httpPostAction,
  httpRequestAction,
} from './http.ts'
import { jqEvalAction } from './jq-eval.ts'
import {
  type ActionInfo,
  assertParams,
  createActionRegistry,
  type MutableActionRegistry,
  paramIssues,
} from './registry.ts'
import {
  workflowActions,
  workflowContextAction,
  workflowEmitAction,
  workflowFailAction,
  workflowLogAction,
  workflowNotifyAction,
  workflowRunAction,
} from './workflow.ts'

export interface BuiltinOptions {
  http?: HttpOptions
}

/** Every built-in action of this folder, configured with `options`. */
export function builtinActions(options: BuiltinOptions = {}): Action[] {
  return [
    ...httpActions(options.http),
    ...cryptoActions(),
    ...assertActions(),
    exprEvalAction,
    jqEvalAction,
    ...workflowActions(),
  ]
}

/**
 * Names of every built-in action, including `fs.*` and `shell.exec`, which need the server's path
 * rules and isolator to be built (for checks that only need names, e.g. `opcode validate`).
 */
export function builtinActionNames(): string[] {
  const fs = fsActions({ paths: createPathPolicy({}) }).map((a) => a.name)
  return [...builtinActions().map((a) => a.name), ...fs, 'shell.exec'].sort()
}

export {
  type ActionInfo,
  assertActions,
  assertContainsAction,
  assertEqualAction,
  assertEqualsAction,
  assertMatchesAction,
  assertParams,
  assertSchemaAction,
  assertTruthyAction,
  createActionRegistry,
  cryptoActions,
  cryptoDecodeAction,
  cryptoEncodeAction,
  cryptoHashAction,
  cryptoHmacAction,
  cryptoUuidAction,
  exprEvalAction,
  type HttpOptions,
  type HttpOutput,
  httpActions,
  httpGetAction,
  httpPostAction,
  httpRequestAction,
  jqEvalAction,
  type MutableActionRegistry,
  paramIssues,
  workflowActions,
  workflowContextAction,
  workflowEmitAction,
  workflowFailAction,
  workflowLogAction,
  workflowNotifyAction,
  workflowRunAction,
}
