import { isAbsolute, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { englandDate } from '../england-date.ts'
import { CONTENT_TYPES } from './mapping.ts'

/**
 * Pure helpers for the csv "daily file drop": instead of a POST per referral, a partnership's
 * case system collects one CSV file a day from a folder. The appending itself (I/O) is
 * src/delivery/file-drop.ts; these decide the folder, the file name and the bytes to append.
 */

/** A successful csv mapping result (MapResult with ok true). */
export interface CsvMapped {
  contentType: string
  body: string
}

/**
 * The folder a partnership's daily files go to, from its delivery endpoint, or undefined when
 * the endpoint is an http(s) URL (POST delivery, not a file drop).
 * - `file:///abs/dir` is that absolute folder;
 * - anything else is a path relative to the data folder (WORKWELL_DATA_DIR), which it must
 *   stay inside.
 * @param endpoint - partnership.json delivery.endpoint
 * @param dataDir - the gateway's data folder (absolute, or relative to the working directory)
 * @throws Error when a relative path leaves the data folder (or there is no data folder) or
 *   the file URL has a host
 */
export function fileDropDirectory (endpoint: string, dataDir: string | undefined): string | undefined {
  if (/^https?:\/\//i.test(endpoint)) {
    return undefined
  }
  if (/^file:/i.test(endpoint)) {
    // fileURLToPath rejects file://host/... on POSIX and relative file: URLs
    return fileURLToPath(endpoint)
  }
  if (dataDir === undefined) {
    throw new Error(`file drop '${endpoint}' is relative to the data folder, and none was given`)
  }
  const base = resolve(dataDir)
  const dir = resolve(base, endpoint)
  const inside = relative(base, dir)
  if (endpoint.trim() === '' || isAbsolute(endpoint) || inside === '' || inside.startsWith('..') || isAbsolute(inside)) {
    throw new Error(`file drop '${endpoint}' must be a file:/// URL or a folder inside the data folder`)
  }
  return dir
}

/**
 * The name of a partnership's CSV file for the England calendar day (Europe/London) of an
 * instant, e.g. `cambridgeshire-and-peterborough-referrals-2026-11-20.csv`: a referral mapped
 * at 00:30 BST belongs to that day's file, not the previous UTC day's.
 *
 * A day has more than one file only when the mapping's columns change during it (a new mapping
 * version deployed): one file holds one header, so rows of the new layout go to
 * `…-2026-11-20-2.csv` (then `-3` …) rather than under a header that does not describe them.
 * @param partnershipId - kebab-case partnership id (a safe file name already)
 * @param at - when the referral is dropped
 * @param part - 1 for the day's file, 2 and on for the files of later column layouts
 */
export function dailyDropFileName (partnershipId: string, at: Date, part = 1): string {
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(partnershipId)) {
    throw new Error(`not a partnership id: '${partnershipId}'`)
  }
  if (!Number.isInteger(part) || part < 1) {
    throw new Error(`not a file part: ${part}`)
  }
  return `${partnershipId}-referrals-${englandDate(at)}${part === 1 ? '' : `-${part}`}.csv`
}

/**
 * The text to append to a daily file for one mapped referral: its CSV data row(s), preceded by
 * the header row when the file is new (empty). Every record ends in CRLF (RFC 4180), so
 * appends concatenate into one valid CSV file.
 * @param result - a successful mapping of a csv-format partnership
 * @param includeHeader - true for the first referral of the file
 * @throws Error when the result is not CSV
 */
export function csvRowsForDrop (result: CsvMapped, includeHeader: boolean): string {
  if (result.contentType !== CONTENT_TYPES.csv) {
    throw new Error(`a daily file drop takes csv output, not ${result.contentType}`)
  }
  if (includeHeader) {
    return result.body
  }
  // the header is the first record; its names never hold a line break (mapping-schema.ts)
  const end = result.body.indexOf('\r\n')
  return end === -1 ? '' : result.body.slice(end + 2)
}
