/**
 * Dispatch of native InvokeModel bodies to their family.
 *
 * @internal
 */
import type { ModelInfo } from "../catalog.js"
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

/** Parses a text model's native request body. @internal */
export const parseNative = (model: ModelInfo, body: unknown): NativeRequest => {
  switch (model.family) {
    case "anthropic":
      return anthropic.parse(model, body)
    case "nova":
      return nova.parse(model, body)
    case "llama":
      return llama.parse(model, body)
    case "titan-text":
      return titan.parse(model, body)
    case "mistral":
      return mistral.parse(model, body)
    case "cohere-command-r":
      return cohere.parseCommandR(model, body)
    case "cohere-command":
      return cohere.parseCommand(model, body)
    case "jamba":
    case "openai":
      return jamba.parse(model, body)
    case "titan-embed":
    case "cohere-embed":
      return reject("The provided model doesn't support counting tokens.")
  }
}
