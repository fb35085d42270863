import { describe, expect, it } from 'vitest'
import { createGroupCommit, type ItemOutcome } from '../../../src/store/group-commit.ts'

const turn = async (): Promise<void> => { await new Promise((resolve) => { setImmediate(resolve) }) }

/** A commit that records each group and, when held, waits until released. */
function recorder (): { groups: string[][], hold: () => void, release: () => void, commit: (group: readonly string[]) => Promise<void> } {
  const groups: string[][] = []
  let held: Promise<void> | undefined
  let release = (): void => undefined
  return {
    groups,
    hold () { held = new Promise((resolve) => { release = resolve }) },
    release: () => { release() },
    async commit (group) {
      groups.push([...group])
      const wait = held
      held = undefined
      await wait
    }
  }
}

describe('group commit', () => {
  it('commits the items added in one turn together, answering each only after the commit', async () => {
    const r = recorder()
    r.hold()
    const group = createGroupCommit({ commit: r.commit })
    const answered: string[] = []
    const adds = ['a', 'b', 'c'].map(async (id) => { await group.add(id); answered.push(id) })
    await turn()
    expect(r.groups).toEqual([['a', 'b', 'c']])
    expect(answered).toEqual([])
    r.release()
    await Promise.all(adds)
    expect(answered.sort()).toEqual(['a', 'b', 'c'])
  })

  it('collects what arrives while a commit runs into the next commit, started as soon as it ends', async () => {
    const r = recorder()
    r.hold()
    const group = createGroupCommit({ commit: r.commit })
    const first = group.add('a')
    await turn()
    const later = ['b', 'c', 'd'].map(async (id) => group.add(id))
    await turn()
    // one commit at a time: b, c and d wait for a's
    expect(r.groups).toEqual([['a']])
    r.release()
    await Promise.all([first, ...later])
    expect(r.groups).toEqual([['a'], ['b', 'c', 'd']])
  })

  it('splits at maxGroup', async () => {
    const r = recorder()
    const group = createGroupCommit({ commit: r.commit, maxGroup: 2 })
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map(async (id) => group.add(id)))
    expect(r.groups).toEqual([['a', 'b'], ['c', 'd'], ['e']])
  })

  it('with a linger, items over several turns share one commit; a full group or drain() writes at once', async () => {
    const r = recorder()
    // a linger far longer than the test may run: only a full group or drain() can write
    const group = createGroupCommit({ commit: r.commit, maxGroup: 3, lingerMs: 600_000 })
    const a = group.add('a')
    await turn()
    const b = group.add('b')
    await turn()
    expect(r.groups).toEqual([])
    await Promise.all([a, b, group.add('c')])
    expect(r.groups).toEqual([['a', 'b', 'c']])
    const d = group.add('d')
    await group.drain()
    await d
    expect(r.groups).toEqual([['a', 'b', 'c'], ['d']])
  })

  it('rejects every item of a group whose commit throws, and goes on with the next', async () => {
    let fail = true
    const group = createGroupCommit<string>({
      commit: () => {
        if (fail) {
          fail = false
          throw new Error('disk full')
        }
      }
    })
    const results = await Promise.allSettled(['a', 'b'].map(async (id) => group.add(id)))
    expect(results.map((r) => r.status === 'rejected' && (r.reason as Error).message)).toEqual(['disk full', 'disk full'])
    await expect(group.add('c')).resolves.toBeUndefined()
  })

  it('answers each item with its own outcome when the commit gives them', async () => {
    const group = createGroupCommit<string>({
      commit: (items): ItemOutcome[] => items.map((id) => (id === 'bad' ? { ok: false, error: new Error(`${id} refused`) } : { ok: true }))
    })
    const results = await Promise.allSettled(['a', 'bad', 'c'].map(async (id) => group.add(id)))
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect(results[1]?.status === 'rejected' && (results[1].reason as Error).message).toBe('bad refused')
  })

  it('runs several commits at once up to maxInFlight', async () => {
    const r = recorder()
    r.hold()
    const group = createGroupCommit({ commit: r.commit, maxInFlight: 2 })
    const first = group.add('a')
    await turn()
    // a's commit is still running, yet b's starts beside it
    const second = group.add('b')
    await turn()
    expect(r.groups).toEqual([['a'], ['b']])
    r.release()
    await Promise.all([first, second])
  })

  it('drain() waits for a running commit and for what is queued behind it', async () => {
    const r = recorder()
    r.hold()
    const group = createGroupCommit({ commit: r.commit })
    const adds = [group.add('a')]
    await turn()
    adds.push(group.add('b'))
    let drained = false
    const draining = group.drain().then(() => { drained = true })
    await turn()
    expect(drained).toBe(false)
    r.release()
    await draining
    expect(r.groups).toEqual([['a'], ['b']])
    await Promise.all(adds)
  })

  it('refuses options that could never commit', () => {
    expect(() => createGroupCommit({ commit: () => undefined, maxGroup: 0 })).toThrow(RangeError)
    expect(() => createGroupCommit({ commit: () => undefined, maxInFlight: 0 })).toThrow(RangeError)
    expect(() => createGroupCommit({ commit: () => undefined, lingerMs: -1 })).toThrow(RangeError)
  })
})
