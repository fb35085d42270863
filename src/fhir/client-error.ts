import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { ConnectionError } from 'fastify'
import { issue, operationOutcome, type IssueCode } from './operation-outcome.ts'
import { FHIR_JSON } from './media-type.ts'

/**
 * Node's HTTP parser refuses some requests before any route sees them: a request line and
 * headers over its size limit, a request that is not HTTP, one that takes too long to arrive.
 * Fastify's own answer to these is its JSON error; this one is an OperationOutcome, like every
 * other error of the gateway (R4 http.html §3.1.0.4). The connection is closed after it, as
 * Node does: the parser cannot tell where the next request would start.
 */
export function answerClientError (err: ConnectionError, socket: Socket): void {
  // a reset connection has no one to answer
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  const [status, code, diagnostics]: [number, IssueCode, string] = err.code === 'HPE_HEADER_OVERFLOW'
    ? [431, 'too-costly', 'The request line and headers are larger than this server accepts']
    : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'timeout', 'The request did not arrive in time']
      : [400, 'structure', 'The request is not an HTTP request this server can read']
  const body = JSON.stringify(operationOutcome([issue('error', code, diagnostics)]))
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: ${FHIR_JSON}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
  }
  socket.destroy(err)
}
