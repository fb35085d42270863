/**
 * JSON schema for a triage rule file (baseline or partnership). Shape only; the cross-checks
 * (codes in the catalogue, in-work/out-of-work limits, rule id prefixes) are in resolve-rules.ts.
 */
const code = { type: 'string', pattern: '^[a-z0-9]+(-[a-z0-9]+)*$' } as const
const codes = { type: 'array', items: code, uniqueItems: true } as const
const ruleId = { type: 'string', pattern: '^[a-z0-9-]+/[a-z0-9-]+$' } as const
const date = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' } as const
const text = { type: 'string', minLength: 1 } as const
const practices = { type: 'array', items: { type: 'string', pattern: '^[A-Z][0-9]{5}$' } } as const
const districts = { type: 'array', items: { type: 'string', pattern: '^[A-Z]{1,2}[0-9][A-Z0-9]?$' } } as const

const condition = {
  type: 'object',
  additionalProperties: false,
  properties: {
    work: codes,
    situations: codes,
    conditions: codes,
    fitNote: { type: 'array', items: { enum: ['not-fit', 'may-be-fit', 'none'] }, uniqueItems: true },
    fitNoteAdvice: { type: 'array', items: { enum: ['phased-return', 'altered-hours', 'amended-duties', 'workplace-adaptations'] }, uniqueItems: true },
    fitNoteLongerThanWeeks: { type: 'integer', minimum: 0, maximum: 52 },
    indicators: codes
  }
} as const

const outputRule = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'code', 'when', 'reason'],
  properties: { id: ruleId, code, when: condition, reason: text }
} as const

const urgentRule = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'when', 'reason'],
  properties: { id: ruleId, when: condition, reason: text }
} as const

const catalogueSection = {
  type: 'object',
  propertyNames: code,
  additionalProperties: {
    type: 'object',
    additionalProperties: false,
    required: ['display'],
    properties: { display: text, onlyFor: code }
  }
} as const

/**
 * A directory entry. A phone number or web address goes stale as services move (docs/hazard-log.md
 * H13), so one that gives either names the page that publishes it (`source`) and the day it was
 * last compared with that page (`checked`); `verify` says what is still to be confirmed. The
 * gateway raises an alert when `checked` is older than WORKWELL_DIRECTORY_CHECK_MAX_DAYS.
 */
const localService = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  anyOf: [{ required: ['phone'] }, { required: ['url'] }, { required: ['text'] }],
  dependencies: { phone: ['source', 'checked'], url: ['source', 'checked'] },
  properties: {
    name: text,
    phone: { type: 'string', pattern: '^[0-9 ]{10,14}$' },
    url: { type: 'string', pattern: '^https://' },
    text,
    source: { type: 'string', pattern: '^https://' },
    checked: date,
    verify: text
  }
} as const

export const ruleFileSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'version', 'basis', 'reviewBy', 'sources'],
  properties: {
    $comment: { type: 'string' },
    id: code,
    version: { type: 'string', pattern: '^\\d{4}\\.\\d{1,2}\\.\\d+$' },
    basis: { enum: ['national', 'published', 'baseline'] },
    reviewBy: date,
    sources: { type: 'array', minItems: 1, items: text },
    notes: { type: 'array', items: text },
    eligibility: {
      type: 'object',
      additionalProperties: false,
      properties: {
        minimumAge: {
          type: 'object', additionalProperties: false, required: ['id', 'years'], properties: { id: ruleId, years: { type: 'integer', minimum: 0, maximum: 100 } }
        },
        footprint: {
          type: 'object',
          additionalProperties: false,
          required: ['id', 'tests'],
          properties: {
            id: ruleId,
            tests: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: ['residence', 'registration'] } },
            subArea: {
              type: 'object',
              additionalProperties: false,
              required: ['name'],
              properties: { name: text, practices, postcodeDistricts: districts }
            }
          }
        },
        employment: {
          type: 'object',
          additionalProperties: false,
          required: ['id', 'accepted', 'signposts'],
          properties: { id: ruleId, accepted: { ...codes, minItems: 1 }, maxMonthsOutOfWork: { type: 'integer', minimum: 1, maximum: 120 }, signposts: codes }
        },
        exclusions: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['id', 'indicator', 'reason', 'signposts'],
            properties: { id: ruleId, indicator: code, reason: text, signposts: codes }
          }
        }
      }
    },
    supportLength: {
      type: 'object',
      additionalProperties: false,
      required: ['source'],
      properties: { inWorkWeeks: { type: 'integer', minimum: 1 }, seekingWorkWeeks: { type: 'integer', minimum: 1 }, source: text }
    },
    groups: {
      type: 'object',
      additionalProperties: false,
      properties: {
        work: { type: 'object', propertyNames: code, additionalProperties: codes },
        conditions: { type: 'object', propertyNames: code, additionalProperties: { type: 'array', items: { type: 'string', pattern: '^[0-9]{6,18}$' } } }
      }
    },
    catalogue: { type: 'object', additionalProperties: false, properties: { services: catalogueSection, signposts: catalogueSection } },
    services: { type: 'array', items: outputRule },
    signposts: { type: 'array', items: outputRule },
    urgent: { type: 'array', items: urgentRule },
    removeRules: { type: 'array', items: ruleId },
    directory: { type: 'object', propertyNames: code, additionalProperties: localService },
    outOfArea: { type: 'object', additionalProperties: false, required: ['id', 'signposts'], properties: { id: ruleId, signposts: codes } },
    clinicalReview: {
      type: 'object',
      additionalProperties: false,
      required: ['id', 'indicators', 'ruledOutBy'],
      properties: { id: ruleId, indicators: { ...codes, minItems: 1 }, ruledOutBy: codes }
    }
  }
} as const
