export type PreferReturn = 'minimal' | 'representation' | 'OperationOutcome'

/** Prefer: return=… (R4 http.html §3.1.0.8.1); representation when absent or unknown. */
export function preferReturn (header: string | string[] | undefined): PreferReturn {
  const value = Array.isArray(header) ? header.join(',') : header ?? ''
  const m = /(?:^|[,;\s])return\s*=\s*"?(minimal|representation|OperationOutcome)"?(?=$|[,;\s])/i.exec(value)
  const v = m?.[1]?.toLowerCase()
  if (v === 'minimal') return 'minimal'
  if (v === 'operationoutcome') return 'OperationOutcome'
  return 'representation'
}

/** Prefer: handling=strict makes unknown search parameters an error (R4 search.html §3.1.1.5). */
export function preferStrictHandling (header: string | string[] | undefined): boolean {
  const value = Array.isArray(header) ? header.join(',') : header ?? ''
  return /(?:^|[,;\s])handling\s*=\s*"?strict"?(?=$|[,;\s])/i.test(value)
}
