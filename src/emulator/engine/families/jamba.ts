/**
 * AI21 Jamba's and OpenAI gpt-oss' native chat bodies on InvokeModel (OpenAI-like `choices`, `usage`).
 *
 * @internal
 */
import type { ModelInfo } from "../catalog.js"
import { stableId, stableUuid } from "../hash.js"
import type { Json } from "../json.js"
import type { InputLimit } from "../limits.js"
import { deltas } from "../tokens.js"
import { chatMessage, finishReason, parseChat } from "./chat.js"
import type { NativeRequest } from "./common.js"
import { intField, nativeBody, numberField, stringList, withMetrics } from "./common.js"

/** A fixed `created` timestamp: the engine has no clock. */
const CREATED = 1_735_689_600

/** Parses a Jamba or gpt-oss chat body. @internal */
export const parse = (model: ModelInfo, input: unknown, limit: InputLimit): NativeRequest => {
  const body = nativeBody(input)
  const openai = model.family === "openai"
  const key = openai && body["max_completion_tokens"] !== undefined ? "max_completion_tokens" : "max_tokens"
  const maxTokens = intField(body, key, Math.min(4096, model.maxOutputTokens), 1, model.maxOutputTokens)
  numberField(body, "temperature", 0, 2)
  numberField(body, "top_p", 0, 1)
  const conversation = parseChat(model, body, maxTokens, stringList(body, "stop"), limit)
  return {
    conversation,
    render: (answer, usage) => {
      const id = openai ? `chatcmpl-${stableId(24, answer.key)}` : stableUuid(answer.key)
      const message = chatMessage(answer, openai ? 24 : 9)
      const finish = finishReason(answer)
      const usageJson: Json = {
        prompt_tokens: usage.inputTokens,
        completion_tokens: answer.outputTokens,
        total_tokens: usage.inputTokens + answer.outputTokens
      }
      const modelName = model.id.slice(model.id.indexOf(".") + 1).replace(/-v\d+:\d+$/, "")
      const head: Json = openai ? { id, object: "chat.completion", created: CREATED, model: modelName } : { id }
      const body: Json = {
        ...head,
        choices: [{ index: 0, message, finish_reason: finish }],
        usage: usageJson
      }
      if (!openai) body["meta"] = { requestDurationMillis: usage.latencyMs }
      const chunkHead: Json = openai ? { ...head, object: "chat.completion.chunk" } : { id }
      const text = typeof message["content"] === "string" ? message["content"] : ""
      const chunks: Array<Json> = [{
        ...chunkHead,
        choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }]
      }]
      if (text.length > 0) {
        for (const content of deltas(text)) {
          chunks.push({ ...chunkHead, choices: [{ index: 0, delta: { content }, finish_reason: null }] })
        }
      }
      if (message["tool_calls"] !== undefined) {
        chunks.push({
          ...chunkHead,
          choices: [{ index: 0, delta: { tool_calls: message["tool_calls"] }, finish_reason: null }]
        })
      }
      chunks.push({ ...chunkHead, choices: [{ index: 0, delta: {}, finish_reason: finish }], usage: usageJson })
      return { body, chunks: withMetrics(chunks, usage) }
    }
  }
}
