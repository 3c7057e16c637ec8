/**
 * The mark every error of bedrock-llm carries, defined apart from `BedrockError` so that the modules
 * `BedrockError` re-exports from (`Conversation`, `ModelCatalog` ...) can carry it too.
 *
 * @internal
 */

/** The symbol behind `BedrockError.TypeId`. */
export const TypeId: unique symbol = Symbol.for("bedrock-llm/BedrockLlmError")

/** The type of `TypeId`. */
export type TypeId = typeof TypeId
