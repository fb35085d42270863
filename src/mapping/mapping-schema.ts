import { ENVELOPE_KEYS } from './mapping.ts'

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
    fields: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'path'],
        properties: {
          // camelCase keeps names valid as JSON keys and CSV headers without quoting
          name: { type: 'string', pattern: '^[a-z][A-Za-z0-9]*$', not: { enum: [...ENVELOPE_KEYS] } },
          path: { type: 'string', minLength: 1 },
          required: { type: 'boolean' },
          multiple: { type: 'boolean' },
          description: { type: 'string' }
        }
      }
    }
  }
} as const
