import { describe, expect, test } from 'bun:test'
import { checkTemplate, readReference, templateParts } from './references.ts'

describe('templateParts', () => {
  test('splits every reference of a string, trimmed', () => {
    expect(templateParts('a ${{ inputs.x }} b ${{steps.s.output}}')).toEqual([
      { kind: 'ref', expression: 'inputs.x' },
      { kind: 'ref', expression: 'steps.s.output' },
    ])
    expect(templateParts('no references, just ${ { and }}')).toEqual([])
  })

  test('reports the errors that always fail at run time', () => {
    expect(templateParts('x ${{inputs.a')).toEqual([
      { kind: 'error', message: 'unclosed "${{" at character 3: add "}}"' },
    ])
    expect(templateParts('${{}}')).toEqual([{ kind: 'error', message: 'empty reference "${{}}"' }])
    expect(templateParts('${{ a ${{ b }}')[0]).toEqual({
      kind: 'error',
      message: 'nested "${{" inside a reference is not allowed',
    })
  })
})

describe('readReference', () => {
  test('accepts the six namespaces and names the step of steps.*', () => {
    expect(readReference('inputs.a.b', false)).toEqual({})
    expect(readReference('workflow.run_id', false)).toEqual({})
    expect(readReference('context.intent', false)).toEqual({})
    expect(readReference('secrets.TOKEN', false)).toEqual({})
    expect(readReference('loop.item.name', true)).toEqual({})
    expect(readReference('steps.fetch-data.output.body', false)).toEqual({ stepId: 'fetch-data' })
    expect(readReference('steps.f.output[0].name', false)).toEqual({ stepId: 'f' })
    // The engine's grammar: a quoted segment reaches an id with a dot.
    expect(readReference("steps['v1.2'].output", false)).toEqual({ stepId: 'v1.2' })
  })

  test('steps.X.result is not a path (D21): suggests steps.X.output…', () => {
    expect(readReference('steps.fetch.result', false)).toEqual({
      stepId: 'fetch',
      warning:
        '"${{steps.fetch.result}}" is not a valid reference: step outputs are read as steps.<id>.output…; did you mean "${{steps.fetch.output}}" or "${{steps.fetch.output.result}}"?',
    })
    expect(readReference('steps.fetch', false).warning).toContain('is incomplete')
    expect(readReference('steps.fetch.body[0]', false).warning).toContain(
      'did you mean "${{steps.fetch.output}}" or "${{steps.fetch.output.body[0]}}"?',
    )
  })

  test('warns about unknown namespaces, a trailing dot and loop.* outside loops', () => {
    expect(readReference('env.HOME', false).warning).toContain('unknown namespace "env"')
    expect(readReference('inputs.', false).warning).toBe(
      'invalid reference "${{inputs.}}": nothing after "inputs."',
    )
    expect(readReference('inputs.a[x]', false).warning).toContain('is neither an index')
    expect(readReference('loop.index', false).warning).toBe(
      '"${{loop.index}}" is only available inside a loop body',
    )
  })
})

describe('checkTemplate', () => {
  test('syntax errors, then reference warnings and step ids, in order', () => {
    expect(checkTemplate('${{steps.a.output}} ${{env.X}} ${{steps.b.result}} ${{', false)).toEqual([
      { kind: 'step', id: 'a', text: 'steps.a.output' },
      {
        kind: 'warning',
        message:
          'invalid reference "${{env.X}}": unknown namespace "env"; available namespaces: steps, inputs, workflow, context, secrets, loop',
      },
      {
        kind: 'warning',
        message:
          '"${{steps.b.result}}" is not a valid reference: step outputs are read as steps.<id>.output…; did you mean "${{steps.b.output}}" or "${{steps.b.output.result}}"?',
      },
      { kind: 'error', message: 'unclosed "${{" at character 52: add "}}"' },
    ])
  })
})
