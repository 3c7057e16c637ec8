/**
 * Reading a request body for handlers that answer bad input in their API's own shape: the bytes (bounded by the
 * request's body limit), JSON (malformed or empty is a `BodyError`, never a defect), and strict decoding with a
 * Schema whose most specific issue names the field by its path (`messages.0.content.1.type`; of a union, such as a
 * string or an array of parts, the member that got furthest), unknown fields included. Each API turns a `BodyError`
 * into its own error shape (OpenAI writes the path as `messages[0].content[1].type`, see `parameterOf`).
 *
 * @since 0.1.0
 */
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

/**
 * What is wrong with a field of an invalid body: missing, unknown to the schema, or a wrong value.
 *
 * @since 0.1.0
 * @category models
 */
export const Issue = Schema.Literal("missing", "unknown", "value")

/**
 * The body cannot be used: larger than the limit, not JSON, or not of the expected shape (`path` names the field,
 * empty for the body itself; `segments` is the same path as keys and indexes; `issue` what is wrong with it).
 *
 * @since 0.1.0
 * @category errors
 */
export class BodyError extends Schema.TaggedError<BodyError>()("BodyError", {
  reason: Schema.Literal("too_large", "malformed", "invalid"),
  path: Schema.String,
  segments: Schema.optionalWith(Schema.Array(Schema.Union(Schema.String, Schema.Number)), { default: () => [] }),
  issue: Schema.optional(Issue),
  message: Schema.String
}) {}

/**
 * A field's path as OpenAI writes a parameter: `messages[0].content`.
 *
 * @since 0.1.0
 * @category utils
 */
export const parameterOf = (path: ReadonlyArray<PropertyKey>): string =>
  path.reduce<string>(
    (param, key) =>
      typeof key === "number" ? `${param}[${key}]` : param === "" ? String(key) : `${param}.${String(key)}`,
    ""
  )

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

const issueOf = (issue: ParseResult.ArrayFormatterIssue): typeof Issue.Type =>
  issue._tag === "Missing" ? "missing" : issue._tag === "Unexpected" ? "unknown" : "value"

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
 * The `BodyError` of a failed decoding: its most specific issue (the one with the longest path).
 *
 * @since 0.1.0
 * @category constructors
 */
export const bodyErrorOf = (error: ParseResult.ParseError): BodyError => {
  const issue = ParseResult.ArrayFormatter.formatErrorSync(error).reduce<ParseResult.ArrayFormatterIssue | undefined>(
    (deepest, next) => deepest === undefined || next.path.length > deepest.path.length ? next : deepest,
    undefined
  )
  if (issue === undefined) return new BodyError({ reason: "invalid", path: "", message: error.message })
  const segments = issue.path.map((key) => typeof key === "number" ? key : String(key))
  return new BodyError({
    reason: "invalid",
    path: segments.join("."),
    segments,
    issue: issueOf(issue),
    message: describe(issue)
  })
}

/**
 * A strict decoder: unknown fields are refused, and the most specific issue becomes a `BodyError` naming its path.
 *
 * @since 0.1.0
 * @category constructors
 */
export const strictDecoder = <A, I>(schema: Schema.Schema<A, I>): (value: unknown) => Either.Either<A, BodyError> => {
  const decode = Schema.decodeUnknownEither(schema, { onExcessProperty: "error", errors: "first" })
  return (value) => Either.mapLeft(decode(value), bodyErrorOf)
}
