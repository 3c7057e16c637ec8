import { assert, describe, it } from "@effect/vitest"
import { Cause, Duration, Effect, Exit, Option, Schema, Stream } from "effect"
import * as Agent from "../src/Agent.js"
import * as BedrockClient from "../src/BedrockClient.js"
import { Emulator } from "../src/emulator/Emulator.js"
import * as Message from "../src/Message.js"
import * as Telemetry from "../src/Telemetry.js"
import * as Tool from "../src/Tool.js"
import * as Toolkit from "../src/Toolkit.js"
import {
  type Capture,
  captureLayer,
  leaks,
  makeCapture,
  recordError,
  runCredentialRefresh,
  sdkLogger,
  secretStrings
} from "./soak/secrets.js"
import { fakeCredentials, haiku, liveLayer } from "./support/live.js"

const Weather = Tool.make("get_weather", {
  description: "Current weather for a city",
  parameters: { city: Schema.String },
  success: Schema.Struct({ city: Schema.String, celsius: Schema.Number })
})

/** Runs `effect`, recording its failure (if any) as an application would print it. */
const attempt = <A, E, R>(capture: Capture, effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(Effect.exit(effect), (exit) =>
    Effect.sync(() => {
      if (Exit.isFailure(exit)) {
        recordError(capture, Cause.squash(exit.cause))
        Option.map(Cause.failureOption(exit.cause), (error) => recordError(capture, error))
        capture.errors.push(Cause.pretty(exit.cause, { renderErrorCause: true }))
      }
      return exit
    }))

const exercise = (capture: Capture) =>
  Effect.gen(function*() {
    const emulator = yield* Emulator
    const client = yield* BedrockClient.BedrockClient
    yield* attempt(capture, client.generate("What is the capital of France?"))
    yield* attempt(capture, BedrockClient.collect(client.stream("Tell me about foxes and rivers.")))
    emulator.faults.enqueue("throttle", "internal")
    yield* attempt(capture, client.generate("Retried twice, then answered."))
    for (const fault of ["access-denied", "validation", "not-found", "quota", "model-error"]) {
      emulator.faults.enqueue(fault)
      yield* attempt(capture, client.generate(`This one fails with ${fault}.`))
    }
    emulator.faults.enqueue("reset", "reset", "reset", "reset")
    yield* attempt(capture, client.generate("Connection resets until the budget is spent."))
    emulator.faults.enqueue("stream-exception=2:throttlingException")
    yield* attempt(capture, BedrockClient.collect(client.stream("Cut mid-stream.")))
    emulator.faults.enqueue("bad-crc=1")
    yield* attempt(capture, BedrockClient.collect(client.stream("A corrupted frame.")))
    emulator.faults.enqueue("truncate=1", "truncate=1", "truncate=1", "truncate=1")
    yield* attempt(capture, BedrockClient.collect(client.stream("A truncated frame.")))
    yield* attempt(capture, client.generate({ messages: [Message.user("hi")], model: { temperature: 9 } }))
    yield* attempt(capture, client.generate([Message.assistant("An assistant first.")]))
    const toolkit = Toolkit.make(Weather)
    const agent = Agent.make({ toolkit })
    const result = yield* attempt(
      capture,
      agent.run("Use get_weather for Paris.").pipe(
        Effect.provide(toolkit.toLayer({ get_weather: ({ city }) => Effect.succeed({ city, celsius: 21 }) }))
      )
    )
    if (Exit.isSuccess(result)) {
      capture.errors.push(JSON.stringify(Schema.encodeSync(Schema.Array(Message.Message))(result.value.transcript)))
    }
    emulator.faults.enqueue("access-denied")
    yield* attempt(
      capture,
      agent.run("Use get_weather for Oslo.").pipe(
        Effect.provide(toolkit.toLayer({ get_weather: ({ city }) => Effect.succeed({ city, celsius: 3 }) }))
      )
    )
    return emulator.stats()
  })

describe("secrets never leak", () => {
  it.live(
    "fake access key, secret key and session token appear in no log line, error, cause, span or transcript",
    () =>
      Effect.gen(function*() {
        const capture = makeCapture()
        const layer = liveLayer({
          client: { hooks: [BedrockClient.loggingHooks], retry: { maxAttempts: 3, baseDelay: Duration.millis(1) } },
          runtime: { sdkOptions: { logger: sdkLogger(capture) } }
        })
        // Content capture on: the spans carry the conversations and tool calls too, and still no credential.
        const stats = yield* exercise(capture).pipe(
          Telemetry.withCaptureContent(true),
          Effect.provide(layer),
          Effect.provide(captureLayer(capture))
        )
        // a mismatched signature: the emulator verifies against another secret
        const wrongSecret = liveLayer({
          emulator: {
            credentials: { accessKeyId: fakeCredentials.accessKeyId, secretAccessKey: "another-secret-key" }
          },
          client: { hooks: [BedrockClient.loggingHooks], retry: { maxAttempts: 1 } }
        })
        yield* Effect.gen(function*() {
          const client = yield* BedrockClient.BedrockClient
          const exit = yield* attempt(capture, client.generate("Signed with the wrong secret."))
          assert.isTrue(Exit.isFailure(exit))
          yield* attempt(capture, Stream.runDrain(client.stream("Signed with the wrong secret.")))
        }).pipe(Effect.provide(wrongSecret), Effect.provide(captureLayer(capture)))

        console.log(
          `secrets scan: ${capture.logs.length} log lines, ${capture.spans.length} spans, ${capture.errors.length} error texts, ${capture.sdkLogs.length} SDK log lines`
        )
        assert.isAbove(stats.requests, 10)
        assert.isTrue(capture.logs.some((line) => line.startsWith("DEBUG")))
        assert.isTrue(capture.logs.some((line) => line.includes("retrying after ThrottlingError")))
        assert.isTrue(capture.spans.some((span) => span.startsWith("BedrockRuntime.Converse ")))
        assert.isTrue(capture.spans.some((span) => span.startsWith(`chat ${haiku}`)))
        assert.isTrue(capture.spans.some((span) => span.includes("gen_ai.input.messages")))
        assert.isTrue(capture.spans.some((span) => span.includes("gen_ai.output.messages")))
        assert.isTrue(capture.errors.some((text) => text.includes("AccessDeniedError")))
        assert.isTrue(capture.errors.some((text) => text.includes("signature")))
        assert.isAbove(capture.sdkLogs.length, 0)
        assert.deepStrictEqual(leaks(capture), [])
      }),
    60_000
  )

  it.effect("the scan finds a secret when one is there", () =>
    Effect.sync(() => {
      const capture = makeCapture()
      capture.logs.push(`oops ${secretStrings[2]}`)
      assert.strictEqual(leaks(capture).length, 1)
    }))

  it.live(
    "short-lived credentials from a provider: refreshed mid-run, every request still succeeds",
    () =>
      Effect.gen(function*() {
        const report = yield* runCredentialRefresh({ durationMs: 3_000, ttlMs: 1_000, concurrency: 4 })
        console.log("credential refresh", JSON.stringify(report))
        assert.deepStrictEqual(report.failed, [])
        assert.strictEqual(report.succeeded, report.requests)
        assert.isAbove(report.requests, 8)
        assert.isAbove(report.providerCalls, 1)
        assert.isAbove(report.distinctSessionTokens, 1)
      }),
    60_000
  )
})
