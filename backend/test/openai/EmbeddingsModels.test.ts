import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import OpenAI from "openai"
import { call, startService } from "../support/service.js"
import { chatModel, clientOf, embeddingModel, rejection } from "./support.js"

const length = (vector: ReadonlyArray<number>) => Math.sqrt(vector.reduce((sum, x) => sum + x * x, 0))

describe("POST /v1/embeddings through the openai client", () => {
  it.scoped("floats and base64 (little-endian float32, decoded by the client) give the same vectors, in input order", () =>
    Effect.gen(function*() {
      const service = yield* startService()
      const { secret } = yield* service.createKey()
      const client = clientOf(service, secret)
      const input = ["The cat sat on the mat.", "Bedrock serves models.", "The cat sat on the mat."]
      const floats = yield* Effect.promise(() =>
        client.embeddings.create({ model: embeddingModel, input, encoding_format: "float", dimensions: 256 })
      )
      assert.strictEqual(floats.object, "list")
      assert.strictEqual(floats.model, embeddingModel)
      assert.deepStrictEqual(floats.data.map((item) => [item.object, item.index]), [
        ["embedding", 0],
        ["embedding", 1],
        ["embedding", 2]
      ])
      for (const item of floats.data) {
        assert.strictEqual(item.embedding.length, 256)
        assert.closeTo(length(item.embedding), 1, 1e-3, "normalized, as OpenAI's are")
      }
      assert.deepStrictEqual(floats.data[0]!.embedding, floats.data[2]!.embedding)
      assert.notDeepEqual(floats.data[0]!.embedding, floats.data[1]!.embedding)
      assert.isAbove(floats.usage.prompt_tokens, 0)
      assert.strictEqual(floats.usage.total_tokens, floats.usage.prompt_tokens)

      // Without encoding_format the client asks for base64 and decodes it itself.
      const decoded = yield* Effect.promise(() =>
        client.embeddings.create({ model: embeddingModel, input, dimensions: 256 })
      )
      decoded.data.forEach((item, i) => {
        const expected = floats.data[i]!.embedding
        assert.strictEqual(item.embedding.length, expected.length)
        item.embedding.forEach((value, j) => assert.strictEqual(value, Math.fround(expected[j]!)))
      })
      const raw = yield* call(`${service.url}/v1/embeddings`, {
        token: secret,
        body: { model: embeddingModel, input: "one text", encoding_format: "base64" }
      })
      assert.strictEqual(raw.status, 200)
      const bytes = Buffer.from(raw.body.data[0].embedding, "base64")
      assert.strictEqual(bytes.length, 1024 * 4, "the model's default 1024 dimensions as float32")
      const single = yield* Effect.promise(() =>
        client.embeddings.create({ model: embeddingModel, input: "one text", encoding_format: "float" })
      )
      assert.strictEqual(bytes.readFloatLE(4), Math.fround(single.data[0]!.embedding[1]!))
      assert.strictEqual(service.bedrockRequests(), 2 + 2 + 1 + 1, "one text per Titan call, a repeated text once")
    }))
})

describe("GET /v1/models through the openai client", () => {
  it.scoped("lists the aliases and catalog models the key may use, and retrieves one", () =>
    Effect.gen(function*() {
      const service = yield* startService({ settings: { modelAliases: { fast: [{ modelId: chatModel }] } } })
      const { secret } = yield* service.createKey({
        allowedModels: ["fast", "anthropic.claude-sonnet-4-*", "amazon.titan-embed-*"]
      })
      const client = clientOf(service, secret)
      const page = yield* Effect.promise(() => client.models.list())
      const ids = page.data.map((model) => model.id)
      assert.deepStrictEqual(ids.slice(0, 1), ["fast"])
      assert.includeMembers(ids, [chatModel, embeddingModel])
      assert.isTrue(ids.every((id) =>
        id === "fast" || id.startsWith("anthropic.claude-sonnet-4-") || id.startsWith("amazon.titan-embed-")
      ))
      const fast = page.data[0]! as OpenAI.Models.Model & Record<string, unknown>
      assert.deepInclude(fast, { object: "model", owned_by: "anthropic", alias: true })
      assert.strictEqual(fast["context_window"], 200_000)

      const retrieved = yield* Effect.promise(() =>
        client.models.retrieve(chatModel)
      )
      assert.strictEqual(retrieved.id, chatModel)
      assert.strictEqual(retrieved.object, "model")
      const hidden = yield* rejection(() => client.models.retrieve("amazon.nova-lite-v1:0"))
      assert.instanceOf(hidden, OpenAI.NotFoundError, "a model the key may not use is not found")
      const unknown = yield* rejection(() => client.models.retrieve("gpt-4o"))
      assert.instanceOf(unknown, OpenAI.NotFoundError)
      assert.strictEqual((unknown as InstanceType<typeof OpenAI.NotFoundError>).code, "model_not_found")

      const profiles = yield* service.createKey({ allowedModels: ["us.anthropic.*"] })
      const profile = yield* Effect.promise(() =>
        clientOf(service, profiles.secret).models.retrieve("us.anthropic.claude-sonnet-4-20250514-v1:0")
      )
      assert.strictEqual(
        profile.id,
        "us.anthropic.claude-sonnet-4-20250514-v1:0",
        "an inference profile of a catalog model"
      )

      const openapi = yield* call(`${service.url}/openapi.json`)
      assert.includeMembers(Object.keys(openapi.body.paths), ["/v1/chat/completions", "/v1/embeddings", "/v1/models"])
      assert.strictEqual(service.bedrockRequests(), 0)
    }))
})
