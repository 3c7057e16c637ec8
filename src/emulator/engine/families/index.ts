/**
 * Dispatch of native InvokeModel bodies to their family.
 *
 * @internal
 */
import type { ModelInfo } from "../catalog.js"
import type { InputLimit } from "../limits.js"
import { inputLimit } from "../limits.js"
import { reject } from "../reject.js"
import * as anthropic from "./anthropic.js"
import * as cohere from "./cohere.js"
import type { NativeRequest } from "./common.js"
import * as jamba from "./jamba.js"
import * as llama from "./llama.js"
import * as mistral from "./mistral.js"
import * as nova from "./nova.js"
import * as titan from "./titan.js"

export type { NativeRequest, NativeUsage } from "./common.js"

/**
 * Parses a text model's native request body. The prompt is held to the model's context window unless a `limit` says
 * otherwise (CountTokens counts without one).
 *
 * @internal
 */
export const parseNative = (model: ModelInfo, body: unknown, limit: InputLimit = inputLimit(model)): NativeRequest => {
  switch (model.family) {
    case "anthropic":
      return anthropic.parse(model, body, limit)
    case "nova":
      return nova.parse(model, body, limit)
    case "llama":
      return llama.parse(model, body, limit)
    case "titan-text":
      return titan.parse(model, body, limit)
    case "mistral":
      return mistral.parse(model, body, limit)
    case "cohere-command-r":
      return cohere.parseCommandR(model, body, limit)
    case "cohere-command":
      return cohere.parseCommand(model, body, limit)
    case "jamba":
    case "openai":
      return jamba.parse(model, body, limit)
    case "titan-embed":
    case "cohere-embed":
      return reject("The provided model doesn't support counting tokens.")
  }
}
