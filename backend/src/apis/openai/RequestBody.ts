/**
 * Reading a request body as the OpenAI API does: JSON that does not parse, a value of the wrong type, a missing or
 * an unknown parameter are each a 400 naming the parameter (as `messages[0].content[1].image_url.url`), a body over
 * the limit a 413. Decoding refuses properties the schema does not know, so that nothing is silently dropped.
 *
 * @since 0.1.0
 */
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { invalid, type OpenAiFailure } from "./OpenAiError.js"

/**
 * A parse path as OpenAI writes a parameter: `messages[0].content`.
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

const tooLarge: OpenAiFailure = {
  status: 413,
  type: "invalid_request_error",
  param: null,
  code: "request_too_large",
  message: "The request body is larger than this gateway accepts."
}

const unparsable = invalid(
  null,
  "We could not parse the JSON body of your request: the API expects a JSON object (content-type: application/json).",
  null
)

/**
 * The failure of a decoding, named by its most specific problem (of a union, such as a string or an array of
 * parts, the member that got furthest: `messages[0].content[1].image_url.url`, not `messages[0].content`).
 *
 * @since 0.1.0
 * @category utils
 */
export const failureOf = (error: ParseResult.ParseError): OpenAiFailure => {
  const issues = ParseResult.ArrayFormatter.formatErrorSync(error)
  const issue = issues.reduce<(typeof issues)[number] | undefined>(
    (deepest, next) => deepest === undefined || next.path.length > deepest.path.length ? next : deepest,
    undefined
  )
  if (issue === undefined) return invalid(null, error.message)
  const param = parameterOf(issue.path)
  switch (issue._tag) {
    case "Missing":
      return invalid(param, `Missing required parameter: '${param}'.`, "missing_required_parameter")
    case "Unexpected":
      return invalid(
        param,
        issue.path.length === 1
          ? `Unrecognized request argument supplied: ${param}`
          : `Unknown parameter: '${param}'.`,
        "unknown_parameter"
      )
    default: {
      const detail = issue.message.length > 300 ? `${issue.message.slice(0, 300)}...` : issue.message
      return param === ""
        ? invalid(null, `Invalid request body: ${detail}`, "invalid_type")
        : invalid(param, `Invalid value for '${param}': ${detail}`, "invalid_type")
    }
  }
}

/**
 * Decodes an already parsed JSON value with a request schema (excess properties refused).
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeValue = <A, I>(schema: Schema.Schema<A, I>) => {
  const decode = Schema.decodeUnknownEither(schema, { errors: "first", onExcessProperty: "error" })
  return (value: unknown): Either.Either<A, OpenAiFailure> => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return Either.left(unparsable)
    return Either.mapLeft(decode(value), failureOf)
  }
}

/**
 * Reads, parses and decodes the body of a request.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode = <A, I>(schema: Schema.Schema<A, I>) => {
  const decodeJson = decodeValue(schema)
  return (request: HttpServerRequest.HttpServerRequest): Effect.Effect<A, OpenAiFailure> =>
    Effect.flatMap(
      Effect.mapError(
        request.text,
        (error) => String((error as { readonly cause?: unknown }).cause).includes("maxBytes") ? tooLarge : unparsable
      ),
      (text) => {
        let value: unknown
        try {
          value = JSON.parse(text)
        } catch {
          return Effect.fail(unparsable)
        }
        return decodeJson(value)
      }
    )
}
