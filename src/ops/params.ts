/** Parameter schemas shared by several operations (each with a description an agent can act on). */
import { Type } from '@sinclair/typebox'

export const AgentId = (description: string) =>
  Type.String({ minLength: 1, maxLength: 256, description })

export const WorkflowIdParam = Type.String({
  minLength: 1,
  maxLength: 128,
  description: 'Workflow id returned by opcode.run.',
})

export const AnyObject = (description: string) =>
  Type.Object({}, { additionalProperties: true, description })

export const Limit = Type.Optional(
  Type.Integer({ description: 'Page size (default 50; 0 or less = no limit; at most 1000).' }),
)
export const Offset = Type.Optional(
  Type.Integer({ minimum: 0, description: 'Rows to skip, for paging (default 0).' }),
)
