import { describe, expect, it, vi } from 'vitest'
import { createSettler } from '../../../src/delivery/settler.ts'
import type { OutboxStore } from '../../../src/store/outbox-store.ts'

const clock = { now: () => new Date('2026-11-20T10:00:00.000Z') }

/** The one store method a settler calls, to spy on. */
function outbox (): Pick<OutboxStore, 'settleDeliveries'> {
  return { settleDeliveries: async () => undefined }
}

describe('settler (group commit of outcomes)', () => {
  it('writes outcomes recorded in the same turn in one store call', async () => {
    const store = outbox()
    const settle = vi.spyOn(store, 'settleDeliveries')
    const settler = createSettler(store, clock)
    await Promise.all(['a', 'b', 'c'].map(async (id) => { await settler.record({ id, outcome: 'delivered', responseStatus: 201 }) }))
    expect(settle).toHaveBeenCalledTimes(1)
    expect(settle.mock.calls[0]?.[0].map((s) => s.id)).toEqual(['a', 'b', 'c'])
  })

  it('splits at maxBatch and batches what arrives while a write runs', async () => {
    const store = outbox()
    let release: () => void = () => undefined
    const sizes: number[] = []
    vi.spyOn(store, 'settleDeliveries').mockImplementation(async (s) => {
      sizes.push(s.length)
      if (sizes.length === 1) await new Promise<void>((resolve) => { release = resolve })
    })
    const settler = createSettler(store, clock, 2)
    const first = settler.record({ id: 'a', outcome: 'delivered', responseStatus: 200 })
    await new Promise((resolve) => setImmediate(resolve))
    const later = ['b', 'c', 'd'].map(async (id) => { await settler.record({ id, outcome: 'delivered', responseStatus: 200 }) })
    release()
    await Promise.all([first, ...later])
    await settler.drain()
    expect(sizes).toEqual([1, 2, 1])
  })

  it('with a linger, outcomes recorded over several turns share one commit; a full batch or drain() writes at once', async () => {
    const store = outbox()
    const settle = vi.spyOn(store, 'settleDeliveries')
    // a linger far longer than the test may run: only a full batch or drain() can write
    const settler = createSettler(store, clock, 3, 600_000)
    const a = settler.record({ id: 'a', outcome: 'delivered', responseStatus: 201 })
    await new Promise((resolve) => setImmediate(resolve))
    const b = settler.record({ id: 'b', outcome: 'delivered', responseStatus: 201 })
    await new Promise((resolve) => setImmediate(resolve))
    expect(settle).not.toHaveBeenCalled()
    // the third fills the batch: written without waiting for the linger
    await Promise.all([a, b, settler.record({ id: 'c', outcome: 'delivered', responseStatus: 201 })])
    expect(settle.mock.calls.map((c) => c[0].map((s) => s.id))).toEqual([['a', 'b', 'c']])

    const d = settler.record({ id: 'd', outcome: 'delivered', responseStatus: 201 })
    await settler.drain()
    await d
    expect(settle.mock.calls.map((c) => c[0].map((s) => s.id))).toEqual([['a', 'b', 'c'], ['d']])
  })

  it('rejects every outcome of a batch the store could not write', async () => {
    const store = outbox()
    vi.spyOn(store, 'settleDeliveries').mockRejectedValueOnce(new Error('disk full'))
    const settler = createSettler(store, clock)
    const results = await Promise.allSettled(['a', 'b'].map(async (id) => { await settler.record({ id, outcome: 'delivered', responseStatus: 200 }) }))
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected'])
    await expect(settler.record({ id: 'c', outcome: 'delivered', responseStatus: 200 })).resolves.toBeUndefined()
  })
})
