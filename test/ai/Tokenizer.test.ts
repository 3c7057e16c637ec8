import * as LanguageModel from "@effect/ai/LanguageModel"
import * as Prompt from "@effect/ai/Prompt"
import * as Tokenizer from "@effect/ai/Tokenizer"
import { assert, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { BedrockLanguageModel, BedrockTokenizer } from "../../src/ai/index.js"
import * as BedrockRuntime from "../../src/BedrockRuntime.js"
import * as ModelCatalog from "../../src/ModelCatalog.js"
import { aiLayer, makeSent } from "./support.js"

const haiku35 = "anthropic.claude-3-5-haiku-20241022-v1:0"
const sent = makeSent()
const Live = Layer.mergeAll(BedrockTokenizer.layer({ modelId: `us.${haiku35}` })).pipe(
  Layer.provideMerge(aiLayer(sent))
)

const conversation: Prompt.RawInput = [
  { role: "system", content: "You are a careful assistant." },
  { role: "user", content: "What is the capital of France?" },
  { role: "assistant", content: "Paris." },
  { role: "user", content: "And how many people live there, roughly?" }
]

layer(Live, { excludeTestServices: true })("@effect/ai Tokenizer over CountTokens", (it) => {
  it.effect("a prompt counts as many tokens as Converse bills as its input (profile id counted with its model)", () =>
    Effect.gen(function*() {
      const tokenizer = yield* Tokenizer.Tokenizer
      sent.clear()
      const tokens = yield* tokenizer.tokenize(conversation)
      const counted = sent.inputs.find((entry) => entry.command === "CountTokensCommand")
      assert.strictEqual((counted?.input as { modelId?: string } | undefined)?.modelId, haiku35)
      const response = yield* LanguageModel.generateText({ prompt: conversation }).pipe(
        BedrockLanguageModel.withConfigOverride({ modelId: haiku35 })
      )
      assert.isAbove(tokens.length, 0)
      assert.strictEqual(tokens.length, response.usage.inputTokens)
    }))

  it.effect("truncate keeps the latest messages that fit, counting each alone", () =>
    Effect.gen(function*() {
      const tokenizer = yield* Tokenizer.Tokenizer
      const all = Prompt.make(conversation)
      const lastTwo = Prompt.fromMessages(all.content.slice(2))
      const budget = (yield* tokenizer.tokenize(Prompt.fromMessages(all.content.slice(3)))).length +
        (yield* tokenizer.tokenize(Prompt.fromMessages(all.content.slice(2, 3)))).length
      const truncated = yield* tokenizer.truncate(all, budget)
      assert.deepStrictEqual(truncated.content.map((m) => m.role), lastTwo.content.map((m) => m.role))
    }))

  it.effect("a model without CountTokens fails with MalformedInput, or is estimated when asked", () =>
    Effect.gen(function*() {
      const runtime = yield* BedrockRuntime.BedrockRuntime
      const llama = "meta.llama3-3-70b-instruct-v1:0"
      assert.isTrue(ModelCatalog.resolve(llama)._tag === "Some")
      const strict = yield* BedrockTokenizer.make({ modelId: llama }).pipe(
        Effect.provideService(BedrockRuntime.BedrockRuntime, runtime)
      )
      const error = yield* Effect.flip(strict.tokenize("Hello there"))
      assert.strictEqual(error._tag, "MalformedInput")
      assert.include(error.message, "CountTokens")
      const estimating = yield* BedrockTokenizer.make({ modelId: llama, fallback: "estimate" }).pipe(
        Effect.provideService(BedrockRuntime.BedrockRuntime, runtime)
      )
      const estimate = yield* estimating.tokenize("Hello there, how are you today?")
      assert.strictEqual(estimate.length, ModelCatalog.estimateTokens("Hello there, how are you today?"))
    }))
})
