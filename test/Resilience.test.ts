import { assert, describe, it } from "@effect/vitest"
import {
  Chunk,
  Clock,
  Duration,
  Effect,
  Either,
  Exit,
  Fiber,
  Option,
  Random,
  Ref,
  Schedule,
  Stream,
  TestClock
} from "effect"
import {
  InternalServerError,
  RequestTimeoutError,
  StreamInterruptedError,
  ThrottlingError,
  ValidationError
} from "../src/BedrockError.js"
import { RetryConfig } from "../src/Config.js"
import * as Resilience from "../src/Resilience.js"

const noJitter = {
  maxAttempts: 6,
  baseDelay: Duration.millis(100),
  factor: 2,
  maxDelay: Duration.seconds(1),
  jitter: false,
  maxElapsed: Duration.minutes(1)
} as const

const throttled = (retryAfterMs?: number) =>
  new ThrottlingError({ message: "Too many requests", status: 429, retryAfterMs })

/** An effect that records the clock at every attempt and fails with `errors[i]` (the last one repeats). */
const recording = <E>(errors: ReadonlyArray<E>, succeedAfter = Number.POSITIVE_INFINITY) =>
  Effect.map(Ref.make<ReadonlyArray<number>>([]), (times) => ({
    times,
    effect: Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const attempt = (yield* Ref.updateAndGet(times, (ts) => [...ts, now])).length
      if (attempt > succeedAfter) return attempt
      return yield* Effect.fail(errors[Math.min(attempt - 1, errors.length - 1)]!)
    })
  }))

const gaps = (times: ReadonlyArray<number>) => times.slice(1).map((t, i) => t - times[i]!)

describe("Resilience.retry", () => {
  it.effect("waits exactly base * factor^n capped at maxDelay between attempts", () =>
    Effect.gen(function*() {
      const { effect, times } = yield* recording([throttled()])
      const fiber = yield* Effect.fork(Resilience.retry(effect, noJitter))
      yield* TestClock.adjust("1 minute")
      const exit = yield* Fiber.await(fiber)
      assert.isTrue(Exit.isFailure(exit))
      const attempts = yield* Ref.get(times)
      assert.deepStrictEqual(attempts, [0, 100, 300, 700, 1500, 2500])
      assert.deepStrictEqual(gaps(attempts), [100, 200, 400, 800, 1000])
    }))

  it.effect("does not run the next attempt before its delay", () =>
    Effect.gen(function*() {
      const { effect, times } = yield* recording([throttled()])
      const fiber = yield* Effect.fork(Resilience.retry(effect, noJitter))
      yield* TestClock.adjust("99 millis")
      assert.strictEqual((yield* Ref.get(times)).length, 1)
      yield* TestClock.adjust("1 millis")
      assert.strictEqual((yield* Ref.get(times)).length, 2)
      yield* Fiber.interrupt(fiber)
    }))

  it.effect("returns the success of a later attempt", () =>
    Effect.gen(function*() {
      const { effect, times } = yield* recording([new InternalServerError({ message: "boom" })], 2)
      const fiber = yield* Effect.fork(Resilience.retry(effect, noJitter))
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* Fiber.join(fiber), 3)
      assert.deepStrictEqual(yield* Ref.get(times), [0, 100, 300])
    }))

  it.effect("does not retry a non-retryable error (or a non-Bedrock error)", () =>
    Effect.gen(function*() {
      const validation = yield* recording([new ValidationError({ message: "bad", status: 400 })])
      const exit = yield* Effect.exit(Resilience.retry(validation.effect, noJitter))
      assert.deepStrictEqual(exit, Exit.fail(new ValidationError({ message: "bad", status: 400 })))
      assert.deepStrictEqual(yield* Ref.get(validation.times), [0])
      const plain = yield* recording([new Error("plain")])
      yield* Effect.exit(Resilience.retry(plain.effect, noJitter))
      assert.deepStrictEqual(yield* Ref.get(plain.times), [0])
    }))

  it.effect("stops retrying when the error becomes non-retryable", () =>
    Effect.gen(function*() {
      const { effect, times } = yield* recording([throttled(), throttled(), new ValidationError({ message: "no" })])
      const fiber = yield* Effect.fork(Resilience.retry(effect, noJitter))
      yield* TestClock.adjust("1 minute")
      const exit = yield* Fiber.await(fiber)
      assert.isTrue(Exit.isFailure(exit) && Exit.causeOption(exit).pipe(Option.isSome))
      assert.deepStrictEqual(yield* Ref.get(times), [0, 100, 300])
    }))

  it.effect("makes at most maxAttempts attempts and fails with the last error", () =>
    Effect.gen(function*() {
      const errors = [throttled(), throttled(), new InternalServerError({ message: "last" })]
      const { effect, times } = yield* recording(errors)
      const fiber = yield* Effect.fork(Resilience.retry(effect, { ...noJitter, maxAttempts: 3 }))
      yield* TestClock.adjust("1 minute")
      const result = yield* Effect.either(Fiber.join(fiber))
      assert.isTrue(Either.isLeft(result) && result.left instanceof InternalServerError)
      assert.deepStrictEqual(yield* Ref.get(times), [0, 100, 300])
    }))

  it.effect("honours retry-after: the delay is max(backoff, retryAfterMs)", () =>
    Effect.gen(function*() {
      const { effect, times } = yield* recording([throttled(750), throttled(50), throttled()])
      const fiber = yield* Effect.fork(Resilience.retry(effect, { ...noJitter, maxAttempts: 4 }))
      yield* TestClock.adjust("1 minute")
      yield* Fiber.await(fiber)
      assert.deepStrictEqual(gaps(yield* Ref.get(times)), [750, 200, 400])
    }))

  it.effect("ignores retry-after when honourRetryAfter is false", () =>
    Effect.gen(function*() {
      const { effect, times } = yield* recording([throttled(750)])
      const fiber = yield* Effect.fork(
        Resilience.retry(effect, { ...noJitter, maxAttempts: 2, honourRetryAfter: false })
      )
      yield* TestClock.adjust("1 minute")
      yield* Fiber.await(fiber)
      assert.deepStrictEqual(gaps(yield* Ref.get(times)), [100])
    }))

  it.effect("maxElapsed: no retry is scheduled to start later than maxElapsed after the first failure", () =>
    Effect.gen(function*() {
      const { effect, times } = yield* recording([throttled()])
      const fiber = yield* Effect.fork(
        Resilience.retry(effect, { ...noJitter, maxAttempts: 100, maxElapsed: Duration.millis(1000) })
      )
      yield* TestClock.adjust("1 minute")
      const exit = yield* Fiber.await(fiber)
      assert.isTrue(Exit.isFailure(exit))
      assert.deepStrictEqual(yield* Ref.get(times), [0, 100, 300, 700])
    }))

  it.effect("a retry-after beyond maxElapsed stops the retries at once", () =>
    Effect.gen(function*() {
      const { effect, times } = yield* recording([throttled(120_000)])
      const fiber = yield* Effect.fork(Resilience.retry(effect, noJitter))
      yield* TestClock.adjust("10 minutes")
      yield* Fiber.await(fiber)
      assert.deepStrictEqual(yield* Ref.get(times), [0])
    }))

  it.effect("jitter stays within [(1 - ratio) * d, d] and is reproducible with a seeded Random", () =>
    Effect.gen(function*() {
      const run = Effect.gen(function*() {
        const { effect, times } = yield* recording([throttled()])
        const fiber = yield* Effect.fork(Resilience.retry(effect, { ...noJitter, jitter: 0.5 }))
        yield* TestClock.adjust("1 minute")
        yield* Fiber.await(fiber)
        return gaps(yield* Ref.get(times))
      })
      const first = yield* Effect.withRandom(run, Random.make("seed-1"))
      const second = yield* Effect.withRandom(run, Random.make("seed-1"))
      assert.deepStrictEqual(first, second)
      const full = [100, 200, 400, 800, 1000]
      first.forEach((gap, i) => {
        assert.isAtLeast(gap, full[i]! / 2 - 1)
        assert.isAtMost(gap, full[i]!)
      })
      assert.notDeepEqual(first, full)
    }))

  it.effect("the schedule's outputs are the chosen delays", () =>
    Effect.gen(function*() {
      const schedule = Resilience.retrySchedule(new RetryConfig({ ...noJitter, maxAttempts: 4 }))
      const outputs = yield* Schedule.run(schedule, 0, Array.from({ length: 6 }, () => throttled()))
      // Schedule.run also reports the output of the step that stops (zero: no delay)
      assert.deepStrictEqual(Chunk.toReadonlyArray(outputs).map(Duration.toMillis), [100, 200, 400, 0])
    }))
})

describe("Resilience.timeout", () => {
  it.effect("fails with RequestTimeoutError{kind: request} and interrupts the effect", () =>
    Effect.gen(function*() {
      const interrupted = yield* Ref.make(false)
      const fiber = yield* Effect.fork(
        Resilience.timeout(Effect.never.pipe(Effect.onInterrupt(() => Ref.set(interrupted, true))), "2 seconds")
      )
      yield* TestClock.adjust("1999 millis")
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)))
      yield* TestClock.adjust("1 millis")
      const result = yield* Effect.either(Fiber.join(fiber))
      assert.isTrue(Either.isLeft(result))
      if (Either.isLeft(result)) {
        assert.instanceOf(result.left, RequestTimeoutError)
        assert.strictEqual(result.left.kind, "request")
        assert.strictEqual(result.left.timeoutMs, 2000)
        assert.isTrue(result.left.retryable)
      }
      assert.isTrue(yield* Ref.get(interrupted))
    }))

  it.effect("lets a fast effect through", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(Resilience.timeout(Effect.as(Effect.sleep("1 second"), "done"), "2 seconds"))
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* Fiber.join(fiber), "done")
    }))
})

describe("Resilience.streamTimeouts", () => {
  const released = () => Ref.make(false)
  const upstream = <A>(flag: Ref.Ref<boolean>, stream: Stream.Stream<A>) =>
    Stream.acquireRelease(Effect.void, () => Ref.set(flag, true)).pipe(Stream.flatMap(() => stream))

  it.effect("first-event: fails when nothing arrives in time and releases the upstream", () =>
    Effect.gen(function*() {
      const flag = yield* released()
      const fiber = yield* Effect.fork(
        Stream.runCollect(
          Resilience.streamTimeouts(upstream(flag, Stream.never), { firstEvent: "3 seconds", idle: "1 second" })
        )
      )
      yield* TestClock.adjust("2999 millis")
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)))
      yield* TestClock.adjust("1 millis")
      const result = yield* Effect.either(Fiber.join(fiber))
      assert.isTrue(Either.isLeft(result))
      if (Either.isLeft(result)) {
        assert.instanceOf(result.left, RequestTimeoutError)
        assert.strictEqual(result.left.kind, "first-event")
        assert.strictEqual(result.left.timeoutMs, 3000)
      }
      assert.isTrue(yield* Ref.get(flag))
    }))

  it.effect("idle: fails when the gap after an event is too long, after delivering what came", () =>
    Effect.gen(function*() {
      const flag = yield* released()
      const seen = yield* Ref.make<ReadonlyArray<number>>([])
      const source = Stream.make(1).pipe(
        Stream.concat(Stream.fromEffect(Effect.as(Effect.sleep("400 millis"), 2))),
        Stream.concat(Stream.never)
      )
      const fiber = yield* Effect.fork(
        Resilience.streamTimeouts(upstream(flag, source), { firstEvent: "5 seconds", idle: "500 millis" }).pipe(
          Stream.runForEach((n) => Ref.update(seen, (xs) => [...xs, n])),
          Effect.catchAll((error) => Effect.map(Clock.currentTimeMillis, (at) => ({ error, at })))
        )
      )
      yield* TestClock.adjust("10 seconds")
      const outcome = yield* Fiber.join(fiber)
      assert.deepStrictEqual(yield* Ref.get(seen), [1, 2])
      assert.isDefined(outcome)
      if (outcome !== undefined) {
        assert.instanceOf(outcome.error, RequestTimeoutError)
        assert.strictEqual((outcome.error as RequestTimeoutError).kind, "idle")
        assert.strictEqual(outcome.at, 900)
      }
      assert.isTrue(yield* Ref.get(flag))
    }))

  it.effect("a slow consumer is not idle: elements waiting to be taken never time out", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(
        Resilience.streamTimeouts(Stream.make(1, 2, 3), { firstEvent: "1 second", idle: "500 millis" }).pipe(
          Stream.mapEffect((n) => Effect.as(Effect.sleep("2 seconds"), n)),
          Stream.runCollect
        )
      )
      yield* TestClock.adjust("10 seconds")
      assert.deepStrictEqual(Chunk.toReadonlyArray(yield* Fiber.join(fiber)), [1, 2, 3])
    }))

  it.effect("a steady stream under the idle limit completes", () =>
    Effect.gen(function*() {
      const source = Stream.repeatEffect(Effect.as(Effect.sleep("400 millis"), "tick")).pipe(Stream.take(5))
      const fiber = yield* Effect.fork(
        Stream.runCollect(Resilience.streamTimeouts(source, { firstEvent: "450 millis", idle: "450 millis" }))
      )
      yield* TestClock.adjust("3 seconds")
      assert.strictEqual(Chunk.size(yield* Fiber.join(fiber)), 5)
    }))
})

describe("Resilience.retryStream", () => {
  const schedule = Resilience.retrySchedule({ ...noJitter, maxAttempts: 4 })

  /** A stream whose run `n` (1-based) fails per `plan[n-1]`, emitting `before` elements first; later runs succeed. */
  const flaky = (
    runs: Ref.Ref<ReadonlyArray<number>>,
    plan: ReadonlyArray<{ readonly before: ReadonlyArray<string>; readonly error: unknown }>,
    success: ReadonlyArray<string>
  ) =>
    Stream.unwrap(Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const run = (yield* Ref.updateAndGet(runs, (xs) => [...xs, now])).length
      const step = plan[run - 1]
      return step === undefined
        ? Stream.fromIterable(success)
        : Stream.concat(Stream.fromIterable(step.before), Stream.fail(step.error))
    }))

  it.effect("retries the whole stream while it fails before its first element", () =>
    Effect.gen(function*() {
      const runs = yield* Ref.make<ReadonlyArray<number>>([])
      const source = flaky(runs, [{ before: [], error: throttled() }, { before: [], error: throttled() }], [
        "a",
        "b",
        "c"
      ])
      const fiber = yield* Effect.fork(Stream.runCollect(Resilience.retryStream(source, schedule)))
      yield* TestClock.adjust("1 minute")
      assert.deepStrictEqual(Chunk.toReadonlyArray(yield* Fiber.join(fiber)), ["a", "b", "c"])
      assert.deepStrictEqual(yield* Ref.get(runs), [0, 100, 300])
    }))

  it.effect("a failure after the first element ends with StreamInterruptedError, without replaying", () =>
    Effect.gen(function*() {
      const runs = yield* Ref.make<ReadonlyArray<number>>([])
      const seen = yield* Ref.make<ReadonlyArray<string>>([])
      const cause = throttled()
      const source = flaky(runs, [{ before: ["ab", "cde"], error: cause }], ["never"])
      const fiber = yield* Effect.fork(
        source.pipe(
          Resilience.retryStream(schedule, { measure: (s: string) => s.length }),
          Stream.runForEach((s) => Ref.update(seen, (xs) => [...xs, s])),
          Effect.flip
        )
      )
      yield* TestClock.adjust("1 minute")
      const error = yield* Fiber.join(fiber)
      assert.instanceOf(error, StreamInterruptedError)
      if (error instanceof StreamInterruptedError) {
        assert.strictEqual(error.eventsReceived, 2)
        assert.strictEqual(error.message, "stream failed after 2 events: Too many requests")
        assert.strictEqual(
          Resilience.interruptedError(cause, 1, undefined).message,
          "stream failed after 1 event: Too many requests"
        )
        assert.strictEqual(error.unitsReceived, 5)
        assert.strictEqual(error.cause, cause)
        assert.strictEqual(error.status, 429)
        // Retryable as its cause is (a new call may succeed), though the stream itself was not replayed.
        assert.isTrue(error.retryable)
      }
      assert.deepStrictEqual(yield* Ref.get(seen), ["ab", "cde"])
      assert.strictEqual((yield* Ref.get(runs)).length, 1)
    }))

  it.effect("a non-retryable failure before the first element fails at once, unchanged", () =>
    Effect.gen(function*() {
      const runs = yield* Ref.make<ReadonlyArray<number>>([])
      const source = flaky(runs, [{ before: [], error: new ValidationError({ message: "bad" }) }], ["x"])
      const error = yield* Effect.flip(Stream.runCollect(Resilience.retryStream(source, schedule)))
      assert.instanceOf(error, ValidationError)
      assert.strictEqual((yield* Ref.get(runs)).length, 1)
    }))

  it.effect("when the schedule is exhausted the last error surfaces", () =>
    Effect.gen(function*() {
      const runs = yield* Ref.make<ReadonlyArray<number>>([])
      const plan = Array.from({ length: 10 }, () => ({ before: [], error: throttled() }))
      const fiber = yield* Effect.fork(
        Effect.flip(Stream.runCollect(Resilience.retryStream(flaky(runs, plan, []), schedule)))
      )
      yield* TestClock.adjust("1 minute")
      assert.instanceOf(yield* Fiber.join(fiber), ThrottlingError)
      assert.deepStrictEqual(yield* Ref.get(runs), [0, 100, 300, 700])
    }))

  it.effect("a custom isRetryable decides", () =>
    Effect.gen(function*() {
      const runs = yield* Ref.make<ReadonlyArray<number>>([])
      const source = flaky(runs, [{ before: [], error: "transient" }], ["ok"])
      const fiber = yield* Effect.fork(
        Stream.runCollect(
          Resilience.retryStream(source, Resilience.backoff(noJitter), { isRetryable: (e) => e === "transient" })
        )
      )
      yield* TestClock.adjust("1 minute")
      assert.deepStrictEqual(Chunk.toReadonlyArray(yield* Fiber.join(fiber)), ["ok"])
    }))
})

describe("Resilience.retryPull", () => {
  const schedule = Resilience.retrySchedule({ ...noJitter, maxAttempts: 3 })

  /** An attempt that records when it opened and when its scope closed, and fails per `plan` before its elements. */
  const attempts = (plan: ReadonlyArray<unknown>, elements: ReadonlyArray<string>) =>
    Effect.gen(function*() {
      const log = yield* Ref.make<ReadonlyArray<string>>([])
      const note = (line: string) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) => Ref.update(log, (lines) => [...lines, `${now} ${line}`]))
      let run = 0
      const open = Effect.gen(function*() {
        const attempt = ++run
        yield* note(`open ${attempt}`)
        yield* Effect.addFinalizer(() => note(`close ${attempt}`))
        const error = plan[attempt - 1]
        if (error !== undefined) return yield* Effect.fail(error)
        let sent = false
        return Effect.suspend(() => {
          if (sent) return Effect.fail(Option.none())
          sent = true
          return Effect.succeed(Chunk.fromIterable(elements))
        })
      })
      return { log, open }
    })

  const drain = <A, E>(pull: Resilience.Pull<A, E>) =>
    Effect.gen(function*() {
      const out: Array<A> = []
      while (true) {
        const next = yield* Effect.either(pull)
        if (Either.isLeft(next)) return Option.isNone(next.left) ? out : yield* Effect.fail(next.left.value)
        out.push(...next.right)
      }
    })

  it.effect("opens the call again per the schedule, each attempt's scope closed before the next", () =>
    Effect.gen(function*() {
      const { log, open } = yield* attempts([throttled(), throttled()], ["a", "b"])
      const fiber = yield* Effect.fork(Effect.scoped(Effect.flatMap(Resilience.retryPull(open, schedule), drain)))
      yield* TestClock.adjust("1 minute")
      assert.deepStrictEqual(yield* Fiber.join(fiber), ["a", "b"])
      assert.deepStrictEqual(yield* Ref.get(log), [
        "0 open 1",
        "0 close 1",
        "100 open 2",
        "100 close 2",
        "300 open 3",
        "300 close 3"
      ])
    }))

  it.effect("a failure after the first chunk is a StreamInterruptedError with the elements and units delivered", () =>
    Effect.gen(function*() {
      const cause = throttled()
      let pulls = 0
      const open = Effect.succeed(
        Effect.suspend(() => ++pulls === 1 ? Effect.succeed(Chunk.make("ab", "cde")) : Effect.fail(Option.some(cause)))
      )
      const error = yield* Effect.scoped(
        Effect.flatMap(
          Resilience.retryPull(open, schedule, { measure: (s: string) => s.length }),
          (pull) => Effect.flip(drain(pull))
        )
      )
      assert.instanceOf(error, StreamInterruptedError)
      if (error instanceof StreamInterruptedError) {
        assert.strictEqual(error.eventsReceived, 2)
        assert.strictEqual(error.unitsReceived, 5)
        assert.strictEqual(error.cause, cause)
      }
      assert.strictEqual(pulls, 2)
    }))

  it.effect("an exhausted schedule gives the last failure; a non-retryable one is not retried", () =>
    Effect.gen(function*() {
      const exhausted = yield* attempts([throttled(), throttled(), throttled(), throttled()], [])
      const fiber = yield* Effect.fork(
        Effect.scoped(
          Effect.flatMap(Resilience.retryPull(exhausted.open, schedule), (pull) => Effect.flip(drain(pull)))
        )
      )
      yield* TestClock.adjust("1 minute")
      assert.instanceOf(yield* Fiber.join(fiber), ThrottlingError)
      assert.strictEqual((yield* Ref.get(exhausted.log)).filter((line) => line.includes("open")).length, 3)

      const refused = yield* attempts([new ValidationError({ message: "bad" })], [])
      const error = yield* Effect.scoped(
        Effect.flatMap(Resilience.retryPull(refused.open, schedule), (pull) => Effect.flip(drain(pull)))
      )
      assert.instanceOf(error, ValidationError)
      assert.deepStrictEqual(yield* Ref.get(refused.log), ["60000 open 1", "60000 close 1"])
    }))
})

describe("Resilience.timeout on the test clock", () => {
  it.effect("interrupting the caller interrupts the effect and cancels the deadline", () =>
    Effect.gen(function*() {
      const interrupted = yield* Ref.make(false)
      const fiber = yield* Effect.fork(
        Resilience.timeout(Effect.never.pipe(Effect.onInterrupt(() => Ref.set(interrupted, true))), "2 seconds")
      )
      yield* TestClock.adjust("1 second")
      yield* Fiber.interrupt(fiber)
      assert.isTrue(yield* Ref.get(interrupted))
      yield* TestClock.adjust("5 seconds")
      assert.isTrue(Exit.isInterrupted(yield* Fiber.await(fiber)))
    }))

  it.effect("a failure of the effect is its own, before the deadline", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(Resilience.timeout(Effect.delay(Effect.fail("boom"), "1 second"), "2 seconds"))
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(yield* Effect.flip(Fiber.join(fiber)), "boom")
    }))
})
