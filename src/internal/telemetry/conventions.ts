/**
 * The vocabulary of the OpenTelemetry GenAI semantic conventions (Development status; the names of the GenAI
 * conventions repository as of their v1.41 text) that this library emits, and the library's own names under
 * `bedrock_llm.*`. Names only: what goes under them is `attributes.ts`, `content.ts` and `metrics.ts`.
 *
 * @internal
 */

/** `gen_ai.provider.name` for every span and metric of this library (the conventions' AWS Bedrock page). */
export const PROVIDER = "aws.bedrock"

/**
 * The operations the library performs, as `gen_ai.operation.name` values: a Converse or InvokeModel call (`chat`), a
 * Titan or Cohere embeddings call, a tool run by the agent, and an agent run.
 */
export type Operation = "chat" | "embeddings" | "execute_tool" | "invoke_agent"

/** Attribute names. */
export const Attr = {
  operationName: "gen_ai.operation.name",
  providerName: "gen_ai.provider.name",
  requestModel: "gen_ai.request.model",
  requestMaxTokens: "gen_ai.request.max_tokens",
  requestTemperature: "gen_ai.request.temperature",
  requestTopP: "gen_ai.request.top_p",
  requestTopK: "gen_ai.request.top_k",
  requestStopSequences: "gen_ai.request.stop_sequences",
  outputType: "gen_ai.output.type",
  responseId: "gen_ai.response.id",
  responseFinishReasons: "gen_ai.response.finish_reasons",
  responseTimeToFirstChunk: "gen_ai.response.time_to_first_chunk",
  usageInputTokens: "gen_ai.usage.input_tokens",
  usageOutputTokens: "gen_ai.usage.output_tokens",
  usageCacheReadInputTokens: "gen_ai.usage.cache_read.input_tokens",
  usageCacheCreationInputTokens: "gen_ai.usage.cache_creation.input_tokens",
  tokenType: "gen_ai.token.type",
  embeddingsDimensionCount: "gen_ai.embeddings.dimension.count",
  toolName: "gen_ai.tool.name",
  toolCallId: "gen_ai.tool.call.id",
  toolDescription: "gen_ai.tool.description",
  toolType: "gen_ai.tool.type",
  toolCallArguments: "gen_ai.tool.call.arguments",
  toolCallResult: "gen_ai.tool.call.result",
  agentName: "gen_ai.agent.name",
  agentDescription: "gen_ai.agent.description",
  conversationId: "gen_ai.conversation.id",
  inputMessages: "gen_ai.input.messages",
  outputMessages: "gen_ai.output.messages",
  systemInstructions: "gen_ai.system_instructions",
  guardrailId: "aws.bedrock.guardrail.id",
  serverAddress: "server.address",
  serverPort: "server.port",
  errorType: "error.type",
  httpStatusCode: "http.response.status_code",
  // the library's own
  api: "bedrock_llm.api",
  retryAttempt: "bedrock_llm.retry.attempt",
  retryDelayMs: "bedrock_llm.retry.delay_ms",
  breakerFrom: "bedrock_llm.circuit_breaker.from",
  breakerTo: "bedrock_llm.circuit_breaker.to",
  cacheOutcome: "bedrock_llm.cache.outcome",
  embeddingsTexts: "bedrock_llm.embeddings.texts",
  agentSteps: "bedrock_llm.agent.steps",
  costUsd: "bedrock_llm.cost.usd"
} as const

/** `gen_ai.token.type` values. */
export type TokenType = "input" | "output"

/**
 * The conventions' fallback value: the `error.type` of a failure that is not one of the library's tagged errors, and
 * the name metrics record once too many distinct model, tool or agent names were seen.
 */
export const OTHER = "_OTHER"

/** Span event names. */
export const SpanEvent = {
  retry: "bedrock_llm.retry"
} as const

/** Metric names: the conventions' client metrics, then the library's own. */
export const MetricName = {
  tokenUsage: "gen_ai.client.token.usage",
  operationDuration: "gen_ai.client.operation.duration",
  timeToFirstChunk: "gen_ai.client.operation.time_to_first_chunk",
  retries: "bedrock_llm.client.retries",
  throttles: "bedrock_llm.client.throttles",
  cost: "bedrock_llm.client.cost",
  breakerTransitions: "bedrock_llm.circuit_breaker.transitions",
  embeddingsCache: "bedrock_llm.embeddings.cache.lookups",
  toolCalls: "bedrock_llm.tool.calls",
  agentSteps: "bedrock_llm.agent.steps"
} as const

/** The explicit bucket boundaries the conventions give `gen_ai.client.token.usage` (powers of 4 up to 4^13). */
export const TOKEN_BUCKETS: ReadonlyArray<number> = [
  1,
  4,
  16,
  64,
  256,
  1024,
  4096,
  16384,
  65536,
  262144,
  1048576,
  4194304,
  16777216,
  67108864
]

/**
 * The explicit bucket boundaries, in seconds, the conventions give `gen_ai.client.operation.duration` (and, like it,
 * `time_to_first_chunk`): 10 ms doubling up to 81.92 s.
 */
export const DURATION_BUCKETS: ReadonlyArray<number> = [
  0.01,
  0.02,
  0.04,
  0.08,
  0.16,
  0.32,
  0.64,
  1.28,
  2.56,
  5.12,
  10.24,
  20.48,
  40.96,
  81.92
]
