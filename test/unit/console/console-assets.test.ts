import { describe, expect, it } from 'vitest'
import { loadConsoleAssets, rewriteNhsukCss } from '../../../src/console/console-assets.ts'

describe('console assets', () => {
  it('points the stylesheet\'s images at the console and drops the web-font fetch', () => {
    const css = '@font-face{font-family:Frutiger;src:url(https://assets.nhs.uk/fonts/a.woff2)}a{background:url(/assets/images/nhsuk-icon-cross.svg)}'
    expect(rewriteNhsukCss(css, '/console/assets/nhsuk/images')).toBe('a{background:url(/console/assets/nhsuk/images/nhsuk-icon-cross.svg)}')
  })

  it('serves a fixed list of files, the real stylesheet with no other origin in it', async () => {
    const assets = await loadConsoleAssets()
    expect([...assets.keys()].every((k) => k.startsWith('/console/assets/'))).toBe(true)
    const css = assets.get('/console/assets/nhsuk-frontend.css')?.body.toString('utf8') ?? ''
    expect(css.length).toBeGreaterThan(100_000)
    expect(css).not.toMatch(/https?:\/\//)
    expect(css).not.toContain('url(/assets/')
    // every image the stylesheet names is served
    for (const m of css.matchAll(/url\((\/console\/assets\/[^)]+)\)/g)) expect(assets.has(m[1] ?? '')).toBe(true)
  })
})
