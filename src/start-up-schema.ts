import { Ajv, type ValidateFunction } from 'ajv'

/** A compiled check of a file read at start, and the text of its last failure. */
export interface StartUpCheck<T> {
  validate: ValidateFunction<T>
  /** the last failure as one line, e.g. "data/id must match pattern ..."; dataVar names the root */
  errorsText: (dataVar?: string) => string
}

/**
 * Compiles the JSON Schema of a file the gateway reads once at start (partnership.json,
 * mapping.json, triage rules). Start-to-ready is a measured figure (target < 1 s): with
 * ajv's defaults these three compiles took ~300 ms of a slow VM's 1.2 s start, half of it
 * validating each schema against the draft-07 meta-schema and optimising the generated code.
 * The schemas are constants of this code base, so test/unit/start-up-schema.test.ts checks
 * them against the meta-schema once instead of every start; the generated code runs a few
 * times per start, so it is not optimised. allErrors: a bad file is reported whole.
 */
export function compileStartUpCheck<T> (schema: object): StartUpCheck<T> {
  const ajv = new Ajv({ allErrors: true, validateSchema: false, code: { optimize: false } })
  const validate = ajv.compile<T>(schema)
  return { validate, errorsText: (dataVar) => ajv.errorsText(validate.errors, dataVar === undefined ? {} : { dataVar }) }
}
