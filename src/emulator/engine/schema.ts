/**
 * A small generator of JSON Schema instances, for the deterministic model's tool inputs: types, required,
 * enum/const, nested objects and arrays, numeric and length bounds, common string formats, local `$ref`s,
 * anyOf/oneOf/allOf. Values are taken from the user's text when a property can be read from it (a number near
 * the property's name, a place after "in", the words after "<name> of" ...).
 *
 * @since 0.1.0
 */
import { isArray, isNumber, isRecord, isString, type Json } from "./json.js"

const MAX_DEPTH = 8

interface Context {
  readonly text: string
  readonly lower: string
  readonly root: Json
}

/**
 * A value valid against the schema, filled from the user's text where possible.
 *
 * @since 0.1.0
 * @category utils
 */
export const generate = (schema: unknown, text: string): unknown => {
  const root = isRecord(schema) ? schema : {}
  return value(root, { text, lower: text.toLowerCase(), root }, "", 0)
}

const resolve = (schema: Json, ctx: Context, depth: number): Json => {
  let current = schema
  for (let hops = 0; hops < MAX_DEPTH && isString(current["$ref"]); hops++) {
    const ref = current["$ref"]
    if (!ref.startsWith("#")) return {}
    let target: unknown = ctx.root
    for (const segment of ref.slice(1).split("/")) {
      if (segment === "") continue
      const key = segment.replace(/~1/g, "/").replace(/~0/g, "~")
      target = isRecord(target) ? target[key] : undefined
    }
    if (!isRecord(target)) return {}
    const { $ref: _, ...rest } = current
    current = { ...target, ...rest }
  }
  if (isArray(current["allOf"]) && depth < MAX_DEPTH) {
    let merged: Json = { ...current }
    delete merged["allOf"]
    for (const part of current["allOf"]) {
      if (!isRecord(part)) continue
      const sub = resolve(part, ctx, depth + 1)
      merged = {
        ...sub,
        ...merged,
        properties: {
          ...(isRecord(sub["properties"]) ? sub["properties"] : {}),
          ...(isRecord(merged["properties"]) ? merged["properties"] : {})
        },
        required: [
          ...(isArray(sub["required"]) ? sub["required"] : []),
          ...(isArray(merged["required"]) ? merged["required"] : [])
        ]
      }
    }
    return merged
  }
  return current
}

const typeOf = (schema: Json): string => {
  const t = schema["type"]
  if (isString(t)) return t
  if (isArray(t)) {
    const first = t.find((x) => isString(x) && x !== "null")
    return isString(first) ? first : "null"
  }
  if (isRecord(schema["properties"])) return "object"
  if (schema["items"] !== undefined) return "array"
  return "string"
}

const value = (raw: Json, ctx: Context, name: string, depth: number): unknown => {
  const schema = resolve(raw, ctx, depth)
  if (schema["const"] !== undefined) return schema["const"]
  if (isArray(schema["enum"]) && schema["enum"].length > 0) {
    const mentioned = schema["enum"].find((e) => isString(e) && e.length > 0 && ctx.lower.includes(e.toLowerCase()))
    return mentioned ?? schema["enum"][0]
  }
  const options = isArray(schema["anyOf"]) ? schema["anyOf"] : isArray(schema["oneOf"]) ? schema["oneOf"] : undefined
  if (options !== undefined && depth < MAX_DEPTH) {
    const first = options.find((o) => isRecord(o) && o["type"] !== "null") ?? options[0]
    return isRecord(first) ? value(first, ctx, name, depth + 1) : null
  }
  switch (typeOf(schema)) {
    case "object":
      return depth >= MAX_DEPTH ? {} : object(schema, ctx, depth)
    case "array":
      return depth >= MAX_DEPTH ? [] : array(schema, ctx, name, depth)
    case "integer":
      return number(schema, ctx, name, true)
    case "number":
      return number(schema, ctx, name, false)
    case "boolean":
      return name !== "" &&
          new RegExp(`\\b(?:no|not|without|disable)\\s+${escape(words(name)[0] ?? name)}`).test(ctx.lower)
        ? false
        : name !== "" && ctx.lower.includes(name.toLowerCase())
    case "null":
      return null
    default:
      return string(schema, ctx, name)
  }
}

const object = (schema: Json, ctx: Context, depth: number): Json => {
  const properties = isRecord(schema["properties"]) ? schema["properties"] : {}
  const required = new Set(isArray(schema["required"]) ? schema["required"].filter(isString) : [])
  const out: Json = {}
  for (const key of Object.keys(properties)) {
    const prop = properties[key]
    if (!isRecord(prop)) {
      if (required.has(key)) out[key] = "example"
      continue
    }
    if (required.has(key)) {
      out[key] = value(prop, ctx, key, depth + 1)
      continue
    }
    const found = extract(resolve(prop, ctx, depth + 1), ctx, key)
    if (found !== undefined) out[key] = found
  }
  for (const key of required) if (!(key in out)) out[key] = "example"
  return out
}

const array = (schema: Json, ctx: Context, name: string, depth: number): ReadonlyArray<unknown> => {
  const items = isRecord(schema["items"]) ? schema["items"] : {}
  const min = isNumber(schema["minItems"]) ? Math.max(0, Math.floor(schema["minItems"])) : 1
  const max = isNumber(schema["maxItems"]) ? Math.floor(schema["maxItems"]) : Math.max(min, 1)
  const count = Math.min(Math.max(min, Math.min(1, max)), 16)
  const out: Array<unknown> = []
  for (let i = 0; i < count; i++) out.push(value(items, ctx, name, depth + 1))
  if (schema["uniqueItems"] === true && count > 1) {
    return out.map((v, i) => (typeof v === "string" ? `${v} ${i + 1}` : typeof v === "number" ? v + i : v))
  }
  return out
}

const number = (schema: Json, ctx: Context, name: string, integer: boolean): number => {
  const fromText = name === "" ? undefined : numberNear(ctx, name)
  let min = isNumber(schema["minimum"]) ? schema["minimum"] : -Infinity
  let max = isNumber(schema["maximum"]) ? schema["maximum"] : Infinity
  if (isNumber(schema["exclusiveMinimum"])) min = Math.max(min, schema["exclusiveMinimum"] + (integer ? 1 : 1e-6))
  if (isNumber(schema["exclusiveMaximum"])) max = Math.min(max, schema["exclusiveMaximum"] - (integer ? 1 : 1e-6))
  let n = fromText ?? (min > -Infinity ? min : max < Infinity ? Math.min(max, 1) : 1)
  if (integer) {
    n = Math.round(n)
    min = Math.ceil(min)
    max = Math.floor(max)
  }
  n = Math.min(Math.max(n, min), max)
  const multiple = schema["multipleOf"]
  if (isNumber(multiple) && multiple > 0) {
    const snapped = Math.ceil(n / multiple) * multiple
    n = snapped <= max ? snapped : Math.floor(n / multiple) * multiple
  }
  return Number.isFinite(n) ? n : 0
}

const string = (schema: Json, ctx: Context, name: string): string => {
  const format = schema["format"]
  let s: string
  switch (format) {
    case "date":
      s = "2025-01-01"
      break
    case "date-time":
      s = "2025-01-01T00:00:00Z"
      break
    case "time":
      s = "12:00:00"
      break
    case "email":
      s = "user@example.com"
      break
    case "uri":
    case "url":
      s = "https://example.com"
      break
    case "uuid":
      s = "00000000-0000-4000-8000-000000000000"
      break
    default:
      s = (name === "" ? undefined : textNear(ctx, name) ?? wholeText(ctx, name)) ??
        (name === "" ? "example" : `example ${name}`)
  }
  const minLength = isNumber(schema["minLength"]) ? schema["minLength"] : 0
  const maxLength = isNumber(schema["maxLength"]) ? schema["maxLength"] : Infinity
  while (s.length < minLength) s += "x"
  return s.length > maxLength ? s.slice(0, Math.max(0, maxLength)) : s
}

/** An optional property's value when the text gives one, else undefined. */
const extract = (schema: Json, ctx: Context, name: string): unknown => {
  switch (typeOf(schema)) {
    case "string": {
      if (schema["format"] !== undefined || isArray(schema["enum"])) return undefined
      const s = textNear(ctx, name)
      return s === undefined ? undefined : string(schema, ctx, name)
    }
    case "integer":
    case "number":
      return !ctx.lower.includes(words(name).join(" ")) || numberNear(ctx, name) === undefined
        ? undefined
        : number(schema, ctx, name, typeOf(schema) === "integer")
    default:
      return undefined
  }
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

const words = (name: string): Array<string> =>
  name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase().split(/[\s_\-.]+/).filter((w) => w.length > 0)

const PLACE_NAMES = new Set([
  "location",
  "city",
  "place",
  "country",
  "address",
  "region",
  "destination",
  "town",
  "where"
])

const numberPattern = /-?\d+(?:\.\d+)?/g

const lastNumber = (scope: string): number | undefined => {
  numberPattern.lastIndex = 0
  let found: number | undefined
  for (let m = numberPattern.exec(scope); m !== null; m = numberPattern.exec(scope)) found = Number(m[0])
  return found !== undefined && Number.isFinite(found) ? found : undefined
}

const firstNumber = (scope: string): number | undefined => {
  numberPattern.lastIndex = 0
  const m = numberPattern.exec(scope)
  const n = m === null ? undefined : Number(m[0])
  return n !== undefined && Number.isFinite(n) ? n : undefined
}

/** "3 days" or "days: 3" for a property `days`; otherwise the first number in the text. */
const numberNear = (ctx: Context, name: string): number | undefined => {
  const key = words(name).join(" ")
  const at = key === "" ? -1 : ctx.lower.indexOf(key)
  if (at < 0) return firstNumber(ctx.text)
  return lastNumber(ctx.text.slice(Math.max(0, at - 12), at).replace(/\S+$/, "")) ??
    firstNumber(ctx.text.slice(at + key.length, at + key.length + 40))
}

const textNear = (ctx: Context, name: string): string | undefined => {
  const parts = words(name)
  if (parts.some((w) => PLACE_NAMES.has(w))) {
    const place = placeIn(ctx.text)
    if (place !== undefined) return place
  }
  const key = parts.join(" ")
  if (key === "") return undefined
  const at = ctx.lower.indexOf(key)
  if (at < 0) return undefined
  let rest = ctx.text.slice(at + key.length)
  const lead = /^\s*(?:of|is|are|=|:|called|named|about|for)?\s*["']?/i.exec(rest)
  rest = rest.slice(lead === null ? 0 : lead[0].length)
  const end = rest.search(/["'?!.;\n]/)
  const phrase = (end < 0 ? rest : rest.slice(0, end)).trim()
  return phrase.length > 0 && phrase.length <= 200 ? phrase : undefined
}

/** Properties that stand for the user's whole request ("query", "question", ...) take the user's first sentence. */
const WHOLE_TEXT_NAMES = new Set(["query", "question", "prompt", "search", "request", "message", "input"])

const wholeText = (ctx: Context, name: string): string | undefined => {
  if (!words(name).some((w) => WHOLE_TEXT_NAMES.has(w))) return undefined
  const sentence = /^[^.?!\n]*[.?!]?/.exec(ctx.text.trim())?.[0].trim() ?? ""
  return sentence.length > 0 ? sentence.slice(0, 200) : undefined
}

/** "weather in San Francisco, CA?" → "San Francisco, CA". */
const placeIn = (text: string): string | undefined => {
  const tokens = text.split(/\s+/)
  for (let i = 0; i + 1 < tokens.length; i++) {
    const preposition = tokens[i]!.toLowerCase()
    if (preposition !== "in" && preposition !== "at" && preposition !== "for" && preposition !== "to") continue
    const taken: Array<string> = []
    for (let j = i + 1; j < tokens.length && taken.length < 6; j++) {
      const token = tokens[j]!
      const bare = token.replace(/[?!.;:"']+$/, "")
      if (!/^[A-Z]/.test(bare) && !(taken.length > 0 && /^[A-Z]{2,3},?$/.test(bare))) break
      taken.push(bare)
      if (bare !== token) break
    }
    if (taken.length > 0) return taken.join(" ").replace(/,$/, "")
  }
  return undefined
}

/**
 * Whether a value satisfies the schema (the subset the generator writes); used by tests and scripted checks.
 *
 * @since 0.1.0
 * @category utils
 */
export const conforms = (schema: unknown, instance: unknown): boolean =>
  check(isRecord(schema) ? schema : {}, instance, isRecord(schema) ? schema : {}, 0)

const check = (raw: Json, v: unknown, root: Json, depth: number): boolean => {
  if (depth > MAX_DEPTH) return true
  const schema = resolve(raw, { text: "", lower: "", root }, depth)
  if (schema["const"] !== undefined) return JSON.stringify(schema["const"]) === JSON.stringify(v)
  if (isArray(schema["enum"])) return schema["enum"].some((e) => JSON.stringify(e) === JSON.stringify(v))
  const options = isArray(schema["anyOf"]) ? schema["anyOf"] : isArray(schema["oneOf"]) ? schema["oneOf"] : undefined
  if (options !== undefined) return options.some((o) => isRecord(o) && check(o, v, root, depth + 1))
  const types = isArray(schema["type"]) ? schema["type"] : [typeOf(schema)]
  return types.some((t) => {
    switch (t) {
      case "object": {
        if (!isRecord(v)) return false
        const props = isRecord(schema["properties"]) ? schema["properties"] : {}
        const required = isArray(schema["required"]) ? schema["required"].filter(isString) : []
        return required.every((k) => k in v) &&
          Object.keys(v).every((k) => !isRecord(props[k]) || check(props[k] as Json, v[k], root, depth + 1))
      }
      case "array": {
        if (!isArray(v)) return false
        if (isNumber(schema["minItems"]) && v.length < schema["minItems"]) return false
        if (isNumber(schema["maxItems"]) && v.length > schema["maxItems"]) return false
        const items = isRecord(schema["items"]) ? schema["items"] : {}
        return v.every((item) => check(items, item, root, depth + 1))
      }
      case "integer":
      case "number": {
        if (!isNumber(v) || (t === "integer" && !Number.isInteger(v))) return false
        if (isNumber(schema["minimum"]) && v < schema["minimum"]) return false
        if (isNumber(schema["maximum"]) && v > schema["maximum"]) return false
        return true
      }
      case "boolean":
        return typeof v === "boolean"
      case "null":
        return v === null
      case "string": {
        if (!isString(v)) return false
        if (isNumber(schema["minLength"]) && v.length < schema["minLength"]) return false
        if (isNumber(schema["maxLength"]) && v.length > schema["maxLength"]) return false
        return true
      }
      default:
        return true
    }
  })
}
