import { ENVELOPE_KEYS } from './mapping.ts'

/**
 * A JSON key or CSV column: a letter, then letters, digits or '_' (camelCase, PascalCase and
 * snake_case all fit), so it needs no quoting in a CSV header and no escaping in JSON.
 */
const OUTPUT_NAME = '^[A-Za-z][A-Za-z0-9_]*$'

/** JSON Schema (draft-07, ajv's default) of mappings/<id>/mapping.json. */
export const mappingSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['format', 'version', 'fields'],
  properties: {
    $schema: { type: 'string' },
    format: { enum: ['fhir-bundle', 'json-record', 'csv'] },
    version: { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)*$' },
    description: { type: 'string' },
    envelope: {
      type: 'object',
      additionalProperties: false,
      properties: Object.fromEntries(ENVELOPE_KEYS.map((key) => [key, { type: 'string', pattern: OUTPUT_NAME }]))
    },
    fields: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'path'],
        properties: {
          name: { type: 'string', pattern: OUTPUT_NAME, not: { enum: [...ENVELOPE_KEYS] } },
          path: { type: 'string', minLength: 1 },
          required: { type: 'boolean' },
          multiple: { type: 'boolean' },
          description: { type: 'string' }
        }
      }
    }
  }
} as const
