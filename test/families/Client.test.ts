import { assert, describe, it, layer } from "@effect/vitest"
import { Duration, Effect, Layer, Stream } from "effect"
import * as BedrockClient from "../../src/BedrockClient.js"
import * as Conversation from "../../src/Conversation.js"
import { Emulator } from "../../src/emulator/Emulator.js"
import * as Message from "../../src/Message.js"
import * as Response from "../../src/Response.js"
import { emulatorLayer } from "./helpers.js"

const haiku = "anthropic.claude-3-haiku-20240307-v1:0"

const weather = Conversation.toolConfig([
  Conversation.toolSpec({
    name: "get_weather",
    description: "Current weather for a city",
    inputSchema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] }
  })
])

const operations: Array<string> = []

const clientLayer = (options?: Partial<BedrockClient.BedrockClient.Options>) =>
  BedrockClient.layer({
    model: { modelId: haiku, maxTokens: 200 },
    retry: { baseDelay: Duration.millis(1), maxDelay: Duration.millis(2), jitter: false },
    hooks: [{ before: (info) => Effect.sync(() => void operations.push(info.operation)) }],
    ...options
  }).pipe(Layer.provideMerge(emulatorLayer()))

const sameAnswer = (converse: Response.Response, native: Response.Response) => {
  assert.strictEqual(Response.text(native), Response.text(converse))
  assert.strictEqual(native.stopReason, converse.stopReason)
  assert.deepStrictEqual(native.usage, converse.usage)
}

/** Families whose Converse and native bodies the emulator counts alike. */
const parity = [
  haiku,
  "amazon.nova-micro-v1:0",
  "mistral.mistral-large-2407-v1:0",
  "ai21.jamba-1-5-mini-v1:0"
]

layer(clientLayer(), { excludeTestServices: true })("BedrockClient with api: \"invoke\"", (it) => {
  for (const modelId of parity) {
    it.effect(`${modelId}: Converse and InvokeModel give the same Response`, () =>
      Effect.gen(function*() {
        const client = yield* BedrockClient.BedrockClient
        const messages = [Message.user("Reply with exactly: The <b>quick</b> & \"brown\" fox")]
        const model = { modelId, maxTokens: 100 }
        const converse = yield* client.generate({ messages, model })
        const native = yield* client.generate({ messages, model, api: "invoke" })
        sameAnswer(converse, native)
        assert.strictEqual(Response.text(native), "The <b>quick</b> & \"brown\" fox")
        const streamed = yield* BedrockClient.collect(client.stream({ messages, model, api: "invoke" }))
        sameAnswer(converse, streamed)
        assert.deepStrictEqual(streamed.message, native.message)
      }))
  }

  it.effect("Claude tool use: same tool, input and stop reason on both APIs (ids are each API's own)", () =>
    Effect.gen(function*() {
      const client = yield* BedrockClient.BedrockClient
      const request = {
        messages: [Message.user("What is the weather in Paris? Use get_weather.")],
        toolConfig: weather
      }
      const converse = yield* client.generate(request)
      const native = yield* client.generate({ ...request, api: "invoke" })
      const strip = (response: Response.Response) =>
        response.message.content.map((block) => block._tag === "ToolUse" ? { ...block, toolUseId: "" } : block)
      assert.strictEqual(native.stopReason, "tool_use")
      assert.deepStrictEqual(strip(native), strip(converse))
      assert.deepStrictEqual(native.usage, converse.usage)
      const streamed = yield* BedrockClient.collect(client.stream({ ...request, api: "invoke" }))
      assert.deepStrictEqual(streamed.message, native.message)
      const use = Response.toolUses(native)[0]!
      const answer = yield* client.generate({
        messages: [
          ...request.messages,
          native.message,
          Message.user([Message.toolResult(use.toolUseId, "18 and sunny")])
        ],
        toolConfig: weather,
        api: "invoke"
      })
      assert.include(Response.text(answer), "18 and sunny")
    }))

  it.effect("hooks and usage totals see the native operations; Mistral usage comes from the response headers", () =>
    Effect.gen(function*() {
      const client = yield* BedrockClient.BedrockClient
      operations.length = 0
      const before = yield* client.usage
      const mistral = yield* client.generate({
        messages: [Message.user("Hello there")],
        model: { modelId: "mistral.mistral-7b-instruct-v0:2" },
        api: "invoke"
      })
      yield* Stream.runDrain(client.stream({ messages: [Message.user("Hello there")], api: "invoke" }))
      assert.deepStrictEqual(operations, ["InvokeModel", "InvokeModelWithResponseStream"])
      assert.isAbove(mistral.usage.inputTokens, 0)
      assert.isAbove(mistral.latencyMs ?? 0, 0)
      const after = yield* client.usage
      assert.strictEqual(after.calls - before.calls, 2)
      assert.isAbove(after.usage.totalTokens - before.usage.totalTokens, mistral.usage.totalTokens)
    }))

  it.effect("UnsupportedFeature is raised before any request is sent", () =>
    Effect.gen(function*() {
      const client = yield* BedrockClient.BedrockClient
      const emulator = yield* Emulator
      emulator.resetStats()
      const titan = yield* Effect.flip(client.generate({
        messages: [Message.user("What is the weather in Paris?")],
        toolConfig: weather,
        model: { modelId: "amazon.titan-text-express-v1" },
        api: "invoke"
      }))
      assert.strictEqual(titan._tag, "UnsupportedFeature")
      assert.isTrue(titan._tag === "UnsupportedFeature" && titan.feature === "tools")
      assert.include(titan.message, "Amazon Titan Text")
      const streamed = yield* Effect.flip(Stream.runDrain(client.stream({
        messages: [Message.user([Message.video(new Uint8Array(4), "mp4"), "What is this?"])],
        api: "invoke"
      })))
      assert.strictEqual(streamed._tag, "UnsupportedFeature")
      const noFamily = yield* Effect.flip(client.generate({
        messages: [Message.user("hi")],
        model: { modelId: "writer.palmyra-x5-v1:0" },
        api: "invoke"
      }))
      assert.strictEqual(noFamily._tag, "UnsupportedFeature")
      assert.strictEqual(emulator.stats().requests, 0)
    }))
})

describe("BedrockClient api option", () => {
  it.effect("the client's api applies to every call unless a request says otherwise", () =>
    Effect.gen(function*() {
      const client = yield* BedrockClient.BedrockClient
      operations.length = 0
      yield* client.generate("Hello")
      yield* client.generate({ messages: [Message.user("Hello")], api: "converse" })
      assert.deepStrictEqual(operations, ["InvokeModel", "Converse"])
    }).pipe(Effect.provide(clientLayer({ api: "invoke", model: { modelId: "amazon.nova-micro-v1:0" } }))))
})
