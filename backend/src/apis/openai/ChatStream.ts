/**
 * The library's stream events -> OpenAI's `chat.completion.chunk`s, in OpenAI's order: a first chunk with the role,
 * content deltas, tool call deltas (the first of each call with its `index`, `id`, `type` and `name`, then pieces of
 * `arguments`), a chunk with the `finish_reason`, and (with `stream_options.include_usage`) a last chunk with empty
 * `choices` and the usage, every other chunk carrying `usage: null`. The structured answer's tool input streams as
 * content. Pure: one translator per stream, fed one event at a time.
 *
 * @since 0.1.0
 */
import type { Response } from "bedrock-llm"
import { finishReasonOf, type Identity, thinkingBlockOf, usageOf } from "./ChatResponse.js"
import type { ChatCompletionChunk, ChunkDelta, ToolCallDelta } from "./OpenAiSchemas.js"

/**
 * Options of a translator.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options extends Identity {
  /** `stream_options.include_usage`. */
  readonly includeUsage: boolean
}

/**
 * A translator of one stream.
 *
 * @since 0.1.0
 * @category models
 */
export interface Translator {
  /** The chunks an event gives (often none or one). */
  readonly push: (event: Response.StreamEvent) => ReadonlyArray<ChatCompletionChunk>
  /** The chunks after the last event: the usage chunk when it was asked for and Bedrock reported usage. */
  readonly end: () => ReadonlyArray<ChatCompletionChunk>
}

/**
 * A translator for one stream.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Translator => {
  const toolIndexOfBlock = new Map<number, number>()
  const answerBlocks = new Set<number>()
  const reasoningOfBlock = new Map<number, string>()
  let reasoning = ""
  let started = false
  let usage: Response.Usage | undefined

  const chunk = (
    delta: ChunkDelta,
    finishReason: ChatCompletionChunk["choices"][number]["finish_reason"] = null
  ): ChatCompletionChunk => ({
    id: options.id,
    object: "chat.completion.chunk",
    created: options.created,
    model: options.model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    ...(options.includeUsage ? { usage: null } : {})
  })
  /** The first chunk: the role (sent once, before anything else). */
  const opening = (): Array<ChatCompletionChunk> => {
    if (started) return []
    started = true
    return [chunk({ role: "assistant", content: "", refusal: null })]
  }
  const withOpening = (next: ChatCompletionChunk): ReadonlyArray<ChatCompletionChunk> => [...opening(), next]
  const toolCall = (call: ToolCallDelta) => withOpening(chunk({ tool_calls: [call] }))

  const push = (event: Response.StreamEvent): ReadonlyArray<ChatCompletionChunk> => {
    switch (event._tag) {
      case "MessageStart":
        return opening()
      case "ContentBlockStart": {
        if (event.start._tag !== "ToolUseStart") return []
        if (event.start.name === options.answerTool && answerBlocks.size === 0) {
          answerBlocks.add(event.index)
          return []
        }
        const index = toolIndexOfBlock.size
        toolIndexOfBlock.set(event.index, index)
        return toolCall({
          index,
          id: event.start.toolUseId,
          type: "function",
          function: { name: event.start.name, arguments: "" }
        })
      }
      case "ContentBlockDelta": {
        const delta = event.delta
        switch (delta._tag) {
          case "TextDelta":
            // With a structured answer asked for, only the answer tool's input is content.
            return options.answerTool !== undefined || delta.text === ""
              ? []
              : withOpening(chunk({ content: delta.text }))
          case "ToolUseInputDelta": {
            if (delta.input === "") return []
            if (answerBlocks.has(event.index)) return withOpening(chunk({ content: delta.input }))
            const index = toolIndexOfBlock.get(event.index)
            return index === undefined ? [] : toolCall({ index, function: { arguments: delta.input } })
          }
          case "ReasoningTextDelta":
            reasoning += delta.text
            reasoningOfBlock.set(event.index, (reasoningOfBlock.get(event.index) ?? "") + delta.text)
            return delta.text === "" ? [] : withOpening(chunk({ reasoning_content: delta.text }))
          case "ReasoningSignatureDelta":
            return withOpening(chunk({
              thinking_blocks: [
                thinkingBlockOf({
                  _tag: "Reasoning",
                  text: reasoningOfBlock.get(event.index) ?? "",
                  signature: delta.signature
                })
              ]
            }))
          case "RedactedReasoningDelta":
            return withOpening(
              chunk({ thinking_blocks: [thinkingBlockOf({ _tag: "RedactedReasoning", data: delta.data })] })
            )
          default:
            return []
        }
      }
      case "MessageStop":
        return withOpening(chunk({}, finishReasonOf(event.stopReason, toolIndexOfBlock.size > 0)))
      case "Metadata":
        usage = event.usage
        return []
      default:
        return []
    }
  }

  const end = (): ReadonlyArray<ChatCompletionChunk> =>
    options.includeUsage && usage !== undefined
      ? [{
        id: options.id,
        object: "chat.completion.chunk",
        created: options.created,
        model: options.model,
        choices: [],
        usage: usageOf(usage, reasoning)
      }]
      : []

  return { push, end }
}
