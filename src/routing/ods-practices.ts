import { readFile } from 'node:fs/promises'

/** One GP practice from the ODS epraccur file: the columns the area check needs. */
export interface OdsPractice {
  /** practice ODS code (column 1) */
  code: string
  /** column 13: A active, C closed, D dormant, P proposed */
  status: string
  /** column 4, high-level health geography: the ICB */
  icb: string
  /** column 15, commissioner: the sub-ICB location */
  commissioner: string
}

/**
 * Splits one CSV line (RFC 4180 quoting, as NHS Digital publishes epraccur: no header row,
 * every field quoted). Pure.
 */
function csvFields (line: string): string[] {
  const out: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') { field += '"'; i++ } else if (ch === '"') quoted = false
      else field += ch
    } else if (ch === '"') quoted = true
    else if (ch === ',') { out.push(field); field = '' } else field += ch
  }
  out.push(field)
  return out
}

/**
 * Reads ODS epraccur text (GP practices: code, name, national grouping, ICB, address lines,
 * postcode, open and close dates, status, sub-type, commissioner, ...). Lines too short to
 * carry the commissioner column are refused with their line number, so a truncated or wrong
 * file stops the start rather than quietly shrinking the areas. Pure.
 */
export function parseEpraccur (text: string): Map<string, OdsPractice> {
  const out = new Map<string, OdsPractice>()
  const lines = text.split(/\r?\n/)
  lines.forEach((line, i) => {
    if (line.trim() === '') return
    const f = csvFields(line).map((v) => v.trim())
    const [code, , , icb] = f
    const status = f[12]
    const commissioner = f[14]
    if (f.length < 15 || code === undefined || icb === undefined || status === undefined || commissioner === undefined || !/^[A-Z][0-9]{5}$/.test(code)) {
      throw new Error(`line ${i + 1}: not an epraccur practice row (expected a practice code and at least 15 columns)`)
    }
    out.set(code, { code, status, icb, commissioner })
  })
  return out
}

/** Reads and parses an epraccur file; errors name the file. */
export async function loadOdsPractices (file: string): Promise<Map<string, OdsPractice>> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw new Error(`${file}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`)
  }
  try {
    return parseEpraccur(text)
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`)
  }
}

/** Active practices (status A) commissioned by any of the given sub-ICB locations, sorted. */
export function practicesCommissionedBy (ods: ReadonlyMap<string, OdsPractice>, subIcbCodes: readonly string[]): string[] {
  const wanted = new Set(subIcbCodes)
  return [...ods.values()].filter((p) => p.status === 'A' && wanted.has(p.commissioner)).map((p) => p.code).sort()
}
