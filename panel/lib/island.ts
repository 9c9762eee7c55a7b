/**
 * Islands: interactive parts of a server-rendered page. On the server an island renders as
 * `<div data-island="name" data-props="{json}">` around its component's markup; in the browser
 * `hydrateIslands` finds those elements and hydrates each with the same component and props, so
 * the page is readable before any script runs and live once it has.
 */
import { type FunctionComponent, h, hydrate, type VNode } from 'preact'

// biome-ignore lint/suspicious/noExplicitAny: a registry of components with different props
const registry = new Map<string, FunctionComponent<any>>()

/** Registers `component` under `name`; the returned component renders the island wrapper. */
export function island<P extends object>(
  name: string,
  component: FunctionComponent<P>,
): FunctionComponent<P> {
  registry.set(name, component)
  const Island = (props: P): VNode =>
    h(
      'div',
      { 'data-island': name, 'data-props': JSON.stringify(props), class: 'island' },
      h(component, props),
    ) as VNode
  return Island
}

/** Hydrates every island of the page; returns how many. */
export function hydrateIslands(root: ParentNode = document): number {
  let n = 0
  for (const el of root.querySelectorAll<HTMLElement>('[data-island]')) {
    const component = registry.get(el.dataset.island ?? '')
    if (component === undefined) {
      console.error(`panel: unknown island ${el.dataset.island}`)
      continue
    }
    let props: object
    try {
      props = JSON.parse(el.dataset.props ?? '{}') as object
    } catch (err) {
      console.error(`panel: bad props for island ${el.dataset.island}`, err)
      continue
    }
    hydrate(h(component, props), el)
    n++
  }
  return n
}
