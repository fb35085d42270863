import { describe, expect, it } from 'vitest'
import { escapeHtml, html, trusted } from '../../../src/console/html.ts'

describe('html', () => {
  it('escapes every interpolated value', () => {
    const evil = '<script>alert("x")</script>\'`&'
    expect(html`<p title="${evil}">${evil}</p>`.value).toBe('<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39;&#96;&amp;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39;&#96;&amp;</p>')
  })

  it('keeps markup it made itself, joins arrays and drops empty values', () => {
    const items = ['a<', 'b'].map((x) => html`<li>${x}</li>`)
    expect(html`<ul>${items}</ul>${undefined}${null}${false}${0}`.value).toBe('<ul><li>a&lt;</li><li>b</li></ul>0')
    expect(html`${trusted('<b>ok</b>')}`.value).toBe('<b>ok</b>')
  })

  it('escapes the characters that end a quoted attribute or a tag', () => {
    expect(escapeHtml('"\'<>&`')).toBe('&quot;&#39;&lt;&gt;&amp;&#96;')
  })
})
