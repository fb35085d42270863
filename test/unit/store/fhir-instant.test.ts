import { describe, expect, it } from 'vitest'
import { instantBounds, normaliseInstant, parseInstantRange } from '../../../src/store/fhir-instant.ts'

describe('parseInstantRange', () => {
  it('covers the whole period a less precise value names', () => {
    expect(parseInstantRange('2026')).toEqual({ start: '2026-01-01T00:00:00.000Z', end: '2027-01-01T00:00:00.000Z' })
    expect(parseInstantRange('2026-12')).toEqual({ start: '2026-12-01T00:00:00.000Z', end: '2027-01-01T00:00:00.000Z' })
    expect(parseInstantRange('2028-02-29')).toEqual({ start: '2028-02-29T00:00:00.000Z', end: '2028-03-01T00:00:00.000Z' })
    expect(parseInstantRange('2026-03-01T10:15Z')).toEqual({ start: '2026-03-01T10:15:00.000Z', end: '2026-03-01T10:16:00.000Z' })
    expect(parseInstantRange('2026-03-01T10:15:30Z')).toEqual({ start: '2026-03-01T10:15:30.000Z', end: '2026-03-01T10:15:31.000Z' })
    expect(parseInstantRange('2026-03-01T10:15:30.5Z')).toEqual({ start: '2026-03-01T10:15:30.500Z', end: '2026-03-01T10:15:30.600Z' })
    expect(parseInstantRange('2026-03-01T10:15:30.123Z')).toEqual({ start: '2026-03-01T10:15:30.123Z', end: '2026-03-01T10:15:30.124Z' })
    // digits past the millisecond are cut, and the range is one millisecond
    expect(parseInstantRange('2026-03-01T10:15:30.123999Z')).toEqual({ start: '2026-03-01T10:15:30.123Z', end: '2026-03-01T10:15:30.124Z' })
  })

  it('converts offsets to UTC and reads a missing zone as UTC', () => {
    expect(normaliseInstant('2026-03-01T00:30:00+01:00')).toBe('2026-02-28T23:30:00.000Z')
    expect(normaliseInstant('2026-03-01T23:30:00-05:30')).toBe('2026-03-02T05:00:00.000Z')
    expect(normaliseInstant('2026-03-01T10:00:00')).toBe('2026-03-01T10:00:00.000Z')
    expect(normaliseInstant('2026-03-01T10:00:00.000Z')).toBe('2026-03-01T10:00:00.000Z')
  })

  it('rejects what is not a FHIR date/dateTime', () => {
    for (const bad of ['', 'yesterday', '2026-13', '2026-02-30', '2026-03-01T24:00:00Z', '2026-03-01T10:60:00Z',
      '2026-03-01T10:00:60Z', '2026-03-01T10:00:00+15:00', '2026-03Z', '26-03-01', '2026-03-01 10:00:00Z', '0099']) {
      expect(() => parseInstantRange(bad), bad).toThrow(RangeError)
    }
  })

  it('rejects an invalid instant even when it has the stored form (normaliseInstant\'s shortcut)', () => {
    for (const bad of ['2026-02-29T10:00:00.000Z', '2026-04-31T10:00:00.000Z', '2026-03-01T24:00:00.000Z', '0099-03-01T10:00:00.000Z']) {
      expect(() => normaliseInstant(bad), bad).toThrow(RangeError)
    }
    expect(normaliseInstant('2024-02-29T23:59:59.999Z')).toBe('2024-02-29T23:59:59.999Z')
  })
})

describe('instantBounds', () => {
  const day = '2026-03-02'
  it('maps each prefix to bounds on the range', () => {
    expect(instantBounds([])).toEqual({})
    expect(instantBounds([{ prefix: 'eq', value: day }])).toEqual({ from: '2026-03-02T00:00:00.000Z', to: '2026-03-03T00:00:00.000Z' })
    expect(instantBounds([{ prefix: 'gt', value: day }])).toEqual({ from: '2026-03-03T00:00:00.000Z' })
    expect(instantBounds([{ prefix: 'ge', value: day }])).toEqual({ from: '2026-03-02T00:00:00.000Z' })
    expect(instantBounds([{ prefix: 'lt', value: day }])).toEqual({ to: '2026-03-02T00:00:00.000Z' })
    expect(instantBounds([{ prefix: 'le', value: day }])).toEqual({ to: '2026-03-03T00:00:00.000Z' })
  })

  it('keeps the tightest bound when comparisons are combined', () => {
    expect(instantBounds([
      { prefix: 'ge', value: '2026-03-01' },
      { prefix: 'gt', value: '2026-03-01T12:00:00.000Z' },
      { prefix: 'le', value: '2026-03-10' },
      { prefix: 'lt', value: '2026-03-05' }
    ])).toEqual({ from: '2026-03-01T12:00:00.001Z', to: '2026-03-05T00:00:00.000Z' })
  })
})
