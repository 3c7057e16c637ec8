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
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import { dual } from "effect/Function"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Random from "effect/Random"
import * as Schedule from "effect/Schedule"
import * as ScheduleDecision from "effect/ScheduleDecision"
import * as Interval from "effect/ScheduleInterval"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { RetryConfig } from "./BedrockConfig.js"
import { isRetryable, RequestTimeoutError, StreamInterruptedError } from "./BedrockError.js"
import * as PullStream from "./internal/client/pullStream.js"
import { plural } from "./internal/plural.js"
import * as Deadlines from "./internal/transport/deadlines.js"
import * as Timers from "./internal/transport/timers.js"

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
export const timeoutError: (kind: RequestTimeoutError["kind"], duration: Duration.Duration) => RequestTimeoutError =
  Deadlines.timeoutError

/**
 * Fails with `RequestTimeoutError` (`kind: "request"`) when the effect takes longer than `duration`, interrupting it
 * (which aborts its HTTP request). The effect runs in a fiber of its own; the deadline is the same timer as the
 * runtime's request deadline (on `TestClock`, a fiber sleeping on it).
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
    const limit = Duration.decode(duration)
    if (!Duration.isFinite(limit)) return self
    return Effect.clockWith((clock) =>
      Effect.flatMap(Effect.fork(self), (fiber) => {
        let expired = false
        const expire = () => {
          expired = true
          fiber.unsafeInterruptAsFork(FiberId.none)
        }
        return Effect.flatMap(Timers.after(clock, Duration.toMillis(limit), expire), (cancel) =>
          Effect.onInterrupt(
            Effect.flatMap(Fiber.await(fiber), (exit): Effect.Effect<A, E | RequestTimeoutError> => {
              cancel()
              // As `Effect.timeout` does, the effect's fiber refs (log annotations, ...) become the caller's.
              return expired
                ? Effect.fail(timeoutError("request", limit))
                : Effect.zipRight(Fiber.inheritAll(fiber), exit)
            }),
            () => Effect.zipRight(Effect.sync(cancel), Fiber.interrupt(fiber))
          ))
      })
    )
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
 * one is late; time the consumer spends on an element never counts. The upstream stream is interrupted and its
 * finalizers run (aborting the HTTP request). The deadlines are watched as the runtime watches a Bedrock stream's (one
 * watchdog per stream, pulls only record when a wait began); each pull of the upstream runs in a fiber of its own, so
 * that the watchdog can interrupt it.
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
    const deadlines: Deadlines.StreamDeadlines = {
      firstEvent: timeouts.firstEvent === undefined ? Duration.infinity : Duration.decode(timeouts.firstEvent),
      idle: timeouts.idle === undefined ? Duration.infinity : Duration.decode(timeouts.idle)
    }
    if (!Duration.isFinite(deadlines.firstEvent) && !Duration.isFinite(deadlines.idle)) return self
    return PullStream.fromScopedPull(Effect.gen(function*() {
      const upstream = yield* Stream.toPull(self)
      const clock = yield* Effect.clock
      const progress: Deadlines.Progress = { started: false, waiting: false, since: 0 }
      let expired: RequestTimeoutError | undefined
      let pending: Fiber.RuntimeFiber<Chunk.Chunk<A>, Option.Option<E>> | undefined
      yield* Deadlines.watchStream(clock, progress, deadlines, (error) => {
        expired = error
        pending?.unsafeInterruptAsFork(FiberId.none)
      })
      const settled = (
        exit: Exit.Exit<Chunk.Chunk<A>, Option.Option<E>>
      ): Effect.Effect<Chunk.Chunk<A>, Option.Option<E | RequestTimeoutError>> => {
        pending = undefined
        progress.waiting = false
        if (expired !== undefined) return Effect.fail(Option.some(expired))
        if (Exit.isSuccess(exit) && Chunk.isNonEmpty(exit.value)) progress.started = true
        return exit
      }
      return Effect.suspend(() => {
        if (expired !== undefined) return Effect.fail(Option.some(expired))
        progress.waiting = true
        progress.since = clock.unsafeCurrentTimeMillis()
        return Effect.flatMap(Effect.fork(upstream), (fiber) => {
          pending = fiber
          return Effect.onInterrupt(Effect.flatMap(Fiber.await(fiber), settled), () => Fiber.interrupt(fiber))
        })
      })
    }))
  }
)

/**
 * Options of `retryStream` and `retryPull`: which failures before the first element are retried (default:
 * `isRetryable`), and an optional measure of each element (e.g. characters of text) reported in
 * `StreamInterruptedError.unitsReceived`.
 *
 * @since 0.1.0
 * @category models
 */
export interface RetryStreamOptions<A, E> {
  readonly isRetryable?: ((error: E) => boolean) | undefined
  readonly measure?: ((element: A) => number) | undefined
}

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
 * A stream driven one chunk at a time: each run gives the next chunk and fails with `None` at the end.
 *
 * @since 0.1.0
 * @category models
 */
export type Pull<A, E, R = never> = Effect.Effect<Chunk.Chunk<A>, Option.Option<E>, R>

/**
 * The retry policy of a stream, as a pull: `open` makes one attempt (in a scope of its own, closed before the next
 * attempt), and a failure before the first element that `isRetryable` accepts opens it again per `schedule`. A failure
 * after the first element ends the pull with `StreamInterruptedError` (the failure as `cause`, the count of elements
 * and measured units received): delivered elements are never replayed. The schedule's driver is built at the first
 * retried failure, so a stream that succeeds first time never needs it. `retryStream` is this policy over a `Stream`;
 * `BedrockClient`'s streaming calls run on it.
 *
 * @example
 * ```ts
 * import * as Effect from "effect/Effect"
 * import * as Stream from "effect/Stream"
 * import * as Resilience from "bedrock-llm/Resilience"
 *
 * const events = Stream.make("a", "b", "c")
 * // Each attempt opens the stream again in a scope of its own; the pull lives as long as the enclosing scope.
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const pull = yield* Resilience.retryPull(Stream.toPull(events), Resilience.retrySchedule({ maxAttempts: 3 }))
 *   const first = yield* pull
 * }))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const retryPull = <A, E, R, Out, R2>(
  open: Effect.Effect<Pull<A, E, R>, E, R | Scope.Scope>,
  schedule: Schedule.Schedule<Out, E, R2>,
  options?: RetryStreamOptions<A, E>
): Effect.Effect<Pull<A, E | StreamInterruptedError, R | R2>, never, Scope.Scope> =>
  Effect.map(Effect.scope, (scope) => retryingPull(scope, open, schedule, options))

/** The state machine of `retryPull`: one attempt open at a time, its next chunk built once per attempt. */
const retryingPull = <A, E, R, Out, R2>(
  scope: Scope.Scope,
  open: Effect.Effect<Pull<A, E, R>, E, R | Scope.Scope>,
  schedule: Schedule.Schedule<Out, E, R2>,
  options: RetryStreamOptions<A, E> | undefined
): Pull<A, E | StreamInterruptedError, R | R2> => {
  const shouldRetry: (error: E) => boolean = options?.isRetryable ?? isRetryable
  const measure = options?.measure
  let delivered = 0
  let units = 0
  let finished = false
  let events: Pull<A, E | StreamInterruptedError, R | R2> | undefined
  let attemptScope: Scope.CloseableScope | undefined
  let driver: Schedule.ScheduleDriver<Out, E, R2> | undefined

  const begin = Effect.flatMap(Scope.fork(scope, ExecutionStrategy.sequential), (child) => {
    attemptScope = child
    return Scope.extend(open, child)
  })
  const closeAttempt = (error: E) =>
    Effect.suspend(() => {
      const child = attemptScope
      attemptScope = undefined
      events = undefined
      return child === undefined ? Effect.void : Scope.close(child, Exit.fail(error))
    })
  const retried = (error: E) =>
    Effect.flatMap(driver === undefined ? Schedule.driver(schedule) : Effect.succeed(driver), (current) => {
      driver = current
      return Effect.matchEffect(current.next(error), {
        onFailure: () => Effect.fail(Option.some(error)),
        onSuccess: () => pull
      })
    })
  const failure = (error: E): Pull<A, E | StreamInterruptedError, R | R2> =>
    delivered > 0
      ? Effect.fail(Option.some(interruptedError(error, delivered, measure === undefined ? undefined : units)))
      : shouldRetry(error)
      ? Effect.zipRight(closeAttempt(error), retried(error))
      : Effect.fail(Option.some(error))
  const deliver = (chunk: Chunk.Chunk<A>) => {
    delivered += chunk.length
    if (measure !== undefined) units = Chunk.reduce(chunk, units, (sum, a) => sum + measure(a))
    return Effect.succeed(chunk)
  }
  const end = (error: Option.Option<E>) => {
    if (Option.isSome(error)) return failure(error.value)
    finished = true
    return Effect.fail(Option.none())
  }
  const pull: Pull<A, E | StreamInterruptedError, R | R2> = Effect.suspend(() => {
    if (finished) return Effect.fail(Option.none())
    if (events !== undefined) return events
    return Effect.matchEffect(begin, {
      onFailure: failure,
      onSuccess: (opened) => {
        events = Effect.matchEffect(opened, { onSuccess: deliver, onFailure: end })
        return events
      }
    })
  })
  return pull
}

/**
 * Runs a stream, retrying it whole per `schedule` when it fails before its first element with a retryable error.
 * A failure after the first element ends the stream with `StreamInterruptedError` (the failure as `cause`, the count
 * of elements and measured units received): delivered elements are never replayed. This is `retryPull` over a
 * `Stream`.
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
  ): Stream.Stream<A, E | StreamInterruptedError, R | R2> =>
    PullStream.fromScopedPull(retryPull(Stream.toPull(self), schedule, options))
)
