/**
 * The per-request deadline: the HTTP layer sets it when a request arrives (`ServiceConfig.requestTimeout`), and the
 * gateway ends a Bedrock call or a stream that is still running when it passes, with the library's
 * `RequestTimeoutError` (kind `request`).
 *
 * @since 0.1.0
 */
import { BedrockError } from "bedrock-llm"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"

/**
 * The deadline of the current request, in epoch milliseconds.
 *
 * @since 0.1.0
 * @category services
 */
export class Deadline extends Context.Tag("bedrock-llm-backend/Deadline")<Deadline, { readonly at: number }>() {}

/**
 * The time left before the current request's deadline (`None` outside a request).
 *
 * @since 0.1.0
 * @category utils
 */
export const remaining: Effect.Effect<Option.Option<Duration.Duration>> = Effect.flatMap(
  Effect.serviceOption(Deadline),
  Option.match({
    onNone: () => Effect.succeed(Option.none()),
    onSome: (deadline) =>
      Effect.map(Clock.currentTimeMillis, (now) => Option.some(Duration.millis(Math.max(0, deadline.at - now))))
  })
)

/**
 * The error of a request whose deadline passed.
 *
 * @since 0.1.0
 * @category errors
 */
export const expired = (after: Duration.Duration): BedrockError.RequestTimeoutError =>
  new BedrockError.RequestTimeoutError({
    message: `The request did not finish within its deadline of ${Duration.format(after)}.`,
    kind: "request",
    timeoutMs: Duration.toMillis(after)
  })
