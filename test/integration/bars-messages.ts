import { randomUUID } from 'node:crypto'
import type { Bundle, BundleEntry, Resource, ServiceRequest } from '@medplum/fhirtypes'
import { MESSAGE_DEFINITION_URLS } from '../../src/bars/bars-codes.ts'
import { rewriteReferences } from '../../src/fhir/references.ts'
import { readJson } from '../helpers/fixtures.ts'

export const GATEWAY_SERVICE = 'https://fhir.workwell.example/Id/bars-service|workwell'
export const REFERRER = 'https://fhir.nhs.uk/Id/ods-organization-code|P88002'

export interface MessageOptions {
  bundleId?: string
  reason?: 'new' | 'update'
  definition?: string
  source?: string
  destination?: string
  /** changes to the ServiceRequest (e.g. status revoked) */
  serviceRequest?: Partial<ServiceRequest>
  /**
   * meta.lastUpdated of every resource after the MessageHeader (BaRS: every resource carries
   * it; an update is checked against it). Default: now, as a sender stamps a change it has
   * just made; null leaves it out.
   */
  lastUpdated?: string | null
}

/**
 * A BaRS servicerequest-request message built from a project fixture: a referral whose
 * Patient and supporting resources are contained (fixtures/referrals/<p>/gp-referral.json)
 * becomes entries linked by urn:uuid, after a MessageHeader.
 */
export function referralMessage (fixture: string, options: MessageOptions = {}): Bundle {
  const sr = readJson<ServiceRequest>(fixture)
  const urls = new Map<string, string>()
  for (const c of sr.contained ?? []) urls.set(`#${c.id ?? ''}`, `urn:uuid:${randomUUID()}`)
  const relink = <T>(r: T): T => rewriteReferences(r, (ref) => urls.get(ref))
  const srUrl = `urn:uuid:${randomUUID()}`
  const { contained, ...bare } = sr
  const entries: BundleEntry[] = [
    { fullUrl: srUrl, resource: { ...relink(bare), ...options.serviceRequest } as Resource },
    ...(contained ?? []).map((c) => {
      const { id, ...rest } = c
      return { fullUrl: urls.get(`#${id ?? ''}`) ?? '', resource: relink(rest) as Resource }
    })
  ]
  return message(entries, srUrl, options)
}

/** The cancellation BaRS defines: reason update, status revoked, reasonCode.text, a minimal bundle. */
export function cancellationMessage (bundleId: string, why = 'Patient no longer wishes to be referred'): Bundle {
  const srUrl = `urn:uuid:${randomUUID()}`
  const sr: ServiceRequest = {
    resourceType: 'ServiceRequest',
    status: 'revoked',
    intent: 'order',
    reasonCode: [{ text: why }],
    subject: { identifier: { system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9992535318' } }
  }
  return message([{ fullUrl: srUrl, resource: sr }], srUrl, { bundleId, reason: 'update', definition: MESSAGE_DEFINITION_URLS.cancellation })
}

function message (entries: BundleEntry[], focus: string, options: MessageOptions): Bundle {
  return {
    resourceType: 'Bundle',
    id: options.bundleId ?? randomUUID(),
    meta: { versionId: '1.0.0', lastUpdated: '2026-11-20T14:00:00+00:00' },
    type: 'message',
    timestamp: '2026-11-20T14:00:00+00:00',
    entry: [
      {
        fullUrl: `urn:uuid:${randomUUID()}`,
        resource: {
          resourceType: 'MessageHeader',
          eventCoding: { system: 'https://fhir.nhs.uk/CodeSystem/message-events-bars', code: 'servicerequest-request' },
          reason: { coding: [{ system: 'https://fhir.nhs.uk/CodeSystem/message-reason-bars', code: options.reason ?? 'new' }] },
          destination: [{ endpoint: options.destination ?? GATEWAY_SERVICE }],
          source: { name: 'Marple Bridge Surgery', software: 'Test GP System', version: '1.0', endpoint: options.source ?? REFERRER },
          focus: [{ reference: focus }],
          definition: options.definition ?? MESSAGE_DEFINITION_URLS.referral
        }
      },
      ...entries.map((e) => (options.lastUpdated === null || e.resource === undefined
        ? e
        : { ...e, resource: { ...e.resource, meta: { ...e.resource.meta, lastUpdated: options.lastUpdated ?? new Date().toISOString() } } }))
    ]
  }
}

/** base64 JSON, as BaRS encodes its NHSD-* headers */
export function b64 (value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64')
}

export function barsHeaders (extra: Record<string, string> = {}): Record<string, string> {
  return {
    'x-request-id': randomUUID(),
    'x-correlation-id': randomUUID(),
    accept: 'application/fhir+json; version=1.4.0',
    ...extra
  }
}
