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
 * Model ids, limits, capabilities, prices and cost accounting.
 *
 * @since 0.1.0
 */
export * as ModelCatalog from "./ModelCatalog.js"
