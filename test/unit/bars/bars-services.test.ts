import { describe, expect, it } from 'vitest'
import { MESSAGE_DEFINITION_URLS } from '../../../src/bars/bars-codes.ts'
import { barsServices, definitionIdFor, serviceById } from '../../../src/bars/bars-services.ts'
import { isFhirId } from '../../../src/fhir/request-schema.ts'
import type { BarsServiceConfig, Partnership } from '../../../src/routing/partnership.ts'
import { FIT_NOTE_TRIAGE_PROFILE, WORKWELL_REFERRAL_PROFILE } from '../../../src/validation/profiles.ts'

const OWN = 'https://fhir.workwell.example/Id/bars-service|workwell'

function partnership (id: string, barsServices?: BarsServiceConfig[]): Partnership {
  return { id, name: `${id} WorkWell`, leadIcbs: [], practices: [], postcodeDistricts: [], delivery: { endpoint: 'https://p.example', format: 'fhir-bundle', maxAttempts: 1 }, sources: [], ...(barsServices === undefined ? {} : { barsServices }) }
}

describe('barsServices', () => {
  it('offers the gateway\'s own id for any partnership, then each partnership\'s ids, with the definition and profile of their kind', () => {
    const services = barsServices(OWN, [
      partnership('frimley'),
      partnership('gm', [{ serviceId: 'a:dos|1', kind: 'referral' }, { serviceId: 'a:dos|2', kind: 'fit-note-triage', name: 'GM fit notes' }])
    ])
    expect(services).toEqual([
      { serviceId: OWN, kind: 'referral', name: 'WorkWell Gateway referrals', definitionId: 'workwell-bars-servicerequest-request-referral', definitionUrl: MESSAGE_DEFINITION_URLS.referral, profile: WORKWELL_REFERRAL_PROFILE },
      { serviceId: 'a:dos|1', kind: 'referral', name: 'gm WorkWell referrals', partnershipId: 'gm', definitionId: 'ww-request-gm-referral', definitionUrl: 'https://fhir.workwell.example/MessageDefinition/ww-request-gm-referral', profile: WORKWELL_REFERRAL_PROFILE },
      { serviceId: 'a:dos|2', kind: 'fit-note-triage', name: 'GM fit notes', partnershipId: 'gm', definitionId: 'ww-request-gm-fit-note-triage', definitionUrl: 'https://fhir.workwell.example/MessageDefinition/ww-request-gm-fit-note-triage', profile: FIT_NOTE_TRIAGE_PROFILE }
    ])
    expect(serviceById(services, 'a:dos|2')?.partnershipId).toBe('gm')
    expect(serviceById(services, 'a:dos|3')).toBeUndefined()
  })

  it('refuses one id offered twice (across partnerships, or the gateway\'s own) and one kind twice in a partnership, naming the file', () => {
    expect(() => barsServices(OWN, [partnership('a', [{ serviceId: 'a:dos|1', kind: 'referral' }]), partnership('b', [{ serviceId: 'a:dos|1', kind: 'referral' }])]))
      .toThrow('mappings/b/partnership.json barsServices: service id a:dos|1 is already mappings/a/partnership.json\'s')
    expect(() => barsServices(OWN, [partnership('a', [{ serviceId: OWN, kind: 'referral' }])])).toThrow('WORKWELL_BARS_SERVICE_ID')
    expect(() => barsServices(OWN, [partnership('a', [{ serviceId: 'a:dos|1', kind: 'referral' }, { serviceId: 'a:dos|2', kind: 'referral' }])])).toThrow('two referral services')
  })

  it('gives every MessageDefinition a valid FHIR id (at most 64 characters), distinct per partnership and kind', () => {
    const longest = 'bristol-north-somerset-and-south-gloucestershire-and-beyond'
    const ids = ['gm', longest, `${longest}-2`].flatMap((p) => [definitionIdFor(p, 'referral'), definitionIdFor(p, 'fit-note-triage')])
    for (const id of ids) expect(isFhirId(id), id).toBe(true)
    expect(new Set(ids).size).toBe(ids.length)
    expect(definitionIdFor('gm', 'referral')).toBe('ww-request-gm-referral')
  })
})
