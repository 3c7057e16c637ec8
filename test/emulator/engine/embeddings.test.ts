import { describe, expect, it } from "vitest"
import { invoke } from "../../../src/emulator/engine/index.js"
import { error, ok } from "./helpers.js"

const cosine = (a: ReadonlyArray<number>, b: ReadonlyArray<number>) => {
  let dot = 0, na = 0, nb = 0
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!
    na += a[i]! * a[i]!
    nb += b[i]! * b[i]!
  }
  return dot / Math.sqrt(na * nb)
}
const norm = (v: ReadonlyArray<number>) => Math.sqrt(v.reduce((n, x) => n + x * x, 0))

const titan = (inputText: string, extra: object = {}) =>
  ok(invoke("amazon.titan-embed-text-v2:0", { inputText, ...extra })).body

describe("embeddings", () => {
  it("have exactly the requested dimensions, normalized when asked", () => {
    for (const dimensions of [256, 512, 1024]) {
      const body = titan("hello world", { dimensions, normalize: true })
      expect(body.embedding).toHaveLength(dimensions)
      expect(norm(body.embedding)).toBeCloseTo(1, 9)
      expect(body.embeddingsByType.float).toEqual(body.embedding)
    }
    expect(norm(titan("hello world", { normalize: false }).embedding)).not.toBeCloseTo(1, 3)
    expect(ok(invoke("amazon.titan-embed-text-v1", { inputText: "hello" })).body.embedding).toHaveLength(1536)
    expect(
      titan("hello", { embeddingTypes: ["binary"] }).embeddingsByType.binary.every((x: number) => x === 0 || x === 1)
    ).toBe(true)
  })

  it("are deterministic, and similar texts are closer than unrelated ones", () => {
    expect(titan("the cat sat on the mat").embedding).toEqual(titan("the cat sat on the mat").embedding)
    const a = titan("the cat sat on the mat").embedding
    const b = titan("a cat was sitting on the mat").embedding
    const c = titan("quarterly revenue grew by twelve percent").embedding
    expect(cosine(a, b)).toBeGreaterThan(cosine(a, c))
    expect(cosine(a, b)).toBeGreaterThan(0.3)
  })

  it("Cohere v3 and v4: batches, types, output dimensions", () => {
    const v3 =
      ok(invoke("cohere.embed-english-v3", { texts: ["Hello World!", "Goodbye"], input_type: "search_document" })).body
    expect(v3.response_type).toBe("embeddings_floats")
    expect(v3.embeddings).toHaveLength(2)
    expect(v3.embeddings[0]).toHaveLength(1024)
    expect(v3.texts).toEqual(["hello world!", "goodbye"])
    const typed = ok(
      invoke("cohere.embed-multilingual-v3", {
        texts: ["x"],
        input_type: "search_query",
        embedding_types: ["float", "int8", "ubinary"]
      })
    ).body
    expect(typed.response_type).toBe("embeddings_by_type")
    expect(typed.embeddings.int8[0]).toHaveLength(1024)
    expect(typed.embeddings.ubinary[0]).toHaveLength(128)
    const v4 =
      ok(invoke("cohere.embed-v4:0", { texts: ["Test"], input_type: "search_query", output_dimension: 512 })).body
    expect(v4.embeddings.float[0]).toHaveLength(512)
  })

  it("rejects bad dimensions, too many texts and missing fields", () => {
    expect(error(invoke("amazon.titan-embed-text-v2:0", { inputText: "x", dimensions: 300 })).message).toContain(
      "#/dimensions: 300 is not a valid enum value"
    )
    expect(error(invoke("amazon.titan-embed-text-v1", { inputText: "x", dimensions: 256 })).message).toContain(
      "extraneous key [dimensions]"
    )
    const many = Array.from({ length: 97 }, (_, i) => `t${i}`)
    expect(error(invoke("cohere.embed-english-v3", { texts: many, input_type: "search_document" })).message).toContain(
      "expected maximum item count: 96, found: 97"
    )
    expect(error(invoke("cohere.embed-english-v3", { texts: ["x"] })).message).toContain(
      "required key [input_type] not found"
    )
    expect(
      error(invoke("cohere.embed-v4:0", { texts: ["x"], input_type: "search_query", output_dimension: 100 })).message
    ).toContain("output_dimension")
  })
})
