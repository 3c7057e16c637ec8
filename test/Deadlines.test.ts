import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Stream, TestClock } from "effect"
import * as BedrockClient from "../src/BedrockClient.js"
import * as BedrockRuntime from "../src/BedrockRuntime.js"
import { Emulator } from "../src/emulator/Emulator.js"
import { captureLogs } from "./support/env.js"
import { eventually } from "./support/eventually.js"
import { liveLayer } from "./support/live.js"

const settle = Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 50)))

const live = liveLayer({
  client: { retry: { maxAttempts: 1 } },
  clientConfig: {
    requestTimeout: Duration.seconds(20),
    firstEventTimeout: Duration.seconds(10),
    idleTimeout: Duration.seconds(3)
  }
})

describe("request deadlines in the runtime (TestClock over real I/O)", () => {
  it.effect("a Converse call past requestTimeout fails with the request timeout, and the request is aborted", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      emulator.faults.enqueue("latency=30000")
      const started = Date.now()
      const fiber = yield* Effect.fork(Effect.flip(BedrockClient.generate("Hello")))
      assert.isTrue(yield* eventually(() => emulator.stats().requests === 1))
      yield* settle
      yield* TestClock.adjust("19999 millis")
      yield* settle
      assert.isNull(fiber.unsafePoll())
      yield* TestClock.adjust("1 millis")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "RequestTimeoutError")
      assert.strictEqual(error._tag === "RequestTimeoutError" && error.kind, "request")
      assert.strictEqual(error._tag === "RequestTimeoutError" && error.timeoutMs, 20_000)
      // Aborted, not waited for: the emulator would have answered after 30 real seconds.
      assert.isBelow(Date.now() - started, 10_000)
    }).pipe(Effect.provide(live)))

  it.effect("a per-call deadline on the runtime overrides the configured one", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      const runtime = yield* BedrockRuntime.BedrockRuntime
      emulator.faults.enqueue("latency=30000")
      const fiber = yield* runtime.converse({
        modelId: "anthropic.claude-3-haiku-20240307-v1:0",
        messages: [{ role: "user", content: [{ text: "Hello" }] }]
      }, { timeout: "2 seconds" }).pipe(Effect.flip, Effect.fork)
      assert.isTrue(yield* eventually(() => emulator.stats().requests === 1))
      yield* settle
      yield* TestClock.adjust("2 seconds")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag === "RequestTimeoutError" && error.timeoutMs, 2_000)
    }).pipe(Effect.provide(live)))

  it.effect("an answer before the deadline is not affected by it", () =>
    Effect.gen(function*() {
      const response = yield* BedrockClient.generate("Hello")
      assert.isAbove(response.usage.outputTokens, 0)
    }).pipe(Effect.provide(live)))
})

describe("stream deadlines in the runtime (TestClock over real I/O)", () => {
  it.effect("a stream that stalls after its first events fails with the idle timeout and is aborted", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      emulator.faults.enqueue("stall=3")
      const received: Array<string> = []
      const fiber = yield* BedrockClient.stream("Tell me a story").pipe(
        Stream.runForEach((event) => Effect.sync(() => received.push(event._tag))),
        Effect.flip,
        Effect.fork
      )
      assert.isTrue(yield* eventually(() => received.length === 3))
      yield* settle
      yield* TestClock.adjust("2999 millis")
      yield* settle
      assert.strictEqual(received.length, 3)
      assert.isNull(fiber.unsafePoll())
      yield* TestClock.adjust("1 millis")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "StreamInterruptedError")
      const cause = error._tag === "StreamInterruptedError" ? error.cause as { _tag: string; kind: string } : undefined
      assert.strictEqual(cause?._tag, "RequestTimeoutError")
      assert.strictEqual(cause?.kind, "idle")
      assert.isTrue(yield* eventually(() => emulator.stats().streamsAbortedByClient === 1))
    }).pipe(Effect.provide(live)))

  it.effect("a stream with no first event fails with the first-event timeout", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      emulator.faults.enqueue("stall=0")
      const fiber = yield* Effect.fork(Effect.flip(BedrockClient.collect(BedrockClient.stream("Hello"))))
      assert.isTrue(yield* eventually(() => emulator.stats().activeStreams === 1))
      yield* settle
      yield* TestClock.adjust("10 seconds")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "RequestTimeoutError")
      assert.strictEqual(error._tag === "RequestTimeoutError" && error.kind, "first-event")
      assert.isTrue(yield* eventually(() => emulator.stats().streamsAbortedByClient === 1))
    }).pipe(Effect.provide(live)))

  it.effect("time the consumer spends on an event is not idle time", () =>
    Effect.gen(function*() {
      const fiber = yield* BedrockClient.stream("Hello there").pipe(
        Stream.take(3),
        Stream.mapEffect((event) => Effect.as(Effect.sleep("5 seconds"), event)),
        Stream.runCount,
        Effect.fork
      )
      for (let i = 0; i < 3; i++) {
        yield* settle
        yield* TestClock.adjust("5 seconds")
      }
      assert.strictEqual(yield* Fiber.join(fiber), 3)
    }).pipe(Effect.provide(live)))
})

describe("retries and the final timeout of a call (TestClock over real I/O)", () => {
  const retrying = liveLayer({
    client: { retry: { maxAttempts: 2, baseDelay: Duration.seconds(1), jitter: false } },
    clientConfig: { requestTimeout: Duration.seconds(20) }
  })

  it.effect("every retry is logged at Info (the default level) with its cause and its delay", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      emulator.faults.enqueue("throttle")
      const logs = captureLogs()
      const fiber = yield* Effect.fork(Effect.provide(BedrockClient.generate("Hello"), logs.layer))
      assert.isTrue(yield* eventually(() => logs.lines.some((line) => line.includes("retrying in"))))
      assert.deepStrictEqual(logs.lines.filter((line) => line.includes("retrying in")), [
        "INFO bedrock-llm: Converse call 1 attempt 1 of 2 failed (ThrottlingError: Too many requests, please wait " +
        "before trying again.); retrying in 1000 ms"
      ])
      yield* TestClock.adjust("1 second")
      const response = yield* Fiber.join(fiber)
      assert.strictEqual(response.message.role, "assistant")
      assert.strictEqual(emulator.stats().requests, 2)
    }).pipe(Effect.provide(retrying)))

  it.effect("a call that times out for good says how many attempts were made and the time they took", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      emulator.faults.enqueue("latency=30000", "latency=30000")
      const fiber = yield* Effect.fork(Effect.flip(BedrockClient.generate("Hello")))
      assert.isTrue(yield* eventually(() => emulator.stats().requests === 1))
      yield* settle
      yield* TestClock.adjust("20 seconds")
      yield* settle
      yield* TestClock.adjust("1 second")
      assert.isTrue(yield* eventually(() => emulator.stats().requests === 2))
      yield* settle
      yield* TestClock.adjust("20 seconds")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "RequestTimeoutError")
      if (error._tag !== "RequestTimeoutError") return
      assert.strictEqual(error.kind, "request")
      assert.strictEqual(error.attempts, 2)
      assert.strictEqual(error.elapsedMs, 41_000)
      assert.strictEqual(error.message, "request did not complete within 20000 ms (2 attempts, 41.0 s in all)")
    }).pipe(Effect.provide(retrying)))
})
