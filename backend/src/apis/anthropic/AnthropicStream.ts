/**
 * The library's stream events -> Anthropic's stream events (a pure state machine, fed one event at a time):
 *
 * - `message_start` (usage `input_tokens: 0`: Converse reports usage only at the end) and one `ping`, when the stream
 *   opens;
 * - `content_block_start` / `content_block_delta` / `content_block_stop` per block. Converse opens text and reasoning
 *   blocks with their first delta, so the translator opens them (`text`, `thinking` with an empty signature) on it;
 *   tool use starts with `{"type":"tool_use","id","name","input":{}}`. Deltas: `text_delta`, `input_json_delta`,
 *   `thinking_delta`, `signature_delta`, `citations_delta`; a redacted reasoning block is one `content_block_start`
 *   (`redacted_thinking` with its data) and its stop. Block indexes are renumbered from 0 in the order blocks open;
 * - `message_delta` (stop reason, stop sequence, and the whole usage: output, input and cache counts, which the SDK
 *   applies) and `message_stop`. Bedrock sends the stop reason before the usage (`messageStop`, then `metadata`), so
 *   the translator holds the first until the second arrives.
 *
 * @since 0.1.0
 */
import type { Response } from "bedrock-llm"
import * as AnthropicResponse from "./AnthropicResponse.js"
import type { ErrorBody, MessageResponse } from "./AnthropicSchema.js"

/**
 * One Anthropic stream event: its name (`event:`) and its data.
 *
 * @since 0.1.0
 * @category models
 */
export interface Event {
  readonly event: string
  readonly data: Readonly<Record<string, unknown>>
}

type BlockKind = "text" | "thinking" | "tool_use" | "redacted_thinking" | "skipped"

interface Block {
  readonly index: number
  readonly kind: BlockKind
  redacted?: Array<Uint8Array>
}

const event = (name: string, data: Record<string, unknown>): Event => ({ event: name, data: { type: name, ...data } })

/**
 * An `error` event carrying Anthropic's error body.
 *
 * @since 0.1.0
 * @category constructors
 */
export const errorEvent = (body: ErrorBody): Event => ({ event: "error", data: body })

/**
 * The translator of one stream.
 *
 * @since 0.1.0
 * @category models
 */
export class Translator {
  private readonly blocks = new Map<number, Block>()
  private nextIndex = 0
  private stop: typeof Response.MessageStop.Type | undefined
  private finished = false

  constructor(readonly options: { readonly id: string; readonly model: string }) {}

  /** The events that open the stream. */
  start(): ReadonlyArray<Event> {
    const message: MessageResponse = {
      id: this.options.id,
      type: "message",
      role: "assistant",
      model: this.options.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: null, cache_read_input_tokens: null }
    }
    return [event("message_start", { message }), event("ping", {})]
  }

  /** The events one library event becomes (often none or one). */
  next(input: Response.StreamEvent): ReadonlyArray<Event> {
    if (this.finished) return []
    switch (input._tag) {
      case "ContentBlockStart": {
        if (input.start._tag !== "ToolUseStart") {
          this.blocks.set(input.index, { index: -1, kind: "skipped" })
          return []
        }
        return this.open(input.index, "tool_use", {
          type: "tool_use",
          id: input.start.toolUseId,
          name: input.start.name,
          input: {}
        })
      }
      case "ContentBlockDelta":
        return this.delta(input.index, input.delta)
      case "ContentBlockStop":
        return this.close(input.index)
      case "MessageStop":
        this.stop = input
        return []
      case "Metadata":
        return this.finish(input.usage)
      default:
        return []
    }
  }

  /** The events that end the stream when it ended without Bedrock's usage (none once `message_stop` was sent). */
  end(): ReadonlyArray<Event> {
    return this.finished ? [] : this.finish(undefined)
  }

  private open(converseIndex: number, kind: BlockKind, contentBlock: Record<string, unknown>): Array<Event> {
    const block: Block = { index: this.nextIndex++, kind }
    this.blocks.set(converseIndex, block)
    return [event("content_block_start", { index: block.index, content_block: contentBlock })]
  }

  private ensure(converseIndex: number, kind: "text" | "thinking"): { block: Block; events: Array<Event> } {
    const existing = this.blocks.get(converseIndex)
    if (existing !== undefined) return { block: existing, events: [] }
    const events = this.open(
      converseIndex,
      kind,
      kind === "text" ? { type: "text", text: "", citations: null } : { type: "thinking", thinking: "", signature: "" }
    )
    return { block: this.blocks.get(converseIndex)!, events }
  }

  private delta(converseIndex: number, delta: Response.Delta): Array<Event> {
    const blockDelta = (kind: "text" | "thinking", data: Record<string, unknown>) => {
      const { block, events } = this.ensure(converseIndex, kind)
      if (block.kind === "skipped") return []
      return [...events, event("content_block_delta", { index: block.index, delta: data })]
    }
    switch (delta._tag) {
      case "TextDelta":
        return blockDelta("text", { type: "text_delta", text: delta.text })
      case "ReasoningTextDelta":
        return blockDelta("thinking", { type: "thinking_delta", thinking: delta.text })
      case "ReasoningSignatureDelta":
        return blockDelta("thinking", { type: "signature_delta", signature: delta.signature })
      case "CitationDelta": {
        const converted = AnthropicResponse.citation(delta.citation)
        return converted === undefined ? [] : blockDelta("text", { type: "citations_delta", citation: converted })
      }
      case "ToolUseInputDelta": {
        const block = this.blocks.get(converseIndex)
        if (block === undefined || block.kind !== "tool_use") return []
        return [event("content_block_delta", {
          index: block.index,
          delta: { type: "input_json_delta", partial_json: delta.input }
        })]
      }
      case "RedactedReasoningDelta": {
        const block = this.blocks.get(converseIndex)
        if (block === undefined) {
          this.blocks.set(converseIndex, { index: -1, kind: "redacted_thinking", redacted: [delta.data] })
        } else if (block.kind === "redacted_thinking") {
          block.redacted?.push(delta.data)
        }
        return []
      }
      default:
        return []
    }
  }

  private close(converseIndex: number): Array<Event> {
    const block = this.blocks.get(converseIndex)
    if (block === undefined || block.kind === "skipped") return []
    this.blocks.delete(converseIndex)
    if (block.kind === "redacted_thinking") {
      const data = Buffer.concat(block.redacted ?? []).toString("base64")
      const index = this.nextIndex++
      return [
        event("content_block_start", { index, content_block: { type: "redacted_thinking", data } }),
        event("content_block_stop", { index })
      ]
    }
    return [event("content_block_stop", { index: block.index })]
  }

  private finish(used: Response.Usage | undefined): Array<Event> {
    this.finished = true
    const open = [...this.blocks.keys()].flatMap((index) => this.close(index))
    const reason = this.stop?.stopReason ?? "end_turn"
    return [
      ...open,
      event("message_delta", {
        delta: {
          stop_reason: AnthropicResponse.stopReason(reason),
          stop_sequence: AnthropicResponse.stopSequence(reason, this.stop?.additionalModelResponseFields)
        },
        usage: used === undefined ? { output_tokens: 0 } : AnthropicResponse.usage(used)
      }),
      event("message_stop", {})
    ]
  }
}
