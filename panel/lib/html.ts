/** htm bound to Preact's `h`: markup as tagged templates, no JSX build step. One root per template. */
import htm from 'htm'
import { h, type VNode } from 'preact'

export const html = htm.bind(h) as (strings: TemplateStringsArray, ...values: unknown[]) => VNode
