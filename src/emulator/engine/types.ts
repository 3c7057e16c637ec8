/**
 * The shapes the engine's functions take and return, apart from the functions so that the engine's modules can share
 * them without importing the barrel (`index.ts`) that re-exports those modules.
 *
 * @since 0.1.0
 */

/**
 * An error as the service would answer it: exception name, HTTP status and message.
 *
 * @since 0.1.0
 * @category models
 */
export interface EngineError {
  readonly type: string
  readonly status: number
  readonly message: string
}

/**
 * The outcome of an engine call.
 *
 * @since 0.1.0
 * @category models
 */
export type EngineResult<A> =
  | { readonly ok: true; readonly value: A }
  | { readonly ok: false; readonly error: EngineError }

/**
 * One ConverseStream event (`:event-type` and its JSON payload, without the `"p"` padding).
 *
 * @since 0.1.0
 * @category models
 */
export interface StreamEventJson {
  readonly type: string
  readonly payload: Record<string, unknown>
}

/**
 * A Converse answer: the response JSON and the ConverseStream events of the same answer.
 *
 * @since 0.1.0
 * @category models
 */
export interface ConverseOutput {
  readonly body: Record<string, unknown>
  readonly events: ReadonlyArray<StreamEventJson>
}

/**
 * An InvokeModel answer: the native response body and the native stream chunks of the same answer; the last chunk
 * carries `amazon-bedrock-invocationMetrics`.
 *
 * @since 0.1.0
 * @category models
 */
export interface InvokeOutput {
  readonly body: Record<string, unknown>
  readonly chunks: ReadonlyArray<Record<string, unknown>>
  /** The counts behind the `x-amzn-bedrock-*-token-count` and `x-amzn-bedrock-invocation-latency` headers. */
  readonly usage?: InvokeUsage | undefined
}

/**
 * Token counts and latency of an InvokeModel answer (the server's `x-amzn-bedrock-*` response headers).
 *
 * @since 0.1.0
 * @category models
 */
export interface InvokeUsage {
  readonly inputTokens: number
  readonly outputTokens: number
  readonly cacheReadInputTokens: number
  readonly cacheWriteInputTokens: number
  readonly latencyMs: number
}
