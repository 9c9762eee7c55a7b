/**
 * The MCP tool list, generated once from the operations: JSON Schemas straight from their TypeBox
 * input schemas (TypeBox values are JSON Schema; its symbol keys do not survive JSON), annotations
 * from `readOnly`.
 */
import type { Tool } from '@modelcontextprotocol/sdk/types.js'
import type { Op } from '../ops/index.ts'

const TITLES: Record<string, string> = {
  'opcode.define': 'Define workflow template',
  'opcode.run': 'Run workflow',
  'opcode.status': 'Workflow status',
  'opcode.signal': 'Signal workflow',
  'opcode.query': 'Query workflows, events, templates',
  'opcode.diagram': 'Draw workflow diagram',
}

export function toolList(ops: Op[]): Tool[] {
  return ops.map((op) => {
    const inputSchema = JSON.parse(JSON.stringify(op.input)) as Tool['inputSchema']
    return {
      name: op.name,
      title: TITLES[op.name] ?? op.name,
      description: op.description,
      inputSchema,
      annotations: {
        readOnlyHint: op.readOnly,
        // A cancel signal ends a workflow for good; the other tools only add versions and runs.
        destructiveHint: op.name === 'opcode.signal',
        idempotentHint: op.readOnly,
        openWorldHint: !op.readOnly,
      },
    }
  })
}
