import { describe, expect, it } from 'vitest'
import { parseRequestJson } from '../../../src/fhir/parse-json.ts'
import { OperationOutcomeError } from '../../../src/fhir/operation-outcome.ts'

function refusal (text: string): OperationOutcomeError {
  try {
    parseRequestJson(text)
  } catch (err) {
    expect(err).toBeInstanceOf(OperationOutcomeError)
    return err as OperationOutcomeError
  }
  throw new Error(`accepted ${text}`)
}

describe('parseRequestJson', () => {
  it('refuses __proto__ and constructor.prototype keys at any depth, and pollutes nothing', () => {
    for (const text of [
      '{"__proto__":{"polluted":true}}',
      '{"resourceType":"Task","a":[{"b":{"__proto__":{"polluted":true}}}]}',
      '{"constructor":{"prototype":{"polluted":true}}}',
      '{"x":{"constructor":{"prototype":{"polluted":true}}}}'
    ]) {
      const e = refusal(text)
      expect(e.status).toBe(400)
      expect(e.issues[0]?.code).toBe('security')
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('keeps harmless "constructor" values and escaped lookalikes as data', () => {
    expect(parseRequestJson('{"note":"__proto__","constructor":"x"}')).toStrictEqual({ note: '__proto__', constructor: 'x' })
  })

  it('refuses deep nesting and huge arrays before parsing, and malformed JSON', () => {
    expect(refusal('['.repeat(100) + ']'.repeat(100)).issues[0]?.code).toBe('too-costly')
    expect(refusal(`[${'0,'.repeat(20_000)}0]`).issues[0]?.code).toBe('too-costly')
    expect(refusal('{"a":').issues[0]?.code).toBe('structure')
  })
})
