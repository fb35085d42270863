export interface JsonLimits {
  maxDepth: number
  maxArrayItems: number
  maxObjectMembers: number
}

/**
 * A FHIR element has a few dozen members at most (R4 elementdefinition.html: each is a named
 * element or an extension), so 1 000 is far above any resource, and below what would make
 * the validator report tens of thousands of unknown elements from one body.
 */
export const DEFAULT_JSON_LIMITS: JsonLimits = { maxDepth: 64, maxArrayItems: 10_000, maxObjectMembers: 1_000 }

/**
 * Scans raw JSON text for nesting depth, array length and object width before it is parsed,
 * so a hostile body (thousands of nested arrays, a million-element array, an object of fifty
 * thousand unknown elements) is refused in one linear pass
 * instead of costing a parse and a validator walk. Returns a reason, or undefined when fine.
 */
export function checkJsonShape (text: string, limits: JsonLimits = DEFAULT_JSON_LIMITS): string | undefined {
  // Per open container: whether it is an array and how many commas it has seen at its own level.
  const isArray: boolean[] = []
  const commas: number[] = []
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i)
    switch (ch) {
      case 34: /* " */ {
        // Strings are most of a FHIR body: jump to the closing quote (indexOf is native) rather
        // than step through them; a quote after an odd run of backslashes is escaped.
        let end = text.indexOf('"', i + 1)
        while (end !== -1 && escaped(text, end)) end = text.indexOf('"', end + 1)
        // an unterminated string is not this scan's business: JSON.parse refuses it
        if (end === -1) return undefined
        i = end
        break
      }
      case 123: /* { */
      case 91: /* [ */
        isArray.push(ch === 91)
        commas.push(0)
        if (isArray.length > limits.maxDepth) return `JSON nests deeper than ${limits.maxDepth} levels`
        break
      case 125: /* } */
      case 93: /* ] */
        isArray.pop()
        commas.pop()
        break
      case 44: { /* , */
        const top = isArray.length - 1
        if (top < 0) break
        const n = (commas[top] ?? 0) + 1
        commas[top] = n
        if (isArray[top] === true) {
          if (n >= limits.maxArrayItems) return `a JSON array has more than ${limits.maxArrayItems} items`
        } else if (n >= limits.maxObjectMembers) {
          return `a JSON object has more than ${limits.maxObjectMembers} members`
        }
        break
      }
      default:
    }
  }
  return undefined
}

/** Whether the quote at `at` is escaped: preceded by an odd number of backslashes. */
function escaped (text: string, at: number): boolean {
  let k = at - 1
  while (text.charCodeAt(k) === 92 /* \ */) k--
  return (at - 1 - k) % 2 === 1
}
