import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { CodeSystem, ElementDefinition, StructureDefinition, ValueSet } from '@medplum/fhirtypes'
import { beforeAll, describe, expect, it } from 'vitest'
import { EXTENSIONS, SYSTEMS, WORKWELL_BASE } from '../../../src/fhir/systems.ts'
import { snapshotProfiles } from '../../../src/ig/profile-snapshots.ts'
import { FIT_NOTE_ADVICE, FIT_NOTE_CODES, TRIAGE_INDICATOR_SYSTEM } from '../../../src/referral/referral-facts.ts'
import { PARTNERSHIP_OUTPUT, PARTNERSHIP_OUTPUT_SYSTEM, REFERRAL_OUTCOME_SYSTEM, REFERRAL_OUTCOMES } from '../../../src/lifecycle/lifecycle-codes.ts'
import { loadPartnerships } from '../../../src/routing/load-partnerships.ts'
import { LOCAL_SERVICE_EXTENSION, TRIAGE_TASK_PROFILE } from '../../../src/triage/build-task.ts'
import { loadTriageRules } from '../../../src/triage/load-triage-rules.ts'
import type { ResolvedRules } from '../../../src/triage/rules.ts'
import { TRIAGE_OUTCOME_CODE_SYSTEM, TRIAGE_OUTPUT_CODE_SYSTEM } from '../../../src/triage/triage-code-systems.ts'
import { loadBaseDefinitions } from '../../../src/validation/base-definitions.ts'
import { WORKWELL_REFERRAL_PROFILE } from '../../../src/validation/profiles.ts'

/**
 * The terminology in profiles/ (CodeSystems and ValueSets under the project's own canonical
 * base) agrees with the code: every system the gateway reads or writes is defined, every code
 * it reads, writes or configures is in its CodeSystem, every binding and extension a profile
 * names resolves locally, and every WorkWell-coded value in the fixtures is a defined code.
 */

const ROOT = join(import.meta.dirname, '..', '..', '..')
const PROFILES = join(ROOT, 'profiles')
const SNOMED = 'http://snomed.info/sct'

const resources = readdirSync(PROFILES).filter((f) => f.endsWith('.json')).sort()
  .map((f) => ({ file: f, resource: JSON.parse(readFileSync(join(PROFILES, f), 'utf8')) as { resourceType: string, id?: string, url?: string } }))
const codeSystems = resources.filter((r) => r.resource.resourceType === 'CodeSystem').map((r) => r.resource as CodeSystem)
const valueSets = resources.filter((r) => r.resource.resourceType === 'ValueSet').map((r) => r.resource as ValueSet)
const definitions = resources.filter((r) => r.resource.resourceType === 'StructureDefinition').map((r) => r.resource as StructureDefinition)

function codeSystem (url: string): CodeSystem {
  const cs = codeSystems.find((c) => c.url === url)
  if (cs === undefined) throw new Error(`no CodeSystem ${url} in profiles/`)
  return cs
}
const codesOf = (url: string): string[] => (codeSystem(url).concept ?? []).map((c) => c.code ?? '')

/** Every code a local ValueSet admits (enumerated concepts, or whole local CodeSystems). */
function expand (url: string): Array<{ system: string, code: string }> {
  const vs = valueSets.find((v) => v.url === url)
  if (vs === undefined) throw new Error(`no ValueSet ${url} in profiles/`)
  return (vs.compose?.include ?? []).flatMap((inc) => {
    const system = inc.system ?? ''
    return inc.concept !== undefined
      ? inc.concept.map((c) => ({ system, code: c.code ?? '' }))
      : codesOf(system).map((code) => ({ system, code }))
  })
}

describe('profiles/ terminology', () => {
  it('puts every resource under the WorkWell canonical base, named by type and id', () => {
    for (const { file, resource } of resources) {
      expect(file).toBe(`${resource.resourceType}-${resource.id ?? ''}.json`)
      expect(resource.url).toBe(`${WORKWELL_BASE}/${resource.resourceType}/${resource.id ?? ''}`)
    }
    expect(codeSystems.length).toBeGreaterThanOrEqual(10)
    expect(valueSets.length).toBeGreaterThanOrEqual(10)
  })

  it('defines every CodeSystem the gateway reads or writes', () => {
    const used = [...Object.values(SYSTEMS).filter((s) => s.includes('/CodeSystem/')), TRIAGE_INDICATOR_SYSTEM, PARTNERSHIP_OUTPUT_SYSTEM, REFERRAL_OUTCOME_SYSTEM]
    for (const url of used) {
      // rule ids are configuration (mappings/), so that CodeSystem lists none itself
      expect(codeSystem(url).content).toBe(url === SYSTEMS.triageRule ? 'not-present' : 'complete')
    }
  })

  it('defines every profile and extension the gateway names', () => {
    const urls = definitions.map((d) => d.url)
    for (const url of [WORKWELL_REFERRAL_PROFILE, TRIAGE_TASK_PROFILE, LOCAL_SERVICE_EXTENSION, ...Object.values(EXTENSIONS)]) {
      expect(urls).toContain(url)
    }
  })

  it('has a unique code list in each CodeSystem, and a ValueSet of each', () => {
    for (const cs of codeSystems.filter((c) => c.content === 'complete')) {
      const codes = codesOf(cs.url ?? '')
      expect(new Set(codes).size, cs.url).toBe(codes.length)
      expect(cs.count).toBe(codes.length)
      expect(expand(cs.valueSet ?? '').map((c) => c.code)).toStrictEqual(codes)
    }
  })

  it('builds ValueSets only from local CodeSystems or SNOMED CT concept ids (never description ids)', () => {
    for (const vs of valueSets) {
      for (const inc of vs.compose?.include ?? []) {
        if (inc.system === SNOMED) {
          for (const c of inc.concept ?? []) {
            // SCTID: partition "00"/"10" marks a concept; "11" a description (SNOMED CT partition identifier)
            expect(c.code, vs.url).toMatch(/^\d{6,18}$/)
            expect(['00', '10'], `${vs.url ?? ''} ${c.code ?? ''}`).toContain(c.code?.slice(-3, -1))
          }
        } else {
          expect(() => codeSystem(inc.system ?? ''), vs.url).not.toThrow()
        }
      }
    }
  })

  it('resolves every WorkWell binding and extension profile the profiles name', () => {
    const extensionUrls = definitions.filter((d) => d.type === 'Extension').map((d) => d.url)
    for (const sd of definitions) {
      for (const e of sd.snapshot?.element ?? [] as ElementDefinition[]) {
        const bound = e.binding?.valueSet
        if (bound?.startsWith(WORKWELL_BASE) === true) {
          expect(expand(bound).length, `${sd.id ?? ''} ${e.id ?? ''}`).toBeGreaterThan(0)
        }
        for (const t of e.type ?? []) {
          for (const p of t.profile ?? []) {
            if (t.code === 'Extension' && p.startsWith(WORKWELL_BASE)) expect(extensionUrls, e.id).toContain(p)
          }
        }
      }
    }
  })
})

describe('codes in the code and configuration are in the CodeSystems', () => {
  let rules: ResolvedRules[]
  beforeAll(async () => {
    const mappings = join(ROOT, 'mappings')
    rules = [...(await loadTriageRules(mappings, (await loadPartnerships(mappings)).keys())).values()]
  })

  it('fit-note statement and advice codes the intake reads', () => {
    expect(expand(`${WORKWELL_BASE}/ValueSet/fit-note-statement`).map((c) => c.code).sort()).toStrictEqual(Object.keys(FIT_NOTE_CODES).sort())
    expect(expand(`${WORKWELL_BASE}/ValueSet/fit-note-advice`).map((c) => c.code).sort()).toStrictEqual(Object.keys(FIT_NOTE_ADVICE).sort())
    expect(codesOf(SYSTEMS.fitNoteOutcome).sort()).toStrictEqual([...new Set(Object.values(FIT_NOTE_CODES))].sort())
  })

  it('triage outcome and output codes the Task carries', () => {
    for (const source of [TRIAGE_OUTCOME_CODE_SYSTEM, TRIAGE_OUTPUT_CODE_SYSTEM]) {
      const local = codeSystem(source.url)
      expect(local.concept?.map((c) => [c.code, c.display])).toStrictEqual(source.concept.map((c) => [c.code, c.display]))
    }
  })

  it('partnership outputs and referral outcomes the lifecycle accepts', () => {
    expect(codesOf(PARTNERSHIP_OUTPUT_SYSTEM).sort()).toStrictEqual(Object.values(PARTNERSHIP_OUTPUT).sort())
    expect(codeSystem(REFERRAL_OUTCOME_SYSTEM).concept?.map((c) => [c.code, c.display])).toStrictEqual(Object.entries(REFERRAL_OUTCOMES))
  })

  it('services, signposts, employment situations and indicators in every partnership\'s triage rules', () => {
    expect(rules.length).toBeGreaterThanOrEqual(15)
    const services = codesOf(SYSTEMS.serviceType)
    const signposts = codesOf(SYSTEMS.signpostType)
    const situations = codesOf(SYSTEMS.employmentSituation)
    const indicators = codesOf(TRIAGE_INDICATOR_SYSTEM)
    for (const r of rules) {
      for (const code of Object.keys(r.catalogue.services)) expect(services, r.partnershipId).toContain(code)
      for (const code of Object.keys(r.catalogue.signposts)) expect(signposts, r.partnershipId).toContain(code)
      for (const code of [...r.employment.accepted, ...Object.values(r.groups.work).flat()]) expect(situations, r.partnershipId).toContain(code)
      const conditions = [...r.services, ...r.signposts, ...r.urgent].map((o) => o.when)
      for (const code of [...r.exclusions.map((e) => e.indicator), ...r.clinicalReview.indicators, ...r.clinicalReview.ruledOutBy, ...conditions.flatMap((w) => w.indicators ?? [])]) expect(indicators, r.partnershipId).toContain(code)
      for (const code of conditions.flatMap((w) => w.situations ?? [])) expect(situations, r.partnershipId).toContain(code)
    }
  })

  it('every WorkWell-coded value in the fixtures (the invalid profile examples aside)', () => {
    const found: string[] = []
    const walk = (value: unknown, file: string): void => {
      if (Array.isArray(value)) { value.forEach((v) => { walk(v, file) }); return }
      if (value === null || typeof value !== 'object') return
      const o = value as Record<string, unknown>
      if (typeof o.system === 'string' && o.system.startsWith(`${WORKWELL_BASE}/CodeSystem/`) && typeof o.code === 'string') {
        found.push(o.code)
        expect(codesOf(o.system), `${file}: ${o.system}#${o.code}`).toContain(o.code)
      }
      Object.values(o).forEach((v) => { walk(v, file) })
    }
    const files = (dir: string): string[] => readdirSync(join(ROOT, dir), { withFileTypes: true })
      .flatMap((d) => d.isDirectory() ? files(join(dir, d.name)) : d.name.endsWith('.json') ? [join(dir, d.name)] : [])
    for (const file of [...files('fixtures/referrals'), ...files('fixtures/bundles'), ...files('fixtures/triage'), ...files('fixtures/profiles').filter((f) => !f.includes('/invalid-'))]) {
      walk(JSON.parse(readFileSync(join(ROOT, file), 'utf8')), file)
    }
    expect(found.length).toBeGreaterThan(200)
  })
})

const UKCORE = resolve(ROOT, '../shared/fhir/ukcore/json/structuredefinitions')
const ukcoreSkip = existsSync(UKCORE) ? undefined : `${UKCORE} is absent (shared reference data is not in a fresh clone)`
if (ukcoreSkip !== undefined) console.log(`snapshot freshness check skipped: ${ukcoreSkip}`)

describe.skipIf(ukcoreSkip !== undefined)('committed snapshots', () => {
  it('equal a fresh build from the differentials onto UK Core (node scripts/build-profile-snapshots.ts)', async () => {
    const ukcore = readdirSync(UKCORE).filter((f) => f.endsWith('.json'))
      .map((f) => JSON.parse(readFileSync(join(UKCORE, f), 'utf8')) as StructureDefinition)
    const fresh = snapshotProfiles(definitions, await loadBaseDefinitions(), (url) => ukcore.find((u) => u.url === url))
    for (const [i, sd] of definitions.entries()) {
      expect(sd.snapshot, sd.url).toStrictEqual(fresh[i]?.snapshot)
    }
  })
})
