/** Identifier.system of the NHS number (UK Core Patient `identifier:nhsNumber`, fixedUri). */
export const NHS_NUMBER_SYSTEM = 'https://fhir.nhs.uk/Id/nhs-number'

/** Weights of digits 1–9 in the Modulus 11 check (NHS Data Dictionary, "NHS NUMBER"). */
const WEIGHTS = [10, 9, 8, 7, 6, 5, 4, 3, 2] as const

/**
 * Checks an NHS number with the NHS Data Dictionary's Modulus 11 algorithm: exactly 10 digits
 * (no spaces: "3 3 4" spacing is for display only); sum digits 1–9 times weights 10..2;
 * check = 11 − (sum mod 11); a check of 11 means 0, a check of 10 means the number is invalid;
 * the number is valid when the check equals digit 10. UK Core does not check this itself
 * (its profile has no check-digit rule; the NHS Data Dictionary "NHS NUMBER" gives it), so the gateway must.
 * @param value - the Identifier.value as sent
 * @returns true when the value is a well-formed NHS number
 */
export function isValidNhsNumber (value: string): boolean {
  if (!/^\d{10}$/.test(value)) {
    return false
  }
  let sum = 0
  for (let i = 0; i < WEIGHTS.length; i++) {
    sum += (value.charCodeAt(i) - 48) * (WEIGHTS[i] ?? 0)
  }
  const check = 11 - (sum % 11)
  if (check === 10) {
    return false
  }
  return (check === 11 ? 0 : check) === value.charCodeAt(9) - 48
}
