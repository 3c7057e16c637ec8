import { assert, describe, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import * as BedrockClient from "../src/BedrockClient.js"
import * as BedrockError from "../src/BedrockError.js"
import { Emulator } from "../src/emulator/Emulator.js"
import * as Message from "../src/Message.js"
import * as ModelCatalog from "../src/ModelCatalog.js"
import { haiku, liveLayer } from "./support/live.js"

const hello = Message.user("Hello")

describe("ModelCatalog.suggest", () => {
  it("the nearest catalog ids to a typo or a missing suffix, best first", () => {
    assert.strictEqual(ModelCatalog.suggest("anthropic.claud-3-haiku")[0], haiku)
    assert.strictEqual(ModelCatalog.suggest("anthropic.claude-3-haiku")[0], haiku)
    assert.deepStrictEqual(ModelCatalog.suggest("amazon.nova-micro"), ["amazon.nova-micro-v1:0"])
    assert.isAtMost(ModelCatalog.suggest("anthropic.claude-3-haiku").length, 3)
    assert.deepStrictEqual(ModelCatalog.suggest("amazon.nova-micro", { limit: 1 }), ["amazon.nova-micro-v1:0"])
  })

  it("keeps the profile prefix, reads ARNs, and gives nothing when nothing is close", () => {
    assert.deepStrictEqual(ModelCatalog.suggest("us.anthropic.claud-3-haiku-20240307-v1:0"), [`us.${haiku}`])
    assert.deepStrictEqual(
      ModelCatalog.suggest("arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haku-20240307-v1:0"),
      [haiku]
    )
    assert.deepStrictEqual(ModelCatalog.suggest("gpt-4o"), [])
    assert.deepStrictEqual(
      ModelCatalog.suggest("arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123"),
      []
    )
    assert.deepStrictEqual(ModelCatalog.suggest("vendor.model-a", { ids: ["vendor.model-b", "other.thing"] }), [
      "vendor.model-b"
    ])
  })
})

describe("a model id Bedrock refuses", () => {
  const typo = "anthropic.claud-3-haiku"

  it.effect("is still sent, and the refusal names it and suggests the nearest catalog ids (Converse)", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      const error = yield* Effect.flip(BedrockClient.generate({ messages: [hello], model: { modelId: typo } }))
      assert.strictEqual(emulator.stats().requests, 1)
      assert.strictEqual(error._tag, "ValidationError")
      if (error._tag !== "ValidationError") return
      assert.strictEqual(error.modelId, typo)
      assert.strictEqual(error.suggestions?.[0], haiku)
      assert.include(error.message, "The provided model identifier is invalid.")
      assert.include(error.message, `model id "${typo}"; did you mean "${haiku}"`)
      assert.isFalse(error.retryable)
    }).pipe(Effect.provide(liveLayer())))

  it.effect("the same before a stream's first event (ConverseStream)", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Stream.runDrain(BedrockClient.stream({
        messages: [hello],
        model: { modelId: typo }
      })))
      assert.strictEqual(error._tag, "ValidationError")
      assert.include(error.message, `did you mean "${haiku}"`)
    }).pipe(Effect.provide(liveLayer())))

  it("an id in the catalog is named without suggestions; other errors are left as they are", () => {
    const refused = { name: "ValidationException", message: "The provided model identifier is invalid." }
    const known = BedrockError.fromSdkError(Object.assign(new Error(refused.message), refused), { modelId: haiku })
    assert.strictEqual(known._tag === "ValidationError" && known.modelId, haiku)
    assert.deepStrictEqual(known._tag === "ValidationError" && known.suggestions, [])
    assert.strictEqual(known.message, `The provided model identifier is invalid. (model id "${haiku}")`)
    const other = { name: "ValidationException", message: "messages: must not be empty" }
    const unrelated = BedrockError.fromSdkError(Object.assign(new Error(other.message), other), { modelId: "x.y" })
    assert.strictEqual(unrelated.message, other.message)
    const notFound = { name: "ResourceNotFoundException", message: "This Model is marked by provider as Legacy" }
    const legacy = BedrockError.fromSdkError(Object.assign(new Error(notFound.message), notFound), {
      modelId: "anthropic.claude-v2"
    })
    assert.strictEqual(legacy._tag === "ResourceNotFoundError" && legacy.modelId, "anthropic.claude-v2")
  })
})
