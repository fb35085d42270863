import { describe, expect, it } from 'vitest'
import { preferReturn, preferStrictHandling } from '../../../src/fhir/prefer.ts'

describe('preferReturn', () => {
  it('reads each return preference', () => {
    expect(preferReturn('return=minimal')).toBe('minimal')
    expect(preferReturn('return=representation')).toBe('representation')
    expect(preferReturn('return=OperationOutcome')).toBe('OperationOutcome')
  })

  it('is representation when absent or unknown', () => {
    expect(preferReturn(undefined)).toBe('representation')
    expect(preferReturn('')).toBe('representation')
    expect(preferReturn('return=everything')).toBe('representation')
    expect(preferReturn('handling=strict')).toBe('representation')
    expect(preferReturn('noreturn=minimal')).toBe('representation')
  })

  it('allows case, spaces, quotes and other preferences around it', () => {
    expect(preferReturn('RETURN=MINIMAL')).toBe('minimal')
    expect(preferReturn('return = "minimal"')).toBe('minimal')
    expect(preferReturn('handling=strict, return=operationoutcome')).toBe('OperationOutcome')
    expect(preferReturn('respond-async; return=minimal')).toBe('minimal')
    expect(preferReturn('wait=10 return=minimal')).toBe('minimal')
  })

  it('reads a header sent more than once', () => {
    expect(preferReturn(['handling=lenient', 'return=minimal'])).toBe('minimal')
    expect(preferReturn([])).toBe('representation')
  })

  it('does not take a longer word for a known value', () => {
    expect(preferReturn('return=minimalist')).toBe('representation')
    expect(preferReturn('return=OperationOutcomes')).toBe('representation')
  })
})

describe('preferStrictHandling', () => {
  it('is true only for handling=strict', () => {
    expect(preferStrictHandling('handling=strict')).toBe(true)
    expect(preferStrictHandling('Handling = "STRICT"')).toBe(true)
    expect(preferStrictHandling('return=minimal, handling=strict')).toBe(true)
    expect(preferStrictHandling(['return=minimal', 'handling=strict'])).toBe(true)
    expect(preferStrictHandling('handling=lenient')).toBe(false)
    expect(preferStrictHandling('return=minimal')).toBe(false)
    expect(preferStrictHandling('mishandling=strict')).toBe(false)
    expect(preferStrictHandling(undefined)).toBe(false)
  })

  it('does not take a longer word for strict', () => {
    expect(preferStrictHandling('handling=strictly')).toBe(false)
  })
})
