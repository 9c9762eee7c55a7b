/**
 * Workflow diagrams (spec server.md §15): a model built from a definition plus optional step
 * states, rendered as ASCII, Mermaid, DOT, SVG or PNG. Pure apart from the lazily loaded
 * WebAssembly of the SVG/PNG path; imports only schema, errors and engine/dag.
 */
export { type AsciiOptions, renderAscii } from './ascii.ts'
export { definitionError } from './definition-check.ts'
export { renderDot } from './dot.ts'
export { escapeLabel, renderMermaid } from './mermaid.ts'
export {
  buildDiagramModel,
  type DiagramEdge,
  type DiagramModel,
  type DiagramModelOptions,
  type DiagramNode,
  DiagramStatus,
  type DiagramSubgraph,
  type NodeKind,
  type StepStateLike,
} from './model.ts'
export { DIAGRAM_LIMITS, DiagramFormat, parseDiagramFormat, renderDiagram } from './render.ts'
