/**
 * The deadlines of a call and of a stream, in one place for the runtime's requests and for `Resilience`'s combinators:
 * the `RequestTimeoutError` of each kind, and the watchdog of a stream's first-event and idle deadlines.
 *
 * A stream's waits are not raced against a timer: its pulls only record in a `Progress` when a wait began and ended,
 * and one watchdog per stream (a timer, see `timers.ts`) checks the current wait against its deadline, so that time
 * the consumer spends on an event never counts.
 *
 * @internal
 */
import type * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { RequestTimeoutError } from "../../BedrockError.js"
import * as Timers from "./timers.js"

/** The `RequestTimeoutError` of a deadline of the given kind and length. */
export const timeoutError = (kind: RequestTimeoutError["kind"], duration: Duration.Duration): RequestTimeoutError => {
  const timeoutMs = Duration.toMillis(duration)
  const what = kind === "request"
    ? "request did not complete"
    : kind === "first-event"
    ? "stream produced no first event"
    : "stream produced no event"
  return new RequestTimeoutError({ message: `${what} within ${timeoutMs} ms`, kind, timeoutMs })
}

/** Where a stream stands, for its deadline watchdog. */
export interface Progress {
  /** Whether an element has arrived. */
  started: boolean
  /** Whether the stream is waiting (for the request, or for an element the consumer asked for). */
  waiting: boolean
  /** When the current wait began. */
  since: number
}

/** The progress of a stream that is waiting from now on for its first element. */
export const waitingFrom = (clock: Clock.Clock): Progress => ({
  started: false,
  waiting: true,
  since: clock.unsafeCurrentTimeMillis()
})

/** The first-event and idle deadlines of a stream; infinite ones are never checked. */
export interface StreamDeadlines {
  readonly firstEvent: Duration.Duration
  readonly idle: Duration.Duration
}

/**
 * Watches the current wait's deadline for as long as the scope is open and calls `expire` once, when a wait passes
 * its deadline with nothing received. Checks at most every `min(firstEvent, idle)`, so that a wait that starts in
 * between keeps its exact deadline.
 */
export const watchStream = (
  clock: Clock.Clock,
  progress: Progress,
  deadlines: StreamDeadlines,
  expire: (error: RequestTimeoutError) => void
): Effect.Effect<void, never, Scope.Scope> => {
  const { firstEvent, idle } = deadlines
  if (!Duration.isFinite(firstEvent) && !Duration.isFinite(idle)) return Effect.void
  const nap = Math.min(Duration.toMillis(firstEvent), Duration.toMillis(idle))
  /** Milliseconds to the next check, or `undefined` once the current wait is past its deadline (and expired). */
  const check = (): number | undefined => {
    const limit = progress.started ? idle : firstEvent
    const remaining = progress.since + Duration.toMillis(limit) - clock.unsafeCurrentTimeMillis()
    if (!progress.waiting || remaining > 0) return progress.waiting ? Math.min(remaining, nap) : nap
    expire(timeoutError(progress.started ? "idle" : "first-event", limit))
    return undefined
  }
  return Effect.asVoid(Effect.acquireRelease(Timers.repeat(clock, check), (cancel) => Effect.sync(cancel)))
}
