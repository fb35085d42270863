/** Identifier.system of an ODS organisation code (UK Core Organization `identifier:odsOrganisationCode`). */
export const ODS_ORGANIZATION_CODE_SYSTEM = 'https://fhir.nhs.uk/Id/ods-organization-code'

/**
 * The shape of an ODS organisation code: 3 to 6 upper-case letters or digits, at least one of
 * them a letter. The families it has to admit: GP practices (prescribing cost centres) are a
 * letter and 5 digits (F83674); NHS trusts are 3 characters (RR8, RTH) and their sites 5
 * (RR801); ICBs are 3 (QMJ); sub-ICB locations, the former CCGs, are 2 digits and a letter
 * (93C, 08H); independent providers 5 starting with a digit (8HA03); pharmacies 5 (FVR79);
 * dental practices a letter and 5 digits (V03462). Every organisation coding frame of the NHS
 * Data Dictionary ("ORGANISATION CODE") mixes letters with digits, so an all-digit value such
 * as 12345 (a practice code without its letter, or a local number in the wrong system) is
 * rejected. Practitioner (G3472185) and branch-surgery (K81003001) codes are longer and are not
 * organisation codes. ODS publishes no single regular expression; whether a code exists is a
 * question for the ODS API, not the validator.
 */
export const ODS_CODE_PATTERN = /^(?=[A-Z0-9]*[A-Z])[A-Z0-9]{3,6}$/

/**
 * Checks the shape of an ODS organisation code (see {@link ODS_CODE_PATTERN}).
 * @param value - the Identifier.value as sent
 * @returns true when the value looks like an ODS organisation code
 */
export function isValidOdsCode (value: string): boolean {
  return ODS_CODE_PATTERN.test(value)
}
