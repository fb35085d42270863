/**
 * A small HTML template helper for the console's server-rendered pages. Every interpolated
 * value is escaped unless it is already {@link SafeHtml} (made by this module), so text from
 * the store, the URL or a form can never become markup (OWASP XSS Prevention, rule 1).
 */
export class SafeHtml {
  readonly value: string
  constructor (value: string) {
    this.value = value
  }

  toString (): string {
    return this.value
  }
}

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' }

/** Escapes text for an HTML text node or a quoted attribute value. */
export function escapeHtml (text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ENTITIES[c] ?? c)
}

export type HtmlValue = SafeHtml | string | number | boolean | undefined | null | readonly HtmlValue[]

function render (value: HtmlValue): string {
  if (value === undefined || value === null || value === false) return ''
  if (value instanceof SafeHtml) return value.value
  if (Array.isArray(value)) return (value as readonly HtmlValue[]).map(render).join('')
  return escapeHtml(String(value))
}

/** Tagged template: the literal parts are markup, every `${value}` is escaped (arrays are joined). */
export function html (strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? ''
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? '')
  return new SafeHtml(out)
}

/** Markup the caller built itself and vouches for (e.g. from {@link html} or an SVG builder). */
export function trusted (markup: string): SafeHtml {
  return new SafeHtml(markup)
}
