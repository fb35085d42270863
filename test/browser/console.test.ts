import { existsSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import { AxeBuilder } from '@axe-core/playwright'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { referFor, startDevGateway } from '../helpers/console-client.ts'
import { REPO, type TestGateway } from '../helpers/gateway.ts'
import { startStubPartner, until, type StubPartner } from '../integration/delivery-helpers.ts'

const CHROMIUM = '/usr/bin/chromium'
const SHOTS = path.join(REPO, 'test-results/console')
const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']
const hasChromium = existsSync(CHROMIUM)
if (!hasChromium) console.log(`console browser tests skipped: ${CHROMIUM} is missing (apt-get install chromium; .ci/run does)`)

let gw: TestGateway
let partner: StubPartner
let browser: Browser
let rejecting = true

/** What the browser reported as errors, per page (a CSP refusal is reported so). */
const pageErrors = new WeakMap<Page, string[]>()

function watch (page: Page): Page {
  const errors: string[] = []
  pageErrors.set(page, errors)
  page.on('console', (m) => {
    // the page's own 404 status (the not-found page) is reported too: that one is expected
    const ownStatus = m.text().startsWith('Failed to load resource') && m.location().url === page.url()
    if (m.type() === 'error' && !ownStatus) errors.push(`${m.text()} (${m.location().url})`)
  })
  page.on('pageerror', (e) => { errors.push(e.message) })
  return page
}

/**
 * Every page a test visits: no error in the browser (no CSP refusal, no failed script), zero
 * WCAG 2.2 AA violations found by axe, and a screenshot.
 */
async function check (page: Page, name: string): Promise<void> {
  expect(pageErrors.get(page), name).toEqual([])
  const { violations } = await new AxeBuilder({ page }).withTags(WCAG).analyze()
  expect(violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), name).toEqual([])
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true })
}

async function signIn (role: 'operator' | 'partnership' | 'referrer'): Promise<Page> {
  const page = watch(await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage())
  await page.goto(`${gw.origin}/console`)
  await page.getByRole('button', { name: `Sign in as ${role}` }).click()
  // signed in once the role's start page has loaded (the POST answers 303 to it)
  await page.waitForURL(/\/console\/(operator|worklist|referrals)$/)
  return page
}

describe.skipIf(!hasChromium)('the console in Chromium', { timeout: 60_000 }, () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true })
    partner = await startStubPartner()
    partner.mode = (req) => rejecting && req.path.startsWith('/birmingham-and-solihull') ? '400' : 'ok'
    gw = await startDevGateway({
      env: {
        WORKWELL_DELIVERY_ENABLED: 'true',
        WORKWELL_DELIVERY_POLL_MS: '20',
        WORKWELL_DELIVERY_TIMEOUT_MS: '1000',
        WORKWELL_PARTNER_URL_BIRMINGHAM_AND_SOLIHULL: partner.url('birmingham-and-solihull'),
        WORKWELL_PARTNER_URL_NORTH_CENTRAL_LONDON: partner.url('north-central-london')
      }
    })
    // Playwright adds --no-sandbox and the headless and no-background-networking switches itself
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--disable-gpu', '--disable-quic'] })
  })

  afterAll(async () => {
    await browser?.close()
    await gw?.close()
    await partner?.close()
  })

  it('signs in each role and shows its start page', async () => {
    const signInPage = watch(await (await browser.newContext()).newPage())
    await signInPage.goto(`${gw.origin}/console`)
    await expect.poll(async () => signInPage.title()).toBe('Sign in – WorkWell console')
    await check(signInPage, 'sign-in')
    // the check can fail: an image without a text alternative is found (control)
    await signInPage.evaluate("document.querySelector('main').append(Object.assign(document.createElement('img'), { src: '/console/assets/nhsuk/images/favicon.svg' }))")
    const control = await new AxeBuilder({ page: signInPage }).withTags(WCAG).analyze()
    expect(control.violations.map((v) => v.id)).toContain('image-alt')
    const starts = { operator: 'Partnerships', partnership: 'Worklist', referrer: 'My referrals' } as const
    for (const [role, heading] of Object.entries(starts)) {
      const page = await signIn(role as keyof typeof starts)
      await expect.poll(async () => page.getByRole('heading', { level: 1 }).textContent()).toBe(heading)
      if (role === 'operator') {
        // every partnership has its row
        expect(await page.locator('tbody tr').count()).toBe(gw.deps.partnerships.size)
      }
      await page.context().close()
    }
    await signInPage.context().close()
  })

  it('warns before the idle limit and lets the person stay signed in', async () => {
    const page = watch(await (await browser.newContext()).newPage())
    await page.clock.install()
    await page.goto(`${gw.origin}/console`)
    await page.getByRole('button', { name: 'Sign in as referrer' }).click()
    const warning = page.locator('#idle-warning')
    expect(await warning.isVisible()).toBe(false)
    // 15 minutes idle (the default): the warning comes two minutes before
    await page.clock.fastForward('13:01')
    await expect.poll(async () => warning.isVisible()).toBe(true)
    await check(page, 'idle-warning')
    await page.getByRole('button', { name: 'Stay signed in' }).click()
    await expect.poll(async () => warning.isVisible()).toBe(false)
    // still signed in, on the same page (a refused session would have gone to the sign-in page)
    expect(new URL(page.url()).pathname).toBe('/console/referrals')
    await page.clock.fastForward('13:01')
    await expect.poll(async () => warning.isVisible()).toBe(true)
    await page.context().close()
  })

  it('lets an operator see a dead letter, replay it to the partner, and see it delivered', async () => {
    rejecting = true
    const { serviceRequestId } = await referFor(gw, 'birmingham-and-solihull')
    await until(async () => (await gw.deps.store.listDeliveries({ serviceRequestId, status: 'dead-letter', limit: 1 })).length === 1, 20_000, 'the dead letter')
    const page = await signIn('operator')
    await page.reload()
    await check(page, 'operator-home')
    await page.getByRole('link', { name: /dead letters for Birmingham and Solihull/ }).first().click()
    await expect.poll(async () => page.getByRole('heading', { level: 1 }).textContent()).toBe('Dead letters: Birmingham and Solihull WorkWell')
    const row = page.locator('tbody tr', { hasText: serviceRequestId })
    expect(await row.textContent()).toContain('HTTP 400 (rejected by partner)')
    await check(page, 'dead-letters')

    rejecting = false
    await row.getByRole('button', { name: /Replay/ }).click()
    await expect.poll(async () => page.getByRole('alert').textContent()).toContain('is queued again')
    await page.goto(`${gw.origin}/console/operator/find?id=${serviceRequestId}`)
    await expect.poll(async () => {
      await page.reload()
      return page.locator('table', { hasText: 'Deliveries' }).locator('tbody').textContent()
    }, { timeout: 20_000 }).toContain('delivered')
    expect([...partner.stored.values()].some((d) => d.body.includes(serviceRequestId))).toBe(true)
    // audited as the admin API's $replay is
    const audit = await gw.deps.store.searchAudit({ entity: `ServiceRequest/${serviceRequestId}`, limit: 20 })
    expect(audit.find((a) => a.subtype === 'delivery-replay')).toMatchObject({ action: 'E', outcome: '0', agent: 'client/console-dev-operator operator' })
    await check(page, 'find-referral')
    await page.goto(`${gw.origin}/console/operator/plots`)
    await check(page, 'plots')
    await page.context().close()
  })

  it('lets a partnership accept a Task that the referrer then sees accepted; another\'s Task is not found', async () => {
    const { taskId } = await referFor(gw, 'birmingham-and-solihull')
    // lists show the reference people read out, not the id
    const reference = ((await gw.deps.store.readResource('Task', taskId))?.resource as { identifier?: Array<{ value?: string }> } | undefined)?.identifier?.[0]?.value ?? ''
    expect(reference).toMatch(/^WW-/)
    const staff = await signIn('partnership')
    await check(staff, 'worklist')
    await staff.getByRole('link', { name: reference }).click()
    await expect.poll(async () => staff.getByRole('heading', { level: 1 }).textContent()).toBe(`Task ${taskId}`)
    await check(staff, 'task')
    await staff.getByRole('button', { name: 'Accept' }).click()
    await expect.poll(async () => staff.getByRole('alert').textContent()).toContain(`Task ${taskId} is now accepted`)
    await check(staff, 'task-accepted')

    const referrer = await signIn('referrer')
    const row = referrer.locator('tbody tr', { hasText: reference })
    expect(await row.textContent()).toContain('accepted')
    await check(referrer, 'referrals')

    const other = await referFor(gw, 'north-central-london')
    const theirs = await staff.goto(`${gw.origin}/console/tasks/${other.taskId}`)
    expect(theirs?.status()).toBe(404)
    const theirText = await staff.locator('main').innerHTML()
    const unknown = await staff.goto(`${gw.origin}/console/tasks/no-such-task`)
    expect(unknown?.status()).toBe(404)
    expect(await staff.locator('main').innerHTML()).toBe(theirText)
    await check(staff, 'not-found')
    await staff.context().close()
    await referrer.context().close()
  })
})
