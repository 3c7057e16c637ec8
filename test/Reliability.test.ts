import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Either, Layer, Ref, Stream, TestClock } from "effect"
import * as BedrockClient from "../src/BedrockClient.js"
import * as CircuitBreaker from "../src/CircuitBreaker.js"
import { Emulator } from "../src/emulator/Emulator.js"
import { runAgentSoak, runFaultSoak } from "./soak/faultSoak.js"
import { haiku, runtimeLayer } from "./support/live.js"

describe("fault soak (short; `npm run soak` runs 10,000 requests)", () => {
  it.live(
    "every request ends in success or a typed error; the breaker opens and closes; nothing leaks",
    () =>
      Effect.gen(function*() {
        const report = yield* runFaultSoak({ requests: 300, concurrency: 32, seed: 11, warmup: 16 })
        console.log("fault soak (short)", JSON.stringify(report))
        assert.strictEqual(report.unaccounted, 0)
        assert.strictEqual(report.defects, 0)
        assert.strictEqual(report.hung, 0)
        assert.strictEqual(report.unhandledRejections, 0)
        assert.isAbove(report.successes, 0)
        assert.strictEqual(report.successes + report.typedFailures, report.requests)
        assert.strictEqual(report.retryableFailuresBeforeBudget, 0)
        assert.isTrue(Object.keys(report.attemptsHistogram).every((attempts) => Number(attempts) <= 4))
        assert.isAbove(report.retries, 0)
        assert.isAbove(report.emulator.faultsInjected["throttle"] ?? 0, 0)
        assert.isAbove(report.emulator.faultsInjected["reset"] ?? 0, 0)
        assert.isAbove(report.emulator.faultsInjected["stream-exception"] ?? 0, 0)
        assert.isTrue(report.breaker.openedUnderBurst)
        assert.isTrue(report.breaker.closedAfterRecovery)
        assert.isAbove(report.breaker.rejectedWhileOpen, 0)
        assert.strictEqual(report.breaker.transitions[0], "Closed->Open")
        assert.strictEqual(report.breaker.transitions.at(-1), "HalfOpen->Closed")
        assert.strictEqual(report.emulator.activeStreams, 0)
        assert.strictEqual(report.fibersLeft, 0)
        assert.strictEqual(report.sockets.afterClose, report.sockets.before)
        assert.isAtMost(report.sockets.idleAfterSoak, 2 * 32)
      }),
    120_000
  )
})

describe("agent runs with tools under the same faults (short; `npm run soak` runs 500)", () => {
  it.live(
    "every run ends in a final answer or a typed error carrying its transcript; no tool runs twice per toolUse id",
    () =>
      Effect.gen(function*() {
        const report = yield* runAgentSoak({ runs: 40, concurrency: 16, seed: 5 })
        console.log("agent soak (short)", JSON.stringify(report))
        assert.strictEqual(report.unaccounted, 0)
        assert.strictEqual(report.defects, 0)
        assert.strictEqual(report.duplicateToolExecutions, 0)
        assert.isAbove(report.finalAnswers, 0)
        assert.isAbove(report.toolExecutions, 0)
        assert.isAbove(report.emulator.faultsInjected["throttle"] ?? 0, 0)
        assert.strictEqual(report.emulator.activeStreams, 0)
      }),
    120_000
  )
})

describe("circuit breaker under a burst of 503s from the emulator (TestClock)", () => {
  const breakerLayer = (transitions: Ref.Ref<ReadonlyArray<string>>) =>
    CircuitBreaker.layer(
      { failureThreshold: 3, resetTimeout: Duration.seconds(10) },
      { onStateChange: (t) => Ref.update(transitions, (all) => [...all, `${t.from}->${t.to}`]) }
    )

  it.scoped("opens after the burst, fails fast without a request while open, closes after a successful probe", () =>
    Effect.gen(function*() {
      const transitions = yield* Ref.make<ReadonlyArray<string>>([])
      const context = yield* Layer.build(
        BedrockClient.layer({ model: { modelId: haiku, maxTokens: 64 }, retry: { maxAttempts: 1 } }).pipe(
          Layer.provide(breakerLayer(transitions)),
          Layer.provideMerge(runtimeLayer().pipe(Layer.provideMerge(Emulator.layer())))
        )
      )
      const emulator = context.unsafeMap.get(Emulator.key) as Emulator["Type"]
      const client = context.unsafeMap.get(BedrockClient.BedrockClient.key) as BedrockClient.BedrockClient.Service
      emulator.faults.enqueue("unavailable", "unavailable", "unavailable", "unavailable")
      const burst = yield* Effect.forEach([1, 2, 3], () => Effect.either(client.generate("hello there")))
      assert.deepStrictEqual(
        burst.map((r) => Either.isLeft(r) ? r.left._tag : "ok"),
        ["ServiceUnavailableError", "ServiceUnavailableError", "ServiceUnavailableError"]
      )
      const requestsAfterBurst = emulator.stats().requests
      const rejected = yield* Effect.flip(client.generate("hello there"))
      assert.strictEqual(rejected._tag, "CircuitOpenError")
      const rejectedStream = yield* Effect.flip(Stream.runDrain(client.stream("hello there")))
      assert.strictEqual(rejectedStream._tag, "CircuitOpenError")
      assert.strictEqual(emulator.stats().requests, requestsAfterBurst)
      emulator.faults.clear()
      yield* TestClock.adjust(Duration.seconds(10))
      const probe = yield* client.generate("hello there")
      assert.strictEqual(probe.stopReason, "end_turn")
      assert.deepStrictEqual(yield* Ref.get(transitions), ["Closed->Open", "Open->HalfOpen", "HalfOpen->Closed"])
    }))
})
