/**
 * The emulator's one tokenizer, used for every count it reports (Converse usage, CountTokens, native bodies,
 * truncation at maxTokens, one-token stream chunks).
 *
 * A token is an optional run of whitespace followed by either up to four word characters (letters, digits,
 * `_`, any non-ASCII character) or one other character (punctuation, symbol). Whitespace at the very end is a
 * token of its own. So "Hello, world!" is `Hello` `,` ` worl` `d` `!` (5 tokens): about four characters a
 * token for English prose. Concatenating the pieces gives back the text.
 *
 * @since 0.1.0
 */

const WORD_CHUNK = 4

const isSpace = (c: number): boolean =>
  c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0x2028 || c === 0x2029 || c === 0xfeff ||
  (c >= 0x2000 && c <= 0x200a) || c === 0x3000

const isWord = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || (c >= 128 && !isSpace(c))

const isHighSurrogate = (c: number): boolean => c >= 0xd800 && c <= 0xdbff

/** The end index of the token that starts at `start`. */
const tokenEnd = (text: string, start: number): number => {
  let i = start
  const n = text.length
  while (i < n && isSpace(text.charCodeAt(i))) i++
  if (i >= n) return n
  const c = text.charCodeAt(i)
  if (!isWord(c)) return i + 1
  let taken = 0
  while (i < n && taken < WORD_CHUNK && isWord(text.charCodeAt(i))) {
    i += isHighSurrogate(text.charCodeAt(i)) && i + 1 < n ? 2 : 1
    taken++
  }
  return i
}

/**
 * Counts the tokens of a text.
 *
 * @since 0.1.0
 * @category utils
 */
export const countText = (text: string): number => {
  let count = 0
  for (let i = 0; i < text.length; i = tokenEnd(text, i)) count++
  return count
}

/**
 * Counts the tokens of a text up to `limit`: once the count passes it, counting stops and `limit + 1` is returned,
 * so a prompt far beyond a context window costs only the window's worth of work.
 *
 * @since 0.1.0
 * @category utils
 */
export const countTextWithin = (text: string, limit: number): number => {
  let count = 0
  for (let i = 0; i < text.length && count <= limit; i = tokenEnd(text, i)) count++
  return count
}

/**
 * Splits a text into its tokens (their concatenation is the text).
 *
 * @since 0.1.0
 * @category utils
 */
export const tokenize = (text: string): Array<string> => {
  const out: Array<string> = []
  for (let i = 0; i < text.length;) {
    const end = tokenEnd(text, i)
    out.push(text.slice(i, end))
    i = end
  }
  return out
}

/**
 * The prefix of a text that holds at most `max` tokens, and how many it holds.
 *
 * @since 0.1.0
 * @category utils
 */
export const takeTokens = (text: string, max: number): { readonly text: string; readonly tokens: number } => {
  let count = 0
  let i = 0
  while (i < text.length && count < max) {
    i = tokenEnd(text, i)
    count++
  }
  return { text: text.slice(0, i), tokens: count }
}

/**
 * Groups the tokens of a text into stream deltas of a few tokens each (a fixed 2, 3, 1, 4 ... rhythm), never
 * empty; an empty text is one empty delta.
 *
 * @since 0.1.0
 * @category utils
 */
export const deltas = (text: string, rhythm: ReadonlyArray<number> = [2, 3, 1, 4, 3, 2]): Array<string> => {
  if (text.length === 0) return [""]
  const out: Array<string> = []
  let start = 0
  let step = 0
  while (start < text.length) {
    let end = start
    const size = rhythm[step++ % rhythm.length]!
    for (let k = 0; k < size && end < text.length; k++) end = tokenEnd(text, end)
    out.push(text.slice(start, end))
    start = end
  }
  return out
}

/**
 * Splits a string into pieces of at most `size` characters (for partial JSON deltas).
 *
 * @since 0.1.0
 * @category utils
 */
export const chunks = (text: string, size: number): Array<string> => {
  const out: Array<string> = []
  let i = 0
  while (i < text.length) {
    let end = Math.min(text.length, i + size)
    if (end < text.length && isHighSurrogate(text.charCodeAt(end - 1))) end++
    out.push(text.slice(i, end))
    i = end
  }
  return out
}
