import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { REPO } from './gateway.ts'

export function readJson<T = Record<string, unknown>> (relative: string): T {
  return JSON.parse(readFileSync(path.join(REPO, relative), 'utf8')) as T
}

/** Partnership ids that have referral fixtures (one folder each). */
export function fixturePartnerships (): string[] {
  return readdirSync(path.join(REPO, 'fixtures/referrals')).sort()
}

export const FHIR_HEADERS = { 'content-type': 'application/fhir+json', accept: 'application/fhir+json' }

export interface Reply {
  status: number
  headers: Headers
  body: Record<string, unknown> & { resourceType?: string }
  text: string
}

/** One HTTP call over loopback with fetch; the body is parsed when it is JSON. */
export async function call (url: string, init: { method?: string, body?: unknown, headers?: Record<string, string>, raw?: string } = {}): Promise<Reply> {
  // no token unless the test gives one (asReferrer, asPartnership, asOperator); '' sends none
  const given = init.headers ?? {}
  const own = Object.keys(given).find((k) => k.toLowerCase() === 'authorization')
  const headers: Record<string, string> = { ...(init.body !== undefined || init.raw !== undefined ? FHIR_HEADERS : { accept: 'application/fhir+json' }), ...given }
  if (own !== undefined && given[own] === '') delete headers[own]
  const res = await fetch(url, {
    method: init.method ?? (init.body === undefined && init.raw === undefined ? 'GET' : 'POST'),
    headers,
    ...(init.raw !== undefined ? { body: init.raw } : init.body !== undefined ? { body: JSON.stringify(init.body) } : {})
  })
  const text = await res.text()
  let body: Reply['body'] = {}
  try { body = text === '' ? {} : JSON.parse(text) as Reply['body'] } catch { body = {} }
  return { status: res.status, headers: res.headers, body, text }
}
