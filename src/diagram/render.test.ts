import { describe, expect, test } from 'bun:test'
import { AppError } from '../errors.ts'
import { buildDiagramModel } from './model.ts'
import { DIAGRAM_LIMITS, parseDiagramFormat, renderDiagram } from './render.ts'
import { chainWorkflow, fanWorkflow, mixedStates, mixedWorkflow } from './samples.ts'
import { cleanText, displayWidth, formatDuration, truncate } from './text.ts'

async function failure(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (err instanceof AppError) return err
  throw new Error(`expected an AppError, got ${String(err)}`)
}

describe('parseDiagramFormat', () => {
  test('accepts the four formats, image as png, any case', () => {
    expect(parseDiagramFormat('ascii')).toBe('ascii')
    expect(parseDiagramFormat('Mermaid')).toBe('mermaid')
    expect(parseDiagramFormat('svg')).toBe('svg')
    expect(parseDiagramFormat('image')).toBe('png')
    expect(parseDiagramFormat('png')).toBe('png')
  })

  test('refuses anything else with VALIDATION_ERROR listing the choices', () => {
    const err = (() => {
      try {
        parseDiagramFormat('pdf')
      } catch (e) {
        return e as AppError
      }
    })()
    expect(err?.code).toBe('VALIDATION_ERROR')
    expect(err?.message).toBe('format must be ascii, mermaid, svg or image (png), got "pdf"')
  })
})

describe('renderDiagram', () => {
  const model = buildDiagramModel(mixedWorkflow(), mixedStates())

  test('text formats return strings, png returns PNG bytes', async () => {
    expect(await renderDiagram(model, 'ascii')).toStartWith('=== Order review ===')
    expect(await renderDiagram(model, 'mermaid')).toStartWith('graph TD\n')
    expect(await renderDiagram(model, 'svg')).toContain('<svg')
    const png = await renderDiagram(model, 'png')
    expect(png).toBeInstanceOf(Uint8Array)
    expect([...(png as Uint8Array).subarray(1, 4)]).toEqual([0x50, 0x4e, 0x47])
  })

  test('200 steps render in every format', async () => {
    const big = buildDiagramModel(fanWorkflow(200))
    expect(big.nodeCount).toBe(202)
    expect(await renderDiagram(big, 'ascii')).toContain('worker-197')
    expect(await renderDiagram(big, 'mermaid')).toContain('worker_197 --> join')
    expect(await renderDiagram(big, 'svg')).toContain('>worker&#45;197</text>')
    expect((await renderDiagram(big, 'png')).length).toBeGreaterThan(10_000)
  }, 60_000)

  test('2,000 steps: ASCII still renders; Mermaid, SVG and PNG say "too large for this format"', async () => {
    const huge = buildDiagramModel(chainWorkflow(2000))
    expect(await renderDiagram(huge, 'ascii')).toContain('step-2000')
    for (const format of ['mermaid', 'svg', 'png'] as const) {
      const err = await failure(renderDiagram(huge, format))
      expect(err.code).toBe('PAYLOAD_TOO_LARGE')
      expect(err.message).toContain(`diagram too large for this format (${format})`)
      expect(err.message).toContain('use format ascii')
    }
  })

  test('the Mermaid limits are those of mermaid.js', async () => {
    expect(DIAGRAM_LIMITS.mermaidEdges).toBe(500)
    expect(DIAGRAM_LIMITS.mermaidChars).toBe(50_000)
    // 499 steps in a chain: 500 edges with Start and End — just fits; 500 steps do not.
    expect(await renderDiagram(buildDiagramModel(chainWorkflow(499)), 'mermaid')).toContain(
      'step_499 --> __end__',
    )
    const err = await failure(renderDiagram(buildDiagramModel(chainWorkflow(500)), 'mermaid'))
    expect(err.message).toContain('501 edges exceed the 500')
  })
})

describe('text helpers', () => {
  test('cleanText removes control and bidi characters and folds lines', () => {
    expect(cleanText('a\nb\tc\u001b[0m\u202ed\u0085e')).toBe('a b c [0m d e')
  })

  test('displayWidth counts columns; truncate cuts by columns without splitting graphemes', () => {
    expect(displayWidth('日本')).toBe(4)
    expect(displayWidth('👨‍👩‍👧')).toBe(2)
    expect(truncate('日本語のステップ', 7)).toBe('日本語…')
    expect(truncate('ab👨‍👩‍👧cd', 5)).toBe('ab👨‍👩‍👧…')
    expect(truncate('short', 10)).toBe('short')
  })

  test('formatDuration is short and readable', () => {
    expect(formatDuration(12)).toBe('12ms')
    expect(formatDuration(1234)).toBe('1.2s')
    expect(formatDuration(45_000)).toBe('45s')
    expect(formatDuration(125_000)).toBe('2m05s')
    expect(formatDuration(3_725_000)).toBe('1h02m')
  })
})
