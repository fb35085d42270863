import nock from 'nock'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createPartnerClient } from '../../../src/delivery/partner-client.ts'
import type { PartnerClient } from '../../../src/delivery/partner-client.ts'

// nock 15.0.6 intercepts undici (Pools included) at the socket layer on Node 24
// (through @mswjs/interceptors), but its delay() does not trip undici's timeouts, so timeouts and resets are tested against a real server instead.

const PARTNER = 'https://partner.example'

let client: PartnerClient
beforeAll(() => { nock.disableNetConnect() })
afterAll(() => { nock.enableNetConnect() })
afterEach(async () => {
  await client.close()
  nock.cleanAll()
})

const delivery = { partnershipId: 'frimley', endpoint: `${PARTNER}/workwell/referrals?v=1`, contentType: 'application/json; charset=utf-8', body: '{"referralId":"sr-1"}', deliveryId: 'out-1' }

describe('partner client (nock)', () => {
  it('POSTs the body with Content-Type, Idempotency-Key and X-Request-Id over one Pool per origin', async () => {
    client = createPartnerClient({ requestTimeoutMs: 1_000, connectTimeoutMs: 1_000, connections: 2 })
    const scope = nock(PARTNER, {
      reqheaders: {
        'content-type': 'application/json; charset=utf-8',
        'idempotency-key': (v) => v === 'out-1' || v === 'out-2',
        'x-request-id': (v) => v === 'out-1' || v === 'out-2'
      }
    })
      .post('/workwell/referrals', '{"referralId":"sr-1"}')
      .query({ v: '1' })
      .reply(201, { id: 'partner-case-1' })
      .post('/workwell/referrals', '{"referralId":"sr-1"}')
      .query({ v: '1' })
      .reply(202)

    expect(await client.send(delivery)).toStrictEqual({ kind: 'response', status: 201 })
    expect(await client.send({ ...delivery, deliveryId: 'out-2' })).toStrictEqual({ kind: 'response', status: 202 })
    expect(scope.isDone()).toBe(true)
  })

  it('hands back error statuses for the worker to classify', async () => {
    client = createPartnerClient({ requestTimeoutMs: 1_000, connectTimeoutMs: 1_000, connections: 1 })
    const scope = nock(PARTNER).post('/workwell/referrals').query(true).reply(503, 'down for maintenance')
    expect(await client.send(delivery)).toStrictEqual({ kind: 'response', status: 503 })
    expect(scope.isDone()).toBe(true)
  })

  it('reports a blocked connection as a retryable failure, never throwing', async () => {
    client = createPartnerClient({ requestTimeoutMs: 1_000, connectTimeoutMs: 1_000, connections: 1 })
    const result = await client.send({ ...delivery, endpoint: 'https://elsewhere.example/x' })
    expect(result).toMatchObject({ kind: 'failure', retryable: true })
    expect(result.kind === 'failure' && result.error).toMatch(/^connection error \(/)
  })

  it('refuses endpoints it cannot send to, as a failure no retry can fix', async () => {
    client = createPartnerClient({ requestTimeoutMs: 1_000, connectTimeoutMs: 1_000, connections: 1 })
    expect(await client.send({ ...delivery, endpoint: 'not a url' })).toStrictEqual({ kind: 'failure', error: 'invalid endpoint URL', retryable: false })
    expect(await client.send({ ...delivery, endpoint: 'ftp://partner.example/x' })).toStrictEqual({ kind: 'failure', error: 'unsupported endpoint scheme ftp:', retryable: false })
  })
})
