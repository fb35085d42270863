import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import type { ReferralFacts } from '../../../src/referral/referral-facts.ts'
import type { Partnership } from '../../../src/routing/partnership.ts'
import type { ResolvedRules } from '../../../src/triage/rules.ts'
import { triageReferral } from '../../../src/triage/triage.ts'
import type { TriageOutcome, TriageResult } from '../../../src/triage/triage-result.ts'
import { codes, DEPRESSION, facts, loadReal, MAPPINGS, ON, OUT_POSTCODE, OUT_PRACTICE, type Loaded } from './rules-fixture.ts'

/**
 * The table-driven check of every partnership's rules (issue: triage a clinician can trust).
 * Inputs come from data: ages count back from ON, postcodes and practices come from each
 * partnership.json (or the sub-area in its triage-rules.json). Expected services and signposts
 * are spelled out per row; which outcome a partnership gives is read from its published rule
 * (footprint tests, accepted situations, months out of work), so a change to a rule file that
 * changes an outcome shows up here as the row it moves.
 */

/** Every partnership folder under mappings/ (the national baseline is a file, so it is not one). */
const IDS = readdirSync(MAPPINGS, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort()

const CORE = ['health-coaching', 'work-health-assessment']
const IN_WORK_MH = [...CORE, 'mental-health-support', 'workplace-adjustments'].sort()
const OUT_OF_WORK_MH = [...CORE, 'cv-interview-help', 'mental-health-support'].sort()
const OUT_OF_WORK_SIGNPOSTS = ['council-services', 'debt-advice', 'local-training']
const MOVED_ON_SIGNPOSTS = ['council-services', 'debt-advice', 'employment-support', 'local-training']

interface Row {
  name: string
  facts: ReferralFacts
  outcome: TriageOutcome
  services: string[]
  signposts: string[]
  /** rule ids the outcome's reasons must name */
  reasonRules: string[]
  priority?: 'routine' | 'urgent'
  missing?: string[]
  /** per output code: the rule that must have chosen it */
  chosenBy?: Record<string, string>
}

interface Area { inPostcode: string, inPractice?: string }

function areaOf (p: Partnership, r: ResolvedRules): Area {
  // A district that straddles the boundary does not settle the area, so a row living in the area uses one that does not.
  const district = (r.footprint.subArea?.postcodeDistricts ?? p.postcodeDistricts).find((d) => !(p.straddlingDistricts ?? []).includes(d))
  if (district === undefined) throw new Error(`${p.id} has no postcode district`)
  const practice = (r.footprint.subArea?.practices ?? p.practices)[0]
  return { inPostcode: `${district} 1AA`, ...(practice === undefined ? {} : { inPractice: practice }) }
}

function rows (p: Partnership, r: ResolvedRules): Row[] {
  const a = areaOf(p, r)
  // Living in the area and registered there (when the partnership lists any practice).
  const home = facts({ postcode: a.inPostcode, registeredPracticeOds: a.inPractice ?? OUT_PRACTICE, referringPracticeOds: a.inPractice ?? OUT_PRACTICE })
  const at = (over: Partial<ReferralFacts>): ReferralFacts => ({ ...home, ...over })
  const eligible = (name: string, f: ReferralFacts, services: string[], signposts: string[] = [], extra: Partial<Row> = {}): Row =>
    ({ name, facts: f, outcome: 'eligible-refer', services, signposts, reasonRules: [r.minimumAge.id, r.footprint.id, r.employment.id], priority: 'routine', ...extra })
  // Every out-of-area row is outside the partnership's whole area too, so a sub-area's own
  // signposts (BSOL: its team) give way to the baseline's own-area signpost.
  const away = r.footprint.subArea === undefined ? r.outOfArea : r.outOfPartnership
  const outOfArea = (name: string, f: ReferralFacts): Row =>
    ({ name, facts: f, outcome: 'signpost-only', services: [], signposts: [...away.signposts].sort(), reasonRules: [r.footprint.id], chosenBy: Object.fromEntries(away.signposts.map((s) => [s, away.id])) })
  const acceptsUnemployed = r.employment.accepted.includes('unemployed')
  const limit = r.employment.maxMonthsOutOfWork
  const unemployedFor = (months: 5 | 7, stopped: string): Row => {
    const f = at({ employmentSituation: 'unemployed', dateWorkStopped: stopped })
    const name = `out of work ${months} months${limit === undefined ? ' (no time limit)' : ` (limit ${limit} months)`}`
    if (!acceptsUnemployed || (limit !== undefined && months >= limit)) {
      return { name, facts: f, outcome: 'signpost-only', services: [], signposts: MOVED_ON_SIGNPOSTS, reasonRules: [r.employment.id], chosenBy: { 'employment-support': r.employment.id } }
    }
    return eligible(name, f, OUT_OF_WORK_MH, OUT_OF_WORK_SIGNPOSTS, { chosenBy: { 'cv-interview-help': 'baseline/out-of-work-cv' } })
  }
  const advice = (box: string, services: string[], signposts: string[]): Row =>
    eligible(`fit note advises ${box}`, at({ employmentSituation: 'employed-struggling', isReferral: false, referralConsent: false, fitNote: { outcome: 'may-be-fit', advice: [box], start: '2026-11-20', end: '2026-12-18' } }),
      services, signposts, { chosenBy: { 'workplace-adjustments': `baseline/fit-note-${box}` } })
  const byPractice = a.inPractice !== undefined && r.footprint.tests.includes('registration')
  const complexExcluded = r.exclusions.find((e) => e.indicator === 'complex-health-needs')

  return [
    { name: 'aged 15 years 364 days', facts: at({ birthDate: '2010-11-21' }), outcome: 'ineligible', services: [], signposts: [], reasonRules: [r.minimumAge.id] },
    eligible('aged 16 on the day', at({ birthDate: '2010-11-20' }), IN_WORK_MH),
    outOfArea('out of area: lives and is registered elsewhere', at({ postcode: OUT_POSTCODE, registeredPracticeOds: OUT_PRACTICE })),
    byPractice
      ? eligible('registered with a practice in the area, living outside it', at({ postcode: OUT_POSTCODE, registeredPracticeOds: a.inPractice }), IN_WORK_MH)
      : outOfArea(`registered ${a.inPractice === undefined ? 'with a practice the partnership does not list' : 'in the area'}, living outside it (registration ${r.footprint.tests.includes('registration') ? 'counts, but no practice is listed' : 'does not count'})`,
        at({ postcode: OUT_POSTCODE, registeredPracticeOds: a.inPractice ?? OUT_PRACTICE })),
    r.footprint.tests.includes('residence')
      ? eligible('living in the area, registered outside it', at({ registeredPracticeOds: OUT_PRACTICE }), IN_WORK_MH)
      : outOfArea('living in the area, registered outside it', at({ registeredPracticeOds: OUT_PRACTICE })),
    unemployedFor(5, '2026-06-20'),
    unemployedFor(7, '2026-04-20'),
    eligible('employed and off sick', at({ employmentSituation: 'employed-off-sick', dateWorkStopped: '2026-10-05' }),
      [...IN_WORK_MH, 'return-to-work-plan'].sort(), ['debt-advice'], { chosenBy: { 'return-to-work-plan': 'baseline/off-sick-return-to-work' } }),
    eligible('employed, off sick and at risk of losing the job', at({ employmentSituation: 'employed-off-sick', indicators: ['at-risk-of-job-loss'] }),
      [...IN_WORK_MH, 'return-to-work-plan'].sort(), ['debt-advice'], { priority: 'urgent', reasonRules: [r.minimumAge.id, 'baseline/urgent-at-risk-of-job-loss'] }),
    { name: 'referral without consent', facts: at({ referralConsent: false }), outcome: 'needs-information', services: [], signposts: [], reasonRules: [], missing: ['referral consent'] },
    eligible('advice-only triage needs no consent', at({ isReferral: false, referralConsent: false }), IN_WORK_MH),
    advice('phased-return', [...IN_WORK_MH, 'return-to-work-plan'].sort(), []),
    advice('altered-hours', IN_WORK_MH, []),
    advice('amended-duties', [...IN_WORK_MH, 'occupational-therapy'].sort(), ['access-to-work']),
    advice('workplace-adaptations', [...IN_WORK_MH, 'occupational-therapy'].sort(), ['access-to-work']),
    eligible("'not fit' for 6 weeks", at({ employmentSituation: 'employed-off-sick', fitNote: { outcome: 'not-fit', advice: [], start: '2026-11-20', end: '2027-01-01' } }),
      [...IN_WORK_MH, 'return-to-work-plan'].sort(), ['debt-advice'], { priority: 'urgent', reasonRules: [r.minimumAge.id, 'baseline/urgent-long-not-fit'] }),
    eligible("'not fit' for 4 weeks", at({ employmentSituation: 'employed-off-sick', fitNote: { outcome: 'not-fit', advice: [], start: '2026-11-20', end: '2026-12-18' } }),
      [...IN_WORK_MH, 'return-to-work-plan'].sort(), ['debt-advice']),
    eligible("'may be fit' for 8 weeks", at({ employmentSituation: 'employed-struggling', fitNote: { outcome: 'may-be-fit', advice: [], start: '2026-11-20', end: '2027-01-15' } }), IN_WORK_MH),
    { name: 'employment situation missing', facts: at({ employmentSituation: undefined }), outcome: 'needs-information', services: [], signposts: [], reasonRules: [], missing: ['employment situation'] },
    // Record dates: a 'not fit' note that ended long before the referral informs, but is not urgent.
    eligible("'not fit' for 8 weeks, ended in 2024", at({ employmentSituation: 'employed-off-sick', fitNote: { outcome: 'not-fit', advice: [], start: '2024-01-01', end: '2024-02-26' } }),
      [...IN_WORK_MH, 'return-to-work-plan'].sort(), ['debt-advice'], { priority: 'routine' }),
    // People the first codes did not fit.
    r.employment.accepted.includes('self-employed')
      ? eligible('self-employed', at({ employmentSituation: 'self-employed' }), [...CORE, 'mental-health-support'].sort(), ['access-to-work'], { chosenBy: { 'access-to-work': 'baseline/self-employed-access-to-work' } })
      : { name: 'self-employed', facts: at({ employmentSituation: 'self-employed' }), outcome: 'signpost-only', services: [], signposts: ['employment-support', 'local-training'], reasonRules: [r.employment.id] },
    r.employment.accepted.includes('self-employed-off-sick')
      ? eligible('self-employed, unable to work through ill health', at({ employmentSituation: 'self-employed-off-sick' }), [...CORE, 'mental-health-support'].sort(), ['access-to-work', 'debt-advice'])
      : { name: 'self-employed, unable to work through ill health', facts: at({ employmentSituation: 'self-employed-off-sick' }), outcome: 'signpost-only', services: [], signposts: ['employment-support', 'local-training'], reasonRules: [r.employment.id] },
    r.employment.accepted.includes('employed-zero-hours')
      ? eligible('zero-hours contract', at({ employmentSituation: 'employed-zero-hours' }), IN_WORK_MH)
      : { name: 'zero-hours contract', facts: at({ employmentSituation: 'employed-zero-hours' }), outcome: 'signpost-only', services: [], signposts: ['employment-support', 'local-training'], reasonRules: [r.employment.id] },
    r.employment.accepted.includes('never-worked')
      ? eligible('never worked (school-leaver)', at({ employmentSituation: 'never-worked', birthDate: '2009-06-01' }), OUT_OF_WORK_MH, OUT_OF_WORK_SIGNPOSTS)
      : { name: 'never worked (school-leaver)', facts: at({ employmentSituation: 'never-worked', birthDate: '2009-06-01' }), outcome: 'signpost-only', services: [], signposts: MOVED_ON_SIGNPOSTS, reasonRules: [r.employment.id] },
    ...['crisis', 'self-harm', 'safeguarding', 'complex-health-needs'].map((indicator): Row =>
      ({ name: `coded risk: ${indicator} (clinical review)`, facts: at({ indicators: [indicator] }), outcome: 'clinical-review', services: [], signposts: r.exclusions.filter((e) => e.indicator === indicator).flatMap((e) => e.signposts), reasonRules: [r.clinicalReview.id], priority: 'urgent' })),
    complexExcluded === undefined
      ? eligible('coded long-term unemployed (no exclusion here)', at({ indicators: ['long-term-unemployed'] }), IN_WORK_MH)
      : { name: 'coded long-term unemployed (excluded: clinical review)', facts: at({ indicators: ['long-term-unemployed'] }), outcome: 'clinical-review', services: [], signposts: ['employment-support', 'local-training', 'local-workwell-team'], reasonRules: [r.exclusions.find((e) => e.indicator === 'long-term-unemployed')?.id ?? 'none'], priority: 'urgent' }
  ]
}

// Loaded before the tests are collected, so every row is its own test, named after the row.
const loaded: Loaded = await loadReal()

function partnershipOf (id: string): { p: Partnership, r: ResolvedRules } {
  const p = loaded.partnerships.get(id)
  const r = loaded.rules.get(id)
  if (p === undefined || r === undefined) throw new Error(`no partnership ${id}`)
  return { p, r }
}

describe('the table covers every partnership', () => {
  it('has rules for all 15 pilot partnerships', () => {
    expect(IDS).toHaveLength(15)
    expect([...loaded.rules.keys()].sort()).toStrictEqual(IDS)
  })

  it('has every row the issue asks for, in every partnership', () => {
    const wanted = [/^aged 15 years 364 days$/, /^aged 16 on the day$/, /^out of area/, /^registered .*, living outside it/, /^living in the area, registered outside it$/,
      /^out of work 5 months/, /^out of work 7 months/, /^employed and off sick$/, /^referral without consent$/, /^fit note advises phased-return$/,
      /^fit note advises altered-hours$/, /^fit note advises amended-duties$/, /^fit note advises workplace-adaptations$/, /^employment situation missing$/,
      /^coded risk: crisis/, /^coded risk: self-harm/, /^coded risk: safeguarding/, /^coded risk: complex-health-needs/,
      /^'not fit' for 8 weeks, ended in 2024$/, /^self-employed$/, /^self-employed, unable to work/, /^zero-hours contract$/, /^never worked/]
    for (const id of IDS) {
      const { p, r } = partnershipOf(id)
      const names = rows(p, r).map((row) => row.name)
      for (const w of wanted) expect(names.some((n) => w.test(n)), `${id}: ${String(w)}`).toBe(true)
    }
  })

  it('exercises the 6-month rule where one applies (LSC: 5 months in, 7 months out)', () => {
    const { p, r } = partnershipOf('lancashire-and-south-cumbria')
    expect(r.employment.maxMonthsOutOfWork).toBe(6)
    const table = rows(p, r)
    expect(table.find((row) => row.name.startsWith('out of work 5 months'))?.outcome).toBe('eligible-refer')
    expect(table.find((row) => row.name.startsWith('out of work 7 months'))?.outcome).toBe('signpost-only')
  })
})

describe.each(IDS)('triage table: %s', (id) => {
  const { p, r } = partnershipOf(id)

  it.each(rows(p, r).map((row) => [row.name, row] as const))('%s', (_name, row) => {
    const result: TriageResult = triageReferral(row.facts, r, p, ON)
    const label = `${id}: ${row.name}`
    expect(result.outcome, label).toBe(row.outcome)
    expect(codes(result, 'service'), label).toStrictEqual(row.services)
    expect(codes(result, 'signpost'), label).toStrictEqual([...row.signposts].sort())
    for (const rule of row.reasonRules) expect(result.reasons.join(' | '), `${label}: reason names ${rule}`).toContain(`rule ${rule}`)
    expect(result.reasons.length, label).toBeGreaterThan(0)
    for (const what of row.missing ?? []) expect(result.reasons.join(' | '), `${label}: reason names ${what}`).toContain(what)
    if (row.priority !== undefined) expect(result.priority, label).toBe(row.priority)
    if (row.outcome === 'signpost-only' || row.outcome === 'ineligible') expect(result.priority, label).toBe('routine')
    expect(result.missing.map((m) => m.what), label).toStrictEqual(row.missing ?? [])
    for (const [code, rule] of Object.entries(row.chosenBy ?? {})) {
      expect(result.outputs.find((o) => o.code === code)?.rule, `${label}: ${code}`).toBe(rule)
    }
    for (const o of result.outputs) {
      expect(o.rule, `${label}: ${o.code}`).toMatch(new RegExp(`^(baseline|${id})/`))
      expect(o.reason.length, `${label}: ${o.code}`).toBeGreaterThan(10)
    }
    expect(result.rulesVersion, label).toBe(`${r.version}+${id}/partnership/${p.version ?? ''}`)
    expect(result.summary.length, label).toBeGreaterThan(20)
    expect(result.summary, label).not.toMatch(/baseline\/|rule /)
  })

  it("names the partnership's own WorkWell service for every recommended service", () => {
    const own = JSON.parse(readFileSync(path.join(MAPPINGS, id, 'triage-rules.json'), 'utf8')) as { directory: Record<string, { name: string }> }
    const result = triageReferral(rows(p, r).find((x) => x.name === 'employed and off sick')?.facts ?? facts(), r, p, ON)
    const services = result.outputs.filter((o) => o.kind === 'service')
    expect(services.length).toBeGreaterThan(3)
    for (const o of services) {
      expect(o.local?.name, o.code).toBe(own.directory[o.code]?.name)
      expect(o.local?.phone ?? o.local?.url ?? o.local?.text, o.code).toBeDefined()
    }
    expect(result.summary).toContain(own.directory['work-health-assessment']?.name)
    // Signposts name a service too: the partnership's, else the national one.
    for (const o of result.outputs.filter((x) => x.kind === 'signpost')) expect(o.local?.name, o.code).toBeDefined()
  })

  it('never offers CV help to someone in work, nor workplace adjustments or a return-to-work plan to someone out of work', () => {
    for (const situation of ['employed-working', 'employed-off-sick', 'employed-struggling', 'self-employed', 'unemployed']) {
      for (const outcome of ['not-fit', 'may-be-fit'] as const) {
        const result = triageReferral(facts({ postcode: areaOf(p, r).inPostcode, employmentSituation: situation, dateWorkStopped: '2026-10-01', reasonCodes: [DEPRESSION, '928000'], indicators: ['at-risk-of-job-loss', 'current-smoker'], fitNote: { outcome, advice: ['phased-return', 'altered-hours', 'amended-duties', 'workplace-adaptations'] } }), r, p, ON)
        const services = codes(result, 'service')
        if (situation === 'unemployed') {
          expect(services, `${situation}/${outcome}`).not.toContain('workplace-adjustments')
          expect(services, `${situation}/${outcome}`).not.toContain('return-to-work-plan')
          expect(codes(result, 'signpost'), `${situation}/${outcome}`).not.toContain('access-to-work')
        } else {
          expect(services, `${situation}/${outcome}`).not.toContain('cv-interview-help')
        }
      }
    }
  })
})
