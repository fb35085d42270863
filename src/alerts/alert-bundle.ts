import type { Alert } from './alerts.ts'

/** The CodeSystem of the gateway's alert names. */
export const ALERT_SYSTEM = 'https://fhir.workwell.example/CodeSystem/delivery-alert'

/** One alert as GET /admin/alerts answers it: a FHIR R4 Flag (docs/alerts.md). */
export interface AlertFlag {
  resourceType: 'Flag'
  id: string
  status: 'active'
  category: Array<{ coding: Array<{ system: string, code: 'symptom' | 'cause' }> }>
  code: { coding: Array<{ system: string, code: string }>, text: string }
  subject: { reference?: string, display: string }
  period: { start: string }
}

/** GET /admin/alerts: a collection Bundle of Flags. */
export interface AlertBundle {
  resourceType: 'Bundle'
  type: 'collection'
  timestamp: string
  total: number
  entry: Array<{ resource: AlertFlag }>
}

/**
 * The alerts as a FHIR-ish collection Bundle of Flag resources (Flag: "a warning about a
 * subject", here the gateway or one partnership's Organization). Flag.id is the alert's key,
 * so an alert keeps its id while its condition lasts.
 */
export function alertBundle (alerts: readonly Alert[], now: Date): AlertBundle {
  return {
    resourceType: 'Bundle',
    type: 'collection',
    timestamp: now.toISOString(),
    total: alerts.length,
    entry: alerts.map((a) => ({
      resource: {
        resourceType: 'Flag',
        id: a.key.replaceAll('/', '-'),
        status: 'active',
        category: [{ coding: [{ system: `${ALERT_SYSTEM}-kind`, code: a.kind }] }],
        code: { coding: [{ system: ALERT_SYSTEM, code: a.name }], text: a.detail },
        subject: a.partnershipId === undefined
          ? { display: 'WorkWell Gateway delivery' }
          : { reference: `Organization/${a.partnershipId}`, display: a.partnershipId },
        period: { start: a.since }
      }
    }))
  }
}

/** One line of an operator's alert list. */
export interface AlertSummary { name: string, partnership?: string, since: string, detail: string }

/**
 * Lists the current alerts from GET /admin/alerts: free of Node APIs, so a browser console
 * can call it with its own fetch and the operator's token.
 * @param baseUrl - the gateway's origin, e.g. https://gateway.example
 * @param token - an operator's bearer token
 * @param fetchFn - fetch (the browser's or Node's)
 */
export async function listAlerts (baseUrl: string, token: string, fetchFn: typeof fetch = fetch): Promise<AlertSummary[]> {
  const res = await fetchFn(`${baseUrl.replace(/\/$/, '')}/admin/alerts`, { headers: { authorization: `Bearer ${token}`, accept: 'application/fhir+json' } })
  if (!res.ok) throw new Error(`GET /admin/alerts answered ${res.status}`)
  return summariseAlerts(await res.json() as AlertBundle)
}

/** The summary lines of an alert Bundle. */
export function summariseAlerts (bundle: AlertBundle): AlertSummary[] {
  return bundle.entry.map(({ resource: f }) => ({
    name: f.code.coding[0]?.code ?? 'unknown',
    ...(f.subject.reference === undefined ? {} : { partnership: f.subject.display }),
    since: f.period.start,
    detail: f.code.text
  }))
}
