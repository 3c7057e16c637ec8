/**
 * The gateway's own refusals, which every API maps to its own error shape and status (see docs/BACKEND.md), and the
 * union of everything a `Gateway` call can fail with.
 *
 * @since 0.1.0
 */
import type { BedrockClient, EmbeddingsClient } from "bedrock-llm"
import * as Schema from "effect/Schema"
import type { StoreError } from "./StoreError.js"

/**
 * The key may not use this model or this API (403).
 *
 * @since 0.1.0
 * @category errors
 */
export class Forbidden extends Schema.TaggedError<Forbidden>()("Forbidden", {
  message: Schema.String,
  keyId: Schema.String,
  /** What was refused: the model or the API. */
  subject: Schema.Literal("model", "api")
}) {}

/**
 * A rate limit of the key is reached (429 with `Retry-After: retryAfterSeconds`).
 *
 * @since 0.1.0
 * @category errors
 */
export class RateLimited extends Schema.TaggedError<RateLimited>()("RateLimited", {
  message: Schema.String,
  keyId: Schema.String,
  limit: Schema.Literal("rpm", "tpm"),
  /** Seconds until the current window ends. */
  retryAfterSeconds: Schema.Int
}) {}

/**
 * The key's monthly budget cannot cover the call's worst-case cost (429; OpenAI code `insufficient_quota`).
 *
 * @since 0.1.0
 * @category errors
 */
export class BudgetExhausted extends Schema.TaggedError<BudgetExhausted>()("BudgetExhausted", {
  message: Schema.String,
  keyId: Schema.String,
  budgetMicroUsd: Schema.Int,
  /** What the call would have reserved. */
  requiredMicroUsd: Schema.Int,
  /** Seconds until the budget renews (the next calendar month, UTC). */
  retryAfterSeconds: Schema.Int
}) {}

/**
 * The request cannot be served as given (400); `parameter` names the offending field in the API's own terms when the
 * API passed it.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidRequest extends Schema.TaggedError<InvalidRequest>()("InvalidRequest", {
  message: Schema.String,
  parameter: Schema.optional(Schema.String)
}) {}

/**
 * No alias or catalog entry has this name (404): the gateway prices every call, so it serves only models it can
 * price.
 *
 * @since 0.1.0
 * @category errors
 */
export class ModelNotFound extends Schema.TaggedError<ModelNotFound>()("ModelNotFound", {
  message: Schema.String,
  model: Schema.String
}) {}

/**
 * What the gateway refuses before calling Bedrock.
 *
 * @since 0.1.0
 * @category errors
 */
export type Refusal = Forbidden | RateLimited | BudgetExhausted | InvalidRequest | ModelNotFound

/**
 * Everything a gateway call can fail with: a refusal, a store failure (503), or the library's error of the call.
 *
 * @since 0.1.0
 * @category errors
 */
export type GatewayError =
  | Refusal
  | StoreError
  | BedrockClient.ClientError
  | EmbeddingsClient.EmbeddingsError
  | EmbeddingsClient.UnsupportedModelError

const libraryStatus: Record<string, number> = {
  ValidationError: 400,
  InvalidConversation: 400,
  UnsupportedFeature: 400,
  EmbeddingInputError: 400,
  UnsupportedModelError: 400,
  StructuredOutputError: 422,
  AccessDeniedError: 502,
  ResourceNotFoundError: 404,
  ThrottlingError: 429,
  ServiceQuotaExceededError: 429,
  ModelNotReadyError: 503,
  ServiceUnavailableError: 503,
  CircuitOpenError: 503,
  RequestTimeoutError: 504,
  ModelTimeoutError: 504,
  InternalServerError: 502,
  ModelError: 502,
  ModelStreamError: 502,
  MalformedResponseError: 502,
  StreamInterruptedError: 502,
  TransportError: 502,
  UnknownServiceError: 502,
  ConflictError: 409
}

const gatewayStatus: Record<string, number> = {
  Forbidden: 403,
  RateLimited: 429,
  BudgetExhausted: 429,
  InvalidRequest: 400,
  ModelNotFound: 404,
  StoreError: 503,
  AuthenticationError: 401
}

/**
 * The HTTP status of a gateway failure, as the table in backend/README.md gives it (an API may choose otherwise and
 * documents it). `AccessDenied` from Bedrock is the gateway's own credentials failing: 502, never the client's 403.
 *
 * @since 0.1.0
 * @category utils
 */
export const statusOf = (error: { readonly _tag: string }): number =>
  gatewayStatus[error._tag] ?? libraryStatus[error._tag] ?? 502

/**
 * The `Retry-After` seconds of a failure, when it has one: the gateway's rate and budget refusals, and Bedrock's
 * throttling after retries (its `retryAfterMs`, else 1 s).
 *
 * @since 0.1.0
 * @category utils
 */
export const retryAfterOf = (error: { readonly _tag: string }): number | undefined => {
  if (error._tag === "RateLimited" || error._tag === "BudgetExhausted") {
    return (error as RateLimited | BudgetExhausted).retryAfterSeconds
  }
  if (error._tag === "ThrottlingError" || error._tag === "ServiceQuotaExceededError") {
    const ms = (error as { readonly retryAfterMs?: number | undefined }).retryAfterMs
    return ms === undefined ? 1 : Math.max(1, Math.ceil(ms / 1000))
  }
  return undefined
}
