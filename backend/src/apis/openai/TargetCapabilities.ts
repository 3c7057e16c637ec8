/**
 * What the models that may serve a request (an alias's targets, or one catalog entry) can all take: a request is
 * checked against every target, since a fallback must be able to serve it too.
 *
 * @since 0.1.0
 */
import type { ModelCatalog } from "bedrock-llm"

/**
 * The capabilities every target has, their families and the smallest output limit.
 *
 * @since 0.1.0
 * @category models
 */
export interface Capabilities {
  readonly tools: boolean
  readonly streamingToolUse: boolean
  readonly vision: boolean
  readonly documents: boolean
  readonly reasoning: boolean
  readonly promptCaching: boolean
  readonly families: ReadonlySet<ModelCatalog.Family>
  readonly maxOutputTokens: number
}

/**
 * The capabilities of a model's targets.
 *
 * @since 0.1.0
 * @category constructors
 */
export const capabilitiesOf = (targets: ReadonlyArray<ModelCatalog.ModelInfo>): Capabilities => {
  const every = (has: (info: ModelCatalog.ModelInfo) => boolean) => targets.every(has)
  return {
    tools: every((info) => info.capabilities.tools),
    streamingToolUse: every((info) => info.capabilities.streamingToolUse),
    vision: every((info) => info.capabilities.vision),
    documents: every((info) => info.capabilities.documents),
    reasoning: every((info) => info.capabilities.reasoning),
    promptCaching: every((info) => info.capabilities.promptCaching),
    families: new Set(targets.map((info) => info.family)),
    maxOutputTokens: Math.min(...targets.map((info) => info.maxOutputTokens))
  }
}
