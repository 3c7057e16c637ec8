/**
 * Message content on spans, only when the capture switch is on (it is off by default): the conventions'
 * `gen_ai.input.messages`, `gen_ai.output.messages` and `gen_ai.system_instructions` as JSON strings of
 * `{ role, parts }` messages, and a tool call's arguments and result. Bytes (images, documents, videos, redacted
 * reasoning) are never copied, only their kind and format; every string goes through the credential scrubber, so a
 * registered secret or an access key pasted into a prompt shows up as `[REDACTED]`; each attribute is cut at
 * `MAX_CONTENT_CHARS`.
 *
 * @internal
 */
import * as FiberRef from "effect/FiberRef"
import { globalValue } from "effect/GlobalValue"
import type * as Message from "../../Message.js"
import type * as Response from "../../Response.js"
import { redact } from "../redact.js"
import { type StopKind, stopKind } from "../stopReasons.js"
import type { Attributes } from "./attributes.js"
import { Attr } from "./conventions.js"

/**
 * Whether spans carry message content. One value for the whole process unless set per fiber (`Effect.locally`), and
 * shared by every copy of this module.
 */
export const captureContent: FiberRef.FiberRef<boolean> = globalValue(
  Symbol.for("bedrock-llm/Telemetry/captureContent"),
  () => FiberRef.unsafeMake(false)
)

/** The longest content attribute, in characters; longer ones end with `TRUNCATED`. */
export const MAX_CONTENT_CHARS = 32_768

/** What ends a content attribute that was cut. */
export const TRUNCATED = "…[truncated]"

/** One part of a message, in the conventions' shape (`text`, `tool_call`, `tool_call_response`, ...). */
type Part = Readonly<Record<string, unknown>>

const textParts = (texts: ReadonlyArray<{ readonly text: string }>): Array<Part> =>
  texts.map((text) => ({ type: "text", content: text.text }))

const mediaPart = (modality: string, format: string, source: Message.MediaSource): Part =>
  source._tag === "S3Location"
    ? { type: "uri", modality, format, uri: source.uri }
    : { type: modality, format }

/** The parts of one content block (bytes are left out). */
const partsOf = (block: Message.ContentBlock): Array<Part> => {
  switch (block._tag) {
    case "Text":
      return [{ type: "text", content: block.text }]
    case "ToolUse":
      return [{ type: "tool_call", id: block.toolUseId, name: block.name, arguments: block.input }]
    case "ToolResult":
      return [{
        type: "tool_call_response",
        id: block.toolUseId,
        response: block.content.flatMap((content) =>
          content._tag === "Text" ? [content.text] : content._tag === "Json" ? [content.json] : [`[${content._tag}]`]
        ),
        ...(block.status === undefined ? {} : { status: block.status })
      }]
    case "Reasoning":
      return [{ type: "reasoning", content: block.text }]
    case "CitationsContent":
      return textParts(block.content)
    case "Image":
      return [mediaPart("image", block.format, block.source)]
    case "Video":
      return [mediaPart("video", block.format, block.source)]
    case "Document":
      return [{ type: "document", format: block.format, name: block.name }]
    case "RedactedReasoning":
      return [{ type: "reasoning", redacted: true }]
    case "CachePoint":
      return []
    default:
      return [{ type: block._tag }]
  }
}

/** A message in the conventions' shape; a user message of tool results only is the `tool` role's. */
const messageOf = (message: Message.Message): { readonly role: string; readonly parts: Array<Part> } => {
  const toolResultsOnly = message.content.length > 0 && message.content.every((block) => block._tag === "ToolResult")
  return { role: toolResultsOnly ? "tool" : message.role, parts: message.content.flatMap(partsOf) }
}

/** JSON of a value, scrubbed of credentials and cut at `MAX_CONTENT_CHARS`. */
export const contentJson = (value: unknown): string => {
  const json = redact(JSON.stringify(value) ?? "null")
  return json.length <= MAX_CONTENT_CHARS ? json : json.slice(0, MAX_CONTENT_CHARS - TRUNCATED.length) + TRUNCATED
}

/**
 * The conversation sent to the model (`gen_ai.input.messages`) and its system blocks
 * (`gen_ai.system_instructions`, with the settings' `system` text first, as the request sends them).
 */
export const inputContentAttributes = (
  messages: ReadonlyArray<Message.Message>,
  system?: {
    readonly text?: string | undefined
    readonly blocks?: ReadonlyArray<Message.SystemContentBlock> | undefined
  }
): Attributes => {
  const instructions = [
    ...(system?.text === undefined || system.text === "" ? [] : [{ type: "text", content: system.text }]),
    ...(system?.blocks ?? []).flatMap((block) => block._tag === "Text" ? [{ type: "text", content: block.text }] : [])
  ]
  return {
    [Attr.inputMessages]: contentJson(messages.map(messageOf)),
    ...(instructions.length === 0 ? {} : { [Attr.systemInstructions]: contentJson(instructions) })
  }
}

/** The conventions' `finish_reason` of each kind of stop reason. */
const finishReasons: Record<StopKind, string> = {
  stop: "stop",
  length: "length",
  tools: "tool_call",
  filtered: "content_filter",
  error: "error"
}

/** The conventions' `finish_reason` of an output message, from Bedrock's stop reason (others kept as they are). */
export const finishReason = (stopReason: Response.StopReason): string => {
  const kind = stopKind(stopReason)
  return kind === undefined ? stopReason : finishReasons[kind]
}

/** The model's answer (`gen_ai.output.messages`). */
export const outputContentAttributes = (response: Response.Response): Attributes => ({
  [Attr.outputMessages]: contentJson([{
    ...messageOf(response.message),
    finish_reason: finishReason(response.stopReason)
  }])
})

/** A tool call's input and result (`gen_ai.tool.call.arguments`, `gen_ai.tool.call.result`). */
export const toolContentAttributes = (input: unknown, result?: Message.ToolResult): Attributes => ({
  [Attr.toolCallArguments]: contentJson(input),
  ...(result === undefined ? {} : { [Attr.toolCallResult]: contentJson(partsOf(result)[0]) })
})
