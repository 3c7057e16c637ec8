/**
 * OpenAI's error shape and status codes for everything the OpenAI API can refuse or fail with: its own request
 * checks, the gateway's refusals, authentication and the library's errors. Every failure becomes
 * `{"error":{"message","type","param","code"}}` with the status OpenAI uses (429s with `Retry-After`); see the table
 * in docs/BACKEND.md.
 *
 * @since 0.1.0
 */
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { type GatewayError, retryAfterOf, statusOf } from "../../GatewayError.js"
import type { AuthenticationError } from "../../keys/Authentication.js"
import * as RequestBody from "../../RequestBody.js"
import type { StoreError } from "../../StoreError.js"
import { ErrorBody } from "./OpenAiSchemas.js"

/**
 * A failure as OpenAI reports it, with its status and (for 429s) the seconds to wait.
 *
 * @since 0.1.0
 * @category models
 */
export interface OpenAiFailure {
  readonly status: number
  readonly message: string
  readonly type: string
  readonly param: string | null
  readonly code: string | null
  readonly retryAfterSeconds?: number | undefined
}

/**
 * A 400 `invalid_request_error` naming the parameter.
 *
 * @since 0.1.0
 * @category constructors
 */
export const invalid = (
  param: string | null,
  message: string,
  code: string | null = "invalid_value"
): OpenAiFailure => ({
  status: 400,
  type: "invalid_request_error",
  param,
  code,
  message
})

const tooLarge: OpenAiFailure = {
  status: 413,
  type: "invalid_request_error",
  param: null,
  code: "request_too_large",
  message: "The request body is larger than this gateway accepts."
}

/**
 * The 400 of a body that is not a JSON object.
 *
 * @since 0.1.0
 * @category constructors
 */
export const unparsable: OpenAiFailure = invalid(
  null,
  "We could not parse the JSON body of your request: the API expects a JSON object (content-type: application/json).",
  null
)

/**
 * A body that cannot be used, as OpenAI reports it: 413 over the limit, 400 naming the parameter otherwise
 * (`messages[0].content[1].image_url.url`), with OpenAI's codes for a missing and an unknown parameter.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromBodyError = (error: RequestBody.BodyError): OpenAiFailure => {
  if (error.reason === "too_large") return tooLarge
  if (error.reason === "malformed") return unparsable
  const param = RequestBody.parameterOf(error.segments)
  switch (error.issue) {
    case "missing":
      return invalid(param, `Missing required parameter: '${param}'.`, "missing_required_parameter")
    case "unknown":
      return invalid(
        param,
        error.segments.length === 1
          ? `Unrecognized request argument supplied: ${param}`
          : `Unknown parameter: '${param}'.`,
        "unknown_parameter"
      )
    default: {
      const detail = error.message.length > 300 ? `${error.message.slice(0, 300)}...` : error.message
      return param === ""
        ? invalid(null, `Invalid request body: ${detail}`, "invalid_type")
        : invalid(param, `Invalid value for '${param}': ${detail}`, "invalid_type")
    }
  }
}

/**
 * Decodes an already parsed JSON body with a request schema (unknown properties refused): not an object is
 * unparsable, the rest as `fromBodyError`.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeValue = <A, I>(schema: Schema.Schema<A, I>) => {
  const decode = RequestBody.strictDecoder(schema)
  return (value: unknown): Either.Either<A, OpenAiFailure> =>
    typeof value !== "object" || value === null || Array.isArray(value)
      ? Either.left(unparsable)
      : Either.mapLeft(decode(value), fromBodyError)
}

/**
 * Reads, parses and decodes the body of a request, failing in OpenAI's shape.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeBody = <A, I>(
  schema: Schema.Schema<A, I>
): Effect.Effect<A, OpenAiFailure, HttpServerRequest.HttpServerRequest> => {
  const decodeJson = decodeValue(schema)
  return Effect.flatMap(Effect.mapError(RequestBody.json, fromBodyError), decodeJson)
}

/**
 * A 400 for a parameter (or a value of one) the gateway cannot honour on Bedrock: refused, never dropped.
 *
 * @since 0.1.0
 * @category constructors
 */
export const unsupported = (param: string, message: string): OpenAiFailure =>
  invalid(param, message, "unsupported_parameter")

/**
 * A 400 for a value of a known parameter that the gateway cannot honour.
 *
 * @since 0.1.0
 * @category constructors
 */
export const unsupportedValue = (param: string, message: string): OpenAiFailure =>
  invalid(param, message, "unsupported_value")

/**
 * The error body of a failure.
 *
 * @since 0.1.0
 * @category utils
 */
export const body = (failure: OpenAiFailure): ErrorBody => ({
  error: { message: failure.message, type: failure.type, param: failure.param, code: failure.code }
})

/**
 * The HTTP response of a failure (`Retry-After` on 429s).
 *
 * @since 0.1.0
 * @category constructors
 */
export const response = (failure: OpenAiFailure): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.unsafeJson(body(failure), {
    status: failure.status,
    headers: failure.retryAfterSeconds === undefined ? {} : { "retry-after": String(failure.retryAfterSeconds) }
  })

/**
 * How the gateway's parameter names read in the request the client sent (`maxTokens` was `max_tokens` or
 * `max_completion_tokens`).
 *
 * @since 0.1.0
 * @category models
 */
export type ParameterNames = Readonly<Record<string, string>>

const serverError = (status: number, message: string, code: string | null): OpenAiFailure => ({
  status,
  type: "server_error",
  param: null,
  code,
  message
})

const embeddingParam = (error: { readonly problem: string; readonly index?: number | undefined }): string | null =>
  error.problem === "EmptyText" || error.problem === "NotText"
    ? error.index === undefined ? "input" : `input[${error.index}]`
    : error.problem === "Dimensions"
    ? "dimensions"
    : null

/**
 * The OpenAI failure of anything a gateway call fails with, or of a refused key (401) or a silent store (503).
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromError = (
  error: GatewayError | AuthenticationError | StoreError,
  names: ParameterNames = {}
): OpenAiFailure => {
  const status = statusOf(error)
  switch (error._tag) {
    case "AuthenticationError":
      return {
        status: 401,
        type: "invalid_request_error",
        param: null,
        code: "invalid_api_key",
        message: error.message
      }
    case "Forbidden":
      return {
        status: 403,
        type: "invalid_request_error",
        param: error.subject === "model" ? "model" : null,
        code: error.subject === "model" ? "model_not_allowed" : "api_not_allowed",
        message: error.message
      }
    case "ModelNotFound":
      return {
        status: 404,
        type: "invalid_request_error",
        param: "model",
        code: "model_not_found",
        message: `The model \`${error.model}\` does not exist or you do not have access to it.`
      }
    case "InvalidRequest": {
      const param = error.parameter === undefined ? null : names[error.parameter] ?? error.parameter
      return invalid(param, error.message)
    }
    case "RateLimited":
      return {
        status: 429,
        type: error.limit === "rpm" ? "requests" : "tokens",
        param: null,
        code: "rate_limit_exceeded",
        message: `${error.message} Please try again in ${error.retryAfterSeconds}s.`,
        retryAfterSeconds: error.retryAfterSeconds
      }
    case "BudgetExhausted":
      return {
        status: 429,
        type: "insufficient_quota",
        param: null,
        code: "insufficient_quota",
        message: error.message,
        retryAfterSeconds: error.retryAfterSeconds
      }
    case "StoreError":
      return serverError(503, "The gateway's store did not answer; retry.", "service_unavailable")
    case "InvalidConversation":
      return invalid("messages", error.message, null)
    case "EmbeddingInputError":
      return invalid(embeddingParam(error), error.message)
    case "UnsupportedModelError":
      return invalid("model", error.message)
    case "ValidationError":
    case "UnsupportedFeature":
      return invalid(null, error.message, null)
    case "ResourceNotFoundError":
      return {
        status: 404,
        type: "invalid_request_error",
        param: "model",
        code: "model_not_found",
        message: error.message
      }
    case "ThrottlingError":
    case "ServiceQuotaExceededError":
      return {
        status: 429,
        type: "requests",
        param: null,
        code: "rate_limit_exceeded",
        message: `Bedrock is throttling this model: ${error.message}`,
        retryAfterSeconds: retryAfterOf(error)
      }
    case "RequestTimeoutError":
    case "ModelTimeoutError":
      return serverError(status, error.message, "timeout")
    case "ModelNotReadyError":
    case "ServiceUnavailableError":
    case "CircuitOpenError":
      return serverError(status, error.message, "service_unavailable")
    case "AccessDeniedError":
    case "TransportError":
    case "UnknownServiceError":
      // About the gateway's own credentials, network or environment: not the caller's to read.
      return serverError(
        status,
        `The gateway could not reach Bedrock (${error._tag}); the operator has the details.`,
        "upstream_error"
      )
    default:
      return serverError(status, error.message, status === 409 ? "conflict" : "upstream_error")
  }
}

/**
 * A failure raised as an error value (by the key middleware), carrying OpenAI's error body.
 *
 * @since 0.1.0
 * @category errors
 */
export class OpenAiHttpError {
  constructor(readonly error: ErrorBody["error"]) {}
}

/**
 * The schema of the errors of one status: OpenAI's error body on the wire, an instance of that status's own class in
 * the program. Matched by `instanceof`, so that the API's error encoding (one union of every group's errors, tried
 * in order) answers exactly this status: a struct or a `Schema.Class` would also take any other value of the shape.
 */
const statusError = (identifier: string, status: number, description: string) => {
  const StatusError = class extends OpenAiHttpError {}
  Object.defineProperty(StatusError, "name", { value: identifier })
  const schema = Schema.transform(
    ErrorBody,
    Schema.declare((u: unknown): u is OpenAiHttpError => u instanceof StatusError, { identifier }),
    {
      strict: true,
      decode: (body) => new StatusError(body.error),
      encode: (instance) => ({ error: instance.error })
    }
  ).annotations(HttpApiSchema.annotations({ status, description }))
  return Object.assign(schema, {
    make: (failure: OpenAiFailure): OpenAiHttpError => new StatusError(body(failure).error)
  })
}

/**
 * 400: a parameter that is invalid, unknown, or that Bedrock cannot honour.
 *
 * @since 0.1.0
 * @category errors
 */
export const OpenAiBadRequest = statusError(
  "OpenAiBadRequest",
  400,
  "A parameter is invalid, unknown, or cannot be honoured on Bedrock; `param` names it."
)

/**
 * 401: the API key is missing, malformed, unknown, revoked or expired.
 *
 * @since 0.1.0
 * @category errors
 */
export const OpenAiUnauthorized = statusError(
  "OpenAiUnauthorized",
  401,
  "The API key is missing, malformed, unknown, revoked or expired (code invalid_api_key)."
)

/**
 * 403: the key may not use this model or this API.
 *
 * @since 0.1.0
 * @category errors
 */
export const OpenAiForbidden = statusError(
  "OpenAiForbidden",
  403,
  "The key may not use this model (model_not_allowed) or this API (api_not_allowed)."
)

/**
 * 404: no alias or catalog model of that name.
 *
 * @since 0.1.0
 * @category errors
 */
export const OpenAiNotFound = statusError("OpenAiNotFound", 404, "No model of that name (model_not_found).")

/**
 * 413: the body is larger than the gateway accepts.
 *
 * @since 0.1.0
 * @category errors
 */
export const OpenAiTooLarge = statusError("OpenAiTooLarge", 413, "The request body is too large (request_too_large).")

/**
 * 429: a rate limit of the key or of Bedrock (with `Retry-After`), or the key's budget (insufficient_quota).
 *
 * @since 0.1.0
 * @category errors
 */
export const OpenAiRateLimited = statusError(
  "OpenAiRateLimited",
  429,
  "The key's requests or tokens per minute (rate_limit_exceeded), Bedrock's throttling, or the key's monthly budget (insufficient_quota); Retry-After says when to retry."
)

/**
 * 502: Bedrock failed.
 *
 * @since 0.1.0
 * @category errors
 */
export const OpenAiUpstream = statusError("OpenAiUpstream", 502, "Bedrock failed (upstream_error).")

/**
 * 503: a store or Bedrock is unavailable.
 *
 * @since 0.1.0
 * @category errors
 */
export const OpenAiUnavailable = statusError(
  "OpenAiUnavailable",
  503,
  "A store of the gateway or Bedrock is unavailable (service_unavailable)."
)

/**
 * 504: the request's deadline or Bedrock's model timeout passed.
 *
 * @since 0.1.0
 * @category errors
 */
export const OpenAiTimeout = statusError(
  "OpenAiTimeout",
  504,
  "The request did not finish within its deadline (timeout)."
)

/**
 * The middleware's failure of a refused key or a silent key store.
 *
 * @since 0.1.0
 * @category constructors
 */
export const authenticationFailure = (error: AuthenticationError | StoreError): OpenAiHttpError =>
  (error._tag === "AuthenticationError" ? OpenAiUnauthorized : OpenAiUnavailable).make(fromError(error))
