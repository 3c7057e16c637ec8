/**
 * Mistral's native bodies on InvokeModel: text completion (`{prompt, max_tokens, stop}` →
 * `{outputs: [{text, stop_reason}]}`) and chat (`{messages, tools}` → `{choices: [...]}`).
 *
 * @internal
 */
import type { ModelInfo } from "../catalog.js"
import type { Json } from "../json.js"
import type { InputLimit } from "../limits.js"
import { deltas } from "../tokens.js"
import { chatMessage, finishReason, parseChat } from "./chat.js"
import type { NativeRequest } from "./common.js"
import {
  checkKeys,
  intField,
  nativeBody,
  numberField,
  promptConversation,
  stringField,
  stringList,
  withMetrics
} from "./common.js"

const SAMPLING = ["max_tokens", "temperature", "top_p", "top_k", "stop"]

/** Parses a Mistral body (completion or chat). @internal */
export const parse = (model: ModelInfo, input: unknown, limit: InputLimit): NativeRequest => {
  const body = nativeBody(input)
  const maxTokens = () => intField(body, "max_tokens", Math.min(512, model.maxOutputTokens), 1, model.maxOutputTokens)
  if (body["messages"] !== undefined) {
    checkKeys(body, ["messages"], [...SAMPLING, "tools", "tool_choice", "response_format"])
    numberField(body, "temperature", 0, 1)
    const conversation = parseChat(model, body, maxTokens(), stringList(body, "stop"), limit)
    return {
      conversation,
      render: (answer, usage) => {
        const stop = finishReason(answer)
        const message = chatMessage(answer)
        const body: Json = { choices: [{ index: 0, message, stop_reason: stop }] }
        const text = typeof message["content"] === "string" ? message["content"] : ""
        const pieces = deltas(text)
        const chunks: Array<Json> = pieces.map((content, i) => ({
          choices: [{
            index: 0,
            message: i === pieces.length - 1 && message["tool_calls"] !== undefined
              ? { role: "assistant", content, tool_calls: message["tool_calls"] }
              : { role: "assistant", content },
            stop_reason: i === pieces.length - 1 ? stop : null
          }]
        }))
        return { body, chunks: withMetrics(chunks, usage) }
      }
    }
  }
  checkKeys(body, ["prompt"], SAMPLING)
  const prompt = stringField(body, "prompt")
  numberField(body, "temperature", 0, 1)
  numberField(body, "top_p", 0, 1)
  const conversation = promptConversation(prompt, maxTokens(), stringList(body, "stop"), limit)
  return {
    conversation,
    render: (answer, usage) => {
      const text = answer.blocks.map((b) => (b.kind === "toolUse" ? "" : b.text)).join("")
      const stop = answer.stopReason === "max_tokens" ? "length" : "stop"
      const pieces = deltas(text)
      return {
        body: { outputs: [{ text, stop_reason: stop }] },
        chunks: withMetrics(
          pieces.map((t, i) => ({ outputs: [{ text: t, stop_reason: i === pieces.length - 1 ? stop : null }] })),
          usage
        )
      }
    }
  }
}
