/**
 * The per-request deadline: the HTTP layer sets it when a request arrives (`ServiceConfig.requestTimeout`), and the
 * gateway ends a Bedrock call or a stream that is still running when it passes, with the library's
 * `RequestTimeoutError` (kind `request`): a non-streaming call through `runtimeWithin`, a stream by racing it.
 *
 * @since 0.1.0
 */
import { BedrockError, type BedrockRuntime } from "bedrock-llm"
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

type Unary<I, A> = (
  input: I,
  options?: BedrockRuntime.BedrockRuntime.RequestOptions
) => Effect.Effect<A, BedrockError.BedrockError>

/**
 * The runtime with the current request's deadline on every non-streaming call (Converse, InvokeModel, CountTokens):
 * a call's timeout becomes the smaller of its own and the time left, and a call made once the deadline has passed
 * fails at once (a retry after it, too). The runtime's timeout is a plain timer that aborts the request: racing each
 * call against a sleep in another fiber would cost more than the rest of a non-streamed request.
 *
 * @since 0.1.0
 * @category constructors
 */
export const runtimeWithin = (
  runtime: BedrockRuntime.BedrockRuntime.Service
): BedrockRuntime.BedrockRuntime.Service => {
  const ownTimeout = Duration.decode(runtime.config.requestTimeout)
  const within = <I, A>(call: Unary<I, A>): Unary<I, A> => (input, options) =>
    Effect.flatMap(
      remaining,
      Option.match({
        onNone: () => call(input, options),
        onSome: (left) => {
          if (Duration.toMillis(left) <= 0) return Effect.fail(expired(left))
          const own = options?.timeout === undefined ? ownTimeout : Duration.decode(options.timeout)
          return Duration.lessThan(left, own) ? call(input, { ...options, timeout: left }) : call(input, options)
        }
      })
    )
  return {
    ...runtime,
    converse: within(runtime.converse),
    invokeModel: within(runtime.invokeModel),
    countTokens: within(runtime.countTokens)
  }
}
