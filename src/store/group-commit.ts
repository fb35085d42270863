/**
 * Group commit, shared by every writer that makes one durable commit for many callers: the
 * SQLite store's referral saves, the PostgreSQL store's referral saves and the delivery
 * worker's attempt outcomes (docs/decisions/sqlite-writer.md: a commit per write caps writes
 * at the disk's flush rate). Items added in the same turn of the event loop (or within
 * `lingerMs` of the first), and while a commit is running, are committed together; each
 * caller is answered only once its item is committed or has failed.
 */
export interface GroupCommit<T> {
  /** Resolves once the item is committed; rejects with its own error, or its group's. */
  add: (item: T) => Promise<void>
  /** Resolves when everything added so far is committed (or has failed); a lingering group is written now. */
  drain: () => Promise<void>
}

/** How one item of a group ended, when a commit answers item by item. */
export type ItemOutcome = { ok: true } | { ok: false, error: unknown }

export interface GroupCommitOptions<T> {
  /**
   * Writes a group. Returning nothing means every item is committed; throwing means none is
   * (each caller gets the error); returning one outcome per item, in order, answers each on
   * its own (a writer that retries a failed group item by item, so only the one at fault fails).
   */
  commit: (group: readonly T[]) => void | readonly ItemOutcome[] | Promise<void | readonly ItemOutcome[]>
  /** the most items in one commit; a full group is written without waiting out the linger (default: no limit) */
  maxGroup?: number
  /** how long the first item of a group waits for others (default 0: the same turn of the event loop only) */
  lingerMs?: number
  /**
   * commits running at once (default 1: what arrives during a commit goes into the next one,
   * which starts as soon as it ends). A pooled networked store may run several.
   */
  maxInFlight?: number
}

interface Waiting<T> {
  item: T
  resolve: () => void
  reject: (err: unknown) => void
}

export function createGroupCommit<T> (options: GroupCommitOptions<T>): GroupCommit<T> {
  const maxGroup = options.maxGroup ?? Number.POSITIVE_INFINITY
  const lingerMs = options.lingerMs ?? 0
  const maxInFlight = options.maxInFlight ?? 1
  if (!(maxGroup >= 1) || !(maxInFlight >= 1) || !(lingerMs >= 0)) throw new RangeError('group commit: maxGroup and maxInFlight must be at least 1, lingerMs at least 0')
  let queue: Array<Waiting<T>> = []
  const inFlight = new Set<Promise<void>>()
  let timer: NodeJS.Timeout | undefined
  let scheduled = false

  const commitGroup = async (group: ReadonlyArray<Waiting<T>>): Promise<void> => {
    let outcomes: void | readonly ItemOutcome[]
    try {
      outcomes = await options.commit(group.map((w) => w.item))
    } catch (err) {
      for (const w of group) w.reject(err)
      return
    }
    group.forEach((w, i) => {
      const outcome = outcomes?.[i]
      if (outcome === undefined || outcome.ok) w.resolve()
      else w.reject(outcome.error)
    })
  }

  const start = (): void => {
    scheduled = false
    if (timer !== undefined) {
      clearTimeout(timer)
      timer = undefined
    }
    while (queue.length > 0 && inFlight.size < maxInFlight) {
      const group = queue.slice(0, maxGroup)
      queue = queue.slice(group.length)
      const work = commitGroup(group)
      inFlight.add(work)
      // commitGroup never rejects: every failure is handed to its callers
      work.then(() => {
        inFlight.delete(work)
        // what arrived during this commit goes at once: it has waited a commit's length already
        if (queue.length > 0 && !scheduled) start()
      }, () => undefined)
    }
  }

  const kick = (): void => {
    if (scheduled) {
      // a full group need not wait out the linger
      if (timer !== undefined && queue.length >= maxGroup) {
        clearTimeout(timer)
        timer = undefined
        setImmediate(start)
      }
      return
    }
    // the end of a running commit starts the next one
    if (inFlight.size >= maxInFlight) return
    scheduled = true
    if (lingerMs > 0 && queue.length < maxGroup) {
      timer = setTimeout(start, lingerMs)
      // what keeps the process up is the server's business, not a pending group
      timer.unref()
    } else {
      // setImmediate lets every caller of this turn join the same group
      setImmediate(start)
    }
  }

  return {
    async add (item) {
      const done = new Promise<void>((resolve, reject) => { queue.push({ item, resolve, reject }) })
      kick()
      return done
    },

    async drain () {
      if (timer !== undefined) start()
      const busy = (): boolean => queue.length > 0 || inFlight.size > 0 || scheduled
      while (busy()) {
        await (inFlight.size > 0 ? Promise.race(inFlight) : new Promise<void>((resolve) => { setImmediate(resolve) }))
      }
    }
  }
}
