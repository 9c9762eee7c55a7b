/**
 * The status vocabulary of spec server.md §15.2: ASCII tags, Mermaid classes and image colours.
 */
import type { DiagramStatus, NodeKind } from './model.ts'

export const ASCII_TAG: Record<DiagramStatus, string> = {
  completed: '[OK]',
  failed: '[FAIL]',
  running: '[RUN]',
  suspended: '[WAIT]',
  pending: '[PEND]',
  skipped: '[SKIP]',
  retrying: '[RETRY]',
}

/** The six Mermaid class definitions with the exact colours of §15.2, plus one for retrying. */
export const MERMAID_CLASSDEFS: readonly string[] = [
  'classDef completed fill:#2d6a2d,stroke:#1a4a1a,color:#fff',
  'classDef failed fill:#8b1a1a,stroke:#5c0e0e,color:#fff',
  'classDef running fill:#1a5276,stroke:#0e3a52,color:#fff',
  'classDef suspended fill:#b7791a,stroke:#8a5c14,color:#fff',
  'classDef pending fill:#6b6b6b,stroke:#4a4a4a,color:#fff',
  'classDef skipped fill:#4a4a4a,stroke:#333,color:#aaa,stroke-dasharray:5 5',
  // The reference gives retrying no class; ours keeps the running colour with a warning border.
  'classDef retrying fill:#1a5276,stroke:#b7791a,stroke-width:3px,color:#fff',
]

/** Image (DOT) fill and font colours of §15.2. */
export const IMAGE_STYLE: Record<
  DiagramStatus,
  { fill: string; font: string; dashed?: boolean; pen?: string }
> = {
  completed: { fill: '#2d6a2d', font: '#ffffff' },
  failed: { fill: '#8b1a1a', font: '#ffffff' },
  running: { fill: '#1a5276', font: '#ffffff' },
  suspended: { fill: '#b7791a', font: '#ffffff' },
  pending: { fill: '#d3d3d3', font: '#000000' },
  skipped: { fill: '#e8e8e8', font: '#888888', dashed: true },
  retrying: { fill: '#1a5276', font: '#ffffff', pen: '#b7791a' },
}

/** One-column markers the ASCII renderer puts before a step id (none for plain actions). */
export const KIND_MARK: Partial<Record<NodeKind, string>> = {
  condition: '◇',
  reasoning: '⬡',
  parallel: '⇉',
  loop: '↻',
  wait: '⧗',
}
