/**
 * Retries, timeouts and stream recovery as Effect values: a retry `Schedule` built from `RetryConfig`, request and
 * stream timeouts that fail with `RequestTimeoutError`, and a stream retry that never replays delivered events.
 *
 * Every delay goes through `Clock` (so `TestClock.adjust` drives it) and every random draw through `Random` (so
 * `Effect.withRandom(Random.make(seed))` makes jitter reproducible).
 *
 * @since 0.1.0
 */
import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Random from "effect/Random"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import * as ScheduleDecision from "effect/ScheduleDecision"
import * as Interval from "effect/ScheduleInterval"
import * as Stream from "effect/Stream"
import { isRetryable, RequestTimeoutError, StreamInterruptedError } from "./BedrockError.js"
import { RetryConfig } from "./Config.js"
import { plural } from "./internal/plural.js"

/**
 * A `RetryConfig` or the fields to build one from (defaults fill the rest).
 *
 * @since 0.1.0
 * @category models
 */
export type RetryConfigInput = RetryConfig | ConstructorParameters<typeof RetryConfig>[0]

const toRetryConfig = (input: RetryConfigInput): RetryConfig =>
  input instanceof RetryConfig ? input : new RetryConfig(input)

/**
 * The jitter ratio of a `RetryConfig`: `true` is 1 (full jitter), `false` is 0.
 *
 * @since 0.1.0
 * @category utils
 */
export const jitterRatio = (config: RetryConfig): number =>
  config.jitter === true ? 1 : config.jitter === false ? 0 : config.jitter

/**
 * The `retryAfterMs` a failure carries, if any.
 *
 * @since 0.1.0
 * @category utils
 */
export const retryAfterOf = (error: unknown): number | undefined =>
  Predicate.hasProperty(error, "retryAfterMs") && typeof error.retryAfterMs === "number" &&
    Number.isFinite(error.retryAfterMs) && error.retryAfterMs >= 0
    ? error.retryAfterMs
    : undefined

interface BackoffState {
  readonly retries: number
  readonly firstFailureAt: number | undefined
}

/**
 * The backoff of a `RetryConfig`, whatever the input: before retry `n` (1-based) it waits
 * `min(baseDelay * factor^(n-1), maxDelay)`, shortened by jitter to a uniform draw in `[(1 - ratio) * d, d]`, then
 * lengthened to the failure's `retryAfterMs` when `honourRetryAfter`. It stops after `maxAttempts - 1` retries, and
 * schedules no retry that would start more than `maxElapsed` after the first failure. Outputs the delay it chose.
 *
 * @since 0.1.0
 * @category constructors
 */
export const backoff = (input: RetryConfigInput): Schedule.Schedule<Duration.Duration, unknown> => {
  const config = toRetryConfig(input)
  const base = Duration.toMillis(config.baseDelay)
  const cap = Duration.toMillis(config.maxDelay)
  const maxElapsed = Duration.toMillis(config.maxElapsed)
  const ratio = jitterRatio(config)
  return Schedule.makeWithState<BackoffState, unknown, Duration.Duration>(
    { retries: 0, firstFailureAt: undefined },
    (now, error, state) =>
      Effect.gen(function*() {
        const firstFailureAt = state.firstFailureAt ?? now
        const retry = state.retries + 1
        if (retry > config.maxAttempts - 1) {
          return [state, Duration.zero, ScheduleDecision.done] as const
        }
        const exponential = Math.min(base * Math.pow(config.factor, retry - 1), cap)
        const jittered = ratio > 0 ? exponential * (1 - ratio * (yield* Random.next)) : exponential
        const retryAfter = config.honourRetryAfter ? retryAfterOf(error) : undefined
        const delay = Math.floor(retryAfter === undefined ? jittered : Math.max(jittered, retryAfter))
        if (now + delay - firstFailureAt > maxElapsed) {
          return [state, Duration.zero, ScheduleDecision.done] as const
        }
        return [
          { retries: retry, firstFailureAt },
          Duration.millis(delay),
          ScheduleDecision.continueWith(Interval.after(now + delay))
        ] as const
      })
  )
}

/**
 * The retry policy of a `RetryConfig`: `backoff`, retrying only failures whose `retryable` is `true` (every
 * `BedrockError` says; anything else is not retried).
 *
 * @since 0.1.0
 * @category constructors
 */
export const retrySchedule = (config: RetryConfigInput): Schedule.Schedule<Duration.Duration, unknown> =>
  backoff(config).pipe(Schedule.whileInput(isRetryable))

/**
 * `Effect.retry(self, schedule)`, except that nothing is set up for the retries until `self` has failed once: the
 * first failure is then replayed to the schedule (not re-run), so it decides exactly as `Effect.retry` would. A call
 * that succeeds first time, the common case, never builds the schedule's driver.
 *
 * @since 0.1.0
 * @category combinators
 */
export const retryOnFailure: {
  <Out, E, R2>(
    schedule: Schedule.Schedule<Out, E, R2>
  ): <A, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R | R2>
  <A, E, R, Out, R2>(self: Effect.Effect<A, E, R>, schedule: Schedule.Schedule<Out, E, R2>): Effect.Effect<A, E, R | R2>
} = dual(
  2,
  <A, E, R, Out, R2>(self: Effect.Effect<A, E, R>, schedule: Schedule.Schedule<Out, E, R2>) =>
    Effect.catchAll(self, (first) => {
      let replay = true
      const again = Effect.suspend(() => {
        if (!replay) return self
        replay = false
        return Effect.fail(first)
      })
      return Effect.retry(again, schedule)
    })
)

/**
 * Retries an effect with `retrySchedule(config)`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const retry: {
  (config: RetryConfigInput): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, config: RetryConfigInput): Effect.Effect<A, E, R>
} = dual(
  2,
  <A, E, R>(self: Effect.Effect<A, E, R>, config: RetryConfigInput): Effect.Effect<A, E, R> =>
    retryOnFailure(self, retrySchedule(config))
)

/**
 * The `RequestTimeoutError` of a timeout of the given kind and length.
 *
 * @since 0.1.0
 * @category constructors
 */
export const timeoutError = (kind: RequestTimeoutError["kind"], duration: Duration.Duration): RequestTimeoutError => {
  const timeoutMs = Duration.toMillis(duration)
  const what = kind === "request"
    ? "request did not complete"
    : kind === "first-event"
    ? "stream produced no first event"
    : "stream produced no event"
  return new RequestTimeoutError({ message: `${what} within ${timeoutMs} ms`, kind, timeoutMs })
}

/**
 * Fails with `RequestTimeoutError` (`kind: "request"`) when the effect takes longer than `duration`, interrupting it
 * (which aborts its HTTP request).
 *
 * @since 0.1.0
 * @category combinators
 */
export const timeout: {
  (
    duration: Duration.DurationInput
  ): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | RequestTimeoutError, R>
  <A, E, R>(
    self: Effect.Effect<A, E, R>,
    duration: Duration.DurationInput
  ): Effect.Effect<A, E | RequestTimeoutError, R>
} = dual(
  2,
  <A, E, R>(self: Effect.Effect<A, E, R>, duration: Duration.DurationInput) => {
    const decoded = Duration.decode(duration)
    return Effect.timeoutFail(self, { duration: decoded, onTimeout: () => timeoutError("request", decoded) })
  }
)

/**
 * Stream timeouts: `firstEvent` bounds the wait for the first element, `idle` the wait between elements. Either may
 * be omitted.
 *
 * @since 0.1.0
 * @category models
 */
export interface StreamTimeouts {
  readonly firstEvent?: Duration.DurationInput | undefined
  readonly idle?: Duration.DurationInput | undefined
}

/**
 * Fails the stream with `RequestTimeoutError` (`kind: "first-event"` or `"idle"`) when its first element or the next
 * one is late. The upstream stream is interrupted and its finalizers run (aborting the HTTP request).
 *
 * @since 0.1.0
 * @category combinators
 */
export const streamTimeouts: {
  (timeouts: StreamTimeouts): <A, E, R>(self: Stream.Stream<A, E, R>) => Stream.Stream<A, E | RequestTimeoutError, R>
  <A, E, R>(self: Stream.Stream<A, E, R>, timeouts: StreamTimeouts): Stream.Stream<A, E | RequestTimeoutError, R>
} = dual(
  2,
  <A, E, R>(self: Stream.Stream<A, E, R>, timeouts: StreamTimeouts): Stream.Stream<A, E | RequestTimeoutError, R> => {
    const firstEvent = timeouts.firstEvent === undefined ? undefined : Duration.decode(timeouts.firstEvent)
    const idle = timeouts.idle === undefined ? undefined : Duration.decode(timeouts.idle)
    if (firstEvent === undefined && idle === undefined) return self
    return Stream.unwrapScoped(Effect.gen(function*() {
      const pull = yield* Stream.toPull(self)
      const started = yield* Ref.make(false)
      const next = Effect.flatMap(Ref.get(started), (hasStarted) => {
        const limit = hasStarted ? idle : firstEvent
        const guarded: Effect.Effect<Chunk.Chunk<A>, Option.Option<E | RequestTimeoutError>, R> = limit === undefined
          ? pull
          : Effect.timeoutFail(pull, {
            duration: limit,
            onTimeout: () => Option.some(timeoutError(hasStarted ? "idle" : "first-event", limit))
          })
        return hasStarted ? guarded : Effect.tap(guarded, (chunk) => Ref.set(started, Chunk.isNonEmpty(chunk)))
      })
      return Stream.repeatEffectChunkOption(next)
    }))
  }
)

/**
 * Options of `retryStream`: which failures before the first element are retried (default: `isRetryable`), and an
 * optional measure of each element (e.g. characters of text) reported in `StreamInterruptedError.unitsReceived`.
 *
 * @since 0.1.0
 * @category models
 */
export interface RetryStreamOptions<A, E> {
  readonly isRetryable?: ((error: E) => boolean) | undefined
  readonly measure?: ((element: A) => number) | undefined
}

type AttemptFailure<E> =
  | { readonly _tag: "BeforeFirst"; readonly error: E }
  | { readonly _tag: "Interrupted"; readonly error: StreamInterruptedError }

/**
 * The `StreamInterruptedError` for a stream that failed with `error` after delivering `eventsReceived` events (and
 * `unitsReceived` measured units).
 *
 * @since 0.1.0
 * @category errors
 */
export const interruptedError = (
  error: unknown,
  eventsReceived: number,
  unitsReceived: number | undefined
): StreamInterruptedError => {
  const message = Predicate.hasProperty(error, "message") && typeof error.message === "string"
    ? error.message
    : String(error)
  const status = Predicate.hasProperty(error, "status") && typeof error.status === "number" ? error.status : undefined
  const requestId = Predicate.hasProperty(error, "requestId") && typeof error.requestId === "string"
    ? error.requestId
    : undefined
  return new StreamInterruptedError({
    message: `stream failed after ${plural(eventsReceived, "event")}: ${message}`,
    cause: error,
    eventsReceived,
    unitsReceived,
    status,
    requestId
  })
}

/**
 * Runs a stream, retrying it whole per `schedule` when it fails before its first element with a retryable error.
 * A failure after the first element ends the stream with `StreamInterruptedError` (the failure as `cause`, the count
 * of elements and measured units received): delivered elements are never replayed.
 *
 * @since 0.1.0
 * @category combinators
 */
export const retryStream: {
  <E, Out, R2, A>(
    schedule: Schedule.Schedule<Out, E, R2>,
    options?: RetryStreamOptions<A, E>
  ): <R>(self: Stream.Stream<A, E, R>) => Stream.Stream<A, E | StreamInterruptedError, R | R2>
  <A, E, R, Out, R2>(
    self: Stream.Stream<A, E, R>,
    schedule: Schedule.Schedule<Out, E, R2>,
    options?: RetryStreamOptions<A, E>
  ): Stream.Stream<A, E | StreamInterruptedError, R | R2>
} = dual(
  (args) => !Schedule.isSchedule(args[0]),
  <A, E, R, Out, R2>(
    self: Stream.Stream<A, E, R>,
    schedule: Schedule.Schedule<Out, E, R2>,
    options?: RetryStreamOptions<A, E>
  ): Stream.Stream<A, E | StreamInterruptedError, R | R2> => {
    const shouldRetry: (error: E) => boolean = options?.isRetryable ?? isRetryable
    const measure = options?.measure
    // What each attempt delivered, counted per chunk in a plain closure (one attempt runs at a time).
    const attempt: Stream.Stream<A, AttemptFailure<E>, R> = Stream.suspend(() => {
      let events = 0
      let units = 0
      return self.pipe(
        Stream.mapChunks((chunk) => {
          events += chunk.length
          if (measure !== undefined) units = Chunk.reduce(chunk, units, (sum, a) => sum + measure(a))
          return chunk
        }),
        Stream.catchAll((error) =>
          Stream.fail<AttemptFailure<E>>(
            events === 0
              ? { _tag: "BeforeFirst", error }
              : {
                _tag: "Interrupted",
                error: interruptedError(error, events, measure === undefined ? undefined : units)
              }
          )
        )
      )
    })
    // The schedule's driver is built at the first retryable failure: a stream that succeeds first time never needs it.
    const run = (
      driver: Schedule.ScheduleDriver<Out, E, R2> | undefined
    ): Stream.Stream<A, E | StreamInterruptedError, R | R2> =>
      Stream.catchAll(attempt, (failure) =>
        failure._tag === "BeforeFirst" && shouldRetry(failure.error)
          ? Stream.unwrap(Effect.flatMap(
            driver === undefined ? Schedule.driver(schedule) : Effect.succeed(driver),
            (current) =>
              Effect.match(current.next(failure.error), {
                onFailure: () => Stream.fail(failure.error),
                onSuccess: () => run(current)
              })
          ))
          : Stream.fail(failure.error))
    return Stream.suspend(() => run(undefined))
  }
)
