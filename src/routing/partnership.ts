/**
 * A WorkWell partnership as described by mappings/<id>/partnership.json.
 * ICB codes carry the dates they apply: five pilot ICBs changed on 1 April 2026
 * (QMJ+QRV → Z9B2Z, QXU → S9B9J, QNQ split, QUE → S1Y5D), so an ICB code alone cannot
 * identify a partnership (NHS ODS successions; docs/decisions/ods-routing.md).
 */
export interface Partnership {
  /** kebab-case id, equal to the folder name under mappings/ */
  id: string
  name: string
  /**
   * a version `YYYY.M.N`: this file decides eligibility, so every Task records it with the rule
   * versions (required in the file by the schema; optional here for partnerships built in code)
   */
  version?: string
  /** the date by which the file must be reviewed (required in the file; docs/hazard-log.md H5) */
  reviewBy?: string
  /** The organisation that owns the Tasks (Task.owner): the lead ICB, by ODS code and date. */
  leadIcbs: IcbPeriod[]
  /** ODS codes of GP practices (letter + 5 digits, or Y + 5 digits) whose referrals it takes. */
  practices: string[]
  /**
   * Sub-ICB locations (ODS commissioner codes) of the area: with an ODS practice file loaded,
   * every active practice they commission is a practice of the area (src/routing/ods-practices.ts).
   */
  subIcbCodes?: string[]
  /** How the practice list was made: the ODS file, or only the practices listed in the file. Set at load. */
  practiceSource?: 'ods-file' | 'listed'
  /** Outward postcode districts (e.g. "N7", "TR18") of the area it serves. */
  postcodeDistricts: string[]
  /**
   * Districts of postcodeDistricts known to straddle the area's boundary: living in one does not
   * settle the area; registration decides, or the address is asked for (docs/hazard-log.md H16).
   */
  straddlingDistricts?: string[]
  delivery: DeliveryTarget
  /**
   * The BaRS service ids the partnership's services are registered under, one per service
   * (a GP referral service, a fit-note triage service): each gets its own MessageDefinition
   * and Endpoint Catalogue entries (src/bars/bars-services.ts). Absent: the partnership is
   * reached through the gateway's own service id only.
   */
  barsServices?: BarsServiceConfig[]
  /** Where the facts in this file come from. */
  sources: string[]
}

/** What a partnership's BaRS service takes: WorkWell referrals, or fit-note triage requests. */
export type BarsServiceKind = 'referral' | 'fit-note-triage'

export interface BarsServiceConfig {
  /** "system|value", as BaRS writes service ids (e.g. https://fhir.nhs.uk/Id/dos-service-id|2000012345) */
  serviceId: string
  kind: BarsServiceKind
  /** the HealthcareService name in the Endpoint Catalogue (default: the partnership's name and the kind) */
  name?: string
}

export interface IcbPeriod {
  odsCode: string
  name: string
  /** ISO date (inclusive) from which this ICB code applies */
  from: string
  /** ISO date (inclusive) to which it applies; absent while current */
  to?: string
}

export type DeliveryFormat = 'fhir-bundle' | 'json-record' | 'csv'

export interface DeliveryTarget {
  /**
   * http(s) URL the delivery worker POSTs mapped referrals to; for the csv format it may instead
   * be a folder for the daily file drop (file:///abs/dir, or a path inside the data folder)
   */
  endpoint: string
  format: DeliveryFormat
  /**
   * kept for older partnership files; a referral is no longer dead-lettered by a count of
   * attempts but when its retry window ends (src/delivery/retry-window.ts)
   */
  maxAttempts: number
  /** how long a referral is retried before it becomes a dead letter (default: the gateway's retry window) */
  retryWindowHours?: number
}
