import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../helpers/gateway.ts'
import { createLogCapture } from '../helpers/log-capture.ts'
import { call } from '../helpers/fixtures.ts'
import { asOperator } from '../helpers/tokens.ts'
import { mappingsWithMaxAttempts, postReferral, until } from './delivery-helpers.ts'

/** A loopback port nothing listens on: connections to it are refused (ECONNREFUSED). */
async function refusingPort (): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => { probe.listen(0, '127.0.0.1', resolve) })
  const { port } = probe.address() as AddressInfo
  await new Promise<void>((resolve) => { probe.close(() => { resolve() }) })
  return port
}

let gw: TestGateway
let mappings: ReturnType<typeof mappingsWithMaxAttempts>

const logs = createLogCapture()
// any error-level line is a failure unless a test says it expected it
afterEach(() => { logs.expectNoUnexpectedErrors() })

beforeAll(async () => {
  const port = await refusingPort()
  mappings = mappingsWithMaxAttempts(100)
  gw = await startGateway({
    logCapture: logs,
    env: {
      WORKWELL_MAPPINGS_DIR: mappings.dir,
      WORKWELL_DELIVERY_ENABLED: 'true',
      WORKWELL_DELIVERY_POLL_MS: '20',
      WORKWELL_DELIVERY_TIMEOUT_MS: '300',
      WORKWELL_DELIVERY_LEASE_MS: '1000',
      WORKWELL_DELIVERY_BACKOFF_BASE_MS: '10',
      WORKWELL_DELIVERY_BACKOFF_CAP_MS: '50',
      WORKWELL_BREAKER_OPEN_MS: '30',
      WORKWELL_PARTNER_URL_NORTH_CENTRAL_LONDON: `http://127.0.0.1:${port}/north-central-london/referrals`
    }
  })
})

afterAll(async () => {
  await gw.close()
  mappings.remove()
})

describe('a partner that refuses connections', () => {
  it('records every attempt (retry and AuditEvent) and logs no error', async () => {
    for (let i = 0; i < 5; i++) await postReferral(gw.fhir)
    await until(async () => {
      const res = await call(`${gw.origin}/admin/deliveries?partnership=north-central-london`, { headers: await asOperator(gw) })
      const rows = (res.body as unknown as { deliveries: Array<{ attempts: number }> }).deliveries
      return rows.reduce((n, d) => n + d.attempts, 0) >= 20
    }, 20_000, 'twenty recorded attempts')
    // the retries themselves are warnings; afterEach fails the test on any error line
    expect(logs.lines.filter((l) => l.msg === 'delivery failed, will retry').length).toBeGreaterThanOrEqual(20)
  }, 30_000)
})
