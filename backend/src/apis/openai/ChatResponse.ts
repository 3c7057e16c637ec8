/**
 * The library's `Response` -> OpenAI's `chat.completion` object: text as `content`, tool uses as `tool_calls`, the
 * structured answer's tool input as JSON `content`, reasoning as `reasoning_content` and signed `thinking_blocks`
 * (extensions other gateways use too), Bedrock's stop reason as a `finish_reason`, and usage with cache reads in
 * `prompt_tokens_details.cached_tokens`. Pure.
 *
 * @since 0.1.0
 */
import { type Message, ModelCatalog, type Response } from "bedrock-llm"
import * as Encoding from "effect/Encoding"
import { randomBytes } from "node:crypto"
import type { ChatCompletion, CompletionUsage, FinishReason } from "./OpenAiSchemas.js"

/**
 * What every answer of one request shares: its id, time and model, and the tool whose input is the answer.
 *
 * @since 0.1.0
 * @category models
 */
export interface Identity {
  readonly id: string
  /** Unix seconds. */
  readonly created: number
  readonly model: string
  readonly answerTool: string | undefined
}

/**
 * A new completion id (`chatcmpl-` and 24 random hex digits).
 *
 * @since 0.1.0
 * @category constructors
 */
export const completionId = (): string => `chatcmpl-${randomBytes(12).toString("hex")}`

/**
 * OpenAI's usage of Bedrock's: `prompt_tokens` is every input token (Bedrock counts cache reads and writes apart),
 * `cached_tokens` the cache reads, `reasoning_tokens` (when the model reasoned) an estimate from its text.
 *
 * @since 0.1.0
 * @category translation
 */
export const usageOf = (usage: Response.Usage, reasoningText: string): CompletionUsage => {
  const cacheRead = usage.cacheReadInputTokens ?? 0
  const prompt = usage.inputTokens + cacheRead + (usage.cacheWriteInputTokens ?? 0)
  return {
    prompt_tokens: prompt,
    completion_tokens: usage.outputTokens,
    total_tokens: prompt + usage.outputTokens,
    prompt_tokens_details: { cached_tokens: cacheRead },
    ...(reasoningText === "" ? {} : {
      completion_tokens_details: {
        reasoning_tokens: Math.min(usage.outputTokens, ModelCatalog.estimateTokens(reasoningText))
      }
    })
  }
}

/**
 * The finish reason of a stop reason; a tool use that was the structured answer is a `stop`.
 *
 * @since 0.1.0
 * @category translation
 */
export const finishReasonOf = (stopReason: Response.StopReason, calledTools: boolean): FinishReason => {
  switch (stopReason) {
    case "tool_use":
      return calledTools ? "tool_calls" : "stop"
    case "max_tokens":
    case "model_context_window_exceeded":
      return "length"
    case "guardrail_intervened":
    case "content_filtered":
      return "content_filter"
    default:
      return calledTools ? "tool_calls" : "stop"
  }
}

/**
 * A reasoning block as a `thinking_blocks` entry.
 *
 * @since 0.1.0
 * @category translation
 */
export const thinkingBlockOf = (
  block: Message.Reasoning | Message.RedactedReasoning
): { readonly type: "thinking"; readonly thinking: string; readonly signature?: string } | {
  readonly type: "redacted_thinking"
  readonly data: string
} =>
  block._tag === "Reasoning"
    ? {
      type: "thinking",
      thinking: block.text,
      ...(block.signature === undefined ? {} : { signature: block.signature })
    }
    : { type: "redacted_thinking", data: Encoding.encodeBase64(block.data) }

/**
 * The `chat.completion` of a response.
 *
 * @since 0.1.0
 * @category translation
 */
export const completion = (response: Response.Response, identity: Identity): ChatCompletion => {
  let text = ""
  let answer: string | undefined
  let reasoning = ""
  const thinking: Array<ReturnType<typeof thinkingBlockOf>> = []
  const calls: Array<{ id: string; type: "function"; function: { name: string; arguments: string } }> = []
  for (const block of response.message.content) {
    switch (block._tag) {
      case "Text":
        text += block.text
        break
      case "CitationsContent":
        for (const part of block.content) text += part.text
        break
      case "Reasoning":
        reasoning += block.text
        thinking.push(thinkingBlockOf(block))
        break
      case "RedactedReasoning":
        thinking.push(thinkingBlockOf(block))
        break
      case "ToolUse":
        if (block.name === identity.answerTool && answer === undefined) answer = JSON.stringify(block.input ?? {})
        else {
          calls.push({
            id: block.toolUseId,
            type: "function",
            function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) }
          })
        }
        break
    }
  }
  // With a structured answer asked for, narration around the tool calls is not the answer (a stream leaves it out too).
  const content = answer ?? (calls.length > 0 && (text === "" || identity.answerTool !== undefined) ? null : text)
  return {
    id: identity.id,
    object: "chat.completion",
    created: identity.created,
    model: identity.model,
    choices: [{
      index: 0,
      message: {
        role: "assistant",
        content,
        refusal: null,
        annotations: [],
        ...(calls.length === 0 ? {} : { tool_calls: calls }),
        ...(reasoning === "" ? {} : { reasoning_content: reasoning }),
        ...(thinking.length === 0 ? {} : { thinking_blocks: thinking })
      },
      logprobs: null,
      finish_reason: finishReasonOf(response.stopReason, calls.length > 0)
    }],
    usage: usageOf(response.usage, reasoning),
    ...(response.serviceTier === undefined ? {} : { service_tier: response.serviceTier.type })
  }
}
