import { vi } from 'vitest'

/**
 * Waits until `check` holds, polling every 20 ms; the one waiting helper of the tests (no fixed
 * sleeps: a test waits for the state it needs, however slow the machine). Built on vitest's
 * waitFor.
 *
 * @throws Error naming `what` when it does not hold within `ms`
 */
export async function until (check: () => boolean | Promise<boolean>, ms = 15_000, what = 'condition'): Promise<void> {
  await vi.waitFor(async () => {
    if (!(await check())) throw new Error(`timed out waiting for ${what}`)
  }, { timeout: ms, interval: 20 })
}
