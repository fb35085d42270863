/** The most issues quoted from one rejection. */
const MAX_ISSUES = 5
/** Issue codes, coding codes and element paths: anything else could be free text. */
const SAFE_TOKEN = /^[A-Za-z0-9_.\-[\]()/:|#]{1,120}$/

/**
 * Extracts the coded part of a partner's 4xx answer, for the dead letter's reason. Only an
 * OperationOutcome is read, and of it only issue severity, code, details.coding codes and
 * expression: diagnostics and text are free text that could quote the referral (PHI), so
 * they are never kept.
 * @param contentType - the response Content-Type
 * @param body - the response body (possibly truncated)
 * @returns e.g. "error required at Referral.practiceCode", or undefined when nothing coded
 */
export function summariseRejection (contentType: string, body: string): string | undefined {
  if (!/json/i.test(contentType) || body === '') {
    return undefined
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    return undefined
  }
  if (!isRecord(parsed) || parsed.resourceType !== 'OperationOutcome' || !Array.isArray(parsed.issue)) {
    return undefined
  }
  const parts: string[] = []
  for (const issue of parsed.issue.slice(0, MAX_ISSUES)) {
    if (!isRecord(issue)) continue
    const words = [safe(issue.severity), safe(issue.code)]
    const details = isRecord(issue.details) && Array.isArray(issue.details.coding) ? issue.details.coding : []
    for (const coding of details) {
      if (isRecord(coding)) words.push(safe(coding.code))
    }
    const where = Array.isArray(issue.expression) ? issue.expression.map(safe).filter((e) => e !== undefined) : []
    const text = words.filter((w) => w !== undefined).join(' ')
    if (text !== '') parts.push(where.length > 0 ? `${text} at ${where.join(', ')}` : text)
  }
  return parts.length === 0 ? undefined : parts.join('; ')
}

function safe (value: unknown): string | undefined {
  return typeof value === 'string' && SAFE_TOKEN.test(value) ? value : undefined
}

function isRecord (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
