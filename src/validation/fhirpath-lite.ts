import { isJsonObject } from './json.ts'
import { jsonEqual } from '../json-equal.ts'
import type { JsonObject } from './json.ts'

/**
 * A compiler for the part of FHIRPath (http://hl7.org/fhirpath/N1) that invariants use most,
 * straight to closures over the parsed JSON: paths (choice names find their typed property),
 * literals, `$this`, `%resource`, `%rootResource`, `%context`, the operators `implies or xor
 * and in contains = != < > <= >= |` with FHIRPath's precedence and three-valued logic, and the
 * functions listed in {@link FUNCTIONS}. It does no type inference: a comparison it cannot
 * settle from JSON alone (dates, quantities) throws {@link NotCompiled} at run time and the
 * caller falls back to a full engine. `compileLite` returns undefined for syntax it does not
 * cover, so nothing is ever evaluated differently from the specification, only faster.
 */

/** Thrown at compile or run time when an expression needs more than this subset. */
export class NotCompiled extends Error {}

/** The environment of one evaluation (%context is the node the expression starts from). */
export interface LiteEnv {
  readonly resource: JsonObject
  readonly rootResource: JsonObject
}

type Coll = unknown[]
/** focus: the input collection; self: the node the whole expression started from (%context) */
type Expr = (focus: Coll, env: LiteEnv, self: Coll) => Coll

/**
 * Compiles an expression.
 * @param expression - FHIRPath text
 * @param isResourceType - whether a name is a resource type (for is/ofType/as)
 * @returns a function from the context node to the result collection, or undefined
 */
export function compileLite (expression: string, isResourceType: (name: string) => boolean): ((node: unknown, env: LiteEnv) => Coll) | undefined {
  const tokens = tokenize(expression)
  if (!tokens) {
    return undefined
  }
  try {
    const parser = new Parser(tokens, isResourceType)
    const expr = parser.parseExpression()
    if (!parser.done()) {
      return undefined
    }
    return (node, env) => {
      const context = [node]
      return expr(context, env, context)
    }
  } catch (err) {
    if (err instanceof NotCompiled) {
      return undefined
    }
    throw err
  }
}

/** Whether a result collection meets an invariant: anything but `false` does (empty propagates). */
export function isMet (result: Coll): boolean {
  return !(result.length === 1 && result[0] === false)
}

const TOKEN = /\s*(`[^`]+`|'(?:[^'\\]|\\.)*'|\d+(?:\.\d+)?|!=|<=|>=|[=<>|&().,[\]]|[%$]?[A-Za-z_][A-Za-z0-9_]*)/y

function tokenize (expression: string): string[] | undefined {
  const tokens: string[] = []
  let index = 0
  while (index < expression.length) {
    if (/^\s*$/.test(expression.slice(index))) {
      break
    }
    TOKEN.lastIndex = index
    const m = TOKEN.exec(expression)
    if (!m?.[1]) {
      return undefined
    }
    tokens.push(m[1])
    index = TOKEN.lastIndex
  }
  return tokens
}

const LEVELS: readonly (readonly string[])[] = [['implies'], ['or', 'xor'], ['and'], ['in', 'contains'], ['=', '!='], ['<', '>', '<=', '>='], ['|'], ['&']]

class Parser {
  private pos = 0
  /** expressions that are plain member chains from the focus ("a.b.c"), with their names */
  private readonly chains = new Map<Expr, readonly string[]>()
  /** unions (`a | b | c`), with their operands */
  private readonly unions = new Map<Expr, readonly Expr[]>()
  /** literals, with their value */
  private readonly literals = new Map<Expr, string | number | boolean>()
  /** `name = 'literal'` and or-chains of them on one name, with the name and literals (none date-like) */
  private readonly memberIns = new Map<Expr, { readonly name: string, readonly values: readonly string[] }>()
  /** `where(…)` steps, with their criteria */
  private readonly wheres = new Map<Expr, Expr>()
  /** expressions that end in a `where(…)` step: what it filters and by what */
  private readonly filtered = new Map<Expr, { readonly base: Expr, readonly criteria: Expr }>()
  private readonly tokens: readonly string[]
  private readonly isResourceType: (name: string) => boolean

  constructor (tokens: readonly string[], isResourceType: (name: string) => boolean) {
    this.tokens = tokens
    this.isResourceType = isResourceType
  }

  done (): boolean {
    return this.pos === this.tokens.length
  }

  private peek (): string | undefined {
    return this.tokens[this.pos]
  }

  private next (): string {
    const t = this.tokens[this.pos++]
    if (t === undefined) {
      throw new NotCompiled()
    }
    return t
  }

  private expect (t: string): void {
    if (this.next() !== t) {
      throw new NotCompiled()
    }
  }

  parseExpression (level = 0): Expr {
    const ops = LEVELS[level]
    if (!ops) {
      return this.parseInvocation()
    }
    let left = this.parseExpression(level + 1)
    while (ops.includes(this.peek() ?? '')) {
      const op = this.next()
      const right = this.parseExpression(level + 1)
      const chain = this.chains.get(left)
      const literal = this.literals.get(right)
      const operands = op === '|' ? [...(this.unions.get(left) ?? [left]), right] : undefined
      const leftIn = op === 'or' ? this.memberIns.get(left) : undefined
      const rightIn = leftIn ? this.memberIns.get(right) : undefined
      if (leftIn && rightIn && leftIn.name === rightIn.name) {
        // `code = 'a' or code = 'b' or …`: one set look-up instead of a comparison per literal
        const joined = { name: leftIn.name, values: [...leftIn.values, ...rightIn.values] }
        left = memberIn(joined.name, new Set(joined.values), binary(op, left, right))
        this.memberIns.set(left, joined)
        continue
      }
      left = (op === '=' || op === '!=') && chain?.length === 1 && chain[0] !== undefined && literal !== undefined
        ? memberEquals(op, chain[0], literal, binary(op, left, right))
        : binary(op, left, right)
      if (op === '=' && chain?.length === 1 && chain[0] !== undefined && typeof literal === 'string' && !isDateLike(literal)) {
        this.memberIns.set(left, { name: chain[0], values: [literal] })
      }
      if (operands) {
        this.unions.set(left, operands)
      }
    }
    return left
  }

  private parseInvocation (): Expr {
    let expr = this.parseTerm()
    while (this.peek() === '.' || this.peek() === '[') {
      if (this.next() === '[') {
        const index = this.parseExpression()
        this.expect(']')
        const base = expr
        expr = (focus, env, self) => {
          const i = index(self, env, self)
          const items = base(focus, env, self)
          return typeof i[0] === 'number' && items[i[0]] !== undefined ? [items[i[0]]] : []
        }
        continue
      }
      const base = expr
      const chain = this.chains.get(base)
      const fnName = this.peek()
      if (chain && (fnName === 'exists' || fnName === 'empty') && this.tokens[this.pos + 1] === '(' && this.tokens[this.pos + 2] === ')') {
        // `a.b.exists()` / `a.b.empty()`: answered without building the collections.
        this.pos += 3
        const wanted = fnName === 'exists'
        const underscored = chain.map((name) => `_${name}`)
        expr = (focus) => anyAt(focus, chain, underscored) === wanted ? TRUE : FALSE
        continue
      }
      const union = this.unions.get(base)
      if (union && (fnName === 'exists' || fnName === 'empty') && this.tokens[this.pos + 1] === '(' && this.tokens[this.pos + 2] === ')') {
        // `(a | b).exists()` / `.empty()`: a union is empty only when every operand is (removing
        // duplicates never empties it); every operand is still evaluated, as `|` would.
        this.pos += 3
        const wanted = fnName === 'exists'
        const operandChains = union.map((operand) => this.chains.get(operand))
        if (operandChains.every((c) => c !== undefined)) {
          // Member chains cannot fail, so the first that reaches a value settles it.
          const names = operandChains as (readonly string[])[]
          const underscored = names.map((chain) => chain.map((name) => `_${name}`))
          expr = (focus) => {
            for (let i = 0; i < names.length; i++) {
              if (anyAt(focus, names[i] as readonly string[], underscored[i] as readonly string[])) {
                return wanted ? TRUE : FALSE
              }
            }
            return wanted ? FALSE : TRUE
          }
          continue
        }
        expr = (focus, env, self) => {
          let any = false
          for (let i = 0; i < union.length; i++) {
            if ((union[i] as Expr)(focus, env, self).length > 0) {
              any = true
            }
          }
          return any === wanted ? TRUE : FALSE
        }
        continue
      }
      const filtered = this.filtered.get(base)
      if (filtered && (fnName === 'exists' || fnName === 'empty') && this.tokens[this.pos + 1] === '(' && this.tokens[this.pos + 2] === ')') {
        // `a.where(c).exists()` / `.empty()`: the criteria run on every item, as where() would
        // run them, but no filtered collection is built.
        this.pos += 3
        const wanted = fnName === 'exists'
        const { base: source, criteria } = filtered
        expr = (focus, env, self) => {
          const items = source(focus, env, self)
          let any = false
          for (let i = 0; i < items.length; i++) {
            if (isTrue(criteria([items[i]], env, self))) {
              any = true
            }
          }
          return any === wanted ? TRUE : FALSE
        }
        continue
      }
      const step = this.parseStep()
      const stepChain = this.chains.get(step)
      expr = (focus, env, self) => step(base(focus, env, self), env, self)
      if (chain && stepChain) {
        this.chains.set(expr, [...chain, ...stepChain])
      }
      const criteria = this.wheres.get(step)
      if (criteria) {
        this.filtered.set(expr, { base, criteria })
      }
    }
    return expr
  }

  private parseTerm (): Expr {
    const t = this.peek()
    if (t === undefined) {
      throw new NotCompiled()
    }
    if (t === '(') {
      this.next()
      const inner = this.parseExpression()
      this.expect(')')
      return inner
    }
    if (t.startsWith("'")) {
      this.next()
      const value = t.slice(1, -1).replace(/\\(.)/g, '$1')
      // One collection for every call: no caller changes a collection it is given.
      const literal = [value]
      const expr: Expr = () => literal
      this.literals.set(expr, value)
      return expr
    }
    if (/^\d/.test(t)) {
      this.next()
      const literal = [Number(t)]
      const expr: Expr = () => literal
      this.literals.set(expr, Number(t))
      return expr
    }
    if (t === 'true' || t === 'false') {
      this.next()
      const literal = [t === 'true']
      const expr: Expr = () => literal
      this.literals.set(expr, t === 'true')
      return expr
    }
    if (t === '$this') {
      this.next()
      return (focus) => focus
    }
    if (t.startsWith('%')) {
      this.next()
      switch (t) {
        case '%resource': return (_f, env) => [env.resource]
        case '%rootResource': return (_f, env) => [env.rootResource]
        case '%context': return (_f, _env, self) => self
        default: throw new NotCompiled()
      }
    }
    // A leading name or function applies to the focus (the context node).
    return this.parseStep()
  }

  /** A member name or a function call, applied to a focus collection. */
  private parseStep (): Expr {
    const raw = this.next()
    if (!/^`?[A-Za-z_]/.test(raw) || (KEYWORDS.has(raw) && this.peek() !== '(')) {
      throw new NotCompiled()
    }
    const name = raw.replaceAll('`', '')
    if (this.peek() !== '(') {
      if (/^[A-Z]/.test(name) && this.isResourceType(name)) {
        // A type name as the first step ("Patient.name"): the focus when it is that resource.
        return (focus) => focus.filter((v) => isJsonObject(v) && v.resourceType === name)
      }
      const underscored = `_${name}`
      const expr: Expr = (focus) => member(focus, name, underscored)
      this.chains.set(expr, [name])
      return expr
    }
    this.next()
    const args: Expr[] = []
    const typeArgs: string[] = []
    while (this.peek() !== ')') {
      if (TYPE_FUNCTIONS.has(name)) {
        typeArgs.push(this.next())
      } else {
        args.push(this.parseExpression())
      }
      if (this.peek() === ',') {
        this.next()
      }
    }
    this.expect(')')
    return this.fn(name, args, typeArgs)
  }

  private fn (name: string, args: Expr[], typeArgs: string[]): Expr {
    const [a0, a1] = args
    switch (name) {
      case 'exists':
        return a0 ? (f, env, self) => f.some((v) => isTrue(a0([v], env, self))) ? TRUE : FALSE : (f) => f.length > 0 ? TRUE : FALSE
      case 'empty': return (f) => f.length === 0 ? TRUE : FALSE
      case 'not': return (f) => { const b = toBool(f); return b === undefined ? EMPTY : b ? FALSE : TRUE }
      case 'hasValue': return (f) => [f.length === 1 && f[0] !== null && typeof f[0] !== 'object']
      case 'count': return (f) => [f.length]
      case 'first': return (f) => f.slice(0, 1)
      case 'last': return (f) => f.slice(-1)
      case 'trace': return (f) => f
      case 'isDistinct': return (f) => [f.every((v, i) => f.findIndex((w) => jsonEqual(v, w)) === i)]
      case 'distinct': return (f) => f.filter((v, i) => f.findIndex((w) => jsonEqual(v, w)) === i)
      case 'allTrue': return (f) => [f.every((v) => v === true)]
      case 'anyTrue': return (f) => [f.some((v) => v === true)]
      case 'allFalse': return (f) => [f.every((v) => v === false)]
      case 'anyFalse': return (f) => [f.some((v) => v === false)]
      case 'where': {
        if (!a0) throw new NotCompiled()
        const where: Expr = (f, env, self) => f.filter((v) => isTrue(a0([v], env, self)))
        this.wheres.set(where, a0)
        return where
      }
      case 'all':
        if (!a0) throw new NotCompiled()
        return (f, env, self) => [f.every((v) => isTrue(a0([v], env, self)))]
      case 'select':
        if (!a0) throw new NotCompiled()
        return (f, env, self) => f.flatMap((v) => a0([v], env, self))
      case 'intersect':
        if (!a0) throw new NotCompiled()
        return (f, env) => { const other = a0(f, env, f); return f.filter((v) => other.some((w) => jsonEqual(v, w))) }
      case 'matches':
      case 'startsWith':
      case 'endsWith':
      case 'contains': {
        if (!a0) throw new NotCompiled()
        // The pattern is nearly always a literal: compiled once, not on every call.
        let lastPattern: string | undefined
        let lastRegExp: RegExp | undefined
        return (f, env) => {
          const s = singleString(f)
          const arg = singleString(a0(f, env, f))
          if (s === undefined || arg === undefined) return []
          if (name === 'matches') {
            if (lastRegExp === undefined || lastPattern !== arg) {
              lastRegExp = new RegExp(arg, 'su')
              lastPattern = arg
            }
            return [lastRegExp.test(s)]
          }
          if (name === 'startsWith') return [s.startsWith(arg)]
          if (name === 'endsWith') return [s.endsWith(arg)]
          return [s.includes(arg)]
        }
      }
      case 'length': return (f) => { const s = singleString(f); return s === undefined ? [] : [s.length] }
      case 'substring':
        if (!a0) throw new NotCompiled()
        return (f, env) => {
          const s = singleString(f)
          const start = a0(f, env, f)[0]
          const len = a1 ? a1(f, env, f)[0] : undefined
          if (s === undefined || typeof start !== 'number' || start < 0 || start >= s.length) return []
          return [typeof len === 'number' ? s.substring(start, start + len) : s.substring(start)]
        }
      case 'resolve':
        return (f, env) => f.flatMap((v) => resolveReference(v, env))
      case 'ofType':
      case 'is':
      case 'as': {
        const type = typeArgs[0] ?? ''
        if (typeArgs.length !== 1 || !this.isResourceType(type)) throw new NotCompiled()
        if (name === 'is') return (f) => f.length === 1 ? [isJsonObject(f[0]) && f[0].resourceType === type] : []
        return (f) => f.filter((v) => isJsonObject(v) && v.resourceType === type)
      }
      default:
        throw new NotCompiled()
    }
  }
}

/** Results of a boolean test, shared: no caller changes a collection it is given. */
const TRUE: Coll = [true]
const FALSE: Coll = [false]
const EMPTY: Coll = []

const KEYWORDS = new Set(['and', 'or', 'xor', 'implies', 'in', 'contains', 'div', 'mod', 'is', 'as'])
const TYPE_FUNCTIONS = new Set(['ofType', 'is', 'as'])

/** The JSON value of an element: `name`, else its `_name` extension element, else a typed choice (`nameQuantity`). */
function property (item: unknown, name: string, underscored = `_${name}`): unknown {
  if (!isJsonObject(item)) {
    return undefined
  }
  const value = item[name]
  return nonEmpty(value === undefined ? item[underscored] ?? choiceValue(item, name) : value)
}

/**
 * An empty string, array or object is no value: FHIR JSON forbids them (json.html §2.6.2), so
 * they are not elements of the FHIR model FHIRPath navigates, and @medplum/core reads them as
 * absent too. The validator rejects them anyway; this keeps the invariants' verdicts the same.
 */
export function nonEmpty (value: unknown): unknown {
  if (typeof value !== 'object' || value === null) {
    return value === '' ? undefined : value
  }
  if (Array.isArray(value)) {
    return value.length === 0 ? undefined : value
  }
  // Whether the object has any key, without allocating the list of keys (Object.keys).
  // eslint-disable-next-line no-unreachable-loop
  for (const _ in value) {
    return value
  }
  return undefined
}

function member (focus: Coll, name: string, underscored: string): Coll {
  if (focus.length === 1) {
    // One item (the commonest focus): its value, or its array itself when that holds no
    // nulls; collections are never changed once made, so the JSON's own array can be one.
    const value = property(focus[0], name, underscored)
    if (value === undefined || value === null) {
      return EMPTY
    }
    if (!Array.isArray(value)) {
      return [value]
    }
    if (!value.includes(null)) {
      return value
    }
  }
  const out: Coll = []
  for (const item of focus) {
    const value = property(item, name, underscored)
    if (Array.isArray(value)) {
      for (const v of value) {
        if (v !== null) out.push(v)
      }
    } else if (value !== undefined && value !== null) {
      out.push(value)
    }
  }
  return out
}

/**
 * resolve() without a server (FHIR fhirpath.html §2.1.9.2.1): `#id` against the contained
 * resources of the resource (or of any Bundle entry, when evaluating on a Bundle), other
 * references against the entries of the Bundle being validated; unresolvable gives empty.
 */
function resolveReference (value: unknown, env: LiteEnv): Coll {
  const ref = isJsonObject(value) ? value.reference : value
  if (typeof ref !== 'string') {
    return []
  }
  const bundle = [env.resource, env.rootResource].find((r) => r.resourceType === 'Bundle')
  const entries = bundle && Array.isArray(bundle.entry) ? bundle.entry.filter(isJsonObject) : []
  if (ref.startsWith('#')) {
    const holders = [env.resource, ...entries.map((e) => e.resource).filter(isJsonObject)]
    for (const holder of holders) {
      const found = (Array.isArray(holder.contained) ? holder.contained : []).find((c) => isJsonObject(c) && c.id === ref.slice(1))
      if (found !== undefined) {
        return [found]
      }
    }
    return []
  }
  for (const entry of entries) {
    const resource = entry.resource
    if (!isJsonObject(resource)) {
      continue
    }
    const fullUrl = typeof entry.fullUrl === 'string' ? entry.fullUrl : undefined
    const local = `${String(resource.resourceType)}/${String(resource.id)}`
    if (fullUrl === ref || local === ref || (fullUrl?.endsWith(`/${ref}`) ?? false)) {
      return [resource]
    }
  }
  return []
}

/** Whether a member chain from the focus reaches any value (as `member` would collect). */
function anyAt (focus: Coll, names: readonly string[], underscored: readonly string[], depth = 0): boolean {
  const name = names[depth]
  if (name === undefined) {
    return focus.length > 0
  }
  for (const item of focus) {
    const value = property(item, name, underscored[depth])
    if (value === undefined || value === null) {
      continue
    }
    if (depth === names.length - 1) {
      if (!Array.isArray(value) || value.some((v) => v !== null)) {
        return true
      }
    } else if (anyAt(Array.isArray(value) ? value : [value], names, underscored, depth + 1)) {
      return true
    }
  }
  return false
}

function choiceValue (item: JsonObject, name: string): unknown {
  for (const key in item) {
    if (key.length > name.length && key.startsWith(name)) {
      const c = key.charCodeAt(name.length)
      if (c >= 65 && c <= 90) {
        return item[key]
      }
    }
  }
  return undefined
}

function singleString (c: Coll): string | undefined {
  if (c.length > 1) throw new NotCompiled()
  return typeof c[0] === 'string' ? c[0] : undefined
}

/** FHIRPath §4.5 singleton evaluation of collections, as a boolean (undefined: empty). */
function toBool (c: Coll): boolean | undefined {
  if (c.length === 0) return undefined
  if (c.length > 1) throw new NotCompiled()
  return typeof c[0] === 'boolean' ? c[0] : true
}

function isTrue (c: Coll): boolean {
  return toBool(c) === true
}

function binary (op: string, left: Expr, right: Expr): Expr {
  switch (op) {
    case 'and':
      return (f, env, s) => { const a = toBool(left(f, env, s)); if (a === false) return FALSE; const b = toBool(right(f, env, s)); return b === false ? FALSE : a === undefined || b === undefined ? EMPTY : TRUE }
    case 'or':
      return (f, env, s) => { const a = toBool(left(f, env, s)); if (a === true) return TRUE; const b = toBool(right(f, env, s)); return b === true ? TRUE : a === undefined || b === undefined ? EMPTY : FALSE }
    case 'xor':
      return (f, env, s) => { const a = toBool(left(f, env, s)); const b = toBool(right(f, env, s)); return a === undefined || b === undefined ? EMPTY : a !== b ? TRUE : FALSE }
    case 'implies':
      return (f, env, s) => { const a = toBool(left(f, env, s)); if (a === false) return TRUE; const b = toBool(right(f, env, s)); return b === true ? TRUE : a === undefined ? EMPTY : b === undefined ? EMPTY : b ? TRUE : FALSE }
    case '&':
      // String concatenation; an empty operand counts as '' (FHIRPath §6.6.3).
      return (f, env, s) => {
        const a = left(f, env, s)
        const b = right(f, env, s)
        if (a.length > 1 || b.length > 1) throw new NotCompiled()
        return [`${a.length === 0 ? '' : String(a[0])}${b.length === 0 ? '' : String(b[0])}`]
      }
    case '|':
      return (f, env, s) => { const out = [...left(f, env, s)]; for (const v of right(f, env, s)) if (!out.some((w) => jsonEqual(v, w))) out.push(v); return out }
    case 'in':
    case 'contains':
      return (f, env, s) => {
        const [item, list] = op === 'in' ? [left(f, env, s), right(f, env, s)] : [right(f, env, s), left(f, env, s)]
        if (item.length === 0) return []
        if (item.length > 1) throw new NotCompiled()
        return [list.some((v) => equal(v, item[0]))]
      }
    case '=':
    case '!=': {
      const wanted = op === '='
      return (f, env, s) => {
        const a = left(f, env, s)
        const b = right(f, env, s)
        if (a.length === 0 || b.length === 0) return EMPTY
        const same = a.length === 1 && b.length === 1 ? equal(a[0], b[0]) : a.length === b.length && a.every((v, i) => equal(v, b[i]))
        return same === wanted ? TRUE : FALSE
      }
    }
    default:
      return (f, env, s) => {
        const a = left(f, env, s)
        const b = right(f, env, s)
        if (a.length === 0 || b.length === 0) return []
        const x = a[0]
        const y = b[0]
        // Only numbers are compared here: dates and quantities need typed comparison.
        if (a.length > 1 || b.length > 1 || typeof x !== 'number' || typeof y !== 'number') throw new NotCompiled()
        return [op === '<' ? x < y : op === '>' ? x > y : op === '<=' ? x <= y : x >= y]
      }
  }
}

/**
 * `name = literal` (or `!=`) on a single focus item whose `name` is one value, answered
 * without building the collections; anything else goes to the general form.
 */
function memberEquals (op: string, name: string, literal: string | number | boolean, general: Expr): Expr {
  const underscored = `_${name}`
  const wanted = op === '='
  return (f, env, s) => {
    if (f.length === 1) {
      const value = property(f[0], name, underscored)
      if (value === undefined || value === null) {
        return EMPTY
      }
      if (!Array.isArray(value)) {
        return equal(value, literal) === wanted ? TRUE : FALSE
      }
    }
    return general(f, env, s)
  }
}

/**
 * `name = 'a' or name = 'b' or …` on a single focus item whose `name` is one string, answered
 * with one set look-up; anything else (including a date-like value, which equal() would not
 * settle) goes to the general form, so results and failures are those of the or-chain.
 */
function memberIn (name: string, values: ReadonlySet<string>, general: Expr): Expr {
  const underscored = `_${name}`
  return (f, env, s) => {
    if (f.length === 1) {
      const value = property(f[0], name, underscored)
      if (value === undefined || value === null) {
        return EMPTY
      }
      if (typeof value === 'string') {
        if (values.has(value)) {
          return TRUE
        }
        if (!isDateLike(value)) {
          return FALSE
        }
      }
    }
    return general(f, env, s)
  }
}

function equal (a: unknown, b: unknown): boolean {
  if (typeof a === 'string' && typeof b === 'string') {
    if (a === b) {
      return true
    }
    if (isDateLike(a) || isDateLike(b)) {
      // Date equality depends on precision and zones (FHIRPath §6.1.1): not settled here.
      throw new NotCompiled()
    }
    return false
  }
  return jsonEqual(a, b)
}

/** Whether a string starts like a date, `YYYY-MM` (the regular expression /^\d{4}-\d{2}/ without running one). */
function isDateLike (s: string): boolean {
  return s.length >= 7 && isDigit(s, 0) && isDigit(s, 1) && isDigit(s, 2) && isDigit(s, 3) && s.charCodeAt(4) === 45 && isDigit(s, 5) && isDigit(s, 6)
}

function isDigit (s: string, i: number): boolean {
  const c = s.charCodeAt(i)
  return c >= 48 && c <= 57
}
