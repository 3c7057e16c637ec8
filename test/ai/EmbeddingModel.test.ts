import * as EmbeddingModel from "@effect/ai/EmbeddingModel"
import { assert, layer } from "@effect/vitest"
import { Duration, Effect, Layer } from "effect"
import { BedrockEmbeddingModel } from "../../src/ai/index.js"
import * as EmbeddingsClient from "../../src/EmbeddingsClient.js"
import { Emulator } from "../../src/emulator/Emulator.js"
import { runtimeLayer } from "../support/live.js"

const titan = "amazon.titan-embed-text-v2:0"

const Live = BedrockEmbeddingModel.layer({ dimensions: 256 }).pipe(
  Layer.provideMerge(EmbeddingsClient.layer({ model: titan, retry: { baseDelay: Duration.millis(1), jitter: false } })),
  Layer.provideMerge(runtimeLayer()),
  Layer.provideMerge(Emulator.layer())
)

const norm = (vector: ReadonlyArray<number>) => Math.sqrt(vector.reduce((sum, x) => sum + x * x, 0))

layer(Live, { excludeTestServices: true })("@effect/ai EmbeddingModel over EmbeddingsClient", (it) => {
  it.effect("embed and embedMany give the layer's dimensions, in input order, through the client's cache", () =>
    Effect.gen(function*() {
      const model = yield* EmbeddingModel.EmbeddingModel
      const client = yield* EmbeddingsClient.EmbeddingsClient
      yield* client.clearCache
      const before = yield* client.stats
      const one = yield* model.embed("herons wait by the pond")
      assert.strictEqual(one.length, 256)
      const many = yield* model.embedMany(["cats sleep", "herons wait by the pond", "cats sleep"])
      assert.strictEqual(many.length, 3)
      assert.deepStrictEqual(many[1], one)
      assert.deepStrictEqual(many[0], many[2])
      const after = yield* client.stats
      assert.strictEqual(after.cacheHits - before.cacheHits, 1, "the second embedding of the heron text is cached")
      assert.strictEqual(after.deduplicated - before.deduplicated, 1, "the repeated cat text is sent once")
      // A returned vector is the caller's: changing it does not change the cache.
      many[0]![0] = 42
      assert.notStrictEqual((yield* model.embed("cats sleep"))[0], 42)
    }))

  it.effect("withEmbedOptions changes the options of the calls inside it", () =>
    Effect.gen(function*() {
      const model = yield* EmbeddingModel.EmbeddingModel
      const vector = yield* model.embed("normalised herons").pipe(
        BedrockEmbeddingModel.withEmbedOptions({ dimensions: 512, normalize: true })
      )
      assert.strictEqual(vector.length, 512)
      assert.closeTo(norm(vector), 1, 1e-6)
    }))

  it.effect("bad input and service errors are AiErrors with the library's error as cause", () =>
    Effect.gen(function*() {
      const model = yield* EmbeddingModel.EmbeddingModel
      const empty = yield* Effect.flip(model.embed("   "))
      assert.strictEqual(empty._tag, "MalformedInput")
      assert.strictEqual((empty.cause as { _tag?: string })._tag, "EmbeddingInputError")
      const dimensions = yield* Effect.flip(
        model.embed("x").pipe(BedrockEmbeddingModel.withEmbedOptions({ dimensions: 7 }))
      )
      assert.strictEqual(dimensions._tag, "MalformedInput")
      const emulator = yield* Emulator
      emulator.faults.enqueue("access-denied")
      const denied = yield* Effect.flip(model.embedMany(["a text never embedded before"]))
      assert.strictEqual(denied._tag, "HttpResponseError")
      assert.isTrue(denied._tag === "HttpResponseError" && denied.response.status === 403)
    }))
})
