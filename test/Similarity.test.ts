import { assert, describe, it } from "@effect/vitest"
import * as Similarity from "../src/Similarity.js"

describe("Similarity", () => {
  it("dot, norm and normalize", () => {
    assert.strictEqual(Similarity.dot([1, 2, 3], [4, 5, 6]), 32)
    assert.strictEqual(Similarity.norm([3, 4]), 5)
    assert.deepStrictEqual(Similarity.normalize([3, 4]), [0.6, 0.8])
    assert.deepStrictEqual(Similarity.normalize(new Float32Array([0, 0])), [0, 0])
    assert.closeTo(Similarity.norm(Similarity.normalize([1, -7, 2.5, 1e-3])), 1, 1e-12)
  })

  it("cosine ignores length, is 0 for orthogonal or zero vectors, -1 for opposite", () => {
    assert.closeTo(Similarity.cosine([1, 2], [2, 4]), 1, 1e-12)
    assert.strictEqual(Similarity.cosine([1, 0], [0, 3]), 0)
    assert.closeTo(Similarity.cosine([1, 1], [-1, -1]), -1, 1e-12)
    assert.strictEqual(Similarity.cosine([0, 0], [1, 1]), 0)
    assert.closeTo(Similarity.cosine([1, 0], [1, 1]), Math.SQRT1_2, 1e-12)
  })

  it("vectors of different lengths are a programming error", () => {
    assert.throws(() => Similarity.dot([1], [1, 2]), RangeError)
    assert.throws(() => Similarity.cosine([1, 2, 3], [1, 2]), /different lengths \(3 and 2\)/)
  })

  it("topK returns the k best, best first, ties in list order", () => {
    const vectors = [[1, 0], [0, 1], [1, 1], [2, 0], [-1, 0]]
    const best = Similarity.topK([1, 0], vectors, 3)
    assert.deepStrictEqual(best.map((m) => m.index), [0, 3, 2])
    assert.closeTo(best[0]!.score, 1, 1e-12)
    assert.closeTo(best[2]!.score, Math.SQRT1_2, 1e-12)
    assert.deepStrictEqual(Similarity.topK([1, 0], vectors, 10).map((m) => m.index), [0, 3, 2, 1, 4])
    assert.deepStrictEqual(Similarity.topK([1, 0], vectors, 0), [])
    assert.deepStrictEqual(Similarity.topK([1, 0], [], 3), [])
  })

  it("topK by dot product prefers longer vectors", () => {
    const best = Similarity.topK([1, 0], [[1, 0], [3, 0], [2, 5]], 3, { metric: "dot" })
    assert.deepStrictEqual(best.map((m) => [m.index, m.score]), [[1, 3], [2, 2], [0, 1]])
  })

  it("topK agrees with a full sort on random vectors", () => {
    let seed = 7
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648
      return seed / 2147483648 - 0.5
    }
    const vectors = Array.from({ length: 300 }, () => Array.from({ length: 16 }, random))
    const query = Array.from({ length: 16 }, random)
    const sorted = vectors.map((v, index) => ({ index, score: Similarity.cosine(query, v) }))
      .sort((a, b) => b.score - a.score || a.index - b.index)
    assert.deepStrictEqual(Similarity.topK(query, vectors, 25), sorted.slice(0, 25))
  })

  it("rank pairs items with their scores", () => {
    const docs = [{ id: "a", v: [0, 1] }, { id: "b", v: [1, 0] }, { id: "c", v: [1, 0.1] }]
    const ranked = Similarity.rank([1, 0], docs, (doc) => doc.v, 2)
    assert.deepStrictEqual(ranked.map((r) => [r.item.id, r.index]), [["b", 1], ["c", 2]])
  })
})
