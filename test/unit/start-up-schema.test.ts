import { Ajv } from 'ajv'
import { describe, expect, it } from 'vitest'
import { mappingSchema } from '../../src/mapping/mapping-schema.ts'
import { partnershipSchema } from '../../src/routing/load-partnerships.ts'
import { compileStartUpCheck } from '../../src/start-up-schema.ts'
import { ruleFileSchema } from '../../src/triage/rules-schema.ts'

// compileStartUpCheck skips ajv's meta-schema check at start; this is where it is done.
const schemas = { 'partnership.json': partnershipSchema, 'mapping.json': mappingSchema, 'triage-rules.json': ruleFileSchema }

describe('start-up file schemas', () => {
  for (const [name, schema] of Object.entries(schemas)) {
    it(`${name}: the schema is valid draft-07 JSON Schema`, () => {
      const ajv = new Ajv()
      expect(ajv.validateSchema(schema), ajv.errorsText(ajv.errors)).toBe(true)
    })
  }

  it('still refuses a schema mistake ajv would have caught at compile time in strict mode', () => {
    // strict mode (an unknown keyword) is separate from the meta-schema check this skips
    expect(() => compileStartUpCheck({ type: 'object', propertys: {} })).toThrow(/unknown keyword: "propertys"/)
  })

  it('reports every failure of a bad file, with its path, under the name given', () => {
    const check = compileStartUpCheck<{ id: string, n: number }>({
      type: 'object',
      required: ['id', 'n'],
      properties: { id: { type: 'string', pattern: '^[a-z]+$' }, n: { type: 'integer' } }
    })
    expect(check.validate({ id: 'ok', n: 1 })).toBe(true)
    expect(check.validate({ id: 'Bad' })).toBe(false)
    expect(check.errorsText('mapping')).toBe('mapping must have required property \'n\', mapping/id must match pattern "^[a-z]+$"')
    expect(check.errorsText()).toMatch(/^data must have required property 'n', data\/id must match/)
  })
})
