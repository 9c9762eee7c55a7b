/**
 * `opcode.define` (spec server.md §4.1 with Ours): validates the definition (every problem at
 * once), checks input_schema and triggers, registers the agent, and stores a new version `v<N+1>`
 * atomically (never overwriting a version).
 */
import { Type } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { AppError, type Issue } from '../errors.ts'
import { cronTriggerOf } from '../scheduler/triggers.ts'
import { Triggers } from '../schema/workflow.ts'
import { defineTemplate, ensureAgent } from '../store/records.ts'
import { toValidationError, validateDefinition } from '../validation/index.ts'
import { defineOp } from './op.ts'
import { AgentId, AnyObject } from './params.ts'
import { compileInputSchema, lookup } from './templates.ts'

const checkTriggers = TypeCompiler.Compile(Triggers)

export const defineTemplateOp = defineOp({
  name: 'opcode.define',
  description:
    'Save a workflow definition as a reusable template. The definition is validated first: on problems nothing is stored and every problem is returned with its JSON-pointer path. Each call stores a new version (v1, v2, …); opcode.run uses the latest unless told otherwise.',
  tool: true,
  readOnly: false,
  http: { method: 'POST', path: '/templates', status: 201 },
  input: Type.Object({
    name: Type.String({
      minLength: 1,
      maxLength: 256,
      description:
        'Template name, e.g. "deploy-service". Defining an existing name adds a version.',
    }),
    definition: Type.Object(
      {},
      {
        additionalProperties: true,
        description:
          'Workflow definition: {"steps": [{"id": "fetch", "action": "http.get", "params": {"url": "…"}}, {"id": "check", "type": "condition", "depends_on": ["fetch"], "config": {…}}], "inputs"?: {defaults}, "timeout"?: "5m", "on_error"?: step}. Step types: action (default), condition, reasoning, parallel, loop, wait. Reference values with ${{steps.<id>.output.<field>}} or ${{inputs.<name>}}.',
      },
    ),
    agent_id: AgentId('Your agent id; recorded as the template author.'),
    description: Type.Optional(Type.String({ description: 'What the workflow does, for humans.' })),
    input_schema: Type.Optional(
      AnyObject(
        'JSON Schema that run params (merged over definition inputs) must satisfy; checked by opcode.run.',
      ),
    ),
    output_schema: Type.Optional(AnyObject('JSON Schema describing the output (documentation).')),
    triggers: Type.Optional(
      AnyObject(
        'Optional triggers, e.g. {"cron": {"expression": "0 9 * * 1-5", "timezone": "Europe/Paris", "params": {}}}: runs the template on a schedule.',
      ),
    ),
  }),
  audit: (input, result) => ({
    agent_id: input.agent_id,
    action: 'template.define',
    resource_type: 'template',
    resource_id: `${input.name}:${(result as { version: string }).version}`,
  }),
  handle(svc, input, call) {
    ensureAgent(svc.store, input.agent_id, 'llm', svc.now())
    svc.sessions.remember(input.agent_id, call.sessionId)
    const checked = validateDefinition(input.definition, { actions: lookup(svc.actions) })
    if (!checked.ok) throw toValidationError(checked)
    if (input.input_schema !== undefined) compileInputSchema(input.input_schema)
    if (input.triggers !== undefined && !checkTriggers.Check(input.triggers)) {
      const issues: Issue[] = [...checkTriggers.Errors(input.triggers)].slice(0, 20).map((e) => ({
        path: `/triggers${e.path}`,
        code: 'VALIDATION_ERROR',
        message: e.message,
        severity: 'error',
      }))
      throw new AppError(
        'VALIDATION_ERROR',
        `triggers are invalid: ${issues[0]?.path ?? '/triggers'}: ${issues[0]?.message ?? ''}`,
        { issues },
      )
    }
    cronTriggerOf(input.triggers) // a bad cron is refused before anything is stored (D19)
    const stored = defineTemplate(
      svc.store,
      {
        name: input.name,
        definition: input.definition,
        agent_id: input.agent_id,
        ...(input.description === undefined ? {} : { description: input.description }),
        ...(input.input_schema === undefined ? {} : { input_schema: input.input_schema }),
        ...(input.output_schema === undefined ? {} : { output_schema: input.output_schema }),
        ...(input.triggers === undefined ? {} : { triggers: input.triggers }),
      },
      svc.now(),
    )
    for (const fn of svc.afterDefine) {
      try {
        fn({ ...stored, agent_id: input.agent_id, triggers: input.triggers })
      } catch (err) {
        svc.logger.error('after-define hook failed', {
          template: `${stored.name}:${stored.version}`,
          error: String(err),
        })
      }
    }
    const out: { name: string; version: string; warnings?: Issue[] } = stored
    if (checked.warnings.length > 0) out.warnings = checked.warnings
    return out
  },
})
