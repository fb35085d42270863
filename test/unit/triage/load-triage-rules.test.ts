import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { loadTriageRules } from '../../../src/triage/load-triage-rules.ts'
import { resolveRules } from '../../../src/triage/resolve-rules.ts'
import type { RuleFile } from '../../../src/triage/rules.ts'
import { MAPPINGS } from './rules-fixture.ts'

type Json = Record<string, unknown>
const baseline = (): RuleFile => JSON.parse(readFileSync(path.join(MAPPINGS, 'national-baseline.json'), 'utf8')) as RuleFile
const own = (id = 'north-central-london'): RuleFile => JSON.parse(readFileSync(path.join(MAPPINGS, id, 'triage-rules.json'), 'utf8')) as RuleFile

const dirs: string[] = []
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }) })

/** A copy of the baseline and the NCL rules in a temporary mappings folder, changed by `edit`. */
function folder (edit: { baseline?: (b: Json) => void, ncl?: (n: Json) => void } = {}): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'workwell-rules-'))
  dirs.push(dir)
  const b = baseline() as unknown as Json
  edit.baseline?.(b)
  writeFileSync(path.join(dir, 'national-baseline.json'), JSON.stringify(b))
  cpSync(path.join(MAPPINGS, 'north-central-london'), path.join(dir, 'north-central-london'), { recursive: true })
  const n = own() as unknown as Json
  edit.ncl?.(n)
  writeFileSync(path.join(dir, 'north-central-london', 'triage-rules.json'), JSON.stringify(n))
  return dir
}

describe('loadTriageRules', () => {
  it('loads the baseline and all 15 partnership files of the repository', async () => {
    const ids = ['birmingham-and-solihull', 'black-country', 'bristol-north-somerset-and-south-gloucestershire', 'cambridgeshire-and-peterborough',
      'cornwall-and-isles-of-scilly', 'coventry-and-warwickshire', 'frimley', 'greater-manchester', 'herefordshire-and-worcestershire',
      'lancashire-and-south-cumbria', 'leicester-leicestershire-and-rutland', 'north-central-london', 'north-west-london', 'south-yorkshire', 'surrey-heartlands']
    const rules = await loadTriageRules(MAPPINGS, ids)
    expect([...rules.keys()]).toStrictEqual(ids)
    for (const [id, r] of rules) {
      expect(r.version, id).toBe(`workwell-baseline/2026.12.4+${id}/${(JSON.parse(readFileSync(path.join(MAPPINGS, id, 'triage-rules.json'), 'utf8')) as { version: string }).version}`)
      expect(r.directory['work-health-assessment']?.name, id).toMatch(/WorkWell/)
    }
    const published = [...rules.values()].filter((r) => r.basis === 'published').map((r) => r.partnershipId)
    expect(published).toStrictEqual(['birmingham-and-solihull', 'greater-manchester', 'lancashire-and-south-cumbria', 'north-central-london'])
  })

  it('loads a good copy', async () => {
    expect((await loadTriageRules(folder(), ['north-central-london'])).get('north-central-london')?.supportLength).toMatchObject({ inWorkWeeks: 8, seekingWorkWeeks: 16 })
  })

  it('stops the start, naming the file, when a partnership has no rule file', async () => {
    const dir = folder()
    rmSync(path.join(dir, 'north-central-london', 'triage-rules.json'))
    await expect(loadTriageRules(dir, ['north-central-london'])).rejects.toThrow(/north-central-london\/triage-rules\.json: ENOENT/)
  })

  it('stops the start, naming the file, on JSON that does not parse or fails the schema', async () => {
    const dir = folder()
    writeFileSync(path.join(dir, 'north-central-london', 'triage-rules.json'), '{ "id": ')
    await expect(loadTriageRules(dir, ['north-central-london'])).rejects.toThrow(/north-central-london\/triage-rules\.json: /)
    await expect(loadTriageRules(folder({ ncl: (n) => { n.version = 'latest' } }), ['north-central-london'])).rejects.toThrow(/triage-rules\.json: data\/version must match pattern/)
    await expect(loadTriageRules(folder({ ncl: (n) => { n.surprise = true } }), ['north-central-london'])).rejects.toThrow(/must NOT have additional properties/)
    await expect(loadTriageRules(folder({ ncl: (n) => { delete n.reviewBy } }), ['north-central-london'])).rejects.toThrow(/must have required property 'reviewBy'/)
    await expect(loadTriageRules(folder({ ncl: (n) => { (n.directory as Json)['debt-advice'] = { name: 'No way to reach it' } } }), ['north-central-london'])).rejects.toThrow(/triage-rules\.json/)
    await expect(loadTriageRules(folder({ baseline: (b) => { b.version = 3 } }), ['north-central-london'])).rejects.toThrow(/national-baseline\.json: data\/version must be string/)
  })

  it('refuses a directory phone number or address without the page it comes from and the day it was checked (docs/hazard-log.md H13)', async () => {
    const entry = { name: 'National Debtline', phone: '0808 808 4000', source: 'https://nationaldebtline.org', checked: '2026-12-06' }
    const withEntry = (e: Json) => (b: Json): void => { (b.directory as Json)['debt-advice'] = e }
    await expect(loadTriageRules(folder({ baseline: withEntry(entry) }), ['north-central-london'])).resolves.toBeInstanceOf(Map)
    const { source: _s, ...noSource } = entry
    const { checked: _c, ...noChecked } = entry
    await expect(loadTriageRules(folder({ baseline: withEntry(noSource) }), ['north-central-london'])).rejects.toThrow(/national-baseline\.json: data\/directory\/debt-advice must have properties source, checked when property phone is present/)
    await expect(loadTriageRules(folder({ baseline: withEntry(noChecked) }), ['north-central-london'])).rejects.toThrow(/data\/directory\/debt-advice must have properties source, checked when property phone is present/)
    await expect(loadTriageRules(folder({ ncl: (n) => { (n.directory as Json)['debt-advice'] = { name: 'Debt advice', url: 'https://example.org', checked: '2026-12-06' } } }), ['north-central-london']))
      .rejects.toThrow(/triage-rules\.json: data\/directory\/debt-advice must have properties source, checked when property url is present/)
    await expect(loadTriageRules(folder({ baseline: withEntry({ ...entry, checked: '6 Dec 2026' }) }), ['north-central-london'])).rejects.toThrow(/checked must match pattern/)
    await expect(loadTriageRules(folder({ baseline: withEntry({ ...entry, source: 'http://nationaldebtline.org' }) }), ['north-central-london'])).rejects.toThrow(/source must match pattern "\^https:\/\/"/)
    await expect(loadTriageRules(folder({ baseline: withEntry({ ...entry, verify: '' }) }), ['north-central-london'])).rejects.toThrow(/verify must NOT have fewer than 1 characters/)
    // an entry that gives neither (only words) needs neither
    await expect(loadTriageRules(folder({ baseline: withEntry({ name: 'Ask the practice', text: 'at reception' }) }), ['north-central-london'])).resolves.toBeInstanceOf(Map)
  })

  it('names the source and check day of every phone number and address in the repository\'s directories', async () => {
    const rules = await loadTriageRules(MAPPINGS, ['black-country', 'lancashire-and-south-cumbria', 'north-central-london', 'north-west-london'])
    for (const [id, r] of rules) {
      for (const [code, e] of Object.entries(r.directory)) {
        if (e.phone === undefined && e.url === undefined) continue
        expect(e.source, `${id} ${code}`).toMatch(/^https:\/\//)
        expect(e.checked, `${id} ${code}`).toMatch(/^2026-(11-30|12-06)$/)
      }
    }
  })

  it('refuses a rule file whose id differs from its folder, or that claims to be the baseline', async () => {
    await expect(loadTriageRules(folder({ ncl: (n) => { n.id = 'north-west-london' } }), ['north-central-london'])).rejects.toThrow(/id "north-west-london" differs from its folder name "north-central-london"/)
    await expect(loadTriageRules(folder({ ncl: (n) => { n.basis = 'national' } }), ['north-central-london'])).rejects.toThrow(/basis "national" is for the baseline only/)
    await expect(loadTriageRules(folder({ baseline: (b) => { b.basis = 'baseline' } }), ['north-central-london'])).rejects.toThrow(/national-baseline\.json: id must be "national-baseline" and basis "national"/)
  })

  it('refuses a rule that could offer CV help to someone in work, or adjustments to someone out of work', async () => {
    const addService = (rule: Json) => (n: Json): void => { n.services = [rule] }
    await expect(loadTriageRules(folder({ ncl: addService({ id: 'north-central-london/cv-for-all', code: 'cv-interview-help', when: {}, reason: 'everyone gets CV help' }) }), ['north-central-london']))
      .rejects.toThrow(/north-central-london\/cv-for-all: "cv-interview-help" is only for people out-of-work/)
    await expect(loadTriageRules(folder({ ncl: addService({ id: 'north-central-london/adjust-jobseekers', code: 'workplace-adjustments', when: { situations: ['unemployed'] }, reason: 'adjustments' }) }), ['north-central-london']))
      .rejects.toThrow(/"workplace-adjustments" is only for people employed/)
    // adjustments are agreed with an employer: not for the self-employed
    await expect(loadTriageRules(folder({ ncl: addService({ id: 'north-central-london/adjust-self-employed', code: 'return-to-work-plan', when: { work: ['in-work'] }, reason: 'plan' }) }), ['north-central-london']))
      .rejects.toThrow(/"return-to-work-plan" is only for people employed/)
    // limited by situation to people in work: accepted
    await expect(loadTriageRules(folder({ ncl: addService({ id: 'north-central-london/off-sick-adjust', code: 'workplace-adjustments', when: { situations: ['employed-off-sick'] }, reason: 'adjustments' }) }), ['north-central-london']))
      .resolves.toBeInstanceOf(Map)
  })

  it('refuses codes outside the catalogue, unknown groups, foreign rule ids and duplicates', async () => {
    const load = async (edit: (n: Json) => void): Promise<unknown> => loadTriageRules(folder({ ncl: edit }), ['north-central-london'])
    await expect(load((n) => { n.signposts = [{ id: 'north-central-london/x', code: 'astrology', when: {}, reason: 'not a service' }] })).rejects.toThrow(/signpost "astrology" is not in the catalogue/)
    await expect(load((n) => { n.signposts = [{ id: 'north-central-london/x', code: 'debt-advice', when: { work: ['retired'] }, reason: 'unknown group' }] })).rejects.toThrow(/unknown work group "retired"/)
    await expect(load((n) => { n.signposts = [{ id: 'north-central-london/x', code: 'debt-advice', when: { conditions: ['cardiac'] }, reason: 'unknown group' }] })).rejects.toThrow(/unknown condition group "cardiac"/)
    await expect(load((n) => { n.signposts = [{ id: 'north-west-london/x', code: 'debt-advice', when: {}, reason: 'another partnership\'s id' }] })).rejects.toThrow(/must start with "baseline\/" or "north-central-london\/"/)
    await expect(load((n) => { n.urgent = [{ id: 'north-central-london/u', when: {}, reason: 'a' }, { id: 'north-central-london/u', when: {}, reason: 'b' }] })).rejects.toThrow(/rule id "north-central-london\/u" is used twice/)
    await expect(load((n) => { (n.directory as Json).astrology = { name: 'Stars', text: 'look up' } })).rejects.toThrow(/directory: "astrology" is neither a service nor a signpost/)
    await expect(load((n) => { n.removeRules = ['baseline/no-such-rule'] })).rejects.toThrow(/removeRules names "baseline\/no-such-rule"/)
    await expect(load((n) => { n.outOfArea = { id: 'north-central-london/out', signposts: ['astrology'] } })).rejects.toThrow(/north-central-london\/out: signpost "astrology" is not in the catalogue/)
  })
})

describe('resolveRules', () => {
  it('replaces a baseline rule by id, removes the ones named, and adds the partnership\'s own', () => {
    const n = own()
    n.services = [
      { id: 'baseline/condition-musculoskeletal', code: 'physiotherapy', when: { conditions: ['musculoskeletal'] }, reason: 'NCL MSK first-contact physio' },
      { id: 'north-central-london/ot-for-all-in-work', code: 'occupational-therapy', when: { work: ['in-work'] }, reason: 'NCL offers OT' }
    ]
    n.removeRules = ['baseline/core-coaching']
    const r = resolveRules(baseline(), n)
    expect(r.services.find((s) => s.id === 'baseline/condition-musculoskeletal')?.reason).toBe('NCL MSK first-contact physio')
    expect(r.services.some((s) => s.id === 'baseline/core-coaching')).toBe(false)
    expect(r.services.at(-1)?.id).toBe('north-central-london/ot-for-all-in-work')
  })

  it('takes eligibility key by key from the partnership, the rest from the baseline, and the earlier review date', () => {
    const lsc = resolveRules(baseline(), own('lancashire-and-south-cumbria'))
    expect(lsc.footprint.tests).toStrictEqual(['residence'])
    expect(lsc.employment.maxMonthsOutOfWork).toBe(6)
    expect(lsc.exclusions.map((e) => e.indicator)).toStrictEqual(['complex-health-needs', 'long-term-unemployed'])
    const frimley = resolveRules(baseline(), own('frimley'))
    expect(frimley.basis).toBe('baseline')
    expect(frimley.footprint).toStrictEqual({ id: 'baseline/footprint', tests: ['residence', 'registration'] })
    expect(frimley.supportLength).toBeUndefined()
    const early = { ...own('frimley'), reviewBy: '2026-12-31' }
    expect(resolveRules(baseline(), early).reviewBy).toBe('2026-12-31')
  })
})

describe('loadTriageRules: recorded versions, checked at start', () => {
  const withHistory = (dir: string): string => { cpSync(path.join(MAPPINGS, 'rule-versions.json'), path.join(dir, 'rule-versions.json')); return dir }

  it('stops the start, naming rule-versions.json, when it cannot be read or parsed', async () => {
    const unreadable = folder()
    mkdirSync(path.join(unreadable, 'rule-versions.json'))
    await expect(loadTriageRules(unreadable, ['north-central-london'])).rejects.toThrow(/\/rule-versions\.json: EISDIR$/)
    const broken = folder()
    writeFileSync(path.join(broken, 'rule-versions.json'), '{ "national-baseline": ')
    await expect(loadTriageRules(broken, ['north-central-london'])).rejects.toThrow(/\/rule-versions\.json: .*JSON/)
  })

  it('starts on files whose versions are recorded with exactly their content', async () => {
    await expect(loadTriageRules(withHistory(folder()), ['north-central-london'])).resolves.toBeInstanceOf(Map)
  })

  it('stops the start, naming the file, when a rule file changed without a new version', async () => {
    const dir = withHistory(folder({ ncl: (n) => { (n.sources as string[]).push('an edit that kept the version') } }))
    await expect(loadTriageRules(dir, ['north-central-london'])).rejects.toThrow(/north-central-london\/triage-rules\.json: content differs from the recorded version 2026\.12\.1/)
    const baselineDir = withHistory(folder({ baseline: (b) => { b.version = '2099.1.1' } }))
    await expect(loadTriageRules(baselineDir, ['north-central-london'])).rejects.toThrow(/national-baseline\.json: version 2099\.1\.1 is not recorded/)
  })

  it('stops the start, naming the file, when partnership.json changed without a new version', async () => {
    const dir = withHistory(folder())
    const file = path.join(dir, 'north-central-london', 'partnership.json')
    const area = JSON.parse(readFileSync(file, 'utf8')) as { postcodeDistricts: string[] }
    area.postcodeDistricts.push('LS1')
    writeFileSync(file, JSON.stringify(area))
    await expect(loadTriageRules(dir, ['north-central-london'])).rejects.toThrow(/north-central-london\/partnership\.json: content differs from the recorded version/)
  })

  it('lets a deployment change partnership.json\'s delivery settings without a new version', async () => {
    const dir = withHistory(folder())
    const file = path.join(dir, 'north-central-london', 'partnership.json')
    const area = JSON.parse(readFileSync(file, 'utf8')) as { delivery: { endpoint: string } }
    area.delivery.endpoint = 'https://partner.example/referrals'
    writeFileSync(file, JSON.stringify(area))
    await expect(loadTriageRules(dir, ['north-central-london'])).resolves.toBeInstanceOf(Map)
  })

  it('gives every rule set the configured grace period after its review date', async () => {
    expect((await loadTriageRules(folder(), ['north-central-london'], { reviewGraceDays: 7 })).get('north-central-london')?.reviewGraceDays).toBe(7)
    expect((await loadTriageRules(folder(), ['north-central-london'])).get('north-central-london')?.reviewGraceDays).toBe(30)
  })
})

describe('loadTriageRules: the clinical review route', () => {
  it('adds a partnership\'s risk indicators to the baseline\'s, never drops one', async () => {
    const dir = folder({ ncl: (n) => { n.clinicalReview = { id: 'north-central-london/clinical-review', indicators: ['housing-problem'], ruledOutBy: [] } } })
    const r = (await loadTriageRules(dir, ['north-central-london'])).get('north-central-london')
    expect(r?.clinicalReview).toStrictEqual({ id: 'north-central-london/clinical-review', indicators: ['crisis', 'self-harm', 'safeguarding', 'complex-health-needs', 'housing-problem'], ruledOutBy: ['no-risk-identified'] })
    expect((await loadTriageRules(folder(), ['north-central-london'])).get('north-central-london')?.clinicalReview.id).toBe('baseline/clinical-review')
  })

  it('refuses a code that both calls for review and rules risk out, and a baseline without the route', async () => {
    await expect(loadTriageRules(folder({ ncl: (n) => { n.clinicalReview = { id: 'north-central-london/clinical-review', indicators: ['crisis'], ruledOutBy: ['crisis'] } } }), ['north-central-london']))
      .rejects.toThrow('north-central-london/clinical-review: "crisis" cannot both call for clinical review and rule risk out')
    await expect(loadTriageRules(folder({ baseline: (b) => { delete b.clinicalReview } }), ['north-central-london']))
      .rejects.toThrow('the national baseline must define clinicalReview')
  })
})
