/**
 * The outward code (postcode district) of a UK postcode, e.g. "N7 6LB" → "N7", "TR18 4AB" → "TR18".
 * The inward code is always digit + two letters, so the outward code is what precedes it.
 * Returns undefined for anything that is not a full UK postcode.
 */
export function postcodeDistrict (postcode: string): string | undefined {
  const compact = postcode.replace(/\s+/g, '').toUpperCase()
  const m = /^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$/.exec(compact)
  return m?.[1]
}
