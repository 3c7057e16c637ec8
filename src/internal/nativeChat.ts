/**
 * OpenAI-style chat bodies shared by Mistral (chat) and AI21 Jamba: `messages` with system / user / assistant /
 * tool roles, `tools` of type `function`, and `choices` in responses and stream chunks.
 *
 * @internal
 */
import * as Either from "effect/Either"
import * as Predicate from "effect/Predicate"
import type * as NativeBody from "../families/NativeBody.js"
import type * as Message from "../Message.js"
import type * as Response from "../Response.js"
import { parseJson } from "./json.js"
import { EventWriter, type Json, jsonText, recordAt, stringAt } from "./native.js"
import { blockName, systemTexts, toolResultText, toolSpecs, unsupported } from "./nativeEncode.js"

/** The `messages` and `tools` of a chat body; tool choice is the caller's. */
export const chatMessages = (
  family: string,
  request: NativeBody.EncodeRequest
): Either.Either<
  { readonly messages: Array<Json>; readonly tools: Array<Json> },
  NativeBody.UnsupportedFeature
> =>
  Either.gen(function*() {
    const modelId = request.model.modelId
    const messages: Array<Json> = []
    const system = yield* systemTexts(family, request)
    if (system.length > 0) messages.push({ role: "system", content: system.join("\n\n") })
    for (const message of request.messages) {
      const texts: Array<string> = []
      const calls: Array<Json> = []
      const results: Array<Json> = []
      for (const block of message.content) {
        switch (block._tag) {
          case "Text":
            texts.push(block.text)
            break
          case "CitationsContent":
            texts.push(block.content.map((part) => part.text).join(""))
            break
          case "ToolUse":
            calls.push({
              id: block.toolUseId,
              type: "function",
              function: { name: block.name, arguments: jsonText(block.input ?? {}) }
            })
            break
          case "ToolResult":
            results.push({
              role: "tool",
              tool_call_id: block.toolUseId,
              content: yield* toolResultText(family, modelId, block)
            })
            break
          case "Reasoning":
          case "RedactedReasoning":
            break
          default:
            return yield* Either.left(unsupported(family, blockName(block), modelId))
        }
      }
      messages.push(...results)
      if (message.role === "assistant") {
        if (texts.length > 0 || calls.length > 0) {
          messages.push({
            role: "assistant",
            content: texts.join("\n"),
            ...(calls.length > 0 ? { tool_calls: calls } : {})
          })
        }
      } else if (texts.length > 0) messages.push({ role: "user", content: texts.join("\n") })
    }
    const specs = yield* toolSpecs(family, modelId, request.toolConfig)
    const tools = specs.flatMap((spec) =>
      spec._tag === "ToolSpec"
        ? [{
          type: "function",
          function: {
            name: spec.name,
            ...(spec.description !== undefined ? { description: spec.description } : {}),
            parameters: spec.inputSchema
          }
        }]
        : []
    )
    return { messages, tools }
  })

/** OpenAI-style finish reasons as library stop reasons. */
export const finishReasonOf = (reason: string | undefined): Response.StopReason => {
  switch (reason) {
    case undefined:
    case "stop":
    case "end_turn":
      return "end_turn"
    case "length":
      return "max_tokens"
    case "tool_calls":
      return "tool_use"
    case "content_filter":
      return "content_filtered"
    case "model_length":
      return "model_context_window_exceeded"
    default:
      return reason
  }
}

const toolUseOf = (raw: unknown): Message.ToolUse | undefined => {
  if (!Predicate.isRecord(raw)) return undefined
  const fn = recordAt(raw, "function") ?? {}
  const args = fn["arguments"]
  const input = typeof args === "string" ? Either.getOrElse(parseJson(args), () => args) : args ?? {}
  return { _tag: "ToolUse", toolUseId: stringAt(raw, "id") ?? "", name: stringAt(fn, "name") ?? "", input }
}

/** The content of a chat `message`: its text, then its tool calls. */
export const messageContent = (message: Json): Array<Message.ContentBlock> => {
  const content: Array<Message.ContentBlock> = []
  const text = stringAt(message, "content")
  if (text !== undefined && text.length > 0) content.push({ _tag: "Text", text })
  const calls = message["tool_calls"]
  if (Array.isArray(calls)) {
    for (const call of calls) {
      const use = toolUseOf(call)
      if (use !== undefined) content.push(use)
    }
  }
  return content
}

/**
 * A chat stream decoder: text from `delta.content` (or `message.content`), tool calls from `tool_calls` (whole or in
 * OpenAI-style pieces by `index`), the stop reason from `finish_reason` / `stop_reason`.
 */
export class ChatStream {
  readonly writer = new EventWriter()
  private calls = new Map<number, { id: string; name: string; args: string }>()
  private finish: string | undefined

  choice(choice: Json): void {
    this.writer.start()
    const delta = recordAt(choice, "delta") ?? recordAt(choice, "message") ?? {}
    const text = stringAt(delta, "content")
    if (text !== undefined) this.writer.text(text)
    const calls = delta["tool_calls"]
    if (Array.isArray(calls)) {
      calls.forEach((raw, position) => {
        if (!Predicate.isRecord(raw)) return
        const index = typeof raw["index"] === "number" ? raw["index"] : this.calls.size + position
        const fn = recordAt(raw, "function") ?? {}
        const current = this.calls.get(index) ?? { id: "", name: "", args: "" }
        const args = fn["arguments"]
        this.calls.set(index, {
          id: current.id + (stringAt(raw, "id") ?? ""),
          name: current.name + (stringAt(fn, "name") ?? ""),
          args: current.args + (typeof args === "string" ? args : args === undefined ? "" : JSON.stringify(args))
        })
      })
    }
    this.finish = stringAt(choice, "finish_reason") ?? stringAt(choice, "stop_reason") ?? this.finish
  }

  /** Flushes tool calls and writes `MessageStop` once the finish reason is known. */
  stop(): void {
    if (this.finish === undefined || this.writer.hasStopped) return
    for (const call of [...this.calls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call)) {
      this.writer.toolUse(call.id, call.name, call.args.length > 0 ? call.args : "{}")
    }
    this.calls.clear()
    this.writer.stop(finishReasonOf(this.finish))
  }

  take(): Either.Either<ReadonlyArray<Response.StreamEvent>, string> {
    return Either.right(this.writer.take())
  }
}
