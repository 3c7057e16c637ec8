/**
 * Anthropic's error shape for every failure of the Anthropic API group: `{"type":"error","error":{"type","message"},
 * "request_id"}` with Anthropic's status codes and types (`invalid_request_error` 400, `authentication_error` 401,
 * `permission_error` 403, `not_found_error` 404, `rate_limit_error` 429, `api_error` 500, `timeout_error` 504,
 * `overloaded_error` 529). The same body is the data of a stream's `error` event.
 *
 * @since 0.1.0
 */
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Schema from "effect/Schema"
import { type GatewayError, retryAfterOf, statusOf } from "../../GatewayError.js"
import type { AuthenticationError } from "../../keys/Authentication.js"
import type { BodyError } from "../../RequestBody.js"
import type { StoreError } from "../../StoreError.js"
import type { ErrorBody, ErrorType } from "./AnthropicSchema.js"

/**
 * A request field the gateway refuses (400 `invalid_request_error`); `parameter` is Anthropic's path of the field
 * (`messages.0.content.1.source`, `thinking.budget_tokens`).
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidParameter extends Schema.TaggedError<InvalidParameter>()("InvalidParameter", {
  parameter: Schema.String,
  message: Schema.String
}) {}

/**
 * A failure as the client sees it: status, Anthropic's type, message, extra headers.
 *
 * @since 0.1.0
 * @category models
 */
export interface Failure {
  readonly status: number
  readonly type: ErrorType
  readonly message: string
  readonly headers?: Readonly<Record<string, string>> | undefined
}

/**
 * What any handler of the group can fail with.
 *
 * @since 0.1.0
 * @category models
 */
export type AnthropicFailure = GatewayError | InvalidParameter | BodyError | AuthenticationError | StoreError

const typeByStatus: Readonly<Record<number, ErrorType>> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  408: "timeout_error",
  504: "timeout_error",
  503: "overloaded_error",
  529: "overloaded_error"
}

const typeOfStatus = (status: number): ErrorType =>
  typeByStatus[status] ?? (status < 500 ? "invalid_request_error" : "api_error")

const make = (status: number, message: string, headers?: Record<string, string>): Failure => ({
  status,
  type: typeOfStatus(status),
  message,
  ...(headers === undefined ? {} : { headers })
})

/**
 * The client's view of a failure: the statuses of `GatewayError.statusOf` with Anthropic's 529 `overloaded_error` for
 * unavailability (a store, Bedrock) and field names in Anthropic's terms. Bedrock's own messages are passed on
 * (clients such as Claude Code recognise some of them); the library has already scrubbed them of credentials. An
 * exhausted budget is a 429 with `x-should-retry: false` (the SDKs honour it: retrying cannot help before the budget
 * renews).
 *
 * @since 0.1.0
 * @category utils
 */
export const toFailure = (error: AnthropicFailure): Failure => {
  switch (error._tag) {
    case "InvalidParameter":
      return make(400, `${error.parameter}: ${error.message}`)
    case "BodyError":
      return error.reason === "too_large"
        ? make(413, error.message)
        : make(400, error.path === "" ? error.message : `${error.path}: ${error.message}`)
    case "AuthenticationError":
      return make(401, `invalid x-api-key: ${error.message}`)
    case "ModelNotFound":
      return make(404, `model: ${error.message}`)
    case "InvalidRequest":
      return make(
        400,
        error.parameter === "maxTokens"
          ? `max_tokens: ${error.message}`
          : error.parameter === undefined
          ? error.message
          : `${error.parameter}: ${error.message}`
      )
    default: {
      const status = statusOf(error)
      const retryAfter = retryAfterOf(error)
      const headers: Record<string, string> = retryAfter === undefined ? {} : { "retry-after": String(retryAfter) }
      if (error._tag === "BudgetExhausted") headers["x-should-retry"] = "false"
      const message = error._tag === "StoreError"
        ? "The gateway's stores are not answering; retry shortly."
        : error.message
      return make(status === 503 ? 529 : status, message, headers)
    }
  }
}

/**
 * The error body of a failure.
 *
 * @since 0.1.0
 * @category utils
 */
export const body = (failure: Failure, requestId?: string): ErrorBody => ({
  type: "error",
  error: { type: failure.type, message: failure.message },
  ...(requestId === undefined ? {} : { request_id: requestId })
})

/**
 * The HTTP response of a failure.
 *
 * @since 0.1.0
 * @category utils
 */
export const response = (failure: Failure, requestId?: string): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.unsafeJson(body(failure, requestId), {
    status: failure.status,
    headers: { ...failure.headers, ...(requestId === undefined ? {} : { "request-id": requestId }) }
  })

/**
 * A 400 in Anthropic's shape, as the OpenAPI document shows it (a class, so that only its own instances encode as it).
 *
 * @since 0.1.0
 * @category errors
 */
export class BadRequest extends Schema.Class<BadRequest>("AnthropicBadRequest")({
  type: Schema.Literal("error"),
  error: Schema.Struct({ type: Schema.Literal("invalid_request_error"), message: Schema.String }),
  request_id: Schema.optional(Schema.String)
}, HttpApiSchema.annotations({ status: 400 })) {}

/**
 * The 401 of the group's security middleware (its `failure` schema, status 401).
 *
 * @since 0.1.0
 * @category errors
 */
export class Unauthorized extends Schema.Class<Unauthorized>("AnthropicUnauthorized")({
  type: Schema.Literal("error"),
  error: Schema.Struct({ type: Schema.Literal("authentication_error"), message: Schema.String })
}, HttpApiSchema.annotations({ status: 401 })) {}

/**
 * The 529 of the security middleware when the key store does not answer.
 *
 * @since 0.1.0
 * @category errors
 */
export class Unavailable extends Schema.Class<Unavailable>("AnthropicUnavailable")({
  type: Schema.Literal("error"),
  error: Schema.Struct({ type: Schema.Literal("overloaded_error"), message: Schema.String })
}, HttpApiSchema.annotations({ status: 529 })) {}

/**
 * A refusal of the security middleware in the group's shape.
 *
 * @since 0.1.0
 * @category utils
 */
export const fromAuthentication = (error: AuthenticationError | StoreError): Unauthorized | Unavailable => {
  const failure = toFailure(error)
  return error._tag === "AuthenticationError"
    ? new Unauthorized({ type: "error", error: { type: "authentication_error", message: failure.message } })
    : new Unavailable({ type: "error", error: { type: "overloaded_error", message: failure.message } })
}
