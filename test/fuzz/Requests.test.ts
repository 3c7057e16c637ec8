import { assert, describe, it } from "@effect/vitest"
import { Cause, Duration, Effect, Exit, Layer, Option, Predicate } from "effect"
import * as fc from "fast-check"
import * as BedrockClient from "../../src/BedrockClient.js"
import * as Conversation from "../../src/Conversation.js"
import { Emulator } from "../../src/emulator/Emulator.js"
import * as Message from "../../src/Message.js"
import { images } from "../emulator/images.js"
import { isTypedError } from "../soak/faultSoak.js"
import { haiku, runtimeLayer } from "../support/live.js"

const weatherTools = Conversation.toolConfig([
  Conversation.toolSpec({
    name: "get_weather",
    description: "Current weather for a city",
    inputSchema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] }
  })
])

const text = fc.oneof(fc.string({ maxLength: 24 }), fc.constantFrom("", "   ", "What is the capital of France?"))
const toolUseId = fc.constantFrom("tooluse_1", "tooluse_2")

const block: fc.Arbitrary<Message.ContentBlock> = fc.oneof(
  { weight: 4, arbitrary: text.map(Message.text) },
  {
    weight: 1,
    arbitrary: fc.tuple(toolUseId, fc.constantFrom("get_weather", "lookup"), fc.jsonValue({ maxDepth: 2 })).map((
      [id, name, input]
    ) => Message.toolUse(id, name, input))
  },
  {
    weight: 1,
    arbitrary: fc.tuple(
      toolUseId,
      text,
      fc.constantFrom<"success" | "error" | undefined>("success", "error", undefined)
    )
      .map(([id, content, status]) => Message.toolResult(id, content, { status }))
  },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 16 }), fc.constantFrom("png", "jpeg", "gif", "webp"))
      .map(([bytes, format]) => Message.image(bytes, format as Message.ImageFormat))
  },
  { weight: 1, arbitrary: fc.constantFrom(...images).map(({ bytes, format }) => Message.image(bytes, format)) },
  { weight: 1, arbitrary: fc.constantFrom(Message.cachePoint(), Message.cachePoint("1h")) },
  {
    weight: 1,
    arbitrary: fc.tuple(text, fc.string({ maxLength: 12 })).map(([content, name]) =>
      Message.document(content, { name })
    )
  }
)

const randomMessages = fc.array(
  fc.record({
    role: fc.constantFrom("user" as const, "assistant" as const),
    content: fc.array(block, { maxLength: 3 })
  }),
  { maxLength: 4 }
)

const alternate = <A>(contents: ReadonlyArray<ReadonlyArray<A>>) =>
  contents.map((content, i) => ({ role: i % 2 === 0 ? "user" as const : "assistant" as const, content }))

/** Alternating roles from the user, so that block-level problems are reached as often as ordering ones. */
const alternatingMessages = fc.array(fc.array(block, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 4 })
  .map(alternate)

const plain = fc.string({ minLength: 1, maxLength: 24 }).filter((s) => s.trim() !== "").map(Message.text)

/** Mostly valid conversations: plain non-blank text, alternating, ending with the user. */
const plainConversation = fc.array(fc.array(plain, { minLength: 1, maxLength: 2 }), { minLength: 1, maxLength: 3 })
  .filter((contents) => contents.length % 2 === 1)
  .map(alternate)

const messages = fc.oneof(
  { weight: 1, arbitrary: randomMessages },
  { weight: 1, arbitrary: alternatingMessages },
  { weight: 3, arbitrary: plainConversation }
)

const mostly = <A>(valid: fc.Arbitrary<A>, invalid: fc.Arbitrary<A>) =>
  fc.oneof({ weight: 12, arbitrary: valid }, { weight: 1, arbitrary: invalid })

const overrides: fc.Arbitrary<BedrockClient.BedrockClient.ModelOverrides> = fc.record({
  maxTokens: mostly(fc.integer({ min: 1, max: 4096 }), fc.integer({ min: -10, max: 100_000 })),
  temperature: mostly(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: -1, max: 2 })),
  topP: mostly(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: -0.5, max: 1.5 })),
  topK: mostly(fc.integer({ min: 0, max: 500 }), fc.integer({ min: -2, max: 600 })),
  stopSequences: fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 })
}, { requiredKeys: [] })

/** Typed inputs, plus values a JavaScript caller could pass that break the types. */
const request = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      messages,
      toolConfig: fc.option(fc.constant(weatherTools), { nil: undefined }),
      model: fc.option(overrides, { nil: undefined, freq: 2 }),
      system: fc.option(fc.array(text.map(Message.text), { maxLength: 2 }), { nil: undefined })
    }, { requiredKeys: ["messages"] }).map((r) => r as BedrockClient.BedrockClient.Request)
  },
  {
    weight: 1,
    arbitrary: fc.record({ messages: fc.anything({ maxDepth: 3 }), model: fc.anything({ maxDepth: 2 }) }, {
      requiredKeys: ["messages"]
    }).map((r) => r as unknown as BedrockClient.BedrockClient.Request)
  },
  {
    weight: 1,
    arbitrary: fc.array(
      fc.record({
        role: fc.jsonValue({ maxDepth: 1 }),
        content: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 2 })
      }),
      { minLength: 1, maxLength: 2 }
    ).map((messages) => ({ messages } as unknown as BedrockClient.BedrockClient.Request))
  }
)

const testLayer = BedrockClient.layer({
  model: { modelId: haiku, maxTokens: 64 },
  retry: { maxAttempts: 1 },
  circuitBreaker: false
}).pipe(Layer.provideMerge(runtimeLayer().pipe(Layer.provideMerge(Emulator.layer()))))

/** Errors built before any request carry no HTTP status. */
const isLocal = (error: unknown): boolean => !(Predicate.hasProperty(error, "status") && error.status !== undefined)

describe("fuzz: random request inputs to the public API", () => {
  it.live(
    "each is answered, or rejected with a typed error naming the problem; local rejections send nothing",
    () =>
      Effect.gen(function*() {
        const context = yield* Layer.build(testLayer)
        const emulator = context.unsafeMap.get(Emulator.key) as Emulator["Type"]
        const client = context.unsafeMap.get(BedrockClient.BedrockClient.key) as BedrockClient.BedrockClient.Service
        const tally: Record<string, number> = {}
        const problems: Array<string> = []
        const serviceRejections = new Set<string>()
        const runs = 250
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(request, fc.boolean(), async (input, streaming) => {
              const before = emulator.stats().requests
              const call = streaming ? BedrockClient.collect(client.stream(input)) : client.generate(input)
              const exit = await Effect.runPromiseExit(Effect.timeout(call, Duration.seconds(10)))
              const sent = emulator.stats().requests - before
              if (Exit.isSuccess(exit)) {
                tally["accepted"] = (tally["accepted"] ?? 0) + 1
                return sent === 1
              }
              if (Cause.isDie(exit.cause)) {
                problems.push(`defect: ${Cause.pretty(exit.cause).slice(0, 300)}`)
                return false
              }
              const error = Option.getOrUndefined(Cause.failureOption(exit.cause))
              if (!isTypedError(error)) {
                problems.push(`untyped: ${String(error)}`)
                return false
              }
              const typed = error as unknown as { readonly _tag: string; readonly message: string }
              const where = isLocal(error) ? "local" : "service"
              const key = `${where} ${typed._tag}${
                Predicate.hasProperty(error, "rule") ? ` ${String(error.rule)}` : ""
              }`
              if (where === "service") serviceRejections.add(typed.message)
              tally[key] = (tally[key] ?? 0) + 1
              if (typed.message.trim().length < 8) problems.push(`no message: ${key}`)
              if (where === "local" && sent !== 0) problems.push(`sent after a local rejection: ${typed.message}`)
              return problems.length === 0
            }),
            { seed: 4242, numRuns: runs, endOnFailure: true }
          ).catch((error) => {
            problems.push(String(error).slice(0, 1500))
          })
        )
        console.log(`request fuzz: ${runs} cases`, JSON.stringify(tally), [...serviceRejections])
        assert.deepStrictEqual(problems, [])
        assert.isAbove(tally["accepted"] ?? 0, 0)
        assert.isAbove(Object.keys(tally).filter((key) => key.startsWith("local InvalidConversation")).length, 0)
        assert.isAbove(tally["local ValidationError"] ?? 0, 0)
      }).pipe(Effect.scoped),
    120_000
  )
})

describe("findings of the request fuzz", () => {
  it.effect("a toolUse block in a user message is rejected before sending (tool-use-in-user-message)", () =>
    Effect.gen(function*() {
      const found = Conversation.check([Message.user([Message.toolUse("tooluse_1", "get_weather", {})])], {
        toolConfig: weatherTools
      })
      assert.isTrue(Option.isSome(found))
      const error = Option.getOrThrow(found)
      assert.strictEqual(error.rule, "tool-use-in-user-message")
      assert.strictEqual(error.blockIndex, 0)
      assert.include(error.message, "tooluse_1")
    }))

  it.effect("invalid per-call model settings and malformed messages fail typed, naming the field, with no request", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      const client = yield* BedrockClient.BedrockClient
      const settings = yield* Effect.flip(
        client.generate({ messages: [Message.user("hi")], model: { temperature: 5 } })
      )
      assert.strictEqual(settings._tag, "ValidationError")
      assert.include(settings.message, "temperature")
      const streamed = yield* Effect.flip(BedrockClient.collect(client.stream({
        messages: [Message.user("hi")],
        model: { maxTokens: -1 }
      })))
      assert.include(streamed.message, "maxTokens")
      const shape = yield* Effect.flip(
        client.generate([{ role: "user", content: "hi" } as unknown as Message.Message])
      )
      assert.strictEqual(shape._tag, "ValidationError")
      assert.include(shape.message, "messages.0.content")
      const blankSystem = yield* Effect.flip(
        client.generate({ messages: [Message.user("hi")], system: [Message.text(" ")] })
      )
      assert.include(blankSystem.message, "system.0")
      const emptyStop = yield* Effect.flip(
        client.generate({ messages: [Message.user("hi")], model: { stopSequences: ["END", ""] } })
      )
      assert.include(emptyStop.message, "stopSequences.1")
      assert.strictEqual(emulator.stats().requests, 0)
    }).pipe(Effect.provide(testLayer)))
})
