/**
 * Request-side helpers of the native families: the system prompt, the text of messages and tool results, tool
 * choices, each failing with `UnsupportedFeature` for what a family cannot carry.
 *
 * @internal
 */
import * as Either from "effect/Either"
import type * as Conversation from "../Conversation.js"
import { type EncodeRequest, UnsupportedFeature } from "../families/NativeBody.js"
import type * as Message from "../Message.js"
import { jsonText } from "./native.js"

/** An `UnsupportedFeature` for a family and model. */
export const unsupported = (family: string, feature: string, modelId: string, detail?: string): UnsupportedFeature =>
  new UnsupportedFeature({
    message: `${feature} ${detail ?? "is not supported"} on ${family} through InvokeModel (model ${modelId})`,
    family,
    feature,
    modelId
  })

/** A description of a block for error messages. */
export const blockName = (block: Message.ContentBlock | Message.SystemContentBlock): string => {
  switch (block._tag) {
    case "Text":
      return "text"
    case "Image":
      return "images"
    case "Document":
      return "documents"
    case "Video":
      return "video"
    case "ToolUse":
    case "ToolResult":
      return "tools"
    case "Reasoning":
    case "RedactedReasoning":
      return "reasoning blocks"
    case "CachePoint":
      return "prompt caching (cachePoint)"
    case "GuardContent":
      return "guardContent blocks"
    case "CitationsContent":
      return "citations"
    case "SearchResult":
      return "search results"
    case "Unknown":
      return `"${block.type}" blocks`
  }
}

/**
 * The system prompt as texts: the model's `system`, then the request's text blocks. Cache points are dropped when
 * `cachePoints` is `"drop"`, refused otherwise; every other block is refused.
 */
export const systemTexts = (
  family: string,
  request: EncodeRequest,
  options: { readonly cachePoints: "drop" | "refuse" } = { cachePoints: "refuse" }
): Either.Either<Array<string>, UnsupportedFeature> => {
  const texts: Array<string> = []
  if (request.model.system !== undefined && request.model.system.length > 0) texts.push(request.model.system)
  for (const block of request.system ?? []) {
    if (block._tag === "Text") texts.push(block.text)
    else if (block._tag === "CachePoint" && options.cachePoints === "drop") continue
    else return Either.left(unsupported(family, blockName(block), request.model.modelId, "in the system prompt"))
  }
  return Either.right(texts)
}

/** The text of a tool result's content (text as is, JSON serialized); other content is refused. */
export const toolResultText = (
  family: string,
  modelId: string,
  result: Message.ToolResult
): Either.Either<string, UnsupportedFeature> => {
  const parts: Array<string> = []
  for (const part of result.content) {
    if (part._tag === "Text") parts.push(part.text)
    else if (part._tag === "Json") parts.push(jsonText(part.json))
    else return Either.left(unsupported(family, blockName(part), modelId, "inside tool results"))
  }
  return Either.right(parts.join("\n"))
}

/** The tool specs of a configuration; cache points and system tools are refused. */
export const toolSpecs = (
  family: string,
  modelId: string,
  toolConfig: Conversation.ToolConfiguration | undefined,
  options: { readonly cachePoints: "keep" | "refuse" } = { cachePoints: "refuse" }
): Either.Either<Array<Conversation.ToolSpec | Message.CachePoint>, UnsupportedFeature> => {
  const out: Array<Conversation.ToolSpec | Message.CachePoint> = []
  for (const tool of toolConfig?.tools ?? []) {
    if (tool._tag === "ToolSpec") out.push(tool)
    else if (tool._tag === "CachePoint" && options.cachePoints === "keep") out.push(tool)
    else if (tool._tag === "CachePoint") {
      return Either.left(unsupported(family, "prompt caching (cachePoint)", modelId, "in tools"))
    } else if (tool._tag === "SystemTool") {
      return Either.left(unsupported(family, `the system tool "${tool.name}"`, modelId))
    } else return Either.left(unsupported(family, `"${tool.type}" tool entries`, modelId))
  }
  return Either.right(out)
}

/** Fails when tools are present (families without tools). */
export const noTools = (family: string, request: EncodeRequest): Either.Either<void, UnsupportedFeature> => {
  const hasToolBlocks = request.messages.some((m) =>
    m.content.some((b) => b._tag === "ToolUse" || b._tag === "ToolResult")
  )
  return (request.toolConfig !== undefined && request.toolConfig.tools.length > 0) || hasToolBlocks
    ? Either.left(unsupported(family, "tools", request.model.modelId))
    : Either.right(undefined)
}

/** Fails for a tool choice other than auto (families that only let the model decide). */
export const onlyAutoToolChoice = (
  family: string,
  modelId: string,
  toolConfig: Conversation.ToolConfiguration | undefined
): Either.Either<void, UnsupportedFeature> => {
  const choice = toolConfig?.toolChoice
  if (choice === undefined || choice._tag === "Auto") return Either.right(undefined)
  const what = choice._tag === "Any" ? "toolChoice any" : choice._tag === "Tool" ? "toolChoice tool" : "toolChoice"
  return Either.left(unsupported(family, what, modelId))
}

/**
 * The texts of a message for prompt-template families: text blocks in order; reasoning is dropped (the model never
 * needs it back); anything else is refused.
 */
export const plainText = (
  family: string,
  modelId: string,
  message: Message.Message
): Either.Either<string, UnsupportedFeature> => {
  const parts: Array<string> = []
  for (const block of message.content) {
    if (block._tag === "Text") parts.push(block.text)
    else if (block._tag === "Reasoning" || block._tag === "RedactedReasoning") continue
    else if (block._tag === "CitationsContent") parts.push(block.content.map((c) => c.text).join(""))
    else return Either.left(unsupported(family, blockName(block), modelId))
  }
  return Either.right(parts.join("\n"))
}
