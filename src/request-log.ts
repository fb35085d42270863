import type { FastifyInstance, FastifyRequest } from 'fastify'

/** What a route wants said about its request, folded into the request's one log line. */
export interface LogSummary {
  message: string
  /** ids, codes and counts only (docs/decisions/request-logging.md) */
  facts: Record<string, string | number | boolean | undefined>
}

declare module 'fastify' {
  interface FastifyRequest {
    logSummary: LogSummary | null
  }
}

/** Names what the request did; the line is written once the answer has gone (logRequests). */
export function summariseForLog (request: FastifyRequest, message: string, facts: LogSummary['facts']): void {
  request.logSummary = { message, facts }
}

/**
 * One info line per request, when its answer has been sent: method, path without the query
 * (a search's parameters may be personal), status, time, the calling client, and whatever the
 * route summarised. The correlation id is the logger's request id label (app.ts).
 */
export function logRequests (app: FastifyInstance): void {
  app.decorateRequest('logSummary', null)
  app.addHook('onResponse', (request, reply, done) => {
    const summary = request.logSummary
    const q = request.url.indexOf('?')
    request.log.info({
      method: request.method,
      path: q === -1 ? request.url : request.url.slice(0, q),
      statusCode: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
      client: request.principal?.clientId,
      ...summary?.facts
    }, summary?.message ?? 'request completed')
    done()
  })
}
