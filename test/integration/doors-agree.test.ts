import path from 'node:path'
import type { Bundle, BundleEntry, Resource, ServiceRequest, Task } from '@medplum/fhirtypes'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../../src/cli.ts'
import { previewTask } from '../../src/mapping/preview-task.ts'
import { loadDecisionTables } from '../../src/referral/load-decision-tables.ts'
import { REPO, startGateway, type TestGateway } from '../helpers/gateway.ts'
import { call, fixturePartnerships, readJson } from '../helpers/fixtures.ts'
import { asPartnership, asReferrer } from '../helpers/tokens.ts'
import { barsHeaders, referralMessage } from './bars-messages.ts'

/**
 * Every door and every preview decides a referral with the one decision function
 * (src/referral/decide-referral.ts): the same fixture through REST, a transaction, BaRS
 * `$process-message`, `workwell triage` and the mapping preview gets the same triage. Ids,
 * times, Task.for (a stored Patient or an NHS number, by door) and the reference differ by
 * design and are left out.
 */
let gw: TestGateway
beforeAll(async () => { gw = await startGateway() })
afterAll(async () => { await gw.close() })

function decision (t: Task): unknown {
  return {
    status: t.status,
    businessStatus: t.businessStatus,
    priority: t.priority,
    owner: t.owner,
    requester: t.requester,
    rules: t.extension,
    output: t.output
  }
}

async function taskBehind (link: string | null): Promise<Task> {
  const url = /<([^>]+)>/.exec(link ?? '')?.[1]?.replace('http://gateway.test/fhir', gw.fhir)
  if (url === undefined) throw new Error(`no Task link in ${String(link)}`)
  return (await call(url, { headers: await asPartnership(gw) })).body as unknown as Task
}

/** The BaRS message's entries as the transaction a GP system would POST to /fhir. */
function asTransaction (message: Bundle): Bundle {
  const entry: BundleEntry[] = (message.entry ?? []).slice(1).map((e) => {
    const { meta: _meta, ...resource } = e.resource as Resource & { meta?: unknown }
    return { ...(e.fullUrl === undefined ? {} : { fullUrl: e.fullUrl }), resource: resource as Resource, request: { method: 'POST', url: resource.resourceType } }
  })
  return { resourceType: 'Bundle', type: 'transaction', entry }
}

async function cliTask (file: string): Promise<Task> {
  const out: string[] = []
  const err: string[] = []
  const cwd = process.cwd()
  process.chdir(REPO)
  try {
    expect(await main(['triage', file], (l) => out.push(l), (l) => err.push(l)), err.join('\n')).toBe(0)
  } finally { process.chdir(cwd) }
  return JSON.parse(out.join('\n')) as Task
}

describe('one decision for every door', () => {
  it.each(fixturePartnerships())('%s: REST, transaction, BaRS, `workwell triage` and the mapping preview give the same triage', async (partnership) => {
    const file = `fixtures/referrals/${partnership}/gp-referral.json`
    const sr = readJson<ServiceRequest>(file)

    const rest = await call(`${gw.fhir}/ServiceRequest`, { method: 'POST', body: sr, headers: await asReferrer(gw) })
    expect(rest.status, rest.text).toBe(201)
    const viaRest = await taskBehind(rest.headers.get('link'))

    const message = referralMessage(file)
    const transaction = await call(gw.fhir, { method: 'POST', body: asTransaction(message), headers: await asReferrer(gw) })
    expect(transaction.status, transaction.text).toBe(200)
    const viaTransaction = await taskBehind(transaction.headers.get('link'))

    const bars = await call(`${gw.fhir}/$process-message`, { body: message, headers: { ...barsHeaders(), ...await asReferrer(gw) } })
    expect(bars.status, bars.text).toBe(200)
    const viaBars = (bars.body as unknown as Bundle).entry?.find((e) => e.resource?.resourceType === 'Task')?.resource as Task

    const viaCli = await cliTask(file)

    const tables = await loadDecisionTables(path.join(REPO, 'mappings'), gw.deps.partnerships.values())
    const owner = gw.deps.partnerships.get(partnership)
    if (owner === undefined) throw new Error(`no partnership ${partnership}`)
    const preview = previewTask({ serviceRequest: { ...sr, id: 'preview' }, partnership: owner, tables, now: new Date(), taskId: 'preview' })
    expect(preview.routeNote).toBeUndefined()

    expect(viaRest.owner?.reference).toBe(`Organization/${partnership}`)
    const expected = decision(viaRest)
    expect(decision(viaTransaction)).toStrictEqual(expected)
    expect(decision(viaBars)).toStrictEqual(expected)
    expect(decision(viaCli)).toStrictEqual(expected)
    expect(decision(preview.task)).toStrictEqual(expected)
  })
})
