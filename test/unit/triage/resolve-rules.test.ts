import { describe, expect, it } from 'vitest'
import { resolveRules } from '../../../src/triage/resolve-rules.ts'
import type { RuleFile } from '../../../src/triage/rules.ts'

/** The least a baseline may define: no services, signposts, urgent rules, exclusions, catalogue or directory. */
function minimal (): RuleFile {
  return {
    id: 'national-baseline',
    version: '2026.1.1',
    basis: 'national',
    reviewBy: '2027-01-31',
    sources: ['a test'],
    eligibility: {
      minimumAge: { id: 'baseline/age', years: 16 },
      footprint: { id: 'baseline/footprint', tests: ['residence'] },
      employment: { id: 'baseline/employment', accepted: ['employed'], signposts: [] }
    },
    groups: { work: { 'in-work': ['employed'], 'out-of-work': ['unemployed'] } },
    outOfArea: { id: 'baseline/out', signposts: [] },
    clinicalReview: { id: 'baseline/review', indicators: ['crisis'], ruledOutBy: [] }
  }
}
const partnership = (over: Partial<RuleFile> = {}): RuleFile => ({ id: 'p', version: '2026.1.1', basis: 'baseline', reviewBy: '2027-06-30', sources: ['p'], ...over })
const exclusion = { id: 'baseline/exclude-complex', indicator: 'complex-health-needs', reason: 'complex needs', signposts: [] }

describe('resolveRules on a minimal baseline', () => {
  it('resolves to empty rule lists, catalogue and directory where neither file defines them', () => {
    const r = resolveRules(minimal(), partnership())
    expect(r.services).toStrictEqual([])
    expect(r.signposts).toStrictEqual([])
    expect(r.urgent).toStrictEqual([])
    expect(r.exclusions).toStrictEqual([])
    expect(r.directory).toStrictEqual({})
    expect(r.catalogue).toStrictEqual({ services: {}, signposts: {} })
    expect(r.groups).toStrictEqual({ work: { 'in-work': ['employed'], 'out-of-work': ['unemployed'] }, conditions: {} })
  })

  it('keeps a baseline exclusion unless the partnership removes it by id, and refuses removing one that is not there', () => {
    const base = minimal()
    base.eligibility = { ...base.eligibility, exclusions: [exclusion] }
    expect(resolveRules(base, partnership()).exclusions).toStrictEqual([exclusion])
    expect(resolveRules(base, partnership({ removeRules: ['baseline/exclude-complex'] })).exclusions).toStrictEqual([])
    expect(() => resolveRules(base, partnership({ removeRules: ['baseline/exclude-other'] }))).toThrow('removeRules names "baseline/exclude-other", which is not a baseline rule')
  })

  it('names a service rule without a code as "(none)"', () => {
    const own = partnership({ services: [{ id: 'p/no-code', when: {}, reason: 'r' } as unknown as NonNullable<RuleFile['services']>[number]] })
    expect(() => resolveRules(minimal(), own)).toThrow('p/no-code: service "(none)" is not in the catalogue')
  })

  it('requires the in-work and out-of-work groups triage reads by name', () => {
    const base = minimal()
    base.groups = { work: { 'in-work': ['employed'] } }
    expect(() => resolveRules(base, partnership())).toThrow('groups.work must define "out-of-work"')
  })

  it('refuses a catalogue entry only for a work group that does not exist, and only that', () => {
    const own = partnership({ catalogue: { services: { 'ghost-help': { display: 'Ghost help', onlyFor: 'ghosts' } } } })
    expect(() => resolveRules(minimal(), own)).toThrow(/^catalogue: "ghost-help" is only for unknown work group "ghosts"$/)
  })

  it('reports a rule on an unknown work group once, without also calling it unlimited', () => {
    const own = partnership({
      catalogue: { services: { 'cv-help': { display: 'CV help', onlyFor: 'out-of-work' } } },
      services: [{ id: 'p/cv', code: 'cv-help', when: { work: ['retired'] }, reason: 'r' }]
    })
    expect(() => resolveRules(minimal(), own)).toThrow(/^p\/cv: unknown work group "retired"$/)
  })

  it('lists every problem at once, separated by semicolons', () => {
    const base = minimal()
    base.groups = { work: {} }
    expect(() => resolveRules(base, partnership())).toThrow(/^groups\.work must define "in-work"; groups\.work must define "out-of-work"$/)
  })

  it('takes a rule on a work group whose members all belong to the entry\'s group as limited to it', () => {
    const base = minimal()
    base.groups = { work: { 'in-work': ['employed'], 'out-of-work': ['unemployed', 'never-worked'], jobless: ['unemployed'] } }
    const own = partnership({
      catalogue: { services: { 'cv-help': { display: 'CV help', onlyFor: 'out-of-work' } } },
      services: [{ id: 'p/cv', code: 'cv-help', when: { work: ['jobless'] }, reason: 'r' }]
    })
    expect(resolveRules(base, own).services.map((r) => r.id)).toStrictEqual(['p/cv'])
    const wider = partnership({ ...own, services: [{ id: 'p/cv', code: 'cv-help', when: { work: ['in-work'] }, reason: 'r' }] })
    expect(() => resolveRules(base, wider)).toThrow('p/cv: "cv-help" is only for people out-of-work, so the rule must apply only to them (when.work or when.situations)')
  })
})
