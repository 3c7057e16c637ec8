/**
 * `bedrock-llm/ai`: bedrock-llm as an `@effect/ai` provider (install `@effect/ai` ^0.37 to use it).
 *
 * @since 0.1.0
 */

/**
 * `@effect/ai`'s `LanguageModel` over `BedrockClient`: prompts, parts, tools, structured output, per-call settings.
 *
 * @since 0.1.0
 */
export * as BedrockLanguageModel from "./BedrockLanguageModel.js"

/**
 * The library's errors as `AiError`s (the original kept as the cause), and back.
 *
 * @since 0.1.0
 */
export * as BedrockAiError from "./BedrockAiError.js"

/**
 * `@effect/ai`'s `EmbeddingModel` over `EmbeddingsClient`: batching, deduplication, cache and dimensions included.
 *
 * @since 0.1.0
 */
export * as BedrockEmbeddingModel from "./BedrockEmbeddingModel.js"

/**
 * `@effect/ai`'s `Tokenizer` over Bedrock's CountTokens.
 *
 * @since 0.1.0
 */
export * as BedrockTokenizer from "./BedrockTokenizer.js"
