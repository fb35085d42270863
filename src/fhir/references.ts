/**
 * Visits every Reference.reference string in a resource tree (any object with a string
 * `reference` property), letting the caller replace it. Used to rewrite `urn:uuid:` references
 * of a transaction to the ids the server assigns (R4 http.html §3.1.0.11.2).
 */
export function rewriteReferences<T> (value: T, rewrite: (reference: string, path: string) => string | undefined, path = ''): T {
  if (Array.isArray(value)) {
    return value.map((v, i) => rewriteReferences(v, rewrite, `${path}[${i}]`)) as T
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) {
      if (k === 'reference' && typeof v === 'string') {
        out[k] = rewrite(v, `${path}.reference`) ?? v
      } else {
        out[k] = rewriteReferences(v, rewrite, `${path}.${k}`)
      }
    }
    return out as T
  }
  return value
}
