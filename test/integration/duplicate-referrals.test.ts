import type { Bundle, Task } from '@medplum/fhirtypes'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { englandDate } from '../../src/england-date.ts'
import { POSSIBLE_DUPLICATE, REFERRAL_LINK_SYSTEM } from '../../src/intake/duplicate-referrals.ts'
import { REFERRAL_REFERENCE_SYSTEM } from '../../src/reference/referral-reference.ts'
import type { TestGateway } from '../helpers/gateway.ts'
import { availableStores, startGatewayOn } from '../helpers/each-store.ts'
import { call, readJson } from '../helpers/fixtures.ts'
import { asOperator, asPartnership, asReferrer } from '../helpers/tokens.ts'
import { barsHeaders, referralMessage } from './bars-messages.ts'

// docs/hazard-log.md H18: the same NHS number through two doors and to two partnerships
const GM = 'fixtures/referrals/greater-manchester/gp-referral.json'
const GM_NHS = '9990634750'
const FRIMLEY = 'fixtures/referrals/frimley/gp-referral.json'
const FRIMLEY_NHS = '9990555567'

const STORES = await availableStores('duplicate-referrals.test.ts')

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` })
const referenceOf = (t: Task): string | undefined => t.identifier?.find((i) => i.system === REFERRAL_REFERENCE_SYSTEM)?.value
const links = (t: Task): string[] => (t.input ?? [])
  .filter((i) => i.type?.coding?.some((c) => c.system === REFERRAL_LINK_SYSTEM && c.code === POSSIBLE_DUPLICATE) === true)
  .map((i) => i.valueString ?? '')

describe.each(STORES)('the same person referred twice (%s store)', (store) => {
  let gw: TestGateway
  let close: () => Promise<void> = async () => undefined
  beforeAll(async () => { ({ gw, close } = await startGatewayOn(store)) })
  afterAll(async () => { await close() })

  async function taskOf (serviceRequestId: string, token?: string): Promise<Task> {
    const res = await call(`${gw.fhir}/Task?based-on=ServiceRequest/${serviceRequestId}`, { headers: token === undefined ? await asPartnership(gw) : bearer(token) })
    expect(res.status, res.text).toBe(200)
    const task = (res.body as unknown as Bundle).entry?.[0]?.resource as Task | undefined
    if (task === undefined) throw new Error(`no Task for ServiceRequest/${serviceRequestId} in the caller's scope`)
    return task
  }

  it('links a REST create, a BaRS message and another practice\'s referral to another partnership, keeps and queues all three, and never shows a referrer another practice\'s reference', async () => {
    // 1. REST create at the Greater Manchester practice: nothing earlier
    const first = await call(`${gw.fhir}/ServiceRequest`, { body: readJson(GM), headers: await asReferrer(gw) })
    expect(first.status, first.text).toBe(201)
    const firstTask = await taskOf(String(first.body.id))
    expect(links(firstTask)).toEqual([])
    const firstRef = referenceOf(firstTask) ?? ''
    expect(firstRef).toMatch(/^WW-/)

    // 2. the same referral through BaRS $process-message: linked to the first, same practice and partnership
    const message = await call(`${gw.fhir}/$process-message`, { body: referralMessage(GM), headers: { ...barsHeaders(), ...await asReferrer(gw) } })
    expect(message.status, message.text).toBe(200)
    const answered = ((message.body as unknown as Bundle).entry ?? []).find((e) => e.resource?.resourceType === 'Task')?.resource as Task
    const day = englandDate(new Date(firstTask.authoredOn ?? ''))
    expect(links(answered)).toEqual([`referral ${firstRef} from this practice, accepted ${day}, to this partnership`])
    expect(answered.note?.at(-1)?.text).toContain(`Possible duplicate: the same NHS number was referred in the last 28 days (referral ${firstRef}`)
    const secondRef = referenceOf(answered) ?? ''
    expect(secondRef).not.toBe(firstRef)

    // 3. another practice (Frimley) refers the same NHS number; it routes to another partnership
    const frimleyReferrer = await gw.token({ roles: ['referrer'], ods: ['H81097'], client: 'gp-frimley' })
    const body = JSON.parse(JSON.stringify(readJson(FRIMLEY)).replaceAll(FRIMLEY_NHS, GM_NHS)) as unknown
    const third = await call(`${gw.fhir}/ServiceRequest`, { body, headers: bearer(frimleyReferrer) })
    expect(third.status, third.text).toBe(201)
    // what the Frimley referrer sees, in its answer and when it reads its Task: the link, but
    // neither of the Greater Manchester practice's references
    expect(third.text).not.toContain(firstRef)
    const seenByReferrer = await taskOf(String(third.body.id), frimleyReferrer)
    expect(JSON.stringify(seenByReferrer)).not.toContain(firstRef)
    expect(JSON.stringify(seenByReferrer)).not.toContain(secondRef)
    expect(links(seenByReferrer)).toEqual([
      `referral from another practice, accepted ${day}, to another partnership, greater-manchester`,
      `referral from another practice, accepted ${day}, to another partnership, greater-manchester`
    ])
    // the partnership reads the same flag on its Task
    const frimleyPartnership = await gw.token({ roles: ['partnership'], partnership: ['frimley'], client: 'frimley-hub' })
    expect(links(await taskOf(String(third.body.id), frimleyPartnership))).toEqual(links(seenByReferrer))
    // and the Greater Manchester partnership cannot see the Frimley referral at all
    const gmPartnership = await gw.token({ roles: ['partnership'], partnership: ['greater-manchester'], client: 'gm-hub' })
    const none = await call(`${gw.fhir}/Task?based-on=ServiceRequest/${String(third.body.id)}`, { headers: bearer(gmPartnership) })
    expect(none.body.total).toBe(0)

    // all three are kept and queued for their partnerships: nothing was merged or dropped
    const deliveries = await call(`${gw.origin}/admin/deliveries?status=pending&limit=100`, { headers: await asOperator(gw) })
    expect(deliveries.status, deliveries.text).toBe(200)
    const queued = JSON.stringify(deliveries.body)
    for (const id of [first.body.id, third.body.id]) expect(queued).toContain(String(id))
    expect(queued).toContain(String(answered.basedOn?.[0]?.reference?.split('/')[1]))

    // the earlier referral is not changed, but the link is on its audit trail, twice
    expect((await taskOf(String(first.body.id))).meta?.versionId).toBe('1')
    const operator = await gw.token({ roles: ['operator'], client: 'ops-1' })
    const audit = await call(`${gw.origin}/admin/AuditEvent?entity=Task/${firstTask.id ?? ''}`, { headers: bearer(operator) })
    const subtypes = ((audit.body as unknown as Bundle).entry ?? []).map((e) => (e.resource as { subtype?: Array<{ code?: string }> }).subtype?.[0]?.code)
    expect(subtypes.filter((s) => s === 'duplicate-link')).toHaveLength(2)
  })

  it('links a person referred again and again to the latest five only, so no Task or audit trail grows with each referral', async () => {
    const BC = 'fixtures/referrals/black-country/gp-referral.json'
    const bc = readJson(BC)
    expect(JSON.stringify(bc)).toContain('"9990080429"')
    // another valid NHS number (Modulus 11), so no other test's referrals of this person count
    const body = JSON.parse(JSON.stringify(bc).replaceAll('9990080429', '9990007772')) as unknown
    const ids: string[] = []
    for (let i = 0; i < 7; i++) {
      const res = await call(`${gw.fhir}/ServiceRequest`, { body, headers: await asReferrer(gw) })
      expect(res.status, res.text).toBe(201)
      ids.push(String(res.body.id))
    }
    const tasks = await Promise.all(ids.map(async (id) => taskOf(id)))
    expect(tasks.map((t) => links(t).length)).toEqual([0, 1, 2, 3, 4, 5, 5])
    const seventh = tasks[6] as Task
    // the five it names are the five before it, not the first
    for (const t of tasks.slice(1, 6)) expect(links(seventh).join('\n')).toContain(referenceOf(t) ?? 'none')
    expect(links(seventh).join('\n')).not.toContain(referenceOf(tasks[0] as Task) ?? 'none')
    expect(seventh.note?.at(-1)?.text).toContain('referred in the last 28 days (more than 5 times; the latest 5:')
    expect(tasks[5]?.note?.at(-1)?.text).not.toContain('more than')
    // the first referral's audit trail has links from the second to the sixth, not the seventh
    const audit = await call(`${gw.origin}/admin/AuditEvent?entity=Task/${tasks[0]?.id ?? ''}`, { headers: await asOperator(gw) })
    const subtypes = ((audit.body as unknown as Bundle).entry ?? []).map((e) => (e.resource as { subtype?: Array<{ code?: string }> }).subtype?.[0]?.code)
    expect(subtypes.filter((s) => s === 'duplicate-link')).toHaveLength(5)
  })

  it('does not link different people', async () => {
    const res = await call(`${gw.fhir}/ServiceRequest`, { body: readJson('fixtures/referrals/black-country/gp-referral.json'), headers: await asReferrer(gw) })
    expect(res.status, res.text).toBe(201)
    expect(links(await taskOf(String(res.body.id)))).toEqual([])
  })
})
