import { toCsv } from './csv.ts'
import { evaluateFields } from './evaluate-fields.ts'
import type { FieldValue } from './evaluate-fields.ts'
import { buildDeliveryBundle } from './fhir-bundle.ts'
import { CONTENT_TYPES, envelopeNames } from './mapping.ts'
import type { MapInput, MapResult, Mapping } from './mapping.ts'

/**
 * Maps a referral into its partnership's format. Pure: the same inputs give the same bytes.
 *
 * Required fields are checked for every format, so a referral a partnership cannot use is
 * caught here and never sent. json-record and csv output start with the envelope keys
 * (referralId, taskId, partnershipId, under the names the mapping gives them), then the
 * mapping's fields in order.
 * @param mapping - the partnership's loaded mapping
 * @param input - the stored ServiceRequest and its triage Task
 * @throws MappingFieldError when the mapping itself cannot be applied (see evaluate-fields.ts)
 */
export function mapReferral (mapping: Mapping, input: MapInput): MapResult {
  const { values, missing } = evaluateFields(mapping.fields, input)
  const referralId = input.serviceRequest.id ?? ''
  const taskId = input.task.id ?? ''
  const missingIds = [referralId === '' ? 'referralId' : '', taskId === '' ? 'taskId' : ''].filter((m) => m !== '')
  if (missingIds.length > 0 || missing.length > 0) {
    return { ok: false, missing: [...missingIds, ...missing] }
  }
  const contentType = CONTENT_TYPES[mapping.format]
  const [referralKey = 'referralId', taskKey = 'taskId', partnershipKey = 'partnershipId'] = envelopeNames(mapping)
  const envelope: Array<[string, string]> = [
    [referralKey, referralId],
    [taskKey, taskId],
    [partnershipKey, mapping.partnershipId]
  ]

  switch (mapping.format) {
    case 'fhir-bundle':
      return { ok: true, contentType, body: JSON.stringify(buildDeliveryBundle(input.serviceRequest, input.task)) }
    case 'json-record': {
      const record: Record<string, FieldValue | FieldValue[] | null> = Object.fromEntries(envelope)
      for (const field of mapping.fields) {
        const found = values.get(field.name) ?? []
        // absent optional fields are null, not omitted, so every record has the same keys
        record[field.name] = field.multiple === true ? found : (found[0] ?? null)
      }
      return { ok: true, contentType, body: JSON.stringify(record) }
    }
    case 'csv': {
      const header = [...envelope.map(([key]) => key), ...mapping.fields.map((f) => f.name)]
      const row = [
        ...envelope.map(([, value]) => value),
        ...mapping.fields.map((f) => (values.get(f.name) ?? []).map(String).join(';'))
      ]
      return { ok: true, contentType, body: toCsv([header, row]) }
    }
  }
}
