/**
 * `${{ … }}` interpolation over a parsed JSON tree (spec workflow.md §9, recommendations A5, A6,
 * A7, A21): a string that is exactly one reference becomes the referenced value with its JSON
 * type; references embedded in text are stringified (strings raw, numbers as JS number text,
 * objects and arrays as compact JSON); resolved values are never scanned again; keys are never
 * interpolated; secrets are resolved last, only through `scope.secrets`, and only when every other
 * reference resolved. Subtrees without templates are returned as they are (not copied).
 */
import type { InterpolationScope } from '../engine/ports.ts'
import { AppError, isAppError } from '../errors.ts'
import { embedText, isRecord, jsonTypeName, setOwn } from './json.ts'
import {
  formatSegments,
  hasTemplate,
  NAMESPACES,
  parseTemplate,
  type Reference,
  type Segment,
  type Template,
} from './template.ts'

/** At most this many names are listed in `available_fields` / `available_steps`. */
const MAX_LISTED = 50

interface Deferred {
  template: Exclude<Template, { kind: 'error' }>
  /** The pointer of the string, for error messages. */
  pointer: string
}

interface Pending {
  target: unknown[] | Record<string, unknown>
  key: string | number
  deferred: Deferred
}

class Walk {
  /** Keys from the root to the current value; joined into a JSON pointer only for errors. */
  readonly path: Array<string | number> = []
  pending: Pending[] | undefined
  constructor(readonly scope: InterpolationScope) {}

  pointer(): string {
    return pointerOf(this.path)
  }
}

const DEFERRED = Symbol('deferred')
type DeferredBox = { [DEFERRED]: Deferred }

function isDeferred(v: unknown): v is DeferredBox {
  return typeof v === 'object' && v !== null && DEFERRED in v
}

/** Resolves every `${{…}}` in `value`. Throws INTERPOLATION_ERROR (VAULT_ERROR for a missing vault). */
export function interpolate(value: unknown, scope: InterpolationScope): unknown {
  const w = new Walk(scope)
  let out: unknown
  try {
    out = walk(value, w)
  } catch (err) {
    if (err instanceof RangeError) {
      throw new AppError('VALIDATION_ERROR', 'params are nested too deeply to interpolate', {
        cause: err,
      })
    }
    throw err
  }
  const root: unknown[] = [out]
  if (isDeferred(out)) defer(w, root, 0, out)
  if (w.pending === undefined) return out
  resolveSecrets(w, w.pending)
  return root[0]
}

function walk(value: unknown, w: Walk): unknown {
  if (typeof value === 'string') {
    if (!hasTemplate(value)) return value
    return expand(value, w)
  }
  if (typeof value !== 'object' || value === null) return value
  if (Array.isArray(value)) {
    let out: unknown[] | undefined
    for (let i = 0; i < value.length; i++) {
      const item = value[i]
      if (typeof item !== 'object' && (typeof item !== 'string' || !hasTemplate(item))) {
        if (out !== undefined) out.push(item)
        continue
      }
      w.path.push(i)
      const next = walk(item, w)
      w.path.pop()
      if (out === undefined && next !== item) out = value.slice(0, i)
      if (out !== undefined) {
        out.push(next)
        if (isDeferred(next)) defer(w, out, i, next)
      }
    }
    return out ?? value
  }
  if (!isRecord(value)) return value
  let out: Record<string, unknown> | undefined
  const keys = Object.keys(value)
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k] as string
    const item = value[key]
    if (typeof item !== 'object' && (typeof item !== 'string' || !hasTemplate(item))) {
      if (out !== undefined) setOwn(out, key, item)
      continue
    }
    w.path.push(key)
    const next = walk(item, w)
    w.path.pop()
    if (out === undefined && next !== item) {
      out = {}
      for (let j = 0; j < k; j++) setOwn(out, keys[j] as string, value[keys[j] as string])
    }
    if (out !== undefined) {
      setOwn(out, key, next)
      if (isDeferred(next)) defer(w, out, key, next)
    }
  }
  return out ?? value
}

function defer(w: Walk, target: Pending['target'], key: string | number, box: DeferredBox): void {
  if (w.pending === undefined) w.pending = []
  w.pending.push({ target, key, deferred: box[DEFERRED] })
}

function expand(text: string, w: Walk): unknown {
  const t = parseTemplate(text)
  if (t.kind === 'error') throw withPointer(t.error, w.pointer())
  if (t.kind === 'whole') {
    if (t.secret) return { [DEFERRED]: { template: t, pointer: w.pointer() } }
    return resolve(t.ref, w)
  }
  if (t.secret) {
    // Resolve the other references now (so a failure there never touches the vault) and keep
    // their text; the secrets are filled in after the whole tree resolved.
    const parts = t.parts.map((p) =>
      typeof p === 'string' || p.namespace === 'secrets' ? p : embedText(resolve(p, w)),
    )
    return {
      [DEFERRED]: { template: { kind: 'parts', parts, secret: true }, pointer: w.pointer() },
    }
  }
  let out = ''
  for (const p of t.parts) out += typeof p === 'string' ? p : embedText(resolve(p, w))
  return out
}

function resolveSecrets(w: Walk, pending: Pending[]): void {
  const seen = new Map<string, string>()
  const secret = (ref: Reference, pointer: string): string => {
    const name = secretName(ref, pointer)
    let v = seen.get(name)
    if (v === undefined) {
      v = lookupSecret(w.scope, name, ref, pointer)
      seen.set(name, v)
    }
    return v
  }
  for (const { target, key, deferred } of pending) {
    const { template, pointer } = deferred
    let value: unknown
    if (template.kind === 'whole') {
      value = secret(template.ref, pointer)
    } else {
      let s = ''
      for (const p of template.parts) s += typeof p === 'string' ? p : secret(p, pointer)
      value = s
    }
    if (Array.isArray(target)) target[key as number] = value
    else setOwn(target, key as string, value)
  }
}

function secretName(ref: Reference, pointer: string): string {
  const seg = ref.segments
  if (seg.length === 1 && 'key' in (seg[0] as Segment)) return (seg[0] as { key: string }).key
  throw refError(ref, pointer, "expected secrets.NAME or secrets['NAME']", {})
}

function lookupSecret(
  scope: InterpolationScope,
  name: string,
  ref: Reference,
  pointer: string,
): string {
  if (scope.secrets === undefined) {
    // decisions.md D17: the reference's wording.
    throw new AppError('VAULT_ERROR', 'vault not initialized', {
      details: { reference: ref.text, ...(pointer === '' ? {} : { pointer }) },
    })
  }
  try {
    return scope.secrets.resolve(name)
  } catch (err) {
    if (isAppError(err) && err.code === 'NOT_FOUND') {
      throw refError(ref, pointer, `secret "${name}" not found in the vault`, { secret: name })
    }
    throw err
  }
}

// ---------------------------------------------------------------------------------------------
// Resolving one reference

function resolve(ref: Reference, w: Walk): unknown {
  const scope = w.scope
  switch (ref.namespace) {
    case 'steps':
      return resolveStep(ref, scope.steps, w)
    case 'inputs':
      return resolveRoot(ref, scope.inputs, w)
    case 'workflow':
      return resolveRoot(ref, scope.workflow, w)
    case 'context':
      return resolveRoot(ref, scope.context, w)
    case 'loop':
      return resolveLoop(ref, scope, w)
    default:
      // Secrets never reach here: they are deferred.
      throw refError(
        ref,
        w.pointer(),
        `unknown namespace; available namespaces: ${NAMESPACES.join(', ')}`,
        {
          available_namespaces: [...NAMESPACES],
        },
      )
  }
}

function resolveRoot(ref: Reference, root: Record<string, unknown>, w: Walk): unknown {
  const seg = ref.segments
  if (seg.length === 0) return root
  // spec §9.3: `inputs.my.key` first finds a key literally named `my.key`.
  if (seg.length > 1 && seg.every((s) => 'key' in s && s.dotted) && Object.hasOwn(root, ref.rest)) {
    return root[ref.rest]
  }
  return walkPath(ref, root, seg, 0, ref.namespace, w)
}

function resolveLoop(ref: Reference, scope: InterpolationScope, w: Walk): unknown {
  const loop = scope.loop
  if (loop === undefined) {
    throw refError(ref, w.pointer(), 'referenced outside of a loop context', {})
  }
  const first = ref.segments[0]
  const field = first !== undefined && 'key' in first ? first.key : undefined
  if (field === 'index') {
    if (ref.segments.length > 1) {
      throw refError(ref, w.pointer(), 'loop.index is a number and has no fields', {})
    }
    return loop.index
  }
  if (field === 'item') return walkPath(ref, loop.item, ref.segments, 1, 'loop.item', w)
  throw refError(ref, w.pointer(), 'loop has only "item" and "index"', {
    available_fields: ['item', 'index'],
  })
}

function resolveStep(ref: Reference, steps: Record<string, unknown>, w: Walk): unknown {
  const seg = ref.segments
  const first = seg[0]
  if (first === undefined || !('key' in first)) {
    throw refError(ref, w.pointer(), 'expected steps.<id>.output', {})
  }
  let id = first.key
  let next = 1
  if (!Object.hasOwn(steps, id) && first.dotted) {
    // Nested step keys contain dots (`loop1.iter_0.x`): accept them written with plain dots
    // when the joined key names a step that has output.
    let joined = id
    for (let i = 1; i < seg.length; i++) {
      const s = seg[i] as Segment
      if (!('key' in s) || !s.dotted) break
      joined += `.${s.key}`
      if (Object.hasOwn(steps, joined)) {
        id = joined
        next = i + 1
        break
      }
    }
  }
  if (!Object.hasOwn(steps, id)) {
    const available = Object.keys(steps).sort()
    throw refError(
      ref,
      w.pointer(),
      `step "${id}" has no output (not run yet, no output, or unknown); steps with output: ${list(available)}`,
      { missing: id, available_steps: available.slice(0, MAX_LISTED) },
    )
  }
  const field = seg[next]
  if (field === undefined) {
    throw refError(ref, w.pointer(), `expected steps.${id}.output`, {})
  }
  if (!('key' in field) || field.key !== 'output') {
    const shown = 'key' in field ? field.key : `[${field.index}]`
    throw refError(
      ref,
      w.pointer(),
      `only 'output' property is supported, not "${shown}" (did you mean steps.${id}.output${formatSegments(seg.slice(next))}?)`,
      { missing: shown },
    )
  }
  return walkPath(ref, steps[id], seg, next + 1, `steps.${id}.output`, w)
}

function walkPath(
  ref: Reference,
  start: unknown,
  seg: readonly Segment[],
  from: number,
  label: string,
  w: Walk,
): unknown {
  let cur = start
  for (let i = from; i < seg.length; i++) {
    const s = seg[i] as Segment
    // The path so far is built only for messages: the hot path allocates nothing per segment.
    const where = () => label + formatSegments(seg.slice(from, i))
    if (Array.isArray(cur)) {
      const index = 'index' in s ? s.index : /^\d+$/.test(s.key) ? Number(s.key) : -1
      if (index < 0) {
        throw refError(
          ref,
          w.pointer(),
          `${where()} is an array: use an index such as ${where()}[0], not "${(s as { key: string }).key}"`,
          {
            missing: (s as { key: string }).key,
          },
        )
      }
      if (index >= cur.length) {
        throw refError(
          ref,
          w.pointer(),
          `index ${index} is out of range: ${where()} has ${cur.length} item${cur.length === 1 ? '' : 's'}`,
          {
            missing: index,
            length: cur.length,
          },
        )
      }
      cur = cur[index]
      continue
    }
    if (isRecord(cur)) {
      const key = 'key' in s ? s.key : String(s.index)
      if (!Object.hasOwn(cur, key)) {
        const available = Object.keys(cur).sort()
        throw refError(
          ref,
          w.pointer(),
          `field "${key}" not found in ${where()}; available: ${list(available)}`,
          {
            missing: key,
            available_fields: available.slice(0, MAX_LISTED),
          },
        )
      }
      cur = cur[key]
      continue
    }
    const name = 'key' in s ? s.key : `[${s.index}]`
    throw refError(
      ref,
      w.pointer(),
      `cannot traverse into ${jsonTypeName(cur)} ${label + formatSegments(seg.slice(from, i))} (looking for "${name}")`,
      {
        missing: name,
      },
    )
  }
  return cur === undefined ? null : cur
}

function list(names: string[]): string {
  if (names.length === 0) return '(none)'
  const shown = names.slice(0, MAX_LISTED).join(', ')
  return names.length > MAX_LISTED ? `${shown}, … (${names.length} in all)` : shown
}

function refError(
  ref: Reference,
  pointer: string,
  why: string,
  details: Record<string, unknown>,
): AppError {
  const at = pointer === '' ? '' : ` (at ${pointer})`
  return new AppError('INTERPOLATION_ERROR', `cannot resolve \${{${ref.text}}}${at}: ${why}`, {
    details: { reference: ref.text, ...(pointer === '' ? {} : { pointer }), ...details },
  })
}

function withPointer(err: AppError, pointer: string): AppError {
  if (pointer === '') return err
  const details = { ...(err.details as Record<string, unknown>), pointer }
  return new AppError(err.code, `${err.message} (at ${pointer})`, { details })
}

/** JSON pointer (RFC 6901) of a path of keys. */
export function pointerOf(path: ReadonlyArray<string | number>): string {
  let out = ''
  for (const p of path) out += `/${String(p).replaceAll('~', '~0').replaceAll('/', '~1')}`
  return out
}
