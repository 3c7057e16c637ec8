/**
 * The error shape of the agents API: OpenAI's `{"error":{"message","type","param","code"}}` (the shape the service's
 * transport-level refusals already use for `/v1/*` paths), with these types: `invalid_request_error` (400),
 * `authentication_error` (401), `permission_error` (403), `not_found_error` (404), `agent_limit_error` (422: the run
 * reached one of its agent's limits; `code` names it), `rate_limit_error` (429; `code: "insufficient_quota"` for an
 * exhausted budget), `server_error` (5xx).
 *
 * @since 0.1.0
 */
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import type { Agent } from "bedrock-llm"
import * as Schema from "effect/Schema"
import { type GatewayError, retryAfterOf, statusOf } from "../../GatewayError.js"
import type { AuthenticationError } from "../../keys/Authentication.js"
import type { BodyError } from "../../RequestBody.js"
import type { StoreError } from "../../StoreError.js"

/**
 * A request the agents API refuses by itself (`status` 400 or 404), naming `param` when a field is at fault.
 *
 * @since 0.1.0
 * @category errors
 */
export class AgentsRefusal extends Schema.TaggedError<AgentsRefusal>()("AgentsRefusal", {
  status: Schema.Literal(400, 403, 404),
  message: Schema.String,
  param: Schema.optional(Schema.String)
}) {}

/**
 * What the agents API's handlers can fail with.
 *
 * @since 0.1.0
 * @category models
 */
export type AgentsFailure =
  | AgentsRefusal
  | BodyError
  | AuthenticationError
  | StoreError
  | GatewayError
  | Agent.AgentError
  | { readonly _tag: "MemoryStoreError"; readonly message: string }

/**
 * An error as the client sees it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Failure {
  readonly status: number
  readonly type: string
  readonly message: string
  readonly param?: string | undefined
  readonly code?: string | undefined
  readonly retryAfterSeconds?: number | undefined
}

const typeByStatus: Readonly<Record<number, string>> = {
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  422: "agent_limit_error",
  429: "rate_limit_error"
}

const typeOf = (status: number): string =>
  typeByStatus[status] ?? (status < 500 ? "invalid_request_error" : "server_error")

const withStatus = (status: number, message: string, extra: Partial<Failure> = {}): Failure => ({
  status,
  type: typeOf(status),
  message,
  ...extra
})

/**
 * The client's view of a failure. A model call that failed inside the run (`AgentModelError`) is reported as the
 * failure it carries: a gateway refusal (rate limit, budget, forbidden model) or Bedrock's error.
 *
 * @since 0.1.0
 * @category utils
 */
export const toFailure = (error: AgentsFailure): Failure => {
  switch (error._tag) {
    case "AgentsRefusal":
      return withStatus(error.status, error.message, { param: error.param })
    case "BodyError":
      return withStatus(error.reason === "too_large" ? 413 : 400, error.message, {
        ...(error.path === "" ? {} : { param: error.path })
      })
    case "AgentModelError":
      return toFailure(error.error as AgentsFailure)
    case "MaxStepsReached":
    case "TokenBudgetExceeded":
    case "CostBudgetExceeded":
    case "DeadlineExceeded":
      return withStatus(422, error.message, { code: error._tag })
    case "AgentMemoryError":
    case "MemoryStoreError":
      return withStatus(503, "The conversation store is not answering; retry shortly.")
    case "InvalidRequest":
      return withStatus(400, error.message, {
        ...(error.parameter === undefined ? {} : { param: error.parameter })
      })
    case "BudgetExhausted":
      return withStatus(429, error.message, { code: "insufficient_quota", retryAfterSeconds: error.retryAfterSeconds })
    default: {
      const failure = error as GatewayError | AuthenticationError | StoreError
      return withStatus(statusOf(failure), failure.message, { retryAfterSeconds: retryAfterOf(failure) })
    }
  }
}

/**
 * The error body of a failure (also the data of a stream's `error` event).
 *
 * @since 0.1.0
 * @category utils
 */
export const body = (failure: Failure) => ({
  error: {
    message: failure.message,
    type: failure.type,
    param: failure.param ?? null,
    code: failure.code ?? null
  }
})

/**
 * The HTTP response of a failure.
 *
 * @since 0.1.0
 * @category utils
 */
export const response = (failure: Failure): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.unsafeJson(body(failure), {
    status: failure.status,
    headers: failure.retryAfterSeconds === undefined ? {} : { "retry-after": String(failure.retryAfterSeconds) }
  })

const errorFields = {
  message: Schema.String,
  param: Schema.NullOr(Schema.String),
  code: Schema.NullOr(Schema.String)
}

/**
 * The 401 of the group's security middleware.
 *
 * @since 0.1.0
 * @category errors
 */
export class Unauthorized extends Schema.Class<Unauthorized>("AgentsUnauthorized")({
  error: Schema.Struct({ ...errorFields, type: Schema.Literal("authentication_error") })
}, HttpApiSchema.annotations({ status: 401 })) {}

/**
 * The 503 of the security middleware when the key store does not answer.
 *
 * @since 0.1.0
 * @category errors
 */
export class Unavailable extends Schema.Class<Unavailable>("AgentsUnavailable")({
  error: Schema.Struct({ ...errorFields, type: Schema.Literal("server_error") })
}, HttpApiSchema.annotations({ status: 503 })) {}

/**
 * A 400, as the OpenAPI document shows it.
 *
 * @since 0.1.0
 * @category errors
 */
export class BadRequest extends Schema.Class<BadRequest>("AgentsBadRequest")({
  error: Schema.Struct({ ...errorFields, type: Schema.Literal("invalid_request_error") })
}, HttpApiSchema.annotations({ status: 400 })) {}

/**
 * A refusal of the security middleware in the group's shape.
 *
 * @since 0.1.0
 * @category utils
 */
export const fromAuthentication = (error: AuthenticationError | StoreError): Unauthorized | Unavailable => {
  const failure = toFailure(error)
  return error._tag === "AuthenticationError"
    ? new Unauthorized({ error: { type: "authentication_error", message: failure.message, param: null, code: null } })
    : new Unavailable({ error: { type: "server_error", message: failure.message, param: null, code: null } })
}
