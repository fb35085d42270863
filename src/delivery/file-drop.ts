import { createHash, randomUUID } from 'node:crypto'
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
  /** the referral the row is for (the envelope's referralId, the row's first column) */
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

/** More column layouts than this in one day is a fault (a mapping flapping), not a deployment. */
const MAX_PARTS = 20

/**
 * Creates the daily file drop: for a csv partnership whose endpoint is a folder, each delivery
 * becomes one row of `<partnership>-referrals-<England date>.csv`, which the partnership's case
 * system collects once a day. It is written so that the partnership never sees a broken or
 * doubled file:
 * - a new file appears with its header already in it (written aside, then hard-linked into
 *   place: link() fails if the file exists, so two writers cannot both add a header);
 * - a file only ever holds rows of its own header: when the mapping's columns change during a
 *   day (a new mapping version, e.g. the status columns a cancellation needs), rows of the new
 *   layout go to the day's next part, `…-<date>-2.csv` (dailyDropFileName);
 * - a row is one O_APPEND write, flushed (fdatasync) before the delivery counts as done;
 * - the same row is never appended twice: a worker that crashed after the write but before
 *   recording it tries again, finds the identical record (in today's or yesterday's files) and
 *   records it as delivered. The whole record is the key, not the referral id: one referral
 *   has several rows over its life — the referral, a change, its cancellation (status
 *   columns revoked / cancelled) — and each must reach the file once. A delivery that maps to
 *   exactly the row already there (say, a referral row sent after its cancellation, both
 *   mapping the referral as it now stands) is written once. An index of record hashes per
 *   file is kept up to date by reading only what was appended since the last look
 *   (refreshIndex).
 *
 * A retry that straddles a change of columns is not recognised (its record has the new
 * columns, the row in the file the old ones) and is written again in the new layout.
 * Appends to one day's files are serialised within the process; across processes the outbox
 * lease already keeps one delivery with one worker at a time.
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

  /** A file's index brought up to date (undefined when there is no such file); reads only what was added since the last look. */
  const indexOf = async (file: string): Promise<FileIndex | undefined> =>
    serialised(`index ${file}`, async () => {
      const index = await refreshIndex(file, indexes.get(file))
      if (index === undefined) indexes.delete(file)
      else indexes.set(file, index)
      return index
    })

  return {
    async append (delivery) {
      let days: Date[]
      let today: string
      try {
        const seen = new Map<string, Date>()
        for (const ms of LOOK_BACK_MS) {
          const at = new Date(delivery.at.getTime() - ms)
          seen.set(dailyDropFileName(delivery.partnershipId, at), at)
        }
        days = [...seen.values()]
        today = path.join(delivery.directory, dailyDropFileName(delivery.partnershipId, delivery.at))
      } catch (err) {
        return { kind: 'failure', error: `file drop: ${errorCode(err)}` }
      }
      const partFile = (at: Date, part: number): string => path.join(delivery.directory, dailyDropFileName(delivery.partnershipId, at, part))
      // the indexes of an older day's files of this partnership are no longer needed
      const stems = days.map((at) => partFile(at, 1).slice(0, -'.csv'.length))
      const prefix = path.join(delivery.directory, `${delivery.partnershipId}-referrals-`)
      for (const key of indexes.keys()) {
        if (key.startsWith(prefix) && !stems.some((stem) => key.startsWith(stem))) indexes.delete(key)
      }
      try {
        return await serialised(today, async () => {
          const withHeader = csvRowsForDrop(delivery.mapped, true)
          const row = csvRowsForDrop(delivery.mapped, false)
          const header = withHeader.slice(0, withHeader.length - row.length)
          const key = recordKey(row.slice(0, -2))
          for (const at of days) {
            for (let part = 1; part <= MAX_PARTS; part++) {
              const f = partFile(at, part)
              const index = await indexOf(f)
              if (index === undefined) break
              if (index.keys.has(key)) return { kind: 'already-there', file: f }
            }
          }
          for (let part = 1; part <= MAX_PARTS; part++) {
            const f = partFile(delivery.at, part)
            if (await indexOf(f) === undefined) {
              await mkdir(delivery.directory, { recursive: true })
              // another writer may have made it first, with its own header: looked at below
              await createWithHeader(f, header)
            }
            if ((await indexOf(f))?.header === header.slice(0, -2)) {
              await writeDurably(f, row, 'a')
              return { kind: 'appended', file: f }
            }
          }
          return { kind: 'failure', error: `file drop: more than ${MAX_PARTS} column layouts today` }
        })
      } catch (err) {
        // only the error code: a message can quote the path, which is configuration, not PHI,
        // but the code is what an operator acts on
        return { kind: 'failure', error: `file drop: ${errorCode(err)}` }
      }
    }
  }
}

/** What identifies a data record in a file's index: a hash of its whole text (bounded memory, no PHI kept). */
function recordKey (record: string): string {
  return createHash('sha256').update(record).digest('base64url')
}

/**
 * What has been read of one daily file: how many bytes, its header (the first record), the
 * keys of every data record after it, and the text not yet part of a whole record.
 */
interface FileIndex {
  bytes: number
  header?: string
  keys: Set<string>
  /** keeps a UTF-8 character split across two reads whole */
  decoder: StringDecoder
  /** text after the last CRLF: a line another writer has not finished */
  carry: string
  /** lines of a record whose quoted value holds a CRLF, until its closing quote (RFC 4180 §2.6) */
  open?: string
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
    const index: FileIndex = known !== undefined && size >= known.bytes ? known : { bytes: 0, keys: new Set<string>(), decoder: new StringDecoder('utf8'), carry: '' }
    while (index.bytes < size) {
      const buffer = Buffer.alloc(Math.min(size - index.bytes, 1 << 20))
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, index.bytes)
      if (bytesRead === 0) break
      index.bytes += bytesRead
      const lines = (index.carry + index.decoder.write(buffer.subarray(0, bytesRead))).split('\r\n')
      index.carry = lines.pop() ?? ''
      for (const line of lines) {
        const record = index.open === undefined ? line : `${index.open}\r\n${line}`
        // an odd number of quotes so far: the CRLF was inside a quoted value (quotes inside
        // one are doubled, so they never change the parity)
        if (quoteCount(record) % 2 === 1) {
          index.open = record
          continue
        }
        delete index.open
        if (index.header === undefined) index.header = record
        else index.keys.add(recordKey(record))
      }
    }
    return index
  } finally {
    await handle.close()
  }
}

function quoteCount (text: string): number {
  let n = 0
  for (let i = text.indexOf('"'); i !== -1; i = text.indexOf('"', i + 1)) n++
  return n
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
