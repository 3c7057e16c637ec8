/**
 * OpenAI's error shape and status codes for everything the OpenAI API can refuse or fail with: its own request
 * checks, the gateway's refusals, authentication and the library's errors. Every failure becomes
 * `{"error":{"message","type","param","code"}}` with the status OpenAI uses (429s with `Retry-After`); see the table
 * in docs/BACKEND.md.
 *
 * @since 0.1.0
 */
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Schema from "effect/Schema"
import { type GatewayError, retryAfterOf, statusOf } from "../../GatewayError.js"
import type { AuthenticationError } from "../../keys/Authentication.js"
import type { StoreError } from "../../StoreError.js"
import type { ErrorBody } from "./OpenAiSchemas.js"

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
    default:
      return serverError(status, error.message, status === 409 ? "conflict" : "upstream_error")
  }
}

/**
 * The 401 of the OpenAI API's security middleware, in OpenAI's error shape.
 *
 * @since 0.1.0
 * @category errors
 */
export class OpenAiUnauthorized extends Schema.Class<OpenAiUnauthorized>("OpenAiUnauthorized")(
  {
    error: Schema.Struct({
      message: Schema.String,
      type: Schema.String,
      param: Schema.Null,
      code: Schema.String
    })
  },
  HttpApiSchema.annotations({
    status: 401,
    description: "The API key is missing, malformed, unknown, revoked or expired."
  })
) {}

/**
 * The 503 of the OpenAI API's security middleware when the key store does not answer.
 *
 * @since 0.1.0
 * @category errors
 */
export class OpenAiUnavailable extends Schema.Class<OpenAiUnavailable>("OpenAiUnavailable")({
  error: Schema.Struct({
    message: Schema.String,
    type: Schema.String,
    param: Schema.Null,
    code: Schema.String
  })
}, HttpApiSchema.annotations({ status: 503, description: "The key store did not answer." })) {}

/**
 * The middleware's failure of a refused key or a silent key store.
 *
 * @since 0.1.0
 * @category constructors
 */
export const authenticationFailure = (
  error: AuthenticationError | StoreError
): OpenAiUnauthorized | OpenAiUnavailable => {
  const failure = fromError(error)
  const fields = { error: { message: failure.message, type: failure.type, param: null, code: failure.code ?? "" } }
  return error._tag === "AuthenticationError" ? new OpenAiUnauthorized(fields) : new OpenAiUnavailable(fields)
}
