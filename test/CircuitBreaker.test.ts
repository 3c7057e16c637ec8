import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Either, Fiber, Layer, Ref, Stream, TestClock } from "effect"
import {
  CircuitOpenError,
  ServiceUnavailableError,
  ThrottlingError,
  TransportError,
  ValidationError
} from "../src/BedrockError.js"
import * as CircuitBreaker from "../src/CircuitBreaker.js"
import { CircuitBreakerConfig } from "../src/Config.js"

const config = new CircuitBreakerConfig({
  failureThreshold: 3,
  resetTimeout: Duration.seconds(10),
  halfOpenMaxProbes: 1,
  successThreshold: 1
})

const unavailable = new ServiceUnavailableError({ message: "down", status: 503 })

/** A breaker, a counter of calls that actually ran, and the transitions it reported. */
const setup = (input: CircuitBreaker.ConfigInput = config) =>
  Effect.gen(function*() {
    const transitions = yield* Ref.make<ReadonlyArray<string>>([])
    const breaker = yield* CircuitBreaker.make(input, {
      onStateChange: (t) => Ref.update(transitions, (xs) => [...xs, `${t.from}->${t.to}@${t.at}`])
    })
    const calls = yield* Ref.make(0)
    const call = <A, E>(effect: Effect.Effect<A, E>) =>
      breaker.protect(Effect.zipRight(Ref.update(calls, (n) => n + 1), effect))
    const fail = (error: unknown = unavailable) => Effect.either(call(Effect.fail(error)))
    const succeed = Effect.either(call(Effect.succeed("ok")))
    return { breaker, calls, call, fail, succeed, transitions }
  })

describe("CircuitBreaker", () => {
  it.effect("closed -> open after failureThreshold consecutive failures; open fails fast without running", () =>
    Effect.gen(function*() {
      const { breaker, calls, fail, succeed, transitions } = yield* setup()
      yield* fail()
      yield* fail()
      assert.deepStrictEqual(yield* breaker.state, { _tag: "Closed", failures: 2 })
      yield* fail()
      assert.deepStrictEqual(yield* breaker.state, { _tag: "Open", openedAt: 0, retryAfterMs: 10_000 })
      assert.strictEqual(yield* Ref.get(calls), 3)

      yield* TestClock.adjust("4 seconds")
      const rejected = yield* succeed
      assert.isTrue(Either.isLeft(rejected))
      if (Either.isLeft(rejected)) {
        assert.instanceOf(rejected.left, CircuitOpenError)
        const error = rejected.left as CircuitOpenError
        assert.strictEqual(error.retryAfterMs, 6000)
        assert.strictEqual(error.state, "open")
        assert.strictEqual(error.openedAt, 0)
        assert.isFalse(error.retryable)
      }
      assert.strictEqual(yield* Ref.get(calls), 3, "the effect did not run while open")
      assert.deepStrictEqual(yield* Ref.get(transitions), ["Closed->Open@0"])
    }))

  it.effect("open -> half-open after resetTimeout; a successful probe closes it", () =>
    Effect.gen(function*() {
      const { breaker, calls, fail, succeed, transitions } = yield* setup()
      yield* Effect.repeatN(fail(), 2)
      yield* TestClock.adjust("9999 millis")
      assert.isTrue(Either.isLeft(yield* succeed))
      yield* TestClock.adjust("1 millis")
      assert.deepStrictEqual(yield* succeed, Either.right("ok"))
      assert.deepStrictEqual(yield* breaker.state, { _tag: "Closed", failures: 0 })
      assert.strictEqual(yield* Ref.get(calls), 4)
      assert.deepStrictEqual(yield* Ref.get(transitions), [
        "Closed->Open@0",
        "Open->HalfOpen@10000",
        "HalfOpen->Closed@10000"
      ])
    }))

  it.effect("half-open -> open again when the probe fails, with a fresh resetTimeout", () =>
    Effect.gen(function*() {
      const { breaker, fail, succeed, transitions } = yield* setup()
      yield* Effect.repeatN(fail(), 2)
      yield* TestClock.adjust("10 seconds")
      const probe = yield* fail(new TransportError({ message: "reset", code: "ECONNRESET" }))
      assert.isTrue(Either.isLeft(probe) && probe.left instanceof TransportError)
      assert.deepStrictEqual(yield* breaker.state, { _tag: "Open", openedAt: 10_000, retryAfterMs: 10_000 })
      yield* TestClock.adjust("5 seconds")
      const rejected = yield* succeed
      assert.isTrue(Either.isLeft(rejected) && (rejected.left as CircuitOpenError).retryAfterMs === 5000)
      yield* TestClock.adjust("5 seconds")
      assert.deepStrictEqual(yield* succeed, Either.right("ok"))
      assert.deepStrictEqual(yield* Ref.get(transitions), [
        "Closed->Open@0",
        "Open->HalfOpen@10000",
        "HalfOpen->Open@10000",
        "Open->HalfOpen@20000",
        "HalfOpen->Closed@20000"
      ])
    }))

  it.effect("half-open admits at most halfOpenMaxProbes concurrent probes; others fail fast", () =>
    Effect.gen(function*() {
      const { breaker, call, calls, fail } = yield* setup()
      yield* Effect.repeatN(fail(), 2)
      yield* TestClock.adjust("10 seconds")
      const probe = yield* Effect.fork(call(Effect.as(Effect.sleep("1 second"), "probe")))
      yield* Effect.yieldNow()
      assert.strictEqual((yield* breaker.state)._tag, "HalfOpen")
      const second = yield* Effect.either(call(Effect.succeed("second")))
      assert.isTrue(Either.isLeft(second))
      if (Either.isLeft(second)) assert.strictEqual((second.left as CircuitOpenError).state, "half-open")
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* Fiber.join(probe), "probe")
      assert.strictEqual((yield* breaker.state)._tag, "Closed")
      assert.strictEqual(yield* Ref.get(calls), 4)
    }))

  it.effect("successThreshold: several successful probes are needed to close", () =>
    Effect.gen(function*() {
      const { breaker, fail, succeed } = yield* setup(
        new CircuitBreakerConfig({ ...config, halfOpenMaxProbes: 2, successThreshold: 2 })
      )
      yield* Effect.repeatN(fail(), 2)
      yield* TestClock.adjust("10 seconds")
      yield* succeed
      assert.deepStrictEqual(yield* breaker.state, { _tag: "HalfOpen", openedAt: 0, probes: 0, successes: 1 })
      yield* succeed
      assert.strictEqual((yield* breaker.state)._tag, "Closed")
    }))

  it.effect("a ValidationError (non-retryable) does not trip it; a success resets the count", () =>
    Effect.gen(function*() {
      const { breaker, fail, succeed } = yield* setup()
      for (let i = 0; i < 10; i++) yield* fail(new ValidationError({ message: "bad", status: 400 }))
      assert.deepStrictEqual(yield* breaker.state, { _tag: "Closed", failures: 0 })
      yield* fail(new ThrottlingError({ message: "slow" }))
      yield* fail()
      yield* succeed
      yield* fail()
      yield* fail()
      assert.deepStrictEqual(yield* breaker.state, { _tag: "Closed", failures: 2 })
    }))

  it.effect("an interrupted probe frees its slot without changing the state", () =>
    Effect.gen(function*() {
      const { breaker, call, fail, succeed } = yield* setup()
      yield* Effect.repeatN(fail(), 2)
      yield* TestClock.adjust("10 seconds")
      const probe = yield* Effect.fork(call(Effect.never))
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(probe)
      assert.deepStrictEqual(yield* breaker.state, { _tag: "HalfOpen", openedAt: 0, probes: 0, successes: 0 })
      assert.deepStrictEqual(yield* succeed, Either.right("ok"))
      assert.strictEqual((yield* breaker.state)._tag, "Closed")
    }))

  it.effect("a slow call admitted while closed does not close a breaker that opened meanwhile", () =>
    Effect.gen(function*() {
      const { breaker, call, fail } = yield* setup()
      const slow = yield* Effect.fork(call(Effect.as(Effect.sleep("1 second"), "late")))
      yield* Effect.yieldNow()
      yield* Effect.repeatN(fail(), 2)
      assert.strictEqual((yield* breaker.state)._tag, "Open")
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* Fiber.join(slow), "late")
      assert.strictEqual((yield* breaker.state)._tag, "Open")
    }))

  it.effect("a custom isFailure decides what counts", () =>
    Effect.gen(function*() {
      const breaker = yield* CircuitBreaker.make(config, { isFailure: (e) => e instanceof ValidationError })
      for (let i = 0; i < 3; i++) {
        yield* Effect.either(breaker.protect(Effect.fail(new ValidationError({ message: "x" }))))
      }
      assert.strictEqual((yield* breaker.state)._tag, "Open")
    }))

  it.effect("reset closes an open breaker", () =>
    Effect.gen(function*() {
      const { breaker, fail, succeed } = yield* setup()
      yield* Effect.repeatN(fail(), 2)
      yield* breaker.reset
      assert.deepStrictEqual(yield* succeed, Either.right("ok"))
    }))

  it.scoped("changes streams the transitions", () =>
    Effect.gen(function*() {
      const { breaker, fail, succeed } = yield* setup()
      const collected = yield* Effect.fork(Stream.runCollect(Stream.take(breaker.changes, 3)))
      yield* Effect.yieldNow()
      yield* Effect.repeatN(fail(), 2)
      yield* TestClock.adjust("10 seconds")
      yield* succeed
      const changes = yield* Fiber.join(collected)
      assert.deepStrictEqual(Array.from(changes).map((t) => `${t.from}->${t.to}`), [
        "Closed->Open",
        "Open->HalfOpen",
        "HalfOpen->Closed"
      ])
    }))

  it.effect("layerConfig reads BEDROCK_BREAKER_* and protect uses the service from the context", () =>
    Effect.gen(function*() {
      const failing = Effect.either(CircuitBreaker.protect(Effect.fail(unavailable)))
      yield* failing
      const state = yield* Effect.flatMap(CircuitBreaker.CircuitBreaker, (b) => b.state)
      assert.strictEqual(state._tag, "Open")
      const rejected = yield* failing
      assert.isTrue(Either.isLeft(rejected) && rejected.left instanceof CircuitOpenError)
      if (Either.isLeft(rejected)) assert.strictEqual((rejected.left as CircuitOpenError).retryAfterMs, 2500)
    }).pipe(
      Effect.provide(
        CircuitBreaker.layerConfig().pipe(
          Layer.provide(
            Layer.setConfigProvider(
              ConfigProvider.fromMap(
                new Map([["BEDROCK_BREAKER_FAILURE_THRESHOLD", "1"], ["BEDROCK_BREAKER_RESET_TIMEOUT_MS", "2500"]])
              )
            )
          )
        )
      )
    ))

  it.effect("layerConfig fails with a ConfigError naming an invalid variable", () =>
    Effect.gen(function*() {
      const result = yield* Effect.either(
        Layer.build(CircuitBreaker.layerConfig()).pipe(
          Effect.scoped,
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["BEDROCK_BREAKER_HALF_OPEN_MAX_PROBES", "x"]])))
        )
      )
      assert.isTrue(Either.isLeft(result))
      if (Either.isLeft(result)) assert.include(String(result.left), "BEDROCK_BREAKER_HALF_OPEN_MAX_PROBES")
    }))

  it.effect("state reports Open's remaining time as the clock advances", () =>
    Effect.gen(function*() {
      const { breaker, fail } = yield* setup()
      yield* Effect.repeatN(fail(), 2)
      yield* TestClock.adjust("3 seconds")
      const state = yield* breaker.state
      assert.deepStrictEqual(state, { _tag: "Open", openedAt: 0, retryAfterMs: 7000 })
    }))
})
