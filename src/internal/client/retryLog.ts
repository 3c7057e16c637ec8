/**
 * Every retry of a call logged at Info when it is scheduled: which call, which attempt failed, its cause, and how long
 * until the next attempt. A schedule that gives up logs nothing (the call's failure says the rest).
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Predicate from "effect/Predicate"
import * as Schedule from "effect/Schedule"
import * as ScheduleDecision from "effect/ScheduleDecision"

/** `tag: message` of a failure (every `BedrockError` has both). */
const causeOf = (error: unknown): string => {
  const tag = Predicate.hasProperty(error, "_tag") && typeof error._tag === "string" ? error._tag : "Error"
  const message = Predicate.hasProperty(error, "message") && typeof error.message === "string" ? error.message : ""
  return message === "" ? tag : `${tag}: ${message}`
}

/**
 * `schedule` (whose output is the delay before the next attempt), logging each retry it schedules as
 * `bedrock-llm: <call> attempt <n> of <max> failed (<cause>); retrying in <delay> ms`, annotated with `annotations`.
 */
export const logRetries = <In, R>(
  schedule: Schedule.Schedule<Duration.Duration, In, R>,
  call: string,
  maxAttempts: number,
  annotations: Record<string, string>
): Schedule.Schedule<Duration.Duration, In, R> =>
  Schedule.makeWithState(
    { inner: schedule.initial, failures: 0 },
    (now, input, state) =>
      Effect.flatMap(schedule.step(now, input, state.inner), ([inner, delay, decision]) => {
        const failures = state.failures + 1
        const result = [{ inner, failures }, delay, decision] as const
        if (ScheduleDecision.isDone(decision)) return Effect.succeed(result)
        const message = `bedrock-llm: ${call} attempt ${failures} of ${maxAttempts} failed (${causeOf(input)}); ` +
          `retrying in ${Math.round(Duration.toMillis(delay))} ms`
        return Effect.as(Effect.annotateLogs(Effect.logInfo(message), annotations), result)
      })
  )
