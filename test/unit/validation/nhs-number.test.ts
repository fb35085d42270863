import { describe, expect, it } from 'vitest'
import { isValidNhsNumber } from '../../../src/validation/nhs-number.ts'

// Sums below are of digits 1–9 times the weights 10..2; check = 11 − (sum mod 11).
describe('isValidNhsNumber (Modulus 11)', () => {
  it.each([
    ['9912003888', 'UK Core examples (RichardSmith and others); sum 245, check 8'],
    ['9449307539', 'UK Core example; sum 288, check 9'],
    ['4010232137', 'sum 92, check 7'],
    ['1100000003', 'sum 19, check 3'],
    ['1000000001', 'sum 10, check 1'],
    ['1000000060', 'sum 22, remainder 0: check 11 is written 0'],
    ['0000000000', 'sum 0, remainder 0: check 11 is written 0']
  ])('accepts %s (%s)', (value) => {
    expect(isValidNhsNumber(value)).toBe(true)
  })

  it.each([
    ['9912003890', 'UK Core BabyPatient example: the check digit should be 8'],
    ['9912003889', 'check digit off by one'],
    ['9449307538', 'check digit off by one'],
    ['1000000010', 'sum 12, remainder 1: check 10 means no valid number'],
    ['1000000019', 'sum 12, remainder 1: check 10, whatever the last digit'],
    ['991200388', 'nine digits'],
    ['99120038888', 'eleven digits'],
    ['', 'empty'],
    ['991 200 3888', 'display spacing is not part of the value'],
    ['991-200-3888', 'dashes'],
    ['99120O3888', 'a letter O for a zero'],
    ['９９１２００３８８８', 'full-width digits'],
    [' 9912003888', 'leading space'],
    ['9912003888\n', 'trailing newline']
  ])('rejects %j (%s)', (value) => {
    expect(isValidNhsNumber(value)).toBe(false)
  })

  it('rejects every last digit when 11 − (sum mod 11) is 10', () => {
    for (let d = 0; d <= 9; d++) {
      expect(isValidNhsNumber(`100000001${d}`)).toBe(false)
    }
  })

  it('accepts exactly one last digit otherwise', () => {
    const valid = Array.from({ length: 10 }, (_, d) => `991200388${d}`).filter(isValidNhsNumber)
    expect(valid).toEqual(['9912003888'])
  })
})
