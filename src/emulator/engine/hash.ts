/** 32-bit FNV-1a of a string, seeded. @internal */
export const fnv1a = (text: string, seed = 0x811c9dc5): number => {
  let h = seed >>> 0
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** A small deterministic PRNG (mulberry32). @internal */
export const prng = (seed: number): () => number => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
const ALPHABET64 = ALPHABET + "+/"
const LOWER = "abcdefghijklmnopqrstuvwxyz0123456789"

const fromAlphabet = (alphabet: string, length: number, key: string): string => {
  const next = prng(fnv1a(key))
  let out = ""
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(next() * alphabet.length)]
  return out
}

/** A random-looking but deterministic id (letters and digits). @internal */
export const stableId = (length: number, key: string): string => fromAlphabet(ALPHABET, length, key)

/** A random-looking but deterministic lower-case id. @internal */
export const stableLowerId = (length: number, key: string): string => fromAlphabet(LOWER, length, key)

/** A deterministic base64 string of the given length (a multiple of 4). @internal */
export const stableBase64 = (length: number, key: string): string => fromAlphabet(ALPHABET64, length, key)

/** A deterministic UUID v4 string. @internal */
export const stableUuid = (key: string): string => {
  const hex = "0123456789abcdef"
  const next = prng(fnv1a(key, 0x9747b28c))
  let out = ""
  for (let i = 0; i < 32; i++) {
    const digit = i === 12 ? 4 : i === 16 ? 8 + Math.floor(next() * 4) : Math.floor(next() * 16)
    out += hex[digit]
    if (i === 7 || i === 11 || i === 15 || i === 19) out += "-"
  }
  return out
}
