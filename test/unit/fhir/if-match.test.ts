import { describe, expect, it } from 'vitest'
import { ifMatchVersion } from '../../../src/fhir/if-match.ts'
import { OperationOutcomeError } from '../../../src/fhir/operation-outcome.ts'

function statusOf (header: string | string[] | undefined): number {
  try {
    ifMatchVersion(header)
  } catch (err) {
    if (err instanceof OperationOutcomeError) return err.status
    throw err
  }
  return 0
}

describe('ifMatchVersion', () => {
  it('reads the version from a weak or strong ETag', () => {
    expect(ifMatchVersion('W/"3"')).toBe('3')
    expect(ifMatchVersion(' "12" ')).toBe('12')
  })

  it('is 428 when the header is missing, empty or *', () => {
    expect(statusOf(undefined)).toBe(428)
    expect(statusOf('')).toBe(428)
    expect(statusOf('*')).toBe(428)
  })

  it('is 400 for anything but one ETag', () => {
    expect(statusOf('3')).toBe(400)
    expect(statusOf('W/3')).toBe(400)
    expect(statusOf('W/"1", W/"2"')).toBe(400)
    expect(statusOf(['W/"1"', 'W/"2"'])).toBe(400)
    expect(statusOf('W/"a b"')).toBe(400)
  })
})
