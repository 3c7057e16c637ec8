/**
 * Reading a request body for handlers that answer bad input in their API's own shape: the bytes (bounded by the
 * request's body limit), JSON (malformed or empty is a `BodyError`, never a defect), and strict decoding with a
 * Schema whose first issue names the field by its path (`messages.0.content.1.type`), unknown fields included.
 *
 * @since 0.1.0
 */
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

/**
 * The body cannot be used: larger than the limit, not JSON, or not of the expected shape (`path` names the field,
 * empty for the body itself).
 *
 * @since 0.1.0
 * @category errors
 */
export class BodyError extends Schema.TaggedError<BodyError>()("BodyError", {
  reason: Schema.Literal("too_large", "malformed", "invalid"),
  path: Schema.String,
  message: Schema.String
}) {}

const isSizeExceeded = (error: { readonly cause?: unknown }): boolean =>
  error.cause instanceof Error && error.cause.message === "maxBytes exceeded"

/**
 * The body's bytes, within the limit set by the request middleware.
 *
 * @since 0.1.0
 * @category accessors
 */
export const bytes: Effect.Effect<Uint8Array, BodyError, HttpServerRequest.HttpServerRequest> = Effect.flatMap(
  HttpServerRequest.HttpServerRequest,
  (request) =>
    Effect.mapBoth(request.arrayBuffer, {
      onFailure: (error) =>
        isSizeExceeded(error)
          ? new BodyError({ reason: "too_large", path: "", message: "The request body exceeds the size limit." })
          : new BodyError({ reason: "malformed", path: "", message: "The request body could not be read." }),
      onSuccess: (buffer) => new Uint8Array(buffer)
    })
)

const utf8 = new TextDecoder("utf-8", { fatal: true })

/**
 * Bytes parsed as JSON (UTF-8).
 *
 * @since 0.1.0
 * @category utils
 */
export const parseJson = (body: Uint8Array): Either.Either<unknown, BodyError> => {
  if (body.length === 0) {
    return Either.left(new BodyError({ reason: "malformed", path: "", message: "The request body is empty." }))
  }
  try {
    return Either.right(JSON.parse(utf8.decode(body)))
  } catch {
    return Either.left(
      new BodyError({ reason: "malformed", path: "", message: "The request body is not valid JSON." })
    )
  }
}

/**
 * The body parsed as JSON.
 *
 * @since 0.1.0
 * @category accessors
 */
export const json: Effect.Effect<unknown, BodyError, HttpServerRequest.HttpServerRequest> = Effect.flatMap(
  bytes,
  parseJson
)

const describe = (issue: ParseResult.ArrayFormatterIssue): string => {
  switch (issue._tag) {
    case "Missing":
      return "field required"
    case "Unexpected":
      return "unknown field (not supported by this gateway)"
    default:
      return issue.message
  }
}

/**
 * A strict decoder: unknown fields are refused, and the first issue becomes a `BodyError` naming its path.
 *
 * @since 0.1.0
 * @category constructors
 */
export const strictDecoder = <A, I>(schema: Schema.Schema<A, I>): (value: unknown) => Either.Either<A, BodyError> => {
  const decode = Schema.decodeUnknownEither(schema, { onExcessProperty: "error", errors: "first" })
  return (value) =>
    Either.mapLeft(decode(value), (error) => {
      const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
      const path = issue === undefined ? "" : issue.path.map(String).join(".")
      return new BodyError({ reason: "invalid", path, message: issue === undefined ? error.message : describe(issue) })
    })
}
