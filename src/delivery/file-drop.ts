import { randomUUID } from 'node:crypto'
import { link, mkdir, open, rm } from 'node:fs/promises'
import path from 'node:path'
import { StringDecoder } from 'node:string_decoder'
import { csvRowsForDrop, dailyDropFileName } from '../mapping/daily-drop.ts'
import type { CsvMapped } from '../mapping/daily-drop.ts'

/** One mapped csv referral to add to its partnership's daily file. */
export interface DropDelivery {
  partnershipId: string
  /** the folder the partnership collects its files from (fileDropDirectory) */
  directory: string
  /** the first column of every data row (the envelope's referralId): what makes a repeat visible */
  referralId: string
  mapped: CsvMapped
  /** when it is dropped: picks the England calendar day's file */
  at: Date
}

/** How a drop ended: written, already in the file (a repeat), or why the disk refused it. */
export type DropResult =
  | { kind: 'appended', file: string }
  | { kind: 'already-there', file: string }
  | { kind: 'failure', error: string }

/** Appends csv referrals to daily files. */
export interface FileDrop {
  /** Never throws: every failure is a DropResult the worker retries. */
  append: (delivery: DropDelivery) => Promise<DropResult>
}

/**
 * How far back a repeat is looked for: today's and yesterday's file are enough, because a
 * repeat follows a lost commit within one lease, not days later. Two offsets because an
 * England day is 23 to 25 hours long (clock changes): 12 and 24 hours back always reach the
 * previous calendar day from any time of day.
 */
const LOOK_BACK_MS = [0, 12 * 60 * 60 * 1000, 24 * 60 * 60 * 1000]

/**
 * Creates the daily file drop: for a csv partnership whose endpoint is a folder, each referral
 * becomes one row of `<partnership>-referrals-<England date>.csv`, which the partnership's case
 * system collects once a day. It is written so that the partnership never sees a broken or
 * doubled file:
 * - a new file appears with its header already in it (written aside, then hard-linked into
 *   place: link() fails if the file exists, so two writers cannot both add a header);
 * - a row is one O_APPEND write, flushed (fdatasync) before the delivery counts as done;
 * - the same referral is never appended twice: a worker that crashed after the write but
 *   before recording it tries again with the same referral, finds its row (in today's or
 *   yesterday's file) and records it as delivered. Every record starts with the referral id
 *   (the envelope comes first, map-referral.ts); an index of those ids per file is kept up
 *   to date by reading only what was appended since the last look (refreshIndex).
 * Appends to one file are serialised within the process; across processes the outbox lease
 * already keeps one referral with one worker at a time.
 */
export function createFileDrop (): FileDrop {
  const queues = new Map<string, Promise<unknown>>()
  const indexes = new Map<string, FileIndex>()

  /** Runs fn after every earlier call for the same key. */
  const serialised = async <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    const before = queues.get(key) ?? Promise.resolve()
    const run = before.then(fn, fn)
    const settled = run.then(() => undefined, () => undefined)
    queues.set(key, settled)
    // settled never rejects, so this cleanup cannot leave a rejection unhandled
    settled.then(() => { if (queues.get(key) === settled) queues.delete(key) }, () => undefined)
    return run
  }

  /** Whether a record of the file starts with the referral id; reads only what was added since the last look. */
  const holdsReferral = async (file: string, referralId: string): Promise<boolean> =>
    serialised(`index ${file}`, async () => {
      const index = await refreshIndex(file, indexes.get(file))
      if (index === undefined) {
        indexes.delete(file)
        return false
      }
      indexes.set(file, index)
      return index.ids.has(referralId)
    })

  return {
    async append (delivery) {
      let recent: string[]
      try {
        recent = [...new Set(LOOK_BACK_MS.map((ms) => path.join(delivery.directory, dailyDropFileName(delivery.partnershipId, new Date(delivery.at.getTime() - ms)))))]
      } catch (err) {
        return { kind: 'failure', error: `file drop: ${errorCode(err)}` }
      }
      // the index of an older day's file of this partnership is no longer needed
      const prefix = path.join(delivery.directory, `${delivery.partnershipId}-referrals-`)
      for (const key of indexes.keys()) {
        if (key.startsWith(prefix) && !recent.includes(key)) indexes.delete(key)
      }
      const file = recent[0] ?? ''
      try {
        return await serialised(file, async () => {
          for (const f of recent) {
            if (await holdsReferral(f, delivery.referralId)) return { kind: 'already-there', file: f }
          }
          const withHeader = csvRowsForDrop(delivery.mapped, true)
          const row = csvRowsForDrop(delivery.mapped, false)
          await mkdir(delivery.directory, { recursive: true })
          await createWithHeader(file, withHeader.slice(0, withHeader.length - row.length))
          await writeDurably(file, row, 'a')
          return { kind: 'appended', file }
        })
      } catch (err) {
        // only the error code: a message can quote the path, which is configuration, not PHI,
        // but the code is what an operator acts on
        return { kind: 'failure', error: `file drop: ${errorCode(err)}` }
      }
    }
  }
}

/**
 * What has been read of one daily file: how many bytes, the first field of every record seen
 * (the referral ids, the header's first name, and any line of a quoted multi-line value: none
 * of those can equal a gateway UUID), and the text after the last CRLF.
 */
interface FileIndex {
  bytes: number
  ids: Set<string>
  /** keeps a UTF-8 character split across two reads whole */
  decoder: StringDecoder
  /** text after the last CRLF: a record another writer has not finished */
  carry: string
}

/**
 * Brings a file's index up to date by reading only the bytes added since it was last read, so
 * checking for repeats costs the length of the file once, not once per row. Rows other
 * processes append (another worker, or one that died after writing) are read like ours.
 * @returns the index, or undefined when the file does not exist
 */
async function refreshIndex (file: string, known: FileIndex | undefined): Promise<FileIndex | undefined> {
  let handle
  try {
    handle = await open(file, 'r')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  try {
    const { size } = await handle.stat()
    // a file that shrank was replaced (say, collected and rewritten): read it afresh
    const index = known !== undefined && size >= known.bytes ? known : { bytes: 0, ids: new Set<string>(), decoder: new StringDecoder('utf8'), carry: '' }
    while (index.bytes < size) {
      const buffer = Buffer.alloc(Math.min(size - index.bytes, 1 << 20))
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, index.bytes)
      if (bytesRead === 0) break
      index.bytes += bytesRead
      const records = (index.carry + index.decoder.write(buffer.subarray(0, bytesRead))).split('\r\n')
      index.carry = records.pop() ?? ''
      for (const record of records) {
        const comma = record.indexOf(',')
        index.ids.add(comma === -1 ? record : record.slice(0, comma))
      }
    }
    return index
  } finally {
    await handle.close()
  }
}

/** Puts the header-only file in place unless the file exists already. */
async function createWithHeader (file: string, header: string): Promise<void> {
  const aside = `${file}.${randomUUID()}.tmp`
  try {
    await writeDurably(aside, header, 'wx')
    try {
      await link(aside, file)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      return
    }
    await syncDirectory(path.dirname(file))
  } finally {
    await rm(aside, { force: true })
  }
}

async function writeDurably (file: string, text: string, flags: 'a' | 'wx'): Promise<void> {
  const handle = await open(file, flags, 0o640)
  try {
    await handle.write(text)
    await handle.datasync()
  } finally {
    await handle.close()
  }
}

/** A new directory entry survives a power cut only once its directory is flushed too. */
async function syncDirectory (dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

function errorCode (err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code
  if (typeof code === 'string') return code
  return err instanceof Error ? err.name : 'error'
}
