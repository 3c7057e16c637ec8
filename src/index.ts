/**
 * bedrock-llm: Amazon Bedrock for Effect.
 *
 * @since 0.1.0
 */

/**
 * Messages and content blocks.
 *
 * @since 0.1.0
 */
export * as Message from "./Message.js"

/**
 * Responses, stop reasons, usage, stream events and their fold.
 *
 * @since 0.1.0
 */
export * as Response from "./Response.js"

/**
 * Tool configuration and conversation validation.
 *
 * @since 0.1.0
 */
export * as Conversation from "./Conversation.js"

/**
 * Model ids, limits, capabilities, prices and cost accounting.
 *
 * @since 0.1.0
 */
export * as ModelCatalog from "./ModelCatalog.js"

/**
 * Typed errors: one class per Bedrock exception and the library's own, SDK error mapping.
 *
 * @since 0.1.0
 */
export * as BedrockError from "./BedrockError.js"

/**
 * Client, model, retry and circuit breaker configuration, with defaults and environment variables.
 *
 * @since 0.1.0
 */
export * as BedrockConfig from "./BedrockConfig.js"

/**
 * The former name of `BedrockConfig` (it shadowed `effect/Config`).
 *
 * @deprecated Use `BedrockConfig`; this alias goes in the next release.
 * @since 0.1.0
 */
export * as Config from "./BedrockConfig.js"

/**
 * Retry schedules, request and stream timeouts, stream retry without replay.
 *
 * @since 0.1.0
 */
export * as Resilience from "./Resilience.js"

/**
 * The raw Bedrock Runtime service: one SDK client in a scoped Layer, one Effect or Stream per operation.
 *
 * @since 0.1.0
 */
export * as BedrockRuntime from "./BedrockRuntime.js"

/**
 * The high-level client: generate, stream, generateObject, batch, with resilience, accounting and hooks.
 *
 * @since 0.1.0
 */
export * as BedrockClient from "./BedrockClient.js"

/**
 * A circuit breaker service over Ref and Clock: closed, open, half-open.
 *
 * @since 0.1.0
 */
export * as CircuitBreaker from "./CircuitBreaker.js"

/**
 * A `BedrockRuntime` on real Bedrock when AWS credentials and a region are configured, else on the embedded emulator.
 *
 * @since 0.1.0
 */
export * as LocalBedrock from "./LocalBedrock.js"

/**
 * Native InvokeModel bodies per model family (Claude, Nova, Llama, Titan, Mistral, Cohere, Jamba) and their lookup.
 *
 * @since 0.1.0
 */
export * as NativeBodies from "./NativeBodies.js"

/**
 * The former name of `NativeBodies`.
 *
 * @deprecated Use `NativeBodies`; this alias goes in the next release.
 * @since 0.1.0
 */
export * as Models from "./Models.js"

/**
 * The embeddings client: Titan and Cohere embeddings with batching, deduplication, retries and a cache.
 *
 * @since 0.1.0
 */
export * as EmbeddingsClient from "./EmbeddingsClient.js"

/**
 * Vector similarity for small in-memory retrieval: dot, cosine, normalize, topK.
 *
 * @since 0.1.0
 */
export * as Similarity from "./Similarity.js"

/**
 * A Promise facade for code that does not use Effect: `PromiseClient.createClient(config)`.
 *
 * @since 0.1.0
 */
export * as PromiseClient from "./PromiseClient.js"

/**
 * The former name of `PromiseClient`.
 *
 * @deprecated Use `PromiseClient`; this alias goes in the next release.
 * @since 0.1.0
 */
export * as BedrockLlm from "./Promise.js"

/**
 * Tools as Schema-typed values: parameters, success and failure Schemas, handlers provided through Layers.
 *
 * @since 0.1.0
 */
export * as Tool from "./Tool.js"

/**
 * Sets of tools offered together, with one Layer for all their handlers.
 *
 * @since 0.1.0
 */
export * as Toolkit from "./Toolkit.js"

/**
 * The agent loop: supervised parallel tools, limits, replay, approval, structured output, agents as tools.
 *
 * @since 0.1.0
 */
export * as Agent from "./Agent.js"

/**
 * Conversation memory: a Ref-backed service per conversation id, written through to a versioned MemoryStore.
 *
 * @since 0.1.0
 */
export * as ConversationMemory from "./ConversationMemory.js"

/**
 * Pruning strategies that keep conversations valid: sliding window, token budget, tool-result truncation, summaries.
 *
 * @since 0.1.0
 */
export * as Pruning from "./Pruning.js"

/**
 * Versioned conversation stores: in memory and over a KeyValueStore (files); DynamoDB is `bedrock-llm/DynamoDBMemoryStore`.
 *
 * @since 0.1.0
 */
export * as MemoryStore from "./MemoryStore.js"

/**
 * A scripted `BedrockRuntime` for unit tests: answers, streams, tool calls, errors and delays on the `Clock`.
 *
 * @since 0.1.0
 */
export * as ScriptedBedrock from "./ScriptedBedrock.js"
