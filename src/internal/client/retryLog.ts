/**
 * Every retry of a call logged at Info when it is scheduled: which call, which attempt failed, its cause, and how long
 * until the next attempt; also counted (`bedrock_llm.client.retries`, and `throttles` for a throttle) and put on the
 * current span as a `bedrock_llm.retry` event. A schedule that gives up logs nothing (the call's failure says the
 * rest).
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Predicate from "effect/Predicate"
import * as Schedule from "effect/Schedule"
import * as ScheduleDecision from "effect/ScheduleDecision"
import type { Operation } from "../telemetry/conventions.js"
import * as Metrics from "../telemetry/metrics.js"
import * as Span from "../telemetry/span.js"

/** `tag: message` of a failure (every `BedrockError` has both). */
const causeOf = (error: unknown): string => {
  const tag = Predicate.hasProperty(error, "_tag") && typeof error._tag === "string" ? error._tag : "Error"
  const message = Predicate.hasProperty(error, "message") && typeof error.message === "string" ? error.message : ""
  return message === "" ? tag : `${tag}: ${message}`
}

/** What a retried call is, for its log line, its metrics and its span event. */
export interface RetriedCall {
  /** How the log line names the call, e.g. `Converse call 3`. */
  readonly call: string
  /** The GenAI operation, for the retry metrics. */
  readonly operation: Operation
  readonly modelId: string
  readonly maxAttempts: number
}

/**
 * `schedule` (whose output is the delay before the next attempt), logging each retry it schedules as
 * `bedrock-llm: <call> attempt <n> of <max> failed (<cause>); retrying in <delay> ms`, annotated with the model id,
 * recording it as a metric and as a span event.
 */
export const logRetries = <In, R>(
  schedule: Schedule.Schedule<Duration.Duration, In, R>,
  retried: RetriedCall
): Schedule.Schedule<Duration.Duration, In, R> =>
  Schedule.makeWithState(
    { inner: schedule.initial, failures: 0 },
    (now, input, state) =>
      Effect.flatMap(schedule.step(now, input, state.inner), ([inner, delay, decision]) => {
        const failures = state.failures + 1
        const result = [{ inner, failures }, delay, decision] as const
        if (ScheduleDecision.isDone(decision)) return Effect.succeed(result)
        const millis = Duration.toMillis(delay)
        const message =
          `bedrock-llm: ${retried.call} attempt ${failures} of ${retried.maxAttempts} failed (${causeOf(input)}); ` +
          `retrying in ${Math.round(millis)} ms`
        return Effect.all([
          Effect.annotateLogs(Effect.logInfo(message), "modelId", retried.modelId),
          Metrics.recordRetry(retried.operation, retried.modelId, input),
          Span.retryEvent(input, failures, millis)
        ], { discard: true }).pipe(Effect.as(result))
      })
  )
