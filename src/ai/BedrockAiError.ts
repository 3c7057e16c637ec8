/**
 * The library's typed errors as `@effect/ai`'s `AiError`, with the original error kept as the `cause`: a service
 * error with an HTTP status becomes `HttpResponseError` (its status, request id and exception name as response
 * headers), a connection failure or a deadline `HttpRequestError` (`Transport`), a request refused before it was sent
 * `MalformedInput`, an answer that cannot be read `MalformedOutput`, anything else (an open circuit breaker, a stream
 * cut after its first event without a status) `UnknownError`. `unwrap` turns them back into the library's errors, so
 * `Effect.catchTag` works on either set of tags.
 *
 * @since 0.1.0
 */
import * as AiError from "@effect/ai/AiError"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Stream from "effect/Stream"
import type * as BedrockClient from "../BedrockClient.js"
import * as BedrockError from "../BedrockError.js"
import type * as EmbeddingsClient from "../EmbeddingsClient.js"

/**
 * Every library error an `AiError` of this provider can carry as its cause.
 *
 * @since 0.1.0
 * @category models
 */
export type Cause =
  | BedrockClient.ClientError
  | BedrockClient.StructuredOutputError
  | EmbeddingsClient.EmbeddingsError
  | EmbeddingsClient.UnsupportedModelError

/**
 * Where a failed call was going: the provider module and method (`AiError`'s `module` and `method`) and the URL of
 * the Bedrock operation (never with credentials).
 *
 * @since 0.1.0
 * @category models
 */
export interface Origin {
  readonly module: string
  readonly method: string
  readonly url: string
}

const inputTags: ReadonlySet<string> = new Set([
  "InvalidConversation",
  "UnsupportedFeature",
  "EmbeddingInputError",
  "UnsupportedModelError"
])

const outputTags: ReadonlySet<string> = new Set([
  "MalformedResponseError",
  "StructuredOutputError"
])

const causeTags: ReadonlySet<string> = new Set([...inputTags, ...outputTags])

/**
 * Whether a value is one of the library's errors (a `Cause`).
 *
 * @since 0.1.0
 * @category guards
 */
export const isCause = (u: unknown): u is Cause =>
  BedrockError.isBedrockError(u) ||
  (u instanceof Error && Predicate.hasProperty(u, "_tag") && typeof u._tag === "string" && causeTags.has(u._tag))

const numberField = (error: Cause, field: "status" | "retryAfterMs"): number | undefined => {
  const value = (error as { readonly [K in typeof field]?: unknown })[field]
  return typeof value === "number" ? value : undefined
}

const requestIdOf = (error: Cause): string | undefined => {
  const value = (error as { readonly requestId?: unknown }).requestId
  return typeof value === "string" ? value : undefined
}

const requestDetails = (origin: Origin): typeof AiError.HttpRequestDetails.Type => ({
  method: "POST",
  url: origin.url,
  urlParams: [],
  hash: Option.none(),
  headers: {}
})

/** What Bedrock's error response carries besides the body: request id, exception name, retry-after. */
const responseHeaders = (error: Cause): Record<string, string> => {
  const headers: Record<string, string> = {}
  const requestId = requestIdOf(error)
  if (requestId !== undefined) headers["x-amzn-requestid"] = requestId
  const origin = (error as { readonly origin?: BedrockError.ErrorOrigin }).origin
  if (origin !== undefined) headers["x-amzn-errortype"] = origin.name
  const retryAfterMs = numberField(error, "retryAfterMs")
  if (retryAfterMs !== undefined) headers["retry-after"] = String(Math.ceil(retryAfterMs / 1000))
  return headers
}

/**
 * The `AiError` for a library error; the error itself is its `cause` (also for `HttpResponseError`, whose schema has
 * no `cause` field: it is set as the `Error` cause).
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromCause = (error: Cause, origin: Origin): AiError.AiError => {
  const where = { module: origin.module, method: origin.method }
  const description = `${error._tag}: ${error.message}`
  if (inputTags.has(error._tag)) return new AiError.MalformedInput({ ...where, description, cause: error })
  if (outputTags.has(error._tag)) return new AiError.MalformedOutput({ ...where, description, cause: error })
  const status = numberField(error, "status")
  if (status !== undefined) {
    return new AiError.HttpResponseError(
      {
        ...where,
        reason: "StatusCode",
        description,
        request: requestDetails(origin),
        response: { status, headers: responseHeaders(error) },
        cause: error
      } as ConstructorParameters<typeof AiError.HttpResponseError>[0],
      { disableValidation: true }
    )
  }
  switch (error._tag) {
    case "ValidationError":
      // No status: the library refused the request before sending it.
      return new AiError.MalformedInput({ ...where, description, cause: error })
    case "TransportError":
    case "RequestTimeoutError":
      return new AiError.HttpRequestError({
        ...where,
        reason: "Transport",
        description,
        request: requestDetails(origin),
        cause: error
      }, { disableValidation: true })
    default:
      return new AiError.UnknownError({ ...where, description, cause: error })
  }
}

/**
 * The library error an `AiError` of this provider was made from.
 *
 * @since 0.1.0
 * @category utils
 */
export const causeOf = (error: unknown): Option.Option<Cause> => {
  if (!AiError.isAiError(error)) return Option.none()
  const cause = (error as { readonly cause?: unknown }).cause
  return isCause(cause) ? Option.some(cause) : Option.none()
}

const unwrapError = <E>(error: E): E | Cause => {
  const cause = causeOf(error)
  return Option.isSome(cause) ? cause.value : error
}

/**
 * Fails with the library's error instead of the `AiError` made from it, e.g.
 * `LanguageModel.generateText(...).pipe(BedrockAiError.unwrap, Effect.catchTag("ThrottlingError", ...))`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const unwrap = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | Cause, R> =>
  Effect.mapError(self, unwrapError)

/**
 * `unwrap` for a stream (`LanguageModel.streamText`).
 *
 * @since 0.1.0
 * @category combinators
 */
export const unwrapStream = <A, E, R>(self: Stream.Stream<A, E, R>): Stream.Stream<A, E | Cause, R> =>
  Stream.mapError(self, unwrapError)

/**
 * Maps a library failure to its `AiError` (for the provider's own effects).
 *
 * @since 0.1.0
 * @category combinators
 */
export const mapToAiError =
  (origin: Origin) => <A, E extends Cause, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, AiError.AiError, R> =>
    Effect.mapError(self, (error) => fromCause(error, origin))
