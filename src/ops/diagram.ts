/**
 * `opcode.diagram` (spec server.md §4.6, §15 with Ours): a template's structure or a workflow with
 * its step states, as ASCII, Mermaid, SVG or PNG. Result `{format, diagram}`; a PNG travels as
 * base64 (`mime_type: image/png`) and the MCP layer turns it into an image content item.
 */
import { Type } from '@sinclair/typebox'
import { buildDiagramModel, parseDiagramFormat, renderDiagram } from '../diagram/index.ts'
import { AppError } from '../errors.ts'
import type { WorkflowDefinition } from '../schema/workflow.ts'
import { stepStates } from '../store/queries.ts'
import { getTemplateRecord } from '../store/records.ts'
import { defineOp, type OpServices } from './op.ts'

export interface DiagramResult {
  format: string
  diagram: string
  mime_type?: string
}

export const diagramOp = defineOp({
  name: 'opcode.diagram',
  description:
    'Draw a workflow: a template structure (template_name) or a run with step statuses (workflow_id). format: ascii (text for terminals), mermaid (for Markdown), svg, or image (PNG).',
  tool: true,
  readOnly: true,
  http: { method: 'GET', path: '/diagram' },
  input: Type.Object({
    format: Type.String({ description: 'ascii | mermaid | svg | image (PNG)' }),
    template_name: Type.Optional(
      Type.String({ description: 'Draw this template (structure only).' }),
    ),
    version: Type.Optional(Type.String({ description: 'Template version (default latest).' })),
    workflow_id: Type.Optional(
      Type.String({ description: 'Draw this workflow run (wins over template_name).' }),
    ),
    include_status: Type.Optional(
      Type.Union([Type.Boolean(), Type.String()], {
        description:
          'Workflow only: overlay step statuses (default true; false or "false" to omit).',
      }),
    ),
  }),
  async handle(svc, input) {
    return drawDiagram(svc, input)
  },
})

export async function drawDiagram(
  svc: OpServices,
  input: {
    format: string
    template_name?: string
    version?: string
    workflow_id?: string
    include_status?: boolean | string
  },
): Promise<DiagramResult> {
  const format = parseDiagramFormat(input.format)
  let definition: WorkflowDefinition
  let states: Record<string, { status: string }> | undefined
  let title: string | undefined
  if (input.workflow_id !== undefined && input.workflow_id !== '') {
    const row = svc.store.workflowRow(input.workflow_id)
    if (row === undefined) {
      throw new AppError('NOT_FOUND', `workflow "${input.workflow_id}" not found`, {
        details: { workflow_id: input.workflow_id },
      })
    }
    definition = row.definition as WorkflowDefinition
    const withStatus = input.include_status !== false && input.include_status !== 'false'
    if (withStatus) states = stepStates(svc.store, row.id)
    const metaName = definition.metadata?.name
    if (typeof metaName !== 'string') title = row.name ?? row.template_name
  } else if (input.template_name !== undefined && input.template_name !== '') {
    const t = getTemplateRecord(svc.store, input.template_name, input.version)
    definition = t.definition as WorkflowDefinition
    const metaName = definition.metadata?.name
    if (typeof metaName !== 'string') title = `${t.name} ${t.version}`
  } else {
    throw new AppError('VALIDATION_ERROR', 'give template_name or workflow_id to draw')
  }
  const model = buildDiagramModel(definition, states, title === undefined ? {} : { title })
  const rendered = await renderDiagram(model, format)
  if (format === 'png') {
    return {
      format: 'image',
      mime_type: 'image/png',
      diagram: Buffer.from(rendered as Uint8Array).toString('base64'),
    }
  }
  return { format, diagram: rendered as string }
}
