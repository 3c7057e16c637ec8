/** @internal */
export type Json = Record<string, unknown>

/** @internal */
export const isRecord = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u)

/** @internal */
export const isString = (u: unknown): u is string => typeof u === "string"

/** @internal */
export const isNumber = (u: unknown): u is number => typeof u === "number" && Number.isFinite(u)

/** @internal */
export const isInteger = (u: unknown): u is number => typeof u === "number" && Number.isInteger(u)

/** @internal */
export const isArray = (u: unknown): u is ReadonlyArray<unknown> => Array.isArray(u)

/** @internal */
export const stringify = (u: unknown): string => {
  try {
    return JSON.stringify(u) ?? ""
  } catch {
    return ""
  }
}

/** The only key of a union-shaped object (`{ text: ... }`, `{ toolUse: ... }`), or undefined. @internal */
export const unionKey = (u: Json): string | undefined => {
  let found: string | undefined
  for (const key in u) {
    if (u[key] === undefined) continue
    if (found !== undefined) return undefined
    found = key
  }
  return found
}

/** Decodes standard or URL-safe base64, or undefined when it is not base64. @internal */
export const decodeBase64 = (s: string): Uint8Array | undefined => {
  if (s.length % 4 === 1) return undefined
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    const valid = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47 ||
      c === 45 || c === 95 || (c === 61 && i >= s.length - 2)
    if (!valid) return undefined
  }
  return Buffer.from(s, "base64")
}
