import type { AccessScope } from './store.ts'

/**
 * The WHERE condition that keeps a query inside a caller's scope (store.ts AccessScope): the
 * row's referral was made by one of the caller's ODS codes or routed to one of its
 * partnerships. Values are bound through `bind`, which returns the placeholder to use, so one
 * function serves SQLite's and PostgreSQL's placeholder styles. An empty scope matches nothing.
 */
export function scopeCondition (scope: AccessScope, odsColumn: string, ownerColumn: string, bind: (value: string) => string): string {
  const parts: string[] = []
  if (scope.odsCodes.length > 0) parts.push(`${odsColumn} IN (${scope.odsCodes.map(bind).join(', ')})`)
  if (scope.partnerships.length > 0) parts.push(`${ownerColumn} IN (${scope.partnerships.map(bind).join(', ')})`)
  return parts.length === 0 ? '1 = 0' : `(${parts.join(' OR ')})`
}
