import * as AiError from "@effect/ai/AiError"
import * as Chat from "@effect/ai/Chat"
import * as LanguageModel from "@effect/ai/LanguageModel"
import * as Prompt from "@effect/ai/Prompt"
import * as Tool from "@effect/ai/Tool"
import * as Toolkit from "@effect/ai/Toolkit"
import { assert, layer } from "@effect/vitest"
import { Chunk, Context, Effect, Layer, Ref, Schema, Stream } from "effect"
import { BedrockAiError, BedrockLanguageModel } from "../../src/ai/index.js"
import * as BedrockClient from "../../src/BedrockClient.js"
import { Emulator } from "../../src/emulator/Emulator.js"
import { aiLayer, makeSent, streamedText, thinking } from "./support.js"

// --- a toolkit whose handlers come from a service, provided by a Layer ------------------------------------------

class Weather extends Context.Tag("test/Weather")<Weather, {
  readonly lookup: (city: string) => Effect.Effect<{ readonly city: string; readonly temperature: number }>
}>() {}

const calls: Array<string> = []
const WeatherLive = Layer.succeed(Weather, {
  lookup: (city) =>
    Effect.sync(() => {
      calls.push(city)
      return { city, temperature: 21 }
    })
})

const GetWeather = Tool.make("get_weather", {
  description: "Current weather for a city",
  parameters: { city: Schema.String.annotations({ description: "The city" }) },
  success: Schema.Struct({ city: Schema.String, temperature: Schema.Number })
})
const Tools = Toolkit.make(GetWeather)
const ToolsLive = Tools.toLayer(Effect.map(Weather, (weather) => ({
  get_weather: ({ city }) => weather.lookup(city)
}))).pipe(Layer.provide(WeatherLive))

const sent = makeSent()
const usageCalls: Array<string> = []
const hooks: BedrockClient.BedrockClient.Hooks = {
  after: (info) => Effect.sync(() => void usageCalls.push(info.operation))
}

const Live = Layer.mergeAll(aiLayer(sent, { client: { hooks: [hooks] } }), ToolsLive)

const City = Schema.Struct({
  name: Schema.String,
  country: Schema.String,
  population: Schema.Number.pipe(Schema.int(), Schema.nonNegative())
}).annotations({ identifier: "City", description: "A city record" })

layer(Live, { excludeTestServices: true })("@effect/ai LanguageModel over bedrock-llm", (it) => {
  it.effect("generateText answers with text, a finish part with usage and the request id", () =>
    Effect.gen(function*() {
      const response = yield* LanguageModel.generateText({ prompt: "What is the capital of France?" })
      assert.include(response.text, "capital of France")
      assert.strictEqual(response.finishReason, "stop")
      assert.isAbove(response.usage.inputTokens ?? 0, 0)
      assert.isAbove(response.usage.outputTokens ?? 0, 0)
      assert.strictEqual(response.usage.totalTokens, response.usage.inputTokens! + response.usage.outputTokens!)
      const metadata = response.content.find((part) => part.type === "response-metadata")
      assert.isTrue(metadata !== undefined && metadata.id._tag === "Some" && metadata.id.value.length > 0)
      const finish = response.content.find((part) => part.type === "finish")
      assert.strictEqual(finish?.metadata.bedrockLlm?.stopReason, "end_turn")
      assert.strictEqual(
        finish?.metadata.bedrockLlm?.requestId,
        metadata?.id._tag === "Some" ? metadata.id.value : "none"
      )
    }))

  it.effect("the fold of streamText's parts equals generateText's answer", () =>
    Effect.gen(function*() {
      const prompt = "Tell me about foxes and rivers."
      const generated = yield* LanguageModel.generateText({ prompt })
      const parts = Chunk.toReadonlyArray(yield* Stream.runCollect(LanguageModel.streamText({ prompt })))
      assert.strictEqual(parts[0]?.type, "response-metadata")
      assert.strictEqual(parts[parts.length - 1]?.type, "finish")
      assert.isAbove(parts.filter((part) => part.type === "text-delta").length, 1)
      assert.strictEqual(streamedText(parts), generated.text)
      const finish = parts.find((part) => part.type === "finish")
      assert.deepStrictEqual(finish?.usage, generated.usage)
      assert.strictEqual(finish?.reason, generated.finishReason)
      const folded = Prompt.fromResponseParts(parts)
      const direct = Prompt.fromResponseParts(generated.content)
      assert.deepStrictEqual(folded.content.map((m) => m.content), direct.content.map((m) => m.content))
    }))

  it.effect("streamText's response metadata and finish part carry the stream's request id", () =>
    Effect.gen(function*() {
      const parts = Chunk.toReadonlyArray(yield* Stream.runCollect(LanguageModel.streamText({ prompt: "Hello" })))
      const metadata = parts.find((part) => part.type === "response-metadata")
      const finish = parts.find((part) => part.type === "finish")
      const id = metadata?.id._tag === "Some" ? metadata.id.value : undefined
      assert.isString(id)
      assert.isAbove(id!.length, 0)
      assert.strictEqual(metadata?.metadata.bedrockLlm?.requestId, id)
      assert.strictEqual(finish?.metadata.bedrockLlm?.requestId, id)
    }))

  it.effect("generateObject goes through the client's structured output and decodes with the Schema", () =>
    Effect.gen(function*() {
      sent.clear()
      const response = yield* LanguageModel.generateObject({
        prompt: "Describe Porto as a city record.",
        schema: City,
        objectName: "City"
      })
      assert.isString(response.value.name)
      assert.isString(response.value.country)
      assert.isTrue(Number.isInteger(response.value.population))
      assert.deepStrictEqual(JSON.parse(response.text), response.value)
      // The finish part has the usage of the call and its request id, as generateText's has.
      assert.isAbove(response.usage.inputTokens ?? 0, 0)
      assert.isAbove(response.usage.outputTokens ?? 0, 0)
      const metadata = response.content.find((part) => part.type === "response-metadata")
      const finish = response.content.find((part) => part.type === "finish")
      assert.isTrue(metadata !== undefined && metadata.id._tag === "Some")
      assert.strictEqual(finish?.metadata.bedrockLlm?.requestId, metadata?.id._tag === "Some" ? metadata.id.value : "")
      // One forced tool call named after the schema's identifier, with its JSON Schema.
      const input = sent.last()
      assert.deepStrictEqual(input.toolConfig?.toolChoice, { tool: { name: "City" } })
      assert.strictEqual(input.toolConfig?.tools?.[0]?.toolSpec?.name, "City")
    }))

  it.effect("a Chat keeps several turns, and goes on after export and import", () =>
    Effect.gen(function*() {
      const chat = yield* Chat.empty
      yield* chat.generateText({ prompt: "Hello, my name is Ada." })
      yield* chat.generateText({ prompt: "What is the capital of France?" })
      const json = yield* chat.exportJson
      const restored = yield* Chat.fromJson(json)
      sent.clear()
      const third = yield* restored.generateText({ prompt: "And the capital of Spain?" })
      assert.include(third.text, "capital of Spain")
      const messages = sent.last().messages ?? []
      assert.deepStrictEqual(messages.map((m) => m.role), ["user", "assistant", "user", "assistant", "user"])
      assert.deepStrictEqual(messages[0]?.content, [{ text: "Hello, my name is Ada." }])
      const history = yield* Ref.get(restored.history)
      assert.strictEqual(history.content.length, 6)
    }))

  it.effect("a Toolkit round trip: the model's tool call is resolved by @effect/ai with the Layer's handler", () =>
    Effect.gen(function*() {
      calls.length = 0
      const chat = yield* Chat.empty
      const first = yield* chat.generateText({ prompt: "Use get_weather for Paris please", toolkit: Tools })
      assert.strictEqual(first.finishReason, "tool-calls")
      assert.strictEqual(first.toolCalls.length, 1)
      assert.strictEqual(first.toolCalls[0]?.name, "get_weather")
      assert.deepStrictEqual(calls, [first.toolCalls[0]!.params.city])
      assert.strictEqual(first.toolResults[0]?.result.temperature, 21)
      sent.clear()
      const second = yield* chat.generateText({ prompt: [], toolkit: Tools })
      assert.strictEqual(second.finishReason, "stop")
      assert.include(second.text, "21")
      const messages = sent.last().messages ?? []
      const toolResult = messages[2]?.content?.[0]?.toolResult
      assert.strictEqual(toolResult?.toolUseId, first.toolCalls[0]?.id)
      assert.strictEqual(toolResult?.status, "success")
      assert.deepStrictEqual(toolResult?.content, [{ json: { city: calls[0], temperature: 21 } }])
    }))

  it.effect("streamText with a Toolkit streams the call's parameters, then the call and its result", () =>
    Effect.gen(function*() {
      const parts = Chunk.toReadonlyArray(
        yield* Stream.runCollect(
          LanguageModel.streamText({ prompt: "Use get_weather for Lisbon please", toolkit: Tools })
        )
      )
      const types = parts.map((part) => part.type)
      assert.isTrue(types.indexOf("tool-params-start") < types.indexOf("tool-params-delta"))
      assert.isTrue(types.indexOf("tool-params-end") < types.indexOf("tool-call"))
      assert.isTrue(types.indexOf("tool-call") < types.indexOf("tool-result"))
      const result = parts.find((part) => part.type === "tool-result")
      assert.strictEqual(result?.type === "tool-result" && result.result.temperature, 21)
    }))

  it.effect("reasoning signatures are kept across a tool turn, in generateText and in streamText", () =>
    Effect.gen(function*() {
      for (const streaming of [false, true]) {
        const chat = yield* Chat.empty
        const options = { prompt: "Use get_weather for Oslo please", toolkit: Tools }
        const firstParts = streaming
          ? Chunk.toReadonlyArray(yield* Stream.runCollect(chat.streamText(options)))
          : (yield* chat.generateText(options)).content
        const signatures = firstParts.flatMap((part) =>
          (part.type === "reasoning" || part.type === "reasoning-end") && part.metadata.bedrockLlm?.signature
            ? [part.metadata.bedrockLlm.signature]
            : []
        )
        assert.strictEqual(signatures.length, 1, `one signed reasoning block (streaming: ${streaming})`)
        sent.clear()
        const second = yield* chat.generateText({ prompt: [], toolkit: Tools })
        assert.isDefined(second.reasoningText)
        const assistant = sent.last().messages?.[1]
        assert.strictEqual(assistant?.role, "assistant")
        assert.strictEqual(assistant?.content?.[0]?.reasoningContent?.reasoningText?.signature, signatures[0])
        assert.isDefined(assistant?.content?.find((block) => block.toolUse !== undefined))
      }
    }).pipe(BedrockLanguageModel.withConfigOverride(thinking)))

  it.effect("withConfigOverride sets per-call model settings; Bedrock-only features go through", () =>
    Effect.gen(function*() {
      sent.clear()
      yield* LanguageModel.generateText({
        prompt: [
          { role: "system", content: "You are terse.", options: { bedrockLlm: { cachePoint: true } } },
          {
            role: "user",
            content: [
              { type: "text", text: "Summarise this document.", options: { bedrockLlm: { guardContent: ["query"] } } },
              {
                type: "file",
                mediaType: "text/plain",
                fileName: "notes.txt",
                data: new TextEncoder().encode("Herons wait by the pond."),
                options: { bedrockLlm: { citations: true, cachePoint: { ttl: "1h" } } }
              },
              // Bedrock wants a text block beside a document (guarded content is not one).
              { type: "text", text: "In one line." }
            ]
          }
        ]
      }).pipe(BedrockLanguageModel.withConfigOverride({
        modelId: "anthropic.claude-3-5-haiku-20241022-v1:0",
        maxTokens: 99,
        serviceTier: "priority",
        requestMetadata: { tenant: "t1" }
      }))
      const input = sent.last()
      assert.strictEqual(input.inferenceConfig?.maxTokens, 99)
      assert.deepStrictEqual(input.serviceTier, { type: "priority" })
      assert.deepStrictEqual(input.requestMetadata, { tenant: "t1" })
      assert.deepStrictEqual(input.system, [{ text: "You are terse." }, { cachePoint: { type: "default" } }])
      const content = input.messages?.[0]?.content ?? []
      assert.deepStrictEqual(content[0], {
        guardContent: { text: { text: "Summarise this document.", qualifiers: ["query"] } }
      })
      assert.strictEqual(content[1]?.document?.name, "notes")
      assert.strictEqual(content[1]?.document?.format, "txt")
      assert.deepStrictEqual(content[1]?.document?.citations, { enabled: true })
      assert.deepStrictEqual(content[2], { cachePoint: { type: "default", ttl: "1h" } })
      assert.deepStrictEqual(content[3], { text: "In one line." })
    }))

  it.effect("toolChoice: required is any, one tool is that tool, none sends no tools", () =>
    Effect.gen(function*() {
      const choices = [
        ["required", { any: {} }],
        [{ tool: "get_weather" }, { tool: { name: "get_weather" } }],
        ["auto", { auto: {} }]
      ] as const
      for (const [toolChoice, expected] of choices) {
        sent.clear()
        yield* LanguageModel.generateText({
          prompt: "Weather in Rome?",
          toolkit: Tools,
          toolChoice,
          disableToolCallResolution: true
        })
        assert.deepStrictEqual(sent.last().toolConfig?.toolChoice, expected)
      }
      sent.clear()
      yield* LanguageModel.generateText({ prompt: "Weather in Rome?", toolkit: Tools, toolChoice: "none" })
      assert.isUndefined(sent.last().toolConfig)
    }))

  it.effect("the client's retry policy, hooks and accounting stay in force", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      const client = yield* BedrockClient.BedrockClient
      const before = yield* client.usage
      usageCalls.length = 0
      emulator.faults.enqueue("throttle")
      const response = yield* LanguageModel.generateText({ prompt: "Hello after a throttle" })
      const after = yield* client.usage
      assert.strictEqual(after.retries - before.retries, 1)
      assert.strictEqual(after.calls - before.calls, 1)
      assert.strictEqual(after.usage.outputTokens - before.usage.outputTokens, response.usage.outputTokens)
      assert.deepStrictEqual(usageCalls, ["Converse"])
    }))

  it.effect("a service error is an HttpResponseError with its status; catchTag works on either error", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      emulator.faults.enqueue("access-denied")
      const error = yield* Effect.flip(LanguageModel.generateText({ prompt: "Hello" }))
      assert.strictEqual(error._tag, "HttpResponseError")
      assert.isTrue(error._tag === "HttpResponseError" && error.response.status === 403)
      assert.strictEqual((error.cause as { _tag?: string })._tag, "AccessDeniedError")
      emulator.faults.enqueue("access-denied")
      const byAiTag = yield* LanguageModel.generateText({ prompt: "Hello" }).pipe(
        Effect.as("answered"),
        Effect.catchTag("HttpResponseError", (e) => Effect.succeed(`status ${e.response.status}`))
      )
      assert.strictEqual(byAiTag, "status 403")
      emulator.faults.enqueue("access-denied")
      const byLibraryTag = yield* LanguageModel.generateText({ prompt: "Hello" }).pipe(
        Effect.as("answered"),
        BedrockAiError.unwrap,
        Effect.catchTag("AccessDeniedError", (e) => Effect.succeed(`denied (${e.requestId !== undefined})`))
      )
      assert.strictEqual(byLibraryTag, "denied (true)")
    }))

  it.effect("a conversation Bedrock would refuse fails before any request, as MalformedInput", () =>
    Effect.gen(function*() {
      sent.clear()
      const error = yield* Effect.flip(LanguageModel.generateText({
        prompt: [{ role: "assistant", content: "I speak first." }]
      }))
      assert.strictEqual(error._tag, "MalformedInput")
      assert.strictEqual((error.cause as { _tag?: string })._tag, "InvalidConversation")
      assert.strictEqual(sent.inputs.length, 0)
      const url = yield* Effect.flip(LanguageModel.generateText({
        prompt: [{
          role: "user",
          content: [{ type: "file", mediaType: "image/png", data: new URL("https://x/y.png") }]
        }]
      }))
      assert.strictEqual(url._tag, "MalformedInput")
      assert.include(url.message, "s3://")
    }))

  it.effect("a stream that fails after its first event ends with the library's StreamInterruptedError as cause", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      emulator.faults.enqueue("stream-exception=3")
      const received: Array<string> = []
      const error = yield* Effect.flip(
        LanguageModel.streamText({ prompt: "Write a long story about herons" }).pipe(
          Stream.runForEach((part) => Effect.sync(() => void received.push(part.type)))
        )
      )
      assert.isTrue(AiError.isAiError(error))
      assert.isAbove(received.length, 0)
      const cause = BedrockAiError.causeOf(error)
      assert.strictEqual(cause._tag === "Some" && cause.value._tag, "StreamInterruptedError")
    }))
})
