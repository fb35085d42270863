import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import type { Task } from '@medplum/fhirtypes'
import { applyJsonPatch, parseJsonPatch } from '../../src/lifecycle/json-patch.ts'
import { OperationOutcomeError } from '../../src/fhir/operation-outcome.ts'

/**
 * Random JSON Patches against a Task: each is applied or refused with an OperationOutcome,
 * never holds the event loop past 100 ms, and never grows the heap by 50 MB. The grammar
 * favours the operations that grow a document (copy of an array into itself doubles it).
 */
const task: Task = {
  resourceType: 'Task',
  id: 't',
  status: 'requested',
  intent: 'order',
  note: [{ text: 'triage summary' }],
  output: [{ type: { text: 'service' }, valueString: 'physiotherapy' }]
}

const pointer = fc.constantFrom('/note', '/note/-', '/note/0', '/note/0/text', '/output', '/output/-', '/output/0', '/status', '/statusReason', '/businessStatus', '/executionPeriod')
const value = fc.oneof(
  fc.constant([{ text: 'x' }]),
  fc.constant({ text: 'y' }),
  fc.string({ maxLength: 200 }),
  fc.array(fc.record({ text: fc.string({ maxLength: 50 }) }), { maxLength: 20 }),
  fc.constant('x'.repeat(20_000))
)
const operation = fc.oneof(
  fc.record({ op: fc.constantFrom('add', 'replace', 'test'), path: pointer, value }),
  fc.record({ op: fc.constant('remove'), path: pointer }),
  { arbitrary: fc.record({ op: fc.constantFrom('copy', 'move'), from: pointer, path: pointer }), weight: 4 }
)

describe('JSON Patch fuzz', () => {
  it('applies or refuses every random patch, within 100 ms and 50 MB', () => {
    let worst = 0
    fc.assert(fc.property(fc.array(operation, { minLength: 1, maxLength: 90 }), (ops) => {
      const heapBefore = process.memoryUsage().heapUsed
      const started = performance.now()
      let result: Task | undefined
      try {
        result = applyJsonPatch(task, parseJsonPatch(ops))
      } catch (err) {
        expect(err).toBeInstanceOf(OperationOutcomeError)
        expect([400, 409, 422]).toContain((err as OperationOutcomeError).status)
      }
      const took = performance.now() - started
      worst = Math.max(worst, took)
      expect(took).toBeLessThan(100)
      expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(50 * 1024 * 1024)
      if (result !== undefined) expect(JSON.stringify(result).length).toBeLessThanOrEqual(131_072)
    }), { numRuns: 400 })
    expect(worst).toBeLessThan(100)
  })

  it('refuses the doubling patch (add a note, then copy the list into itself 26 times) before it grows', () => {
    const ops = [{ op: 'add', path: '/note', value: [{ text: 'x' }] }, ...Array.from({ length: 26 }, () => ({ op: 'copy', from: '/note', path: '/note/-' }))]
    const started = performance.now()
    expect(() => applyJsonPatch(task, parseJsonPatch(ops))).toThrow(/larger than 131072/)
    expect(performance.now() - started).toBeLessThan(100)
  })

  it('refuses too many operations and an oversized value before applying anything', () => {
    expect(() => parseJsonPatch(Array.from({ length: 65 }, () => ({ op: 'test', path: '/status', value: 'requested' })))).toThrow(/65 operations/)
    expect(() => parseJsonPatch([{ op: 'add', path: '/note/-', value: { text: 'x'.repeat(17_000) } }])).toThrow(/over 16384/)
  })
})
