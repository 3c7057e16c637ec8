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
