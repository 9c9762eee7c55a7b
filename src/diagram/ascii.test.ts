import { describe, expect, test } from 'bun:test'
import type { WorkflowDefinition } from '../schema/workflow.ts'
import { renderAscii } from './ascii.ts'
import { buildDiagramModel, type StepStateLike } from './model.ts'
import {
  chainWorkflow,
  fanStates,
  fanWorkflow,
  mixedStates,
  mixedWorkflow,
  NASTY_LABELS,
  nastyWorkflow,
} from './samples.ts'
import { displayWidth } from './text.ts'

const step = (id: string, ...deps: string[]) => ({
  id,
  action: 'x',
  ...(deps.length > 0 ? { depends_on: deps } : {}),
})

/** A 10-step ETL: fan-out, fan-in, a step that skips levels straight to End. */
const etl: WorkflowDefinition = {
  metadata: { name: 'ETL' },
  steps: [
    step('extract'),
    step('validate', 'extract'),
    step('enrich', 'extract'),
    step('dedupe', 'validate'),
    step('merge', 'validate', 'enrich'),
    step('audit-log', 'extract'),
    step('transform', 'dedupe', 'merge'),
    step('load', 'transform'),
    step('index', 'enrich'),
    step('report', 'load', 'index'),
  ],
}
const etlStates: Record<string, StepStateLike> = {
  extract: { status: 'completed', duration_ms: 1200 },
  validate: { status: 'completed', duration_ms: 40 },
  enrich: { status: 'completed', duration_ms: 230 },
  dedupe: { status: 'running' },
  merge: { status: 'retrying', retry_count: 1 },
  'audit-log': { status: 'completed', duration_ms: 5 },
  transform: { status: 'pending' },
  load: { status: 'pending' },
  index: { status: 'failed', error: { message: 'boom' } },
  report: { status: 'skipped' },
}

const maxWidth = (text: string) => Math.max(...text.split('\n').map(displayWidth))
const count = (text: string, ch: string) => text.split(ch).length - 1

describe('renderAscii', () => {
  test('a 3-step chain, exactly', () => {
    const model = buildDiagramModel(chainWorkflow(3), {
      'step-1': { status: 'completed', duration_ms: 12 },
      'step-2': { status: 'running' },
    })
    expect(renderAscii(model)).toBe(
      [
        '=== Chain of 3 ===',
        '',
        '     ╭───────╮',
        '     │ Start │',
        '     ╰───┬───╯',
        '         │',
        '         ▼',
        '┌──────────────────┐',
        '│ step-1 [OK] 12ms │',
        '└────────┬─────────┘',
        '         │',
        '         ▼',
        '  ┌──────────────┐',
        '  │ step-2 [RUN] │',
        '  └──────┬───────┘',
        '         │',
        '         ▼',
        '     ┌────────┐',
        '     │ step-3 │',
        '     └───┬────┘',
        '         │',
        '         ▼',
        '      ╭─────╮',
        '      │ End │',
        '      ╰─────╯',
        '',
      ].join('\n'),
    )
  })

  test('a diamond: one fan-out bus, one fan-in bus, errors listed without control characters', () => {
    const model = buildDiagramModel(
      {
        metadata: { name: 'Diamond' },
        steps: [step('a'), step('b', 'a'), step('c', 'a'), step('d', 'b', 'c')],
      },
      {
        a: { status: 'completed', duration_ms: 5 },
        b: { status: 'failed', error: { message: 'bad\u001b[2J thing' } },
        c: { status: 'skipped' },
        d: { status: 'pending' },
      },
    )
    expect(renderAscii(model)).toBe(
      [
        '=== Diamond ===',
        '',
        '        ╭───────╮',
        '        │ Start │',
        '        ╰───┬───╯',
        '            │',
        '            ▼',
        '      ┌────────────┐',
        '      │ a [OK] 5ms │',
        '      └─────┬──────┘',
        '     ┌──────┴──────┐',
        '     ▼             ▼',
        '┌──────────┐  ┌──────────┐',
        '│ b [FAIL] │  │ c [SKIP] │',
        '└────┬─────┘  └────┬─────┘',
        '     └──────┬──────┘',
        '            ▼',
        '       ┌──────────┐',
        '       │ d [PEND] │',
        '       └────┬─────┘',
        '            │',
        '            ▼',
        '         ╭─────╮',
        '         │ End │',
        '         ╰─────╯',
        '',
        'Errors:',
        '  b: bad [2J thing',
        '',
      ].join('\n'),
    )
  })

  test('a 10-step workflow with statuses is drawn as a graph within 100 columns', () => {
    const out = renderAscii(buildDiagramModel(etl, etlStates))
    expect(out).not.toContain('listed by level')
    expect(maxWidth(out)).toBeLessThanOrEqual(100)
    for (const tag of ['[OK]', '[FAIL]', '[RUN]', '[PEND]', '[SKIP]', '[RETRY]'])
      expect(out).toContain(tag)
    expect(out).toContain('extract [OK] 1.2s')
    expect(out).toContain('merge [RETRY] ↺1')
    // Every box is closed: as many top-left corners as bottom-left ones.
    expect(count(out, '┌')).toBeGreaterThanOrEqual(10)
    expect(count(out, '╭')).toBe(count(out, '╰'))
  })

  test('fan-out and fan-in are buses: one arrow per target, one into the join', () => {
    const out = renderAscii(buildDiagramModel(fanWorkflow(6)))
    // Start→split, split→4 workers, workers→join (one shared bus), join→End.
    expect(count(out, '▼')).toBe(1 + 4 + 1 + 1)
    const lines = out.split('\n')
    const workerRow = lines.findIndex((l) => l.includes('worker-0'))
    expect(lines[workerRow]).toMatch(/worker-0.*worker-1.*worker-2.*worker-3/)
    expect(lines[workerRow - 3]).toContain('┴')
    expect(lines[workerRow + 2]).toContain('┬')
  })

  test('an edge that skips levels is drawn as a line through the levels between', () => {
    const out = renderAscii(
      buildDiagramModel({
        steps: [step('a'), step('b', 'a'), step('c', 'b'), step('d', 'a', 'c')],
      }),
    )
    const lines = out.split('\n')
    const row = lines.findIndex((l) => l.includes('│ c │'))
    // Beside c, the pass-through line from a to d.
    expect(lines[row]).toMatch(/│ c │\s+│|│\s+│ c │/)
    expect(count(out, '▼')).toBe(5)
  })

  test('labels are measured in display columns: CJK and emoji boxes stay closed', () => {
    const out = renderAscii(
      buildDiagramModel({
        steps: [step('日本語のステップ'), step('emoji 🚀 x', '日本語のステップ')],
      }),
    )
    const lines = out.split('\n')
    for (const label of ['日本語のステップ', 'emoji 🚀 x']) {
      const row = lines.findIndex((l) => l.includes(label))
      const mid = lines[row] as string
      const top = lines[row - 1] as string
      expect(displayWidth(mid.trimEnd())).toBe(displayWidth(top.trimEnd()))
      expect(mid.trimEnd().endsWith('│')).toBe(true)
    }
  })

  test('nasty labels: no control or bidi characters reach the terminal', () => {
    const out = renderAscii(buildDiagramModel(nastyWorkflow()))
    expect(out).not.toMatch(/(?!\n)\p{Cc}|[\u202a-\u202e\u2066-\u2069]/u)
    expect(out).toContain('tab here')
    expect(out).toContain('new line')
    expect(NASTY_LABELS.length).toBeGreaterThan(30)
  })

  test('a graph wider than the limit becomes a list by level, every line within the limit', () => {
    const model = buildDiagramModel(fanWorkflow(20), fanStates(20))
    const out = renderAscii(model)
    expect(out).toContain('(graph wider than 100 columns: steps listed by level)')
    expect(maxWidth(out)).toBeLessThanOrEqual(100)
    expect(out).toContain('level 2 (18 steps)')
    for (let i = 0; i < 18; i++) expect(out).toContain(`worker-${i} [`)
    expect(out).toContain('after: worker-0, worker-1,')
    expect(out).toContain('Errors:\n  worker-12: HTTP 503 from worker 12')
  })

  test('the width limit is an option', () => {
    const model = buildDiagramModel(etl)
    expect(renderAscii(model, { maxWidth: 30 })).toContain('listed by level')
    expect(renderAscii(model, { maxWidth: 200 })).not.toContain('listed by level')
  })

  test('flow control: markers in the boxes, sub-steps listed with their status, a legend', () => {
    const out = renderAscii(buildDiagramModel(mixedWorkflow(), mixedStates()))
    expect(out).toContain('◇ route [OK] 1ms')
    expect(out).toContain('↻ each-item [OK] 2.5s ×3')
    expect(out).toContain('⬡ review [WAIT]')
    expect(out).toContain('⧗ cool-down [PEND]')
    expect(out).toContain(
      [
        '--- each-item sub-steps ---',
        '  [body (iteration 3)]',
        '    1. price [OK] 1.0s ↺1',
        '    2. save [OK] 18ms',
      ].join('\n'),
    )
    expect(out).toContain(
      [
        '--- route sub-steps ---',
        '  [big]',
        '    1. score [OK] 12ms',
        '    2. flag [OK] 3ms',
        '  [small]',
        '    1. auto-ok [SKIP]',
        '  [default]',
        '    1. reject [SKIP]',
      ].join('\n'),
    )
    expect(out).toContain('Errors:\n  notify.branch_1.chat: webhook returned 410')
    expect(out.trimEnd().endsWith('◇ condition  ⬡ reasoning  ⇉ parallel  ↻ loop  ⧗ wait')).toBe(
      true,
    )
  })

  test('long ids are cut with an ellipsis', () => {
    const out = renderAscii(buildDiagramModel({ steps: [step('x'.repeat(80))] }))
    expect(out).toContain(`${'x'.repeat(31)}…`)
    expect(out).not.toContain('x'.repeat(32))
  })

  test('2,000 steps render (as a list) without error', () => {
    const out = renderAscii(buildDiagramModel(chainWorkflow(2000)))
    expect(out).toContain('step-2000')
    expect(maxWidth(out)).toBeLessThanOrEqual(100)
  })
})
