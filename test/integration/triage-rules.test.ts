import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REPO, startGateway, type TestGateway } from '../helpers/gateway.ts'
import { call, fixturePartnerships, readJson } from '../helpers/fixtures.ts'
import { asPartnership, asReferrer } from '../helpers/tokens.ts'

/**
 * Fit-note triage and per-partnership rules over real HTTP: POST /fhir/ServiceRequest/$triage
 * answers with the Task in the same call, records the rules version, names local services,
 * and queues a delivery only for a consented, eligible referral (docs/hazard-log.md H3).
 */

interface Output { extension: Array<{ url: string, valueString?: string, extension?: Array<{ url: string, valueString?: string }> }>, valueCodeableConcept: { coding: Array<{ code: string }>, text?: string } }
interface TaskBody {
  id: string
  status: string
  priority: string
  businessStatus: { coding: Array<{ code: string }>, text: string }
  statusReason?: { text: string }
  extension: Array<{ url: string, valueString: string }>
  output?: Output[]
  note: Array<{ text: string }>
  owner: { reference: string }
}

const SD = 'https://fhir.workwell.example/StructureDefinition'

let gw: TestGateway
beforeAll(async () => { gw = await startGateway() })
afterAll(async () => { await gw.close() })

async function triage (file: string): Promise<TaskBody> {
  const res = await call(`${gw.fhir}/ServiceRequest/$triage`, { headers: await asReferrer(gw), body: readJson(file) })
  expect(res.status, `${file}: ${res.text}`).toBe(200)
  return res.body as unknown as TaskBody
}

async function queued (taskId: string): Promise<boolean> {
  return (await gw.deps.store.listDeliveries({ limit: 1000 })).some((d) => d.taskId === taskId)
}

const outputCodes = (t: TaskBody): string[] => (t.output ?? []).map((o) => o.valueCodeableConcept.coding[0]?.code ?? '')

describe('$triage with per-partnership rules', () => {
  it('records on every Task the version of the rules that decided it', async () => {
    const ruleVersion = (file: string): string => readJson<{ version: string }>(`mappings/${file}`).version
    for (const p of fixturePartnerships()) {
      const task = await triage(`fixtures/referrals/${p}/fit-note-triage.json`)
      expect(task.extension.find((e) => e.url === `${SD}/triage-rules-version`)?.valueString, p).toBe(`workwell-baseline/${ruleVersion('national-baseline.json')}+${p}/${ruleVersion(`${p}/triage-rules.json`)}+${p}/partnership/${ruleVersion(`${p}/partnership.json`)}`)
    }
  })

  it('names the partnership\'s local service on each recommended service', async () => {
    const task = await triage('fixtures/referrals/north-central-london/gp-referral.json')
    const assessment = task.output?.find((o) => o.valueCodeableConcept.coding[0]?.code === 'work-health-assessment')
    expect(assessment?.valueCodeableConcept.text).toBe('Work and health assessment and action plan: North Central London WorkWell (delivered by Shaw Trust)')
    expect(assessment?.extension[1]?.url).toBe(`${SD}/triage-local-service`)
    expect(task.note[0]?.text).toContain('Support lasts up to 8 weeks while in work')
  })

  it('triages a GP referral made instead of a fit note (LSC Model 3) and queues it: consented and eligible', async () => {
    const task = await triage('fixtures/triage/lancashire-and-south-cumbria-direct-referral.json')
    expect(task.businessStatus.coding[0]?.code).toBe('eligible-refer')
    expect(task.status).toBe('requested')
    expect(task.priority).toBe('urgent')
    expect(task.businessStatus.text).toContain('rule baseline/urgent-at-risk-of-job-loss')
    expect(outputCodes(task)).toEqual(expect.arrayContaining(['workplace-adjustments', 'return-to-work-plan', 'physiotherapy']))
    expect(await queued(task.id)).toBe(true)
  })

  it('stores but delivers nothing for a work and health conversation request (advice only)', async () => {
    const task = await triage('fixtures/triage/north-central-london-conversation-request.json')
    expect(task.businessStatus.coding[0]?.code).toBe('eligible-refer')
    // Answered, and asking nothing of the partnership: never in its worklist of requested Tasks.
    expect(task.status).toBe('completed')
    const referral = await triage('fixtures/referrals/north-central-london/gp-referral.json')
    const worklist = await call(`${gw.fhir}/Task?owner=Organization/north-central-london&status=requested&_count=100`, { headers: await asPartnership(gw) })
    expect(worklist.status).toBe(200)
    const ids = ((worklist.body.entry ?? []) as Array<{ resource: { id: string } }>).map((e) => e.resource.id)
    expect(ids).toContain(referral.id)
    expect(ids).not.toContain(task.id)
    expect(outputCodes(task)).toContain('cv-interview-help')
    expect(outputCodes(task)).not.toContain('workplace-adjustments')
    expect(await queued(task.id)).toBe(false)
    expect((await call(`${gw.fhir}/Task/${task.id}`, { headers: await asPartnership(gw) })).status).toBe(200)
  })

  it('holds a referral without a Consent as needs-information naming consent, and delivers nothing', async () => {
    const task = await triage('fixtures/triage/greater-manchester-not-fit-no-consent.json')
    expect(task.businessStatus.coding[0]?.code).toBe('needs-information')
    expect(task.status).toBe('on-hold')
    expect(task.statusReason?.text).toBe('Missing: referral consent')
    expect(task.priority).toBe('urgent')
    expect(await queued(task.id)).toBe(false)
    // The same referral through POST /fhir/ServiceRequest is held the same way.
    const created = await call(`${gw.fhir}/ServiceRequest`, { body: readJson('fixtures/triage/greater-manchester-not-fit-no-consent.json'), headers: { ...await asReferrer(gw), prefer: 'return=OperationOutcome' } })
    expect(created.status).toBe(201)
    expect(created.text).toContain('needs-information')
  })

  it('signposts, and delivers nothing, when the partnership\'s criteria exclude the person', async () => {
    const lsc = await triage('fixtures/triage/lancashire-and-south-cumbria-out-of-work-7-months.json')
    expect(lsc.businessStatus.coding[0]?.code).toBe('signpost-only')
    // No coded risk screen on the referral: left requested for a clinician to close, never closed by machine.
    expect(lsc.status).toBe('requested')
    expect(lsc.statusReason?.text).toContain('Not closed by machine')
    expect(lsc.businessStatus.text).toContain('rule lancashire-and-south-cumbria/out-of-work-under-6-months')
    expect(outputCodes(lsc)).toEqual(expect.arrayContaining(['employment-support', 'local-training']))
    expect(await queued(lsc.id)).toBe(false)
    const away = await triage('fixtures/triage/north-central-london-out-of-area.json')
    expect(away.owner.reference).toBe('Organization/north-central-london')
    expect(away.businessStatus.coding[0]?.code).toBe('signpost-only')
    expect(outputCodes(away)).toContain('own-area-workwell')
    expect(await queued(away.id)).toBe(false)
  })
})

describe('a referral routed to a partnership the person does not belong to', () => {
  it('is signposted, not delivered, to the WorkWell service of the person\'s own GP practice', async () => {
    const referral = readJson<{ contained: Array<{ id: string, address?: Array<{ postalCode?: string }>, generalPractitioner?: Array<{ identifier: { value: string } }> }> }>('fixtures/triage/north-central-london-out-of-area.json')
    const patient = referral.contained.find((c) => c.id === 'patient')
    const practice = patient?.generalPractitioner?.[0]
    if (patient === undefined || practice === undefined) throw new Error('fixture has no patient practice')
    practice.identifier.value = 'P86624'
    patient.address = [{ postalCode: 'M1 1AA' }]
    const res = await call(`${gw.fhir}/ServiceRequest/$triage`, { headers: await asReferrer(gw), body: referral })
    expect(res.status, res.text).toBe(200)
    const task = res.body as unknown as TaskBody
    // Routed by the referring NCL practice; triage re-checks where the person belongs.
    expect(task.owner.reference).toBe('Organization/north-central-london')
    expect(task.businessStatus.coding[0]?.code).toBe('signpost-only')
    const own = task.output?.find((o) => o.valueCodeableConcept.coding[0]?.code === 'own-area-workwell')
    expect(own?.valueCodeableConcept.text).toBe('WorkWell service for your own area: Greater Manchester WorkWell (NHS Greater Manchester with GMCA)')
    expect(await queued(task.id)).toBe(false)
  })
})

describe('a bad rule file', () => {
  it('stops the gateway from starting, with a message naming the file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'workwell-mappings-'))
    const dataDir = mkdtempSync(path.join(tmpdir(), 'workwell-data-'))
    try {
      cpSync(path.join(REPO, 'mappings'), dir, { recursive: true })
      writeFileSync(path.join(dir, 'frimley', 'triage-rules.json'), JSON.stringify({ id: 'frimley', version: '2026.11.1' }))
      await expect(startGateway({ dataDir, env: { WORKWELL_MAPPINGS_DIR: dir } })).rejects.toThrow(/frimley\/triage-rules\.json: .*must have required property 'basis'/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
