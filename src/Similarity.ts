/**
 * Vector similarity for small in-memory retrieval: dot product, L2 norm and normalisation, cosine similarity, and
 * the `k` best matches of a query among a list of vectors.
 *
 * Vectors of different lengths cannot be compared: passing them is a programming error and throws a `RangeError`.
 *
 * @example
 * ```ts
 * import { Similarity } from "bedrock-llm"
 *
 * const documents = [[1, 0, 0], [0.7, 0.7, 0], [0, 0, 1]]
 * const best = Similarity.topK([1, 0.1, 0], documents, 2) // the two nearest, by cosine
 * console.log(best.map((match) => match.index), Similarity.cosine(documents[0]!, documents[1]!))
 * ```
 *
 * @since 0.1.0
 */

/**
 * A vector of numbers (a plain array or a typed array).
 *
 * @since 0.1.0
 * @category models
 */
export type Vector = ArrayLike<number>

/**
 * One match of `topK`: the position of the vector in the list and its score (higher is closer).
 *
 * @since 0.1.0
 * @category models
 */
export interface Match {
  readonly index: number
  readonly score: number
}

/**
 * The measure `topK` ranks by: `cosine` (default) or `dot` (equal to cosine for unit vectors, and cheaper).
 *
 * @since 0.1.0
 * @category models
 */
export type Metric = "cosine" | "dot"

const sameLength = (a: Vector, b: Vector): void => {
  if (a.length !== b.length) {
    throw new RangeError(`Similarity: vectors have different lengths (${a.length} and ${b.length})`)
  }
}

/**
 * The dot product of two vectors of equal length.
 *
 * @since 0.1.0
 * @category utils
 */
export const dot = (a: Vector, b: Vector): number => {
  sameLength(a, b)
  let sum = 0
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!
  return sum
}

/**
 * The Euclidean (L2) norm of a vector.
 *
 * @since 0.1.0
 * @category utils
 */
export const norm = (a: Vector): number => {
  let sum = 0
  for (let i = 0; i < a.length; i++) sum += a[i]! * a[i]!
  return Math.sqrt(sum)
}

/**
 * The vector scaled to unit L2 norm; a zero vector is returned unchanged (as zeros).
 *
 * @since 0.1.0
 * @category utils
 */
export const normalize = (a: Vector): Array<number> => {
  const length = norm(a)
  const out = new Array<number>(a.length)
  for (let i = 0; i < a.length; i++) out[i] = length === 0 ? 0 : a[i]! / length
  return out
}

/**
 * Cosine similarity in [-1, 1]; 0 when either vector is all zeros.
 *
 * @since 0.1.0
 * @category utils
 */
export const cosine = (a: Vector, b: Vector): number => {
  sameLength(a, b)
  let ab = 0
  let aa = 0
  let bb = 0
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!
    const y = b[i]!
    ab += x * y
    aa += x * x
    bb += y * y
  }
  const denominator = Math.sqrt(aa) * Math.sqrt(bb)
  return denominator === 0 ? 0 : Math.max(-1, Math.min(1, ab / denominator))
}

/**
 * The `k` vectors closest to `query`, best first (ties keep list order). Scores every vector once and keeps the best
 * `k` in a sorted buffer, so it suits lists of up to some hundred thousand vectors.
 *
 * @since 0.1.0
 * @category utils
 */
export const topK = (
  query: Vector,
  vectors: ReadonlyArray<Vector>,
  k: number,
  options?: { readonly metric?: Metric | undefined }
): Array<Match> => {
  const limit = Math.max(0, Math.min(Math.floor(k), vectors.length))
  if (limit === 0) return []
  const score = options?.metric === "dot" ? dot : cosine
  const best: Array<Match> = []
  for (let index = 0; index < vectors.length; index++) {
    const value = score(query, vectors[index]!)
    if (best.length === limit && !(value > best[limit - 1]!.score)) continue
    let position = best.length
    while (position > 0 && value > best[position - 1]!.score) position--
    best.splice(position, 0, { index, score: value })
    if (best.length > limit) best.pop()
  }
  return best
}

/**
 * Ranks items by the similarity of their vectors (`vectorOf`) to `query`, best first, keeping the `k` best (all when
 * `k` is omitted).
 *
 * @since 0.1.0
 * @category utils
 */
export const rank = <A>(
  query: Vector,
  items: ReadonlyArray<A>,
  vectorOf: (item: A, index: number) => Vector,
  k: number = items.length,
  options?: { readonly metric?: Metric | undefined }
): Array<{ readonly item: A; readonly index: number; readonly score: number }> =>
  topK(query, items.map((item, index) => vectorOf(item, index)), k, options).map(({ index, score }) => ({
    item: items[index]!,
    index,
    score
  }))
