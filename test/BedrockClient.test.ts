import { assert, describe, it, layer } from "@effect/vitest"
import { Chunk, Effect, Either, Fiber, Schema, Stream, TestClock } from "effect"
import * as BedrockClient from "../src/BedrockClient.js"
import * as BedrockError from "../src/BedrockError.js"
import * as Conversation from "../src/Conversation.js"
import { Emulator } from "../src/emulator/Emulator.js"
import * as Message from "../src/Message.js"
import * as Response from "../src/Response.js"
import * as ScriptedBedrock from "../src/ScriptedBedrock.js"
import { eventually } from "./support/eventually.js"
import { haiku, liveLayer } from "./support/live.js"
import { scriptedClient as scripted } from "./support/scripted.js"

const weatherTool = Conversation.toolConfig([
  Conversation.toolSpec({
    name: "get_weather",
    description: "Current weather for a city",
    inputSchema: {
      type: "object",
      properties: { city: { type: "string" }, unit: { type: "string", enum: ["celsius", "fahrenheit"] } },
      required: ["city"]
    }
  })
])

const comparable = (response: Response.Response) => ({
  message: response.message,
  stopReason: response.stopReason,
  usage: response.usage
})

const connections = [
  { name: "http2", protocol: "http2", multiplex: false },
  { name: "http2 (multiplexed)", protocol: "http2", multiplex: true },
  { name: "http1.1", protocol: "http1.1", multiplex: false }
] as const

for (const { multiplex, name, protocol } of connections) {
  layer(liveLayer({ protocol, multiplex }), { excludeTestServices: true })(`BedrockClient over ${name}`, (it) => {
    it.effect("generate answers a plain prompt with usage and a request id", () =>
      Effect.gen(function*() {
        const response = yield* BedrockClient.generate("What is the capital of France?")
        assert.strictEqual(response.stopReason, "end_turn")
        assert.include(Response.text(response), "capital of France")
        assert.isAbove(response.usage.inputTokens, 0)
        assert.isAbove(response.usage.outputTokens, 0)
        assert.isString(response.requestId)
      }))

    it.effect("the fold of stream equals generate for the same exchange", () =>
      Effect.gen(function*() {
        const input = [Message.user("Tell me about foxes and rivers.")]
        const generated = yield* BedrockClient.generate(input)
        const events = yield* Stream.runCollect(BedrockClient.stream(input))
        const tags = Chunk.toReadonlyArray(events).map((event) => event._tag)
        assert.strictEqual(tags[0], "MessageStart")
        assert.deepStrictEqual(tags.slice(-3), ["ContentBlockStop", "MessageStop", "Metadata"])
        assert.isAbove(tags.filter((tag) => tag === "ContentBlockDelta").length, 1)
        const folded = yield* Response.fromEvents(Chunk.toReadonlyArray(events))
        assert.deepStrictEqual(comparable(folded), comparable(generated))
      }))

    it.effect("a tool-use stream starts the block, streams partial JSON and folds to a decoded input", () =>
      Effect.gen(function*() {
        const request = { messages: [Message.user("Use get_weather for Paris please")], toolConfig: weatherTool }
        const events = Chunk.toReadonlyArray(yield* Stream.runCollect(BedrockClient.stream(request)))
        const start = events.find((event) => event._tag === "ContentBlockStart")
        assert.strictEqual(start?._tag === "ContentBlockStart" && start.start._tag, "ToolUseStart")
        assert.isTrue(events.some((e) => e._tag === "ContentBlockDelta" && e.delta._tag === "ToolUseInputDelta"))
        const folded = yield* Response.fromEvents(events)
        assert.strictEqual(folded.stopReason, "tool_use")
        const [use] = Response.toolUses(folded)
        assert.strictEqual(use?.name, "get_weather")
        assert.isString((use?.input as { city?: unknown }).city)
        const generated = yield* BedrockClient.generate(request)
        assert.deepStrictEqual(comparable(folded), comparable(generated))
      }))

    it.effect("reasoning streams its text and one signature", () =>
      Effect.gen(function*() {
        const events = Chunk.toReadonlyArray(
          yield* Stream.runCollect(BedrockClient.stream({
            messages: [Message.user("Think about 17 * 23.")],
            model: {
              modelId: "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
              maxTokens: 2048,
              additionalModelRequestFields: { thinking: { type: "enabled", budget_tokens: 1024 } }
            }
          }))
        )
        const signatures = events.filter((e) =>
          e._tag === "ContentBlockDelta" && e.delta._tag === "ReasoningSignatureDelta"
        )
        assert.strictEqual(signatures.length, 1)
        const folded = yield* Response.fromEvents(events)
        const reasoning = folded.message.content.find((block) => block._tag === "Reasoning")
        assert.isTrue(reasoning !== undefined && reasoning._tag === "Reasoning" && reasoning.text.length > 0)
        assert.isTrue(reasoning?._tag === "Reasoning" && typeof reasoning.signature === "string")
      }))

    it.effect("a throttled request is retried until it succeeds", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator
        const client = yield* BedrockClient.BedrockClient
        const before = yield* client.usage
        emulator.resetStats()
        emulator.faults.enqueue("throttle", "throttle")
        const response = yield* client.generate("Hello after throttling")
        assert.strictEqual(response.stopReason, "end_turn")
        const stats = emulator.stats()
        assert.strictEqual(stats.requestsByOperation["Converse"], 3)
        assert.strictEqual(stats.faultsInjected["throttle"], 2)
        const after = yield* client.usage
        assert.strictEqual(after.retries - before.retries, 2)
      }))

    it.effect("an in-stream throttling exception before any event is retried whole", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator
        emulator.resetStats()
        emulator.faults.enqueue("stream-exception=0:throttlingException")
        const folded = yield* BedrockClient.collect(BedrockClient.stream("Hello stream"))
        assert.strictEqual(folded.stopReason, "end_turn")
        assert.strictEqual(emulator.stats().requestsByOperation["ConverseStream"], 2)
      }))

    it.effect("an in-stream throttling exception after events ends with how much was received", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator
        emulator.faults.enqueue("stream-exception=3:throttlingException")
        const received: Array<Response.StreamEvent> = []
        const error = yield* BedrockClient.stream("Tell me a long story about the sea").pipe(
          Stream.runForEach((event) => Effect.sync(() => received.push(event))),
          Effect.flip
        )
        assert.strictEqual(error._tag, "StreamInterruptedError")
        if (error._tag === "StreamInterruptedError") {
          assert.strictEqual(error.eventsReceived, 3)
          assert.strictEqual(received.length, 3)
          assert.strictEqual((error.cause as { _tag?: string })._tag, "ThrottlingError")
        }
      }))

    it.effect("a stream cut at a frame boundary fails with what was received, however the cut was made", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator
        for (const api of ["converse", "invoke"] as const) {
          for (const fault of ["close", "reset", "end"]) {
            emulator.faults.enqueue(`${fault}=3`)
            const received: Array<Response.StreamEvent> = []
            const error = yield* BedrockClient.stream({ messages: [Message.user("Tell me about the sea")], api }).pipe(
              Stream.runForEach((event) => Effect.sync(() => received.push(event))),
              Effect.flip
            )
            const where = `${api} ${fault}=3`
            assert.strictEqual(error._tag, "StreamInterruptedError", where)
            if (error._tag !== "StreamInterruptedError") continue
            assert.strictEqual(error.eventsReceived, received.length, where)
            assert.isAbove(received.length, 0, where)
            assert.notInclude(received.map((event) => event._tag), "Metadata", where)
            // The cause is a transport failure, retryable: the agent replays such a step.
            const cause = error.cause as { readonly _tag?: string; readonly code?: string }
            assert.strictEqual(cause._tag, "TransportError", where)
            assert.isTrue(BedrockError.isRetryable(cause), where)
            if (fault === "end" || protocol === "http2") assert.strictEqual(cause.code, "INCOMPLETE_EVENT_STREAM")
          }
          // Folding the cut stream reports the interruption too, not a malformed response.
          emulator.faults.enqueue("close=3")
          const folded = yield* Effect.flip(
            BedrockClient.collect(BedrockClient.stream({ messages: [Message.user("Hi")], api }))
          )
          assert.strictEqual(folded._tag, "StreamInterruptedError", api)
        }
      }))

    it.effect("a stream cut before its first event is retried whole", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator
        for (const api of ["converse", "invoke"] as const) {
          for (const fault of ["close", "reset", "end"]) {
            emulator.resetStats()
            emulator.faults.enqueue(`${fault}=0`)
            const folded = yield* BedrockClient.collect(
              BedrockClient.stream({ messages: [Message.user("Hello there")], api })
            )
            assert.strictEqual(folded.stopReason, "end_turn", `${api} ${fault}=0`)
            const operation = api === "converse" ? "ConverseStream" : "InvokeModelWithResponseStream"
            assert.strictEqual(emulator.stats().requestsByOperation[operation], 2, `${api} ${fault}=0`)
          }
        }
      }))

    it.effect("an in-stream exception of a type the SDK does not model keeps its type and message", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator
        emulator.resetStats()
        emulator.faults.enqueue("stream-exception=0:quotaBreachedException")
        const first = yield* Effect.flip(BedrockClient.collect(BedrockClient.stream("Hello")))
        assert.strictEqual(first._tag, "UnknownServiceError")
        if (first._tag === "UnknownServiceError") {
          assert.strictEqual(first.exceptionName, "quotaBreachedException")
          assert.strictEqual(first.message, "QuotaBreachedException")
          assert.isTrue(first.origin?.inStream)
          assert.isString(first.requestId)
          // No status of its own (the response's 200 is not the exception's): not retryable, not retried.
          assert.isUndefined(first.status)
          assert.isFalse(first.retryable)
        }
        assert.strictEqual(emulator.stats().requestsByOperation["ConverseStream"], 1)
        emulator.faults.enqueue("stream-exception=3:quotaBreachedException")
        const later = yield* Effect.flip(Stream.runDrain(BedrockClient.stream("Hello")))
        assert.strictEqual(later._tag, "StreamInterruptedError")
        const cause = later._tag === "StreamInterruptedError" ? later.cause as BedrockError.BedrockError : undefined
        assert.deepStrictEqual(
          [cause?._tag, cause?._tag === "UnknownServiceError" && cause.exceptionName, cause?.message],
          ["UnknownServiceError", "quotaBreachedException", "QuotaBreachedException"]
        )
        // A type the library knows that ConverseStream's model lacks gets the library's class, retried as such.
        emulator.resetStats()
        emulator.faults.enqueue("stream-exception=0:modelTimeoutException")
        const retried = yield* BedrockClient.collect(BedrockClient.stream("Hello"))
        assert.strictEqual(retried.stopReason, "end_turn")
        assert.strictEqual(emulator.stats().requestsByOperation["ConverseStream"], 2)
      }))

    it.effect("an exception member in the middle of a read delivers the events before it, then fails", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator
        // Past the events handed over one by one, the exception arrives among others decoded in the same turn.
        emulator.faults.enqueue("stream-exception=40:throttlingException")
        const chunks: Array<number> = []
        const error = yield* BedrockClient.stream({
          messages: [Message.user("Write 2000 words about distributed tracing and observability")],
          model: { maxTokens: 400 }
        }).pipe(
          Stream.runForEachChunk((chunk) => Effect.sync(() => chunks.push(chunk.length))),
          Effect.flip
        )
        assert.strictEqual(error._tag, "StreamInterruptedError")
        if (error._tag === "StreamInterruptedError") assert.strictEqual(error.eventsReceived, 40)
        assert.strictEqual(chunks.reduce((a, b) => a + b, 0), 40)
        assert.isTrue(chunks.some((size) => size > 1), `chunks ${chunks.join(",")}`)
      }))

    it.effect("a non-retryable error fails at once with its typed class", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator
        emulator.resetStats()
        emulator.faults.enqueue("access-denied")
        const error = yield* Effect.flip(BedrockClient.generate("Hello"))
        assert.strictEqual(error._tag, "AccessDeniedError")
        assert.strictEqual(emulator.stats().requestsByOperation["Converse"], 1)
      }))

    it.effect("leaving a stream early aborts its HTTP request", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator
        emulator.resetStats()
        emulator.faults.enqueue("stall=4")
        const first = yield* Stream.runCollect(Stream.take(BedrockClient.stream("Tell me a story"), 2))
        assert.strictEqual(Chunk.size(first), 2)
        assert.isTrue(yield* eventually(() => emulator.stats().streamsAbortedByClient === 1))
        assert.strictEqual(emulator.stats().activeStreams, 0)
      }))

    it.effect("interrupting a generate fiber aborts its HTTP request", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator
        emulator.resetStats()
        emulator.faults.enqueue("stall=1")
        const fiber = yield* Effect.fork(BedrockClient.collect(BedrockClient.stream("Hello")))
        assert.isTrue(yield* eventually(() => emulator.stats().activeStreams === 1))
        yield* Fiber.interrupt(fiber)
        assert.isTrue(yield* eventually(() => emulator.stats().streamsAbortedByClient === 1))
      }))
  })
}

describe("BedrockClient batch and accounting", () => {
  layer(liveLayer(), { excludeTestServices: true })((it) => {
    it.effect("batch runs higher priorities first, keeps input order and reports each outcome", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator
        const client = yield* BedrockClient.BedrockClient
        const seen: Array<string> = []
        emulator.resetStats()
        const results = yield* client.batch([
          { input: "low one", priority: 0 },
          { input: "high one", priority: 5 },
          { input: [Message.assistant("invalid: assistant first")], priority: 9 },
          { input: "middle one", priority: 3 }
        ], { concurrency: 1 }).pipe(Effect.tap(() => Effect.sync(() => seen.push("done"))))
        assert.strictEqual(results.length, 4)
        assert.isTrue(Either.isRight(results[0]!))
        assert.include(Either.isRight(results[1]!) ? Response.text(results[1].right) : "", "high one")
        assert.isTrue(Either.isLeft(results[2]!) && results[2].left._tag === "InvalidConversation")
        assert.isTrue(Either.isRight(results[3]!))
        assert.strictEqual(emulator.stats().requestsByOperation["Converse"], 3)
      }))

    it.effect("a stream's usage and cost reach the totals, as a call's do", () =>
      Effect.gen(function*() {
        const client = yield* BedrockClient.BedrockClient
        const before = yield* client.usage
        const folded = yield* BedrockClient.collect(client.stream("Count the stream"))
        const after = yield* client.usage
        assert.strictEqual(after.calls - before.calls, 1)
        assert.strictEqual(after.usage.outputTokens - before.usage.outputTokens, folded.usage.outputTokens)
        assert.closeTo(after.cost - before.cost, (yield* client.cost(folded)).total, 1e-12)
        assert.isAbove(folded.usage.outputTokens, 0)
      }))

    it.effect("usage totals add up tokens and cost across calls", () =>
      Effect.gen(function*() {
        const client = yield* BedrockClient.BedrockClient
        const before = yield* client.usage
        const a = yield* client.generate("one")
        const b = yield* client.generate("two")
        const after = yield* client.usage
        assert.strictEqual(after.calls - before.calls, 2)
        assert.strictEqual(
          after.usage.inputTokens - before.usage.inputTokens,
          a.usage.inputTokens + b.usage.inputTokens
        )
        const costA = yield* client.cost(a)
        const costB = yield* client.cost(b)
        assert.closeTo(after.cost - before.cost, costA.total + costB.total, 1e-12)
        assert.isAbove(costA.total, 0)
      }))
  })
})

/** What needs canned answers only (no wire, no connection kinds): a client over `ScriptedBedrock`. */
const scriptedClient = (
  script: ReadonlyArray<ScriptedBedrock.Turn>,
  options: Partial<BedrockClient.BedrockClient.Options> = {}
) => scripted(script, { model: { modelId: haiku, maxTokens: 256 }, ...options })

const scriptedRequests = Effect.flatMap(ScriptedBedrock.ScriptedBedrock, (scripted) => scripted.requests)

describe("BedrockClient validation before any request", () => {
  it.effect("an invalid conversation is rejected before any request", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(BedrockClient.generate([Message.assistant("I speak first")]))
      assert.strictEqual(error._tag, "InvalidConversation")
      assert.lengthOf(yield* scriptedRequests, 0)
    }).pipe(Effect.provide(scriptedClient([]))))

  it.effect("maxTokens above the model's limit is rejected before any request", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(BedrockClient.generate({
        messages: [Message.user("Hello")],
        model: { maxTokens: 1_000_000 }
      }))
      assert.strictEqual(error._tag, "ValidationError")
      assert.include(error.message, "4096")
      assert.lengthOf(yield* scriptedRequests, 0)
    }).pipe(Effect.provide(scriptedClient([]))))

  it.effect("a request's model overrides are checked field by field before any request, and then applied", () =>
    Effect.gen(function*() {
      const invalid = [
        { temperature: 2 },
        { topK: -1 },
        { modelId: "" },
        { stopSequences: "END" },
        { maxTokens: 1.5 }
      ] as unknown as ReadonlyArray<BedrockClient.BedrockClient.ModelOverrides>
      for (const model of invalid) {
        const error = yield* Effect.flip(BedrockClient.generate({ messages: [Message.user("Hello")], model }))
        assert.strictEqual(error._tag, "ValidationError")
        assert.include(error.message, `invalid model settings: ${Object.keys(model)[0]}`)
      }
      assert.lengthOf(yield* scriptedRequests, 0)
      const response = yield* BedrockClient.generate({
        messages: [Message.user("Write 2000 words about distributed tracing and observability")],
        model: { maxTokens: 12, temperature: 0 }
      })
      assert.strictEqual(response.stopReason, "max_tokens")
      const sent = yield* scriptedRequests
      assert.lengthOf(sent, 1)
      assert.deepInclude(sent[0]!.input.inferenceConfig, { maxTokens: 12, temperature: 0 })
    }).pipe(Effect.provide(scriptedClient([
      ScriptedBedrock.text("Distributed tracing follows", { stopReason: "max_tokens" })
    ]))))
})

const respond = (input: unknown, toolUseId: string) =>
  ScriptedBedrock.toolCalls([{ name: "respond", input, toolUseId }])

describe("BedrockClient.generateObject", () => {
  const warm = respond({ city: "Paris", temperature: "warm" }, "tooluse_1")
  const degrees = respond({ city: "Paris", temperature: 21 }, "tooluse_2")

  it.effect("retries with the decode error, then returns the decoded value", () =>
    Effect.gen(function*() {
      const Weather = Schema.Struct({ city: Schema.String, temperature: Schema.Number })
      const value = yield* BedrockClient.generateObject(Weather, "Weather in Paris?")
      assert.deepStrictEqual(value, { city: "Paris", temperature: 21 })
      const sent = yield* scriptedRequests
      assert.lengthOf(sent, 2)
      assert.include(JSON.stringify(sent[1]!.input.messages), "temperature")
    }).pipe(Effect.provide(scriptedClient([warm, degrees]))))

  it.effect("fails with StructuredOutputError when no attempt decodes", () =>
    Effect.gen(function*() {
      const Strict = Schema.Struct({ city: Schema.Literal("Rome") })
      const error = yield* Effect.flip(BedrockClient.generateObject(Strict, "Weather?", { attempts: 2 }))
      assert.strictEqual(error._tag, "StructuredOutputError")
      if (error._tag === "StructuredOutputError") {
        assert.strictEqual(error.attempts, 2)
        assert.include(error.message, "Rome")
        assert.include(error.message, "after 2 attempts")
      }
      const once = yield* Effect.flip(BedrockClient.generateObject(Strict, "Weather?", { attempts: 1 }))
      assert.include(once.message, `no valid "respond" tool input after 1 attempt:`)
    }).pipe(Effect.provide(scriptedClient([warm, degrees, degrees]))))
})

describe("BedrockClient hooks", () => {
  const calls: Array<string> = []
  const hooks: BedrockClient.BedrockClient.Hooks = {
    before: (info) => Effect.sync(() => calls.push(`before:${info.callId}:${info.attempt}`)),
    after: (info, _response, cost) => Effect.sync(() => calls.push(`after:${info.callId}:${cost.total > 0}`)),
    onRetry: (info, error) => Effect.sync(() => calls.push(`retry:${info.callId}:${error._tag}`)),
    onError: (info, error) => Effect.sync(() => calls.push(`error:${info.callId}:${error._tag}`))
  }
  const service = { message: "scripted", status: 400 }
  const client = scriptedClient([
    ScriptedBedrock.fail(new BedrockError.ThrottlingError({ ...service, status: 429 })),
    ScriptedBedrock.text("Hello."),
    ScriptedBedrock.fail(new BedrockError.ValidationError(service))
  ], { hooks: [hooks] })

  // A layer of its own, with the test services: a top-level `it.effect` after this file's `excludeTestServices`
  // layers runs without the TestClock.
  layer(client)((it) =>
    it.effect("hooks run around every attempt, retry and failure", () =>
      Effect.gen(function*() {
        const first = yield* Effect.fork(BedrockClient.generate("Hello"))
        yield* TestClock.adjust("1 second") // the retry's backoff
        yield* Fiber.join(first)
        yield* Effect.flip(BedrockClient.generate("Hello again"))
        assert.deepStrictEqual(calls, [
          "before:1:1",
          "retry:1:ThrottlingError",
          "before:1:2",
          "after:1:true",
          "before:2:1",
          "error:2:ValidationError"
        ])
      }))
  )
})

it("textDeltas and tapText see only text", () =>
  Effect.runPromise(Effect.gen(function*() {
    const events: ReadonlyArray<Response.StreamEvent> = [
      { _tag: "MessageStart", role: "assistant" },
      { _tag: "ContentBlockDelta", index: 0, delta: { _tag: "TextDelta", text: "Hel" } },
      { _tag: "ContentBlockDelta", index: 0, delta: { _tag: "ReasoningTextDelta", text: "hmm" } },
      { _tag: "ContentBlockDelta", index: 0, delta: { _tag: "TextDelta", text: "lo" } }
    ]
    const text = yield* Stream.runCollect(BedrockClient.textDeltas(Stream.fromIterable(events)))
    assert.deepStrictEqual(Chunk.toReadonlyArray(text), ["Hel", "lo"])
    const seen: Array<string> = []
    const passed = yield* Stream.runCollect(
      BedrockClient.tapText((t) => Effect.sync(() => seen.push(t)))(Stream.fromIterable(events))
    )
    assert.deepStrictEqual(seen, ["Hel", "lo"])
    assert.strictEqual(Chunk.size(passed), events.length)
  })))
