import { describe, expect, test } from 'bun:test'
import { escapeLabel, renderMermaid } from './mermaid.ts'
import { buildDiagramModel } from './model.ts'
import {
  chainWorkflow,
  mixedStates,
  mixedWorkflow,
  NASTY_LABELS,
  nastyWorkflow,
} from './samples.ts'

const CLASSDEFS = [
  '    classDef completed fill:#2d6a2d,stroke:#1a4a1a,color:#fff',
  '    classDef failed fill:#8b1a1a,stroke:#5c0e0e,color:#fff',
  '    classDef running fill:#1a5276,stroke:#0e3a52,color:#fff',
  '    classDef suspended fill:#b7791a,stroke:#8a5c14,color:#fff',
  '    classDef pending fill:#6b6b6b,stroke:#4a4a4a,color:#fff',
  '    classDef skipped fill:#4a4a4a,stroke:#333,color:#aaa,stroke-dasharray:5 5',
  '    classDef retrying fill:#1a5276,stroke:#b7791a,stroke-width:3px,color:#fff',
]

describe('renderMermaid', () => {
  test('a chain, exactly: graph TD, title comment, nodes, edges, class definitions', () => {
    const model = buildDiagramModel(chainWorkflow(2), {
      'step-1': { status: 'completed', duration_ms: 12 },
      'step-2': { status: 'running' },
    })
    expect(renderMermaid(model)).toBe(
      [
        'graph TD',
        '    %% Chain of 2',
        '    __start__(("Start"))',
        '    step_1["step-1<br/>http.get · 12ms"]',
        '    step_2["step-2<br/>http.get"]',
        '    __end__(("End"))',
        '    __start__ --> step_1',
        '    step_1 --> step_2',
        '    step_2 --> __end__',
        '',
        ...CLASSDEFS,
        '    class step_1 completed',
        '    class step_2 running',
        '',
      ].join('\n'),
    )
  })

  test('shapes by kind (D17): reasoning hexagon, condition diamond, wait stadium, subroutines', () => {
    const out = renderMermaid(buildDiagramModel(mixedWorkflow()))
    expect(out).toContain('    review{{"review"}}')
    expect(out).toContain('    route{"route"}')
    expect(out).toContain('    cool_down(["cool-down"])')
    expect(out).toContain('    each_item[["each-item"]]')
    expect(out).toContain('    notify[["notify"]]')
    expect(out).toContain('    fetch["fetch<br/>http.get"]')
  })

  test('sub-graphs follow their parent, with sub-edges inside and a dotted link into each', () => {
    const out = renderMermaid(buildDiagramModel(mixedWorkflow(), mixedStates()))
    expect(out).toContain(
      [
        '    route{"route<br/>1ms"}',
        '    subgraph route_big["route: big"]',
        '        route_big_score["score<br/>workflow.log · 12ms"]',
        '        route_big_flag["flag<br/>workflow.log · 3ms"]',
        '        route_big_score --> route_big_flag',
        '    end',
        '    subgraph route_small["route: small"]',
      ].join('\n'),
    )
    expect(out).toContain('    subgraph each_item_body["each-item: body (iteration 3)"]')
    expect(out).toContain('    route -.-> route_big_score')
    expect(out).toContain('    each_item -.-> each_item_body_price')
    expect(out).toContain('    class route_small_auto_ok skipped')
    expect(out).toContain('    class notify_branch_1_chat failed')
    expect(out).toContain('    class review suspended')
  })

  test('the six class definitions carry the exact colours of §15.2', () => {
    const out = renderMermaid(buildDiagramModel(chainWorkflow(1)))
    for (const line of CLASSDEFS) expect(out).toContain(line)
  })

  test('ids are safe, unique and never a keyword; Start and End keep their ids', () => {
    const out = renderMermaid(buildDiagramModel(nastyWorkflow()))
    const defs = out
      .split('\n')
      .filter(
        (l) => /^\s+[^\s%]/.test(l) && !/-->|-\.->|^\s+(end|class|classDef|subgraph)\b/.test(l),
      )
    const ids = defs.map((l) => l.trim().match(/^[A-Za-z0-9_]+/)?.[0])
    expect(ids.every((id) => id !== undefined)).toBe(true)
    expect(new Set(ids).size).toBe(ids.length)
    expect(ids.length).toBe(NASTY_LABELS.length + 1 + 2 + 2)
    for (const id of ids) expect(['end', 'graph', 'subgraph', 'class']).not.toContain(id)
    expect(out).toContain('    __start__(("Start"))')
    expect(out).toContain('    __start___2["__start__<br/>workflow.log"]')
    expect(out).toContain('    s_end["end<br/>workflow.log"]')
  })

  test('labels: quotes, HTML, # and backticks become entities; brackets and arrows stay inside quotes', () => {
    expect(escapeLabel('say "hi"')).toBe('say #quot;hi#quot;')
    expect(escapeLabel('<b>x</b> & y')).toBe('#lt;b#gt;x#lt;/b#gt; #amp; y')
    expect(escapeLabel('#quot;')).toBe('#35;quot;')
    expect(escapeLabel('`md`')).toBe('#96;md#96;')
    expect(escapeLabel('a --> b [c] {d}')).toBe('a --#gt; b [c] {d}')
    expect(escapeLabel('line\nbreak\u202e')).toBe('line break')
  })

  test('every nasty label line keeps exactly two quote characters', () => {
    const out = renderMermaid(buildDiagramModel(nastyWorkflow()))
    for (const line of out.split('\n'))
      if (line.includes('["') || line.includes('{"')) expect(line.split('"').length - 1).toBe(2)
  })

  test('a line that looks like a style statement gets a spare terminator for Mermaid to strip', () => {
    const out = renderMermaid(
      buildDiagramModel({ steps: [{ id: 'style x fill:#f00;', action: 'a' }] }),
    )
    expect(out).toContain('    style_x_fill__f00_["style x fill:#35;f00;<br/>a"];')
  })
})
