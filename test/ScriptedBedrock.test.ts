import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import * as Agent from "../src/Agent.js"
import * as BedrockClient from "../src/BedrockClient.js"
import * as BedrockError from "../src/BedrockError.js"
import * as Response from "../src/Response.js"
import * as ScriptedBedrock from "../src/ScriptedBedrock.js"
import * as Tool from "../src/Tool.js"
import * as Toolkit from "../src/Toolkit.js"
import { scriptedClient } from "./support/scripted.js"

const modelId = "amazon.nova-micro-v1:0"

const clientOver = (
  script: ReadonlyArray<ScriptedBedrock.Turn>,
  options: Partial<BedrockClient.BedrockClient.Options> = {}
) => scriptedClient(script, { model: { modelId }, ...options })

describe("ScriptedBedrock", () => {
  it.effect("answers a BedrockClient generate, and records what was sent", () =>
    Effect.gen(function*() {
      const client = yield* BedrockClient.BedrockClient
      const response = yield* client.generate("The capital of France?")
      assert.strictEqual(Response.text(response), "Paris.")
      assert.strictEqual(response.stopReason, "end_turn")
      assert.strictEqual(response.requestId, "scripted-1")
      const requests = yield* Effect.flatMap(ScriptedBedrock.ScriptedBedrock, (scripted) => scripted.requests)
      assert.strictEqual(requests.length, 1)
      assert.strictEqual(requests[0]!.operation, "converse")
      assert.strictEqual(requests[0]!.input.modelId, modelId)
      assert.deepStrictEqual(requests[0]!.input.messages?.[0]?.content, [{ text: "The capital of France?" }])
    }).pipe(
      Effect.provide(clientOver([ScriptedBedrock.text("Paris.", { usage: { inputTokens: 7, outputTokens: 2 } })]))
    ))

  it.effect("streams an answer whose events arrive on the Clock, and folds to what generate returns", () =>
    Effect.gen(function*() {
      const client = yield* BedrockClient.BedrockClient
      const fiber = yield* Effect.fork(Stream.runCollect(client.stream("Tell me")))
      yield* TestClock.adjust("1 second")
      const streamed = Chunk.toReadonlyArray(yield* Fiber.join(fiber))
      assert.deepStrictEqual(streamed.map((event) => event._tag).slice(0, 2), ["MessageStart", "ContentBlockDelta"])
      const folded = Response.fromEvents(streamed)
      assert.isTrue(folded._tag === "Right")
      const generated = yield* client.generate("Tell me")
      if (folded._tag === "Right") assert.strictEqual(Response.text(folded.right), Response.text(generated))
    }).pipe(Effect.provide(clientOver([
      ScriptedBedrock.text("Once upon a time.", { delay: "300 millis", eventDelay: "100 millis" }),
      ScriptedBedrock.text("Once upon a time.")
    ]))))

  it.effect("a stream waits for its scripted delays: nothing before they pass on the TestClock", () =>
    Effect.gen(function*() {
      const client = yield* BedrockClient.BedrockClient
      const fiber = yield* Effect.fork(Stream.runCollect(client.stream("Tell me")))
      yield* TestClock.adjust("299 millis")
      assert.isNull(yield* Fiber.poll(fiber).pipe(Effect.map((exit) => exit._tag === "Some" ? "done" : null)))
      yield* TestClock.adjust("10 seconds")
      assert.isTrue(Chunk.size(yield* Fiber.join(fiber)) > 0)
    }).pipe(Effect.provide(clientOver([ScriptedBedrock.text("Late.", { delay: "300 millis" })]))))

  it.effect("a throttled call is retried on the TestClock, in microseconds of real time", () =>
    Effect.gen(function*() {
      const client = yield* BedrockClient.BedrockClient
      const fiber = yield* Effect.fork(client.generate("Hello"))
      yield* TestClock.adjust("999 millis")
      const scripted = yield* ScriptedBedrock.ScriptedBedrock
      assert.strictEqual((yield* scripted.requests).length, 1)
      yield* TestClock.adjust("1 millis")
      const response = yield* Fiber.join(fiber)
      assert.strictEqual(Response.text(response), "Hello to you.")
      assert.strictEqual((yield* scripted.requests).length, 2)
      assert.strictEqual(yield* scripted.remaining, 0)
    }).pipe(Effect.provide(clientOver(
      [
        ScriptedBedrock.fail(new BedrockError.ThrottlingError({ message: "Too many requests", status: 429 })),
        ScriptedBedrock.text("Hello to you.")
      ],
      { retry: { baseDelay: Duration.seconds(1), jitter: false, maxAttempts: 3 } }
    ))))

  it.effect("a stream cut after its events fails with the scripted error as StreamInterruptedError", () =>
    Effect.gen(function*() {
      const client = yield* BedrockClient.BedrockClient
      const error = yield* Effect.flip(Stream.runDrain(client.stream("Hi")))
      assert.strictEqual(error._tag, "StreamInterruptedError")
    }).pipe(Effect.provide(clientOver([
      ScriptedBedrock.events(
        [{ messageStart: { role: "assistant" } }, {
          contentBlockDelta: { contentBlockIndex: 0, delta: { text: "Hel" } }
        }],
        { error: new BedrockError.ModelStreamError({ message: "cut" }) }
      )
    ], { retry: { maxAttempts: 1 } }))))

  it.effect("a call beyond the script dies naming the call", () =>
    Effect.gen(function*() {
      const client = yield* BedrockClient.BedrockClient
      yield* client.generate("one")
      const exit = yield* Effect.exit(client.generate("two"))
      assert.isTrue(exit._tag === "Failure" && String(exit.cause).includes("call 2 (converse) has no turn left"))
    }).pipe(Effect.provide(clientOver([ScriptedBedrock.text("only one")]))))

  const Weather = Tool.make("get_weather", {
    description: "Current weather for a city",
    parameters: { city: Schema.String },
    success: Schema.Struct({ celsius: Schema.Number })
  })

  it.effect("runs an agent through a tool call, streamed, and the tool's result goes back to the model", () =>
    Effect.gen(function*() {
      const toolkit = Toolkit.make(Weather)
      const cities: Array<string> = []
      const result = yield* Agent.make({ toolkit }).run("Weather in Paris?").pipe(
        Effect.provide(toolkit.toLayer({
          get_weather: ({ city }) => Effect.sync(() => (cities.push(city), { celsius: 21 }))
        }))
      )
      assert.deepStrictEqual(cities, ["Paris"])
      assert.strictEqual(result.text, "21 degrees in Paris.")
      const requests = yield* Effect.flatMap(ScriptedBedrock.ScriptedBedrock, (scripted) => scripted.requests)
      assert.strictEqual(requests.length, 2)
      const toolResult = requests[1]!.input.messages?.at(-1)?.content?.[0]
      assert.strictEqual(toolResult?.toolResult?.toolUseId, "w1")
      assert.deepStrictEqual(toolResult?.toolResult?.content?.[0], { json: { celsius: 21 } })
    }).pipe(Effect.provide(clientOver([
      ScriptedBedrock.toolCalls([{ name: "get_weather", input: { city: "Paris" }, toolUseId: "w1" }]),
      ScriptedBedrock.text("21 degrees in Paris.")
    ]))))
})
