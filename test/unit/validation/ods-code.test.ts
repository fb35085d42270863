import { describe, expect, it } from 'vitest'
import { isValidOdsCode } from '../../../src/validation/ods-code.ts'

describe('isValidOdsCode', () => {
  it.each([
    ['F83674', 'GP practice: letter + 5 digits'],
    ['V03462', 'dental practice'],
    ['RR8', 'NHS trust'],
    ['RR801', 'trust site'],
    ['QMJ', 'ICB'],
    ['93C', 'sub-ICB location (former CCG)'],
    ['8HA03', 'independent provider'],
    ['FVR79', 'pharmacy'],
    ['Y09001', 'synthetic practice code used by the fixtures']
  ])('accepts %s (%s)', (value) => {
    expect(isValidOdsCode(value)).toBe(true)
  })

  it.each([
    ['12345', 'digits only (invalid fixture bad-ods-code.json)'],
    ['123', 'digits only, 3 long'],
    ['f83674', 'lower case'],
    ['RR', 'too short'],
    ['F836745', 'too long'],
    ['K81003001', 'branch surgery: a site, not an organisation code'],
    ['G3472185', 'practitioner code'],
    ['F83 674', 'space'],
    ['F83-74', 'punctuation'],
    ['', 'empty']
  ])('rejects %j (%s)', (value) => {
    expect(isValidOdsCode(value)).toBe(false)
  })
})
