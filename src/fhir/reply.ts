import type { FastifyReply } from 'fastify'
import type { Resource } from '@medplum/fhirtypes'
import { FHIR_JSON } from './media-type.ts'
import type { StoredResource } from '../store/store.ts'

/** ETag is always the weak versionId (R4 http.html §3.1.0.5). */
export function etag (versionId: string): string {
  return `W/"${versionId}"`
}

/** Sends a stored resource with its version headers. */
export async function sendResource (reply: FastifyReply, stored: StoredResource, status = 200): Promise<void> {
  await reply
    .code(status)
    .header('ETag', etag(stored.versionId))
    .header('Last-Modified', new Date(stored.lastUpdated).toUTCString())
    .type(FHIR_JSON)
    // a string with a content type is sent as it is: the JSON the store wrote, when it kept it
    .send(stored.json ?? stored.resource)
}

export async function sendFhir (reply: FastifyReply, body: Resource, status = 200): Promise<void> {
  await reply.code(status).type(FHIR_JSON).send(body)
}
