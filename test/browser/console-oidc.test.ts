import { existsSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import { AxeBuilder } from '@axe-core/playwright'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REPO, startGateway, type TestGateway } from '../helpers/gateway.ts'
import { consoleOidcEnv, startTestProvider, type TestProvider } from '../helpers/oidc-provider.ts'

const CHROMIUM = '/usr/bin/chromium'
const SHOTS = path.join(REPO, 'test-results/console')
const hasChromium = existsSync(CHROMIUM)
if (!hasChromium) console.log(`console OIDC browser test skipped: ${CHROMIUM} is missing (apt-get install chromium; .ci/run does)`)

// The console answers at a name of its own, so the provider (on 127.0.0.1) is another site, as
// in production: Chromium maps the name to the test gateway's port.
const CONSOLE_HOST = 'console.test'
const REDIRECT = `http://${CONSOLE_HOST}/console/oidc/callback`

let provider: TestProvider
let gw: TestGateway
let browser: Browser

describe.skipIf(!hasChromium)('console sign-in through an OpenID provider, in Chromium', { timeout: 60_000 }, () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true })
    provider = await startTestProvider({
      redirectUri: REDIRECT,
      postLogoutRedirectUri: `http://${CONSOLE_HOST}/console/sign-in?signed-out=1`,
      accounts: { 'op-1': { name: 'Olu Operator', roles: ['operator'] } }
    })
    gw = await startGateway({ env: consoleOidcEnv(provider, REDIRECT) })
    const port = new URL(gw.origin).port
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--disable-gpu', '--disable-quic', `--host-resolver-rules=MAP ${CONSOLE_HOST}:80 127.0.0.1:${port}`] })
  })

  afterAll(async () => {
    await browser?.close()
    await gw?.close()
    await provider?.close()
  })

  it('signs in across sites with the Strict session cookie, then signs out at the provider too', async () => {
    const page = await (await browser.newContext()).newPage()
    await page.goto(`http://${CONSOLE_HOST}/console`)
    const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']).analyze()
    expect(violations.map((v) => v.id)).toEqual([])
    await page.screenshot({ path: path.join(SHOTS, 'sign-in-oidc.png'), fullPage: true })
    await page.getByRole('button', { name: 'Sign in with your organisation account' }).click()
    await page.waitForURL((u) => u.origin === provider.issuer)
    await page.locator('input[name=login]').fill('op-1')
    await page.locator('input[name=password]').fill('any')
    await page.locator('button[type=submit]').click()
    await page.getByRole('button', { name: 'Continue' }).click()
    await page.waitForURL(`http://${CONSOLE_HOST}/console/operator`)
    await expect.poll(async () => page.getByRole('heading', { level: 1 }).textContent()).toBe('Partnerships')
    expect(await page.locator('.nhsuk-header__account').textContent()).toContain('Olu Operator (Operator)')
    const cookies = await page.context().cookies()
    expect(cookies.find((c) => c.name === 'workwell_console')).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/console' })
    expect(cookies.some((c) => c.name === 'workwell_console_login')).toBe(false)

    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.waitForURL((u) => u.origin === provider.issuer)
    await page.goto(`http://${CONSOLE_HOST}/console/operator`)
    expect(new URL(page.url()).pathname).toBe('/console/sign-in')
    await page.context().close()
  })
})
