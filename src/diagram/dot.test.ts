import { describe, expect, test } from 'bun:test'
import { renderDot } from './dot.ts'
import { buildDiagramModel } from './model.ts'
import { chainWorkflow, mixedStates, mixedWorkflow, nastyWorkflow } from './samples.ts'

describe('renderDot', () => {
  test('top-to-bottom graph titled by the workflow, in the embedded font', () => {
    const dot = renderDot(buildDiagramModel(chainWorkflow(2)))
    expect(dot.startsWith('digraph workflow {\n')).toBe(true)
    expect(dot).toContain('rankdir=TB, label="Chain of 2", labelloc=t, fontname="DejaVu Sans"')
    expect(dot).toContain('n0 [label="Start", shape=circle, width=0.5, height=0.5, fixedsize=true')
    expect(dot).toContain('n1 [label="step-1\\nhttp.get", shape=box')
    expect(dot).toContain('n0 -> n1 [weight=8]')
    expect(dot).toContain('n2 -> n3 [weight=8]')
    expect(dot.trimEnd().endsWith('}')).toBe(true)
  })

  test('shapes and status colours of §15.2/§15.5', () => {
    const dot = renderDot(buildDiagramModel(mixedWorkflow(), mixedStates()))
    const line = (label: string) => dot.split('\n').find((l) => l.includes(`label="${label}`)) ?? ''
    expect(line('route')).toContain('shape=diamond')
    expect(line('review')).toContain('shape=hexagon')
    expect(line('review')).toContain('fillcolor="#b7791a", fontcolor="#ffffff"')
    expect(line('cool-down')).toContain('shape=ellipse')
    expect(line('cool-down')).toContain('fillcolor="#d3d3d3", fontcolor="#000000"')
    expect(line('each-item')).toContain('peripheries=2')
    expect(line('fetch')).toContain('fillcolor="#2d6a2d"')
    expect(line('auto-ok')).toContain('style="rounded,filled,dashed"')
    expect(line('auto-ok')).toContain('fillcolor="#e8e8e8", fontcolor="#888888"')
    expect(line('chat')).toContain('fillcolor="#8b1a1a"')
    expect(line('chat')).toContain('tooltip="chat: failed — webhook returned 410"')
  })

  test('each body is a dashed cluster labelled with its title, nested clusters for nested bodies', () => {
    const dot = renderDot(buildDiagramModel(mixedWorkflow()))
    expect(dot).toContain('subgraph cluster_0 {')
    expect(dot).toContain('label="each-item: body"; style="dashed,rounded"')
    expect(dot).toContain('label="route: default"')
    expect(dot.match(/subgraph cluster_/g)).toHaveLength(6)
    expect(dot).toContain('[style=dashed, color="#888888"]')
  })

  test('strings are escaped: quotes, backslashes, entities and control characters', () => {
    const dot = renderDot(buildDiagramModel(nastyWorkflow()))
    expect(dot).toContain('label="say \\"hi\\"\\nworkflow.log"')
    expect(dot).toContain('label="back\\\\slash\\nworkflow.log"')
    expect(dot).toContain('label="#quot; #35; &amp;amp; &amp;lt;\\nworkflow.log"')
    expect(dot).toContain('label="ansi [31mred [0m\\nworkflow.log"')
    expect(dot).not.toMatch(/(?!\n)\p{Cc}|\u202e/u)
    // Every quote inside a string is escaped: unescaped quotes come in pairs on each line.
    for (const line of dot.split('\n'))
      expect((line.replace(/\\\\/g, '').replace(/\\"/g, '').match(/"/g) ?? []).length % 2).toBe(0)
  })
})
