/**
 * The library's `Response` -> Anthropic's message (pure): content blocks (text with citations, thinking with its
 * signature, redacted thinking, tool use), the stop reason, the stop sequence and the usage with the cache counts.
 *
 * @since 0.1.0
 */
import type { Message, Response } from "bedrock-llm"
import type { Citation, ContentBlock, MessageResponse, StopReason, Usage } from "./AnthropicSchema.js"

/**
 * Bedrock's stop reason as Anthropic's: a guardrail or content filter is a `refusal`; malformed model output (which
 * Anthropic's API has no reason for) ends the turn.
 *
 * @since 0.1.0
 * @category utils
 */
export const stopReason = (reason: Response.StopReason): StopReason => {
  switch (reason) {
    case "tool_use":
    case "max_tokens":
    case "stop_sequence":
    case "end_turn":
    case "model_context_window_exceeded":
      return reason as StopReason
    case "guardrail_intervened":
    case "content_filtered":
      return "refusal"
    default:
      return "end_turn"
  }
}

/**
 * The stop sequence that ended the answer: Claude reports it in `additionalModelResponseFields.stop_sequence`.
 *
 * @since 0.1.0
 * @category utils
 */
export const stopSequence = (reason: Response.StopReason, fields: unknown): string | null => {
  if (reason !== "stop_sequence" || typeof fields !== "object" || fields === null) return null
  const value = (fields as Record<string, unknown>)["stop_sequence"]
  return typeof value === "string" ? value : null
}

/**
 * Bedrock's usage as Anthropic's (both count the cached prefix apart from `input_tokens`).
 *
 * @since 0.1.0
 * @category utils
 */
export const usage = (used: Response.Usage): Usage => ({
  input_tokens: used.inputTokens,
  output_tokens: used.outputTokens,
  cache_creation_input_tokens: used.cacheWriteInputTokens ?? 0,
  cache_read_input_tokens: used.cacheReadInputTokens ?? 0
})

/**
 * A citation of the answer as Anthropic's citation object (`char_location`, `page_location`,
 * `content_block_location`, `search_result_location`, `web_search_result_location`), or `undefined` for a location
 * Anthropic's API has no shape for.
 *
 * @since 0.1.0
 * @category utils
 */
export const citation = (cited: Message.Citation): Citation | undefined => {
  const citedText = (cited.sourceContent ?? []).map((part) => part.text).join("")
  const location = cited.location
  if (location === undefined) return undefined
  const document = { cited_text: citedText, document_title: cited.title ?? null }
  switch (location._tag) {
    case "DocumentChar":
      return {
        type: "char_location",
        ...document,
        document_index: location.documentIndex ?? 0,
        start_char_index: location.start ?? 0,
        end_char_index: location.end ?? 0
      }
    case "DocumentPage":
      return {
        type: "page_location",
        ...document,
        document_index: location.documentIndex ?? 0,
        start_page_number: location.start ?? 1,
        end_page_number: location.end ?? 1
      }
    case "DocumentChunk":
      return {
        type: "content_block_location",
        ...document,
        document_index: location.documentIndex ?? 0,
        start_block_index: location.start ?? 0,
        end_block_index: location.end ?? 0
      }
    case "SearchResultLocation":
      return {
        type: "search_result_location",
        cited_text: citedText,
        search_result_index: location.searchResultIndex ?? 0,
        source: cited.source ?? "",
        title: cited.title ?? null,
        start_block_index: location.start ?? 0,
        end_block_index: location.end ?? 0
      }
    case "Web":
      return {
        type: "web_search_result_location",
        cited_text: citedText,
        url: location.url ?? "",
        title: cited.title ?? null,
        encrypted_index: ""
      }
    case "UnknownLocation":
      return undefined
  }
}

const citationsOf = (citations: ReadonlyArray<Message.Citation>): Array<Citation> =>
  citations.flatMap((cited) => {
    const converted = citation(cited)
    return converted === undefined ? [] : [converted]
  })

/**
 * One block of an answer in Anthropic's shape; blocks Anthropic's API has no shape for (images a model made, server
 * tool results) are left out.
 *
 * @since 0.1.0
 * @category utils
 */
export const contentBlock = (block: Message.ContentBlock): ContentBlock | undefined => {
  switch (block._tag) {
    case "Text":
      return { type: "text", text: block.text, citations: null }
    case "CitationsContent":
      return {
        type: "text",
        text: block.content.map((part) => part.text).join(""),
        citations: citationsOf(block.citations)
      }
    case "Reasoning":
      return { type: "thinking", thinking: block.text, signature: block.signature ?? "" }
    case "RedactedReasoning":
      return { type: "redacted_thinking", data: Buffer.from(block.data).toString("base64") }
    case "ToolUse":
      return { type: "tool_use", id: block.toolUseId, name: block.name, input: block.input ?? {} }
    default:
      return undefined
  }
}

/**
 * A message answer: `id` is the gateway's, `model` the name the client asked for.
 *
 * @since 0.1.0
 * @category constructors
 */
export const toMessage = (
  response: Response.Response,
  options: { readonly id: string; readonly model: string }
): MessageResponse => ({
  id: options.id,
  type: "message",
  role: "assistant",
  model: options.model,
  content: response.message.content.flatMap((block) => {
    const converted = contentBlock(block)
    return converted === undefined ? [] : [converted]
  }),
  stop_reason: stopReason(response.stopReason),
  stop_sequence: stopSequence(response.stopReason, response.additionalModelResponseFields),
  usage: usage(response.usage)
})
