/**
 * The per-request log record: the HTTP layer opens one for each request (request id, method, path, status, latency)
 * and writes it as one structured log line when the response has been sent; the gateway fills in what it learns (key
 * id, API, model, tokens, cost, time to first token). It never holds a secret or any message content.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"

/**
 * The fields of a request's log line.
 *
 * @since 0.1.0
 * @category models
 */
export interface Fields {
  requestId?: string
  method?: string
  path?: string
  status?: number
  keyId?: string
  api?: string
  model?: string
  modelId?: string
  inputTokens?: number
  outputTokens?: number
  cacheReadTokens?: number
  cacheWriteTokens?: number
  costMicroUsd?: number
  /** The key's monthly budget and its spend this month after this call (keys with a budget). */
  budgetMicroUsd?: number
  budgetSpentMicroUsd?: number
  latencyMs?: number
  timeToFirstTokenMs?: number
  fallbacks?: number
  error?: string
  outcome?: string
}

/**
 * The current request's log record.
 *
 * @since 0.1.0
 * @category services
 */
export class RequestLog extends Context.Tag("bedrock-llm-backend/RequestLog")<RequestLog, Fields>() {}

/**
 * Adds fields to the current request's log record (nothing outside a request).
 *
 * @since 0.1.0
 * @category utils
 */
export const annotate = (fields: Fields): Effect.Effect<void> =>
  Effect.map(Effect.serviceOption(RequestLog), (log) => {
    if (Option.isSome(log)) Object.assign(log.value, fields)
  })
