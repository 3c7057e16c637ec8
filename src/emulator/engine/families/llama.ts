/**
 * Meta Llama's native body on InvokeModel: `{prompt, max_gen_len, temperature, top_p}` →
 * `{generation, prompt_token_count, generation_token_count, stop_reason}`; streams one token a chunk.
 *
 * @internal
 */
import type { ModelInfo } from "../catalog.js"
import type { Json } from "../json.js"
import type { InputLimit } from "../limits.js"
import { tokenize } from "../tokens.js"
import type { NativeRequest } from "./common.js"
import { checkKeys, intField, nativeBody, numberField, promptConversation, stringField, withMetrics } from "./common.js"

/** Parses a Llama body. @internal */
export const parse = (model: ModelInfo, input: unknown, limit: InputLimit): NativeRequest => {
  const body = nativeBody(input)
  checkKeys(body, ["prompt"], ["max_gen_len", "temperature", "top_p", "images"])
  const prompt = stringField(body, "prompt")
  const maxTokens = intField(body, "max_gen_len", Math.min(512, model.maxOutputTokens), 1, model.maxOutputTokens)
  numberField(body, "temperature", 0, 1)
  numberField(body, "top_p", 0, 1)
  return {
    conversation: promptConversation(prompt, maxTokens, [], limit),
    render: (answer, usage) => {
      const text = answer.blocks.map((b) => (b.kind === "toolUse" ? "" : b.text)).join("")
      const stop = answer.stopReason === "max_tokens" ? "length" : "stop"
      const body: Json = {
        generation: text,
        prompt_token_count: usage.inputTokens,
        generation_token_count: answer.outputTokens,
        stop_reason: stop
      }
      const tokens = tokenize(text)
      if (tokens.length === 0) tokens.push("")
      const chunks: Array<Json> = tokens.map((generation, i) => ({
        generation,
        prompt_token_count: i === 0 ? usage.inputTokens : null,
        generation_token_count: i + 1,
        stop_reason: i === tokens.length - 1 ? stop : null
      }))
      return { body, chunks: withMetrics(chunks, usage) }
    }
  }
}
