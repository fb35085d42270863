import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../helpers/gateway.ts'
import { call, readJson } from '../helpers/fixtures.ts'
import { asReferrer } from '../helpers/tokens.ts'

let gw: TestGateway
beforeAll(async () => { gw = await startGateway() })
afterAll(async () => { await gw.close() })

/** Sends raw bytes and reads everything the server answers until it closes the connection. */
async function raw (bytes: string): Promise<{ status: number, headers: string, body: string }> {
  const { hostname, port } = new URL(gw.origin)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => { socket.end(bytes) })
    let text = ''
    socket.setEncoding('utf8')
    socket.on('data', (d: string) => { text += d })
    socket.on('error', reject)
    socket.on('close', () => {
      const [head = '', body = ''] = text.split('\r\n\r\n')
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]), headers: head.toLowerCase(), body })
    })
  })
}

describe('requests Node refuses before any route', () => {
  it('answers headers over the size limit with a 431 OperationOutcome', async () => {
    const res = await raw(`GET /fhir/Task?owner=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`)
    expect(res.status).toBe(431)
    expect(res.headers).toContain('content-type: application/fhir+json')
    expect(JSON.parse(res.body)).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'too-costly' }] })
  })

  it('answers a request that is not HTTP with a 400 OperationOutcome', async () => {
    const res = await raw('HELLO THERE\r\n\r\n')
    expect(res.status).toBe(400)
    expect(JSON.parse(res.body)).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'structure' }] })
  })

  it('keeps serving everyone else', async () => {
    await raw('\u0000\u0001garbage\r\n\r\n')
    const res = await call(`${gw.fhir}/ServiceRequest/$validate`, { headers: await asReferrer(gw), body: readJson('fixtures/referrals/black-country/gp-referral.json') })
    expect(res.status).toBe(200)
  })
})
