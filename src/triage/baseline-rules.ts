/**
 * The national baseline: WorkWell is voluntary, needs no benefit claim, and serves adults with
 * a health condition who are in work and at risk, or recently out of work because of health
 * (domain.md §1.1, §1.3). Per-partnership rules come with the triage issue; until then every
 * partnership uses this baseline, and each Task records this version.
 */
export const BASELINE_RULES_VERSION = 'workwell-baseline/0.1.0'

export const MINIMUM_AGE = 16

export const SERVICES = {
  'work-health-assessment': 'Work and health assessment and action plan',
  'health-coaching': 'Work and health coaching',
  'mental-health-support': 'Mental health support',
  physiotherapy: 'Physiotherapy',
  'occupational-therapy': 'Occupational therapy',
  'workplace-adjustments': 'Workplace adjustments support',
  'return-to-work-plan': 'Return-to-work plan',
  'cv-interview-help': 'CV and interview help'
} as const

export const SIGNPOSTS = {
  'debt-advice': 'Debt advice',
  'council-services': 'Council services',
  'smoking-cessation': 'Stop smoking service',
  'physical-activity': 'Physical activity programmes',
  'local-training': 'Local training and skills',
  'access-to-work': 'Access to Work'
} as const

export type ServiceCode = keyof typeof SERVICES
export type SignpostCode = keyof typeof SIGNPOSTS

/** SNOMED reason codes grouped as the evaluation reports them (domain.md §1.1: MH and MSK dominate). */
export const MENTAL_HEALTH_REASONS = new Set(['35489007', '197480006'])
export const MUSCULOSKELETAL_REASONS = new Set(['928000'])

export const IN_WORK = new Set(['employed-working', 'employed-off-sick', 'employed-struggling', 'self-employed'])
export const OUT_OF_WORK = new Set(['unemployed'])
