/**
 * Bedrock's error shape for the gateway's own refusals on the passthrough: the status, an `x-amzn-ErrorType` header
 * naming the exception (what the AWS SDK reads to pick its typed error class) and a `{"message"}` body. Bedrock's
 * own errors are forwarded as Bedrock sent them, except a refusal of the gateway's AWS credentials, which is the
 * gateway's failure (502), never the client's.
 *
 * @since 0.1.0
 */
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Schema from "effect/Schema"
import { type GatewayError, retryAfterOf } from "../../GatewayError.js"
import type { AuthenticationError } from "../../keys/Authentication.js"
import type { BodyError } from "../../RequestBody.js"
import type { StoreError } from "../../StoreError.js"
import type { ForwardError } from "./BedrockForward.js"
import type { InvalidBody } from "./PassthroughBody.js"

/**
 * A refusal as the client sees it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Refusal {
  readonly status: number
  /** The exception name (`ValidationException`, ...). */
  readonly type: string
  readonly message: string
  readonly retryAfterSeconds?: number | undefined
}

/**
 * What the passthrough's handlers can fail with.
 *
 * @since 0.1.0
 * @category models
 */
export type PassthroughFailure =
  | GatewayError
  | InvalidBody
  | BodyError
  | ForwardError
  | AuthenticationError
  | StoreError

/**
 * The refusal of a failure: 400 `ValidationException` for a body or request the gateway refuses, 401
 * `AccessDeniedException` for a key it does not accept, 403 `AccessDeniedException` for a model or API the key may
 * not use, 404 `ResourceNotFoundException` for an unknown model, 429 `ThrottlingException` for the key's rate
 * limits, 400 `ServiceQuotaExceededException` for an exhausted budget (which the AWS SDK does not retry), 503
 * `ServiceUnavailableException` for stores that do not answer and a Bedrock that cannot be reached, 408
 * `ModelTimeoutException` for the request's deadline.
 *
 * @since 0.1.0
 * @category utils
 */
export const toRefusal = (error: PassthroughFailure): Refusal => {
  switch (error._tag) {
    case "InvalidBody":
      return {
        status: 400,
        type: "ValidationException",
        message: error.path === "" ? error.message : `${error.path}: ${error.message}`
      }
    case "BodyError":
      return {
        status: error.reason === "too_large" ? 413 : 400,
        type: "ValidationException",
        message: error.path === "" ? error.message : `${error.path}: ${error.message}`
      }
    case "AuthenticationError":
      return { status: 401, type: "AccessDeniedException", message: error.message }
    case "Forbidden":
    case "AccessDeniedError":
      return error._tag === "Forbidden"
        ? { status: 403, type: "AccessDeniedException", message: error.message }
        : { status: 502, type: "InternalServerException", message: "Bedrock refused the gateway's credentials." }
    case "ModelNotFound":
    case "ResourceNotFoundError":
      return { status: 404, type: "ResourceNotFoundException", message: error.message }
    case "InvalidRequest":
      return {
        status: 400,
        type: "ValidationException",
        message: error.parameter === "maxTokens" ? `inferenceConfig.maxTokens: ${error.message}` : error.message
      }
    case "RateLimited":
    case "ThrottlingError":
      return {
        status: 429,
        type: "ThrottlingException",
        message: error.message,
        retryAfterSeconds: retryAfterOf(error)
      }
    case "BudgetExhausted":
      return {
        status: 400,
        type: "ServiceQuotaExceededException",
        message: error.message,
        retryAfterSeconds: error.retryAfterSeconds
      }
    case "StoreError":
      return { status: 503, type: "ServiceUnavailableException", message: "The gateway's stores are not answering." }
    case "ForwardError":
      return { status: 503, type: "ServiceUnavailableException", message: error.message }
    case "RequestTimeoutError":
    case "ModelTimeoutError":
      return { status: 408, type: "ModelTimeoutException", message: error.message }
    case "ValidationError":
    case "InvalidConversation":
    case "UnsupportedFeature":
    case "EmbeddingInputError":
    case "UnsupportedModelError":
      return { status: 400, type: "ValidationException", message: error.message }
    default:
      return { status: 500, type: "InternalServerException", message: error.message }
  }
}

/**
 * The HTTP response of a refusal.
 *
 * @since 0.1.0
 * @category utils
 */
export const response = (refusal: Refusal, requestId?: string): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.unsafeJson({ __type: refusal.type, message: refusal.message }, {
    status: refusal.status,
    headers: {
      "x-amzn-errortype": refusal.type,
      ...(requestId === undefined ? {} : { "x-amzn-requestid": requestId }),
      ...(refusal.retryAfterSeconds === undefined ? {} : { "retry-after": String(refusal.retryAfterSeconds) })
    }
  })

/**
 * Bedrock's error body, as the OpenAPI document shows it: the type is in the `x-amzn-ErrorType` header, and in
 * `__type` (which the AWS SDK also reads) on the security middleware's refusals, whose body it tells apart.
 *
 * @since 0.1.0
 * @category errors
 */
export class ValidationException extends Schema.Class<ValidationException>("BedrockValidationException")({
  __type: Schema.Literal("ValidationException"),
  message: Schema.String
}, HttpApiSchema.annotations({ status: 400 })) {}

/**
 * The 401 of the group's security middleware (`x-amzn-ErrorType: AccessDeniedException`).
 *
 * @since 0.1.0
 * @category errors
 */
export class Unauthorized extends Schema.Class<Unauthorized>("BedrockUnauthorized")({
  __type: Schema.Literal("AccessDeniedException"),
  message: Schema.String
}, HttpApiSchema.annotations({ status: 401 })) {}

/**
 * The 503 of the security middleware when the key store does not answer (`ServiceUnavailableException`).
 *
 * @since 0.1.0
 * @category errors
 */
export class Unavailable extends Schema.Class<Unavailable>("BedrockUnavailable")({
  __type: Schema.Literal("ServiceUnavailableException"),
  message: Schema.String
}, HttpApiSchema.annotations({ status: 503 })) {}
