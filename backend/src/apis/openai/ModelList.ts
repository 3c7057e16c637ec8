/**
 * The gateway's models (aliases and catalog entries the key may use) as OpenAI's `model` objects. `created` is 0:
 * Bedrock's catalog gives no creation time. Pure.
 *
 * @since 0.1.0
 */
import type { ModelEntry } from "../../Gateway.js"
import type { Model } from "./OpenAiSchemas.js"

/**
 * Who publishes a model: the provider segment of its catalog id (`anthropic`, `amazon`, `meta`, ...).
 *
 * @since 0.1.0
 * @category utils
 */
export const ownerOf = (catalogId: string): string => {
  const dot = catalogId.indexOf(".")
  return dot <= 0 ? "bedrock" : catalogId.slice(0, dot)
}

/**
 * The `model` object of an entry.
 *
 * @since 0.1.0
 * @category translation
 */
export const modelOf = (entry: ModelEntry): Model => ({
  id: entry.id,
  object: "model",
  created: 0,
  owned_by: ownerOf(entry.info.id),
  display_name: entry.info.displayName,
  context_window: entry.info.contextWindow,
  max_output_tokens: entry.info.maxOutputTokens,
  alias: entry.alias
})
