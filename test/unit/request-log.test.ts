import { Writable } from 'node:stream'
import Fastify, { LogController, type FastifyInstance } from 'fastify'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { logRequests, summariseForLog } from '../../src/request-log.ts'

function capture (): { stream: Writable, lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = []
  const stream = new Writable({ write (chunk: Buffer, _enc, done) { chunks.push(chunk.toString('utf8')); done() } })
  return { stream, lines: () => chunks.join('').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>) }
}

describe('logRequests', () => {
  it('writes one line per request with status, time, path without its query and the route\'s summary', async () => {
    const out = capture()
    const app = Fastify({ loggerInstance: pino({ level: 'info' }, out.stream), logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'correlationId' }), genReqId: () => 'c-1' }) as unknown as FastifyInstance
    logRequests(app)
    app.post('/fhir/ServiceRequest', async (request, reply) => {
      summariseForLog(request, 'referral accepted', { serviceRequestId: 'sr-1', queued: true })
      return reply.code(201).send({})
    })
    app.get('/fhir/Task', async () => ({}))
    await app.ready()
    await app.inject({ method: 'POST', url: '/fhir/ServiceRequest', payload: {} })
    await app.inject({ method: 'GET', url: '/fhir/Task?name=Jane%20Smith' })
    await app.close()
    const lines = out.lines()
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatchObject({ msg: 'referral accepted', correlationId: 'c-1', method: 'POST', path: '/fhir/ServiceRequest', statusCode: 201, serviceRequestId: 'sr-1', queued: true })
    expect(typeof lines[0]?.ms).toBe('number')
    expect(lines[1]).toMatchObject({ msg: 'request completed', method: 'GET', path: '/fhir/Task', statusCode: 200 })
    expect(JSON.stringify(lines)).not.toContain('Jane')
  })
})
