import { request, type Agent } from 'node:https'
import type { TLSSocket } from 'node:tls'

export interface TlsAnswer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
  /** whether the request went over a kept-alive connection */
  reusedSocket: boolean
  /** SHA-256 fingerprint of the certificate the server presented on this connection */
  serverFingerprint: string
  /** the negotiated protocol, e.g. TLSv1.3 */
  protocol: string | null
}

export interface TlsCall {
  method?: string
  headers?: Record<string, string>
  body?: string
  /** PEM client certificate and key, when the client presents one */
  cert?: string
  key?: string
  /** PEM the client trusts for the server */
  ca: string
  agent?: Agent
  /** TLS versions the client offers */
  maxVersion?: 'TLSv1.2' | 'TLSv1.3'
}

/** One HTTPS request with node:https (fetch cannot present a client certificate). */
export async function tlsRequest (url: string, o: TlsCall): Promise<TlsAnswer> {
  return new Promise<TlsAnswer>((resolve, reject) => {
    const req = request(url, {
      method: o.method ?? 'GET',
      headers: { accept: 'application/fhir+json', ...(o.body === undefined ? {} : { 'content-type': 'application/fhir+json' }), ...o.headers },
      ca: o.ca,
      ...(o.cert === undefined ? {} : { cert: o.cert, key: o.key }),
      ...(o.maxVersion === undefined ? {} : { maxVersion: o.maxVersion }),
      servername: 'localhost',
      ...(o.agent === undefined ? { agent: false } : { agent: o.agent })
    }, (res) => {
      const chunks: Buffer[] = []
      // read while the response holds the socket: a kept-alive one goes back to the agent at the end
      const socket = res.socket as TLSSocket
      const serverFingerprint = socket.getPeerCertificate().fingerprint256
      const protocol = socket.getProtocol()
      res.on('data', (c: Buffer) => { chunks.push(c) })
      res.on('end', () => {
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          reusedSocket: req.reusedSocket,
          serverFingerprint,
          protocol
        })
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(o.body)
  })
}
