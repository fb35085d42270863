import { describe, expect, it } from 'vitest'
import { postcodeDistrict } from '../../../src/routing/postcode.ts'

describe('postcodeDistrict', () => {
  it('returns the outward code of each UK postcode shape', () => {
    expect(postcodeDistrict('N7 6LB')).toBe('N7') // A9 9AA
    expect(postcodeDistrict('N17 0AP')).toBe('N17') // A99 9AA
    expect(postcodeDistrict('TR18 4AB')).toBe('TR18') // AA99 9AA
    expect(postcodeDistrict('NW3 5QY')).toBe('NW3') // AA9 9AA
    expect(postcodeDistrict('W1A 0AX')).toBe('W1A') // A9A 9AA
    expect(postcodeDistrict('EC1A 1BB')).toBe('EC1A') // AA9A 9AA
  })

  it('ignores case and spacing', () => {
    expect(postcodeDistrict('ec1a1bb')).toBe('EC1A')
    expect(postcodeDistrict('tr184ab')).toBe('TR18')
    expect(postcodeDistrict('  n7   6lb ')).toBe('N7')
    expect(postcodeDistrict('n7\t6LB')).toBe('N7')
  })

  it('returns undefined for what is not a full postcode', () => {
    for (const bad of ['', ' ', 'N7', 'TR18', 'N7 6L', 'N7 6LBX', '7N 6LB', 'NWX3 5QY', 'N7 LB6', 'ABC12 3DE', 'N7-6LB', 'London']) {
      expect(postcodeDistrict(bad), bad).toBeUndefined()
    }
  })
})
