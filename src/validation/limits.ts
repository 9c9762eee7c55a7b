/**
 * Size limits of a workflow definition. They keep validation, storage and execution bounded for any
 * input: a definition past a limit gets one clear VALIDATION_ERROR instead of a slow or deep walk.
 * Documented in docs/validation.md.
 */
export const LIMITS = {
  /** Definition text accepted by parseDefinitionText, in UTF-8 bytes (16 MiB). */
  maxTextBytes: 16 * 1024 * 1024,
  /** Steps in one definition, nested ones included (hooks too). */
  maxSteps: 10_000,
  /** Nesting of loop bodies, condition branches and parallel branches inside each other. */
  maxNesting: 32,
  /** Characters in a step id. */
  maxIdLength: 256,
  /** Nesting of free-form JSON values: params, inputs, metadata, unknown keys. */
  maxValueDepth: 100,
  /** Problems reported per severity; the rest are counted in one closing issue. */
  maxIssues: 500,
} as const
