/**
 * Triage rules as data: the shape of mappings/national-baseline.json and of each
 * mappings/<partnership>/triage-rules.json (docs/triage-rules.md). WorkWell publishes no
 * national eligibility spec; each partnership sets its own detail, so rules are configuration,
 * never code (docs/decisions/rules-as-data.md).
 */

/** Ways a person can belong to a partnership's footprint (docs/decisions/ods-routing.md). */
export type FootprintTest = 'residence' | 'registration'

/** A part of the partnership's area the service is limited to (e.g. BSOL's East Birmingham and North Solihull PCNs). */
export interface SubArea {
  name: string
  /** GP practices (ODS codes) in the sub-area; replaces the partnership's list for the registration test */
  practices?: string[]
  /** postcode districts in the sub-area; replaces the partnership's list for the residence test */
  postcodeDistricts?: string[]
}

/**
 * When a rule applies. Every key given must match (AND); within a key, any value (OR).
 * An empty condition always applies.
 */
export interface RuleCondition {
  /** employment groups from `groups.work` (e.g. in-work, out-of-work) */
  work?: string[]
  /** employment-situation codes */
  situations?: string[]
  /** condition groups from `groups.conditions` (e.g. mental-health) */
  conditions?: string[]
  /** fit-note outcome, or "none" when the request carries no fit note */
  fitNote?: Array<'not-fit' | 'may-be-fit' | 'none'>
  /** fit-note advice boxes ticked */
  fitNoteAdvice?: string[]
  /** applies only when the fit note's period is longer than this many weeks */
  fitNoteLongerThanWeeks?: number
  /** coded triage indicators (CodeSystem triage-indicator) */
  indicators?: string[]
}

/** One rule that chooses a service, a signpost or the urgent priority. */
export interface OutputRule {
  /** unique id, "baseline/…" or "<partnership>/…"; every Task output names it */
  id: string
  /** a service or signpost code from the catalogue (absent for priority rules) */
  code?: string
  when: RuleCondition
  /** plain-English reason shown with the output */
  reason: string
}

/** An exclusion: a coded indicator that sends the referral to human review (never silent ineligibility). */
export interface ExclusionRule {
  id: string
  indicator: string
  reason: string
  /** signposts offered instead, from the catalogue */
  signposts: string[]
}

/**
 * The clinical review route: coded risk indicators that put a referral in front of a clinician
 * at the partnership (never closed by machine), and the coded facts that rule risk out so a
 * signposted or ineligible referral may be closed (docs/hazard-log.md H4).
 */
export interface ClinicalReviewRule {
  id: string
  /** triage-indicator codes that always go to clinical review (crisis, self-harm, ...) */
  indicators: string[]
  /** triage-indicator codes that rule risk out (a coded negative risk screen) */
  ruledOutBy: string[]
}

/** How to reach a service: at least one of phone, url or text. */
export interface LocalService {
  name: string
  phone?: string
  url?: string
  text?: string
  /** the page that publishes the phone number or web address (required with either) */
  source?: string
  /** the day (YYYY-MM-DD) they were last compared with `source` (required with either) */
  checked?: string
  /** what is still to be confirmed about them */
  verify?: string
}

/** A catalogue entry: a service or signpost code, its display, and who may be offered it. */
export interface CatalogueEntry {
  display: string
  /** restricts the entry to one employment group; enforced at load and at triage */
  onlyFor?: string
}

/** One rule file as written (baseline or partnership); partnership files override the baseline. */
export interface RuleFile {
  id: string
  version: string
  /** "published": the partnership's own criteria are encoded; "baseline": it uses the national baseline */
  basis: 'national' | 'published' | 'baseline'
  /** a date after which the rule set must be reviewed; triage after it flags the Task */
  reviewBy: string
  sources: string[]
  notes?: string[]
  eligibility?: {
    minimumAge?: { id: string, years: number }
    footprint?: { id: string, tests: FootprintTest[], subArea?: SubArea }
    employment?: {
      id: string
      /** employment-situation codes the service accepts */
      accepted: string[]
      /** out of work for this many whole months or more is outside the service (absent: no limit) */
      maxMonthsOutOfWork?: number
      /** signposts offered to someone outside the accepted situations or over the limit */
      signposts: string[]
    }
    exclusions?: ExclusionRule[]
  }
  supportLength?: { inWorkWeeks?: number, seekingWorkWeeks?: number, source: string }
  groups?: { work?: Record<string, string[]>, conditions?: Record<string, string[]> }
  catalogue?: { services?: Record<string, CatalogueEntry>, signposts?: Record<string, CatalogueEntry> }
  services?: OutputRule[]
  signposts?: OutputRule[]
  urgent?: OutputRule[]
  /** baseline rule ids this partnership switches off */
  removeRules?: string[]
  /** the local directory: service or signpost code → the local service and how to reach it */
  directory?: Record<string, LocalService>
  /** signpost for someone outside the footprint */
  outOfArea?: { id: string, signposts: string[] }
  /** baseline: the clinical review route; a partnership's indicators are added to it */
  clinicalReview?: ClinicalReviewRule
}

/** The rules one partnership triages with: the baseline merged with its own file. */
export interface ResolvedRules {
  partnershipId: string
  /** e.g. "workwell-baseline/2026.11.1+north-central-london/2026.11.1" */
  version: string
  basis: 'published' | 'baseline'
  reviewBy: string
  minimumAge: { id: string, years: number }
  footprint: { id: string, tests: FootprintTest[], subArea?: SubArea }
  employment: { id: string, accepted: string[], maxMonthsOutOfWork?: number, signposts: string[] }
  exclusions: ExclusionRule[]
  supportLength?: { inWorkWeeks?: number, seekingWorkWeeks?: number, source: string }
  groups: { work: Record<string, string[]>, conditions: Record<string, string[]> }
  catalogue: { services: Record<string, CatalogueEntry>, signposts: Record<string, CatalogueEntry> }
  services: OutputRule[]
  signposts: OutputRule[]
  urgent: OutputRule[]
  directory: Record<string, LocalService>
  outOfArea: { id: string, signposts: string[] }
  /**
   * the baseline's out-of-area signposts, for someone outside the partnership's whole area when
   * its own outOfArea is written for people inside the area but outside a sub-area (BSOL)
   */
  outOfPartnership: { id: string, signposts: string[] }
  clinicalReview: ClinicalReviewRule
  /** days past the review date before triage for the partnership is held (set at load) */
  reviewGraceDays: number
}

/** The area a partnership serves, from partnership.json (routing's source of truth). */
export interface PartnershipArea {
  /** e.g. "Greater Manchester WorkWell": names the area in reasons and the note */
  name?: string
  /** partnership.json's version and review date: the area decides eligibility as the rules do */
  version?: string
  reviewBy?: string
  practices: string[]
  postcodeDistricts: string[]
  /** districts that straddle the boundary: residence there does not settle the area */
  straddlingDistricts?: string[]
  /** 'ods-file': practices include every one the area's sub-ICB locations commission; else only those listed */
  practiceSource?: 'ods-file' | 'listed'
}
