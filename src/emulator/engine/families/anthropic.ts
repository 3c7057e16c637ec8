/**
 * Anthropic Claude's native Messages body on InvokeModel: request (`anthropic_version`, `max_tokens`, `messages`,
 * `system`, `tools`, `tool_choice`, `thinking`, `cache_control`), response and stream chunks.
 *
 * @internal
 */
import type { Answer, AnswerBlock } from "../answer.js"
import type { ModelInfo } from "../catalog.js"
import type { Part, ToolChoice, ToolDef } from "../conversation.js"
import { PromptUnits, toolUnit, turnUnits } from "../conversation.js"
import { stableId } from "../hash.js"
import { decodeBase64, isArray, isRecord, isString, type Json } from "../json.js"
import type { InputLimit } from "../limits.js"
import { MediaLimits } from "../limits.js"
import type { ImageFormat } from "../media.js"
import { reject, rejectMalformed, rejectModel } from "../reject.js"
import { chunks as pieces, deltas } from "../tokens.js"
import { checkToolPairs, parseThinking } from "../validate.js"
import type { NativeRequest, NativeUsage } from "./common.js"
import { checkKeys, nativeBody, numberField, stringList, withMetrics } from "./common.js"

const ALLOWED = [
  "anthropic_version",
  "anthropic_beta",
  "max_tokens",
  "messages",
  "system",
  "stop_sequences",
  "temperature",
  "top_p",
  "top_k",
  "tools",
  "tool_choice",
  "thinking",
  "metadata",
  "output_config",
  "context_management",
  "container",
  "mcp_servers",
  "service_tier"
]

type Block = Part | "cache"

const textOf = (content: unknown): string =>
  isString(content)
    ? content
    : isArray(content)
    ? content.map((c) => (isRecord(c) && isString(c["text"]) ? c["text"] : "")).join("\n")
    : ""

const MEDIA_TYPES: ReadonlyArray<string> = ["image/jpeg", "image/png", "image/gif", "image/webp"]

/** An image block's source: base64 bytes in one of Claude's media types, checked by the request's media limits. */
const parseImage = (raw: Json, path: string, media: MediaLimits): Part => {
  const source = isRecord(raw["source"]) ? raw["source"] : rejectModel(`${path}.source: Field required`)
  if (source["type"] !== "base64") {
    media.imageReference()
    return { kind: "media", what: "image", format: "url" }
  }
  const mediaType = source["media_type"]
  if (!isString(mediaType) || !MEDIA_TYPES.includes(mediaType)) {
    return rejectModel(
      `${path}.image.source.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'`
    )
  }
  const bytes = isString(source["data"]) ? decodeBase64(source["data"]) : undefined
  if (bytes === undefined) return rejectModel(`${path}.source.base64.data: The image data is not valid base64`)
  const format = mediaType.slice("image/".length) as ImageFormat
  media.image(path, format, bytes)
  return { kind: "media", what: "image", format }
}

/** A tool result's content: its text, with its images checked and counted like any other. */
const toolResultContent = (content: unknown, path: string, media: MediaLimits): string => {
  if (isArray(content)) {
    content.forEach((c, k) => {
      if (isRecord(c) && c["type"] === "image") parseImage(c, `${path}.tool_result.content.${k}`, media)
    })
  }
  return textOf(content)
}

const parseBlock = (raw: unknown, path: string, role: string, media: MediaLimits): Array<Block> => {
  if (!isRecord(raw)) return rejectModel(`${path}: Input should be a valid dictionary`)
  const out: Array<Block> = []
  switch (raw["type"]) {
    case "text": {
      if (!isString(raw["text"])) return rejectModel(`${path}.text: Field required`)
      if (raw["text"].trim().length === 0) {
        return rejectModel("messages: text content blocks must contain non-whitespace text")
      }
      out.push({ kind: "text", text: raw["text"] })
      break
    }
    case "image":
      out.push(parseImage(raw, path, media))
      break
    case "document": {
      const source = isRecord(raw["source"]) ? raw["source"] : rejectModel(`${path}.source: Field required`)
      let text = ""
      if (source["type"] === "text" && isString(source["data"])) text = source["data"]
      else if (source["type"] === "content") text = textOf(source["content"])
      else if (isString(source["data"])) {
        const bytes = decodeBase64(source["data"])
        text = bytes === undefined ? "" : `[document of ${bytes.length} bytes]`
      }
      const citations = isRecord(raw["citations"]) && raw["citations"]["enabled"] === true
      const name = isString(raw["title"]) ? raw["title"] : "document"
      media.document(name, text.length)
      out.push({ kind: "document", name, text, citations })
      break
    }
    case "tool_use": {
      if (role !== "assistant") return rejectModel(`${path}: tool_use blocks are only allowed in assistant messages`)
      if (!isString(raw["id"]) || !isString(raw["name"])) return rejectModel(`${path}.id: Field required`)
      out.push({ kind: "toolUse", id: raw["id"], name: raw["name"], input: raw["input"] ?? {} })
      break
    }
    case "tool_result": {
      if (role !== "user") return rejectModel(`${path}: tool_result blocks are only allowed in user messages`)
      if (!isString(raw["tool_use_id"])) return rejectModel(`${path}.tool_use_id: Field required`)
      out.push({
        kind: "toolResult",
        id: raw["tool_use_id"],
        text: toolResultContent(raw["content"], path, media),
        status: raw["is_error"] === true ? "error" : "success"
      })
      break
    }
    case "thinking":
      out.push({ kind: "reasoning", text: isString(raw["thinking"]) ? raw["thinking"] : "" })
      break
    case "redacted_thinking":
      break
    case "search_result":
      out.push({
        kind: "document",
        name: isString(raw["title"]) ? raw["title"] : "search result",
        text: textOf(raw["content"]),
        citations: false
      })
      break
    default:
      return rejectModel(
        `${path}: Input tag '${String(raw["type"])}' found using 'type' does not match any of the expected tags`
      )
  }
  if (isRecord(raw["cache_control"])) out.push("cache")
  return out
}

const parseTools = (raw: unknown): Array<ToolDef | "cache"> => {
  if (raw === undefined || raw === null) return []
  if (!isArray(raw)) return rejectModel("tools: Input should be a valid list")
  const out: Array<ToolDef | "cache"> = []
  const names = new Set<string>()
  raw.forEach((t, i) => {
    if (!isRecord(t) || !isString(t["name"])) return rejectModel(`tools.${i}.name: Field required`)
    if (names.has(t["name"])) return rejectModel("tools: Tool names must be unique.")
    names.add(t["name"])
    const schema = t["input_schema"] ?? (isString(t["type"]) ? { type: "object", properties: {} } : undefined)
    if (!isRecord(schema)) return rejectModel(`tools.${i}.custom.input_schema: Field required`)
    out.push({ name: t["name"], description: isString(t["description"]) ? t["description"] : "", schema })
    if (isRecord(t["cache_control"])) out.push("cache")
  })
  return out
}

const parseChoice = (raw: unknown, tools: ReadonlyArray<ToolDef>): ToolChoice => {
  if (raw === undefined || raw === null) return { kind: "auto" }
  if (!isRecord(raw)) return rejectModel("tool_choice: Input should be a valid dictionary")
  switch (raw["type"]) {
    case "auto":
      return { kind: "auto" }
    case "any":
      return { kind: "any" }
    case "none":
      return { kind: "none" }
    case "tool": {
      const name = raw["name"]
      if (!isString(name)) return rejectModel("tool_choice.tool.name: Field required")
      if (!tools.some((t) => t.name === name)) return rejectModel(`tool_choice.name: Tool '${name}' not found in tools`)
      return { kind: "tool", name }
    }
    default:
      return rejectModel(
        `tool_choice: Input tag '${
          String(raw["type"])
        }' found using 'type' does not match any of the expected tags: 'auto', 'any', 'tool', 'none'`
      )
  }
}

/** Parses a Claude Messages body. @internal */
export const parse = (model: ModelInfo, input: unknown, limit: InputLimit): NativeRequest => {
  const body = nativeBody(input)
  checkKeys(body, ["anthropic_version", "max_tokens", "messages"], ALLOWED)
  if (body["anthropic_version"] !== "bedrock-2023-05-31") {
    return rejectMalformed([`#/anthropic_version: ${String(body["anthropic_version"])} is not a valid enum value`])
  }
  const maxTokens = body["max_tokens"]
  if (typeof maxTokens !== "number" || !Number.isInteger(maxTokens) || maxTokens < 1) {
    return rejectModel("max_tokens: Input should be a valid integer greater than or equal to 1")
  }
  if (maxTokens > model.maxOutputTokens) {
    return rejectModel(
      `max_tokens: ${maxTokens} > ${model.maxOutputTokens}, which is the maximum allowed number of output tokens for ${model.nativeName}`
    )
  }
  const temperature = numberField(body, "temperature", 0, 1)
  numberField(body, "top_p", 0, 1)
  const stopSequences = stringList(body, "stop_sequences")
  const thinking = parseThinking(body["thinking"], model, maxTokens, temperature, "thinking")
  const toolList = parseTools(body["tools"])
  const tools = toolList.filter((t): t is ToolDef => t !== "cache")
  const toolChoice = parseChoice(body["tool_choice"], tools)
  const system: Array<string | "cache"> = []
  if (isString(body["system"])) {
    if (body["system"].length > 0) system.push(body["system"])
  } else if (isArray(body["system"])) {
    body["system"].forEach((b, i) => {
      if (!isRecord(b) || !isString(b["text"])) return rejectModel(`system.${i}.text: Field required`)
      system.push(b["text"])
      if (isRecord(b["cache_control"])) system.push("cache")
    })
  } else if (body["system"] !== undefined) return rejectModel("system: Input should be a valid string")
  if (!isArray(body["messages"])) return rejectModel("messages: Input should be a valid list")
  const turns: Array<{ role: "user" | "assistant"; parts: Array<Part> }> = []
  const blocks: Array<Array<Block>> = []
  const media = new MediaLimits(model, "native")
  body["messages"].forEach((m, i) => {
    if (!isRecord(m)) return rejectModel(`messages.${i}: Input should be a valid dictionary`)
    const role = m["role"]
    const content = m["content"]
    if (role === "system") {
      system.push(textOf(content))
      return
    }
    if (role !== "user" && role !== "assistant") {
      return rejectModel(`messages.${i}.role: Input should be 'user' or 'assistant'`)
    }
    const parsed: Array<Block> = isString(content)
      ? content.trim().length === 0 && role === "user"
        ? rejectModel("messages: text content blocks must contain non-whitespace text")
        : [{ kind: "text", text: content }]
      : isArray(content)
      ? content.flatMap((b, j) => parseBlock(b, `messages.${i}.content.${j}`, role, media))
      : rejectModel(`messages.${i}.content: Input should be a valid list`)
    if (turns.length > 0 && turns[turns.length - 1]!.role === role) {
      return rejectModel(
        `messages: roles must alternate between "user" and "assistant", but found multiple "${role}" roles in a row`
      )
    }
    if (turns.length === 0 && role !== "user") return rejectModel("messages: first message must use the \"user\" role")
    turns.push({ role, parts: parsed.filter((p): p is Part => p !== "cache") })
    blocks.push(parsed)
  })
  if (turns.length === 0) return rejectModel("messages: at least one message is required")
  media.done()
  checkToolPairs(turns, model)
  const units = new PromptUnits(limit)
  let cachePoints = 0
  for (const t of toolList) {
    if (t === "cache") {
      cachePoints++
      units.cachePoint()
    } else toolUnit(units, t)
  }
  for (const s of system) {
    if (s === "cache") {
      cachePoints++
      units.cachePoint()
    } else units.text("system", s)
  }
  blocks.forEach((b, i) => {
    cachePoints += b.filter((x) => x === "cache").length
    turnUnits(units, turns[i]!.role, b)
  })
  if (cachePoints > 4) rejectModel(`A maximum of 4 blocks with cache_control may be provided. Found ${cachePoints}.`)
  if (cachePoints > 0 && !model.capabilities.cache) {
    reject(
      "You invoked an unsupported model or your request did not allow prompt caching. See the documentation for more information."
    )
  }
  return {
    conversation: {
      system: system.filter((s): s is string => s !== "cache"),
      turns,
      tools,
      toolChoice,
      maxTokens,
      stopSequences,
      thinking,
      guardrail: undefined,
      units: units.units
    },
    render: (answer, usage) => render(model, answer, usage)
  }
}

const nativeToolId = (id: string): string => `toolu_bdrk_01${stableId(22, id)}`

const contentOf = (block: AnswerBlock): Json => {
  switch (block.kind) {
    case "text":
      return { type: "text", text: block.text }
    case "toolUse":
      return { type: "tool_use", id: nativeToolId(block.id), name: block.name, input: block.input }
    case "reasoning":
      return { type: "thinking", thinking: block.text, signature: block.signature ?? "" }
    case "citation":
      return { type: "text", text: block.text, citations: [citationOf(block)] }
  }
}

const citationOf = (block: Extract<AnswerBlock, { kind: "citation" }>): Json => ({
  type: "char_location",
  cited_text: block.citation.source,
  document_index: block.citation.documentIndex,
  document_title: block.citation.title,
  start_char_index: block.citation.start,
  end_char_index: block.citation.end
})

const usageOf = (model: ModelInfo, usage: NativeUsage, output: number): Json => {
  const out: Json = { input_tokens: usage.inputTokens }
  if (model.capabilities.cache) {
    out["cache_creation_input_tokens"] = usage.cacheWrite
    out["cache_read_input_tokens"] = usage.cacheRead
  }
  out["output_tokens"] = output
  return out
}

const render = (model: ModelInfo, answer: Answer, usage: NativeUsage): { body: Json; chunks: Array<Json> } => {
  const id = `msg_bdrk_01${stableId(24, answer.key)}`
  const stopSequence = answer.stopSequence ?? null
  const body: Json = {
    id,
    type: "message",
    role: "assistant",
    content: answer.blocks.map(contentOf),
    model: model.nativeName,
    stop_reason: answer.stopReason === "guardrail_intervened" ? "end_turn" : answer.stopReason,
    stop_sequence: stopSequence,
    usage: usageOf(model, usage, answer.outputTokens)
  }
  const chunks: Array<Json> = [{
    type: "message_start",
    message: {
      id,
      type: "message",
      role: "assistant",
      content: [],
      model: model.nativeName,
      stop_reason: null,
      stop_sequence: null,
      usage: usageOf(model, usage, Math.min(1, answer.outputTokens))
    }
  }]
  answer.blocks.forEach((block, index) => {
    switch (block.kind) {
      case "text":
        chunks.push({ type: "content_block_start", index, content_block: { type: "text", text: "" } })
        for (const text of deltas(block.text)) {
          chunks.push({ type: "content_block_delta", index, delta: { type: "text_delta", text } })
        }
        break
      case "citation":
        chunks.push({ type: "content_block_start", index, content_block: { type: "text", text: "", citations: [] } })
        chunks.push({
          type: "content_block_delta",
          index,
          delta: { type: "citations_delta", citation: citationOf(block) }
        })
        for (const text of deltas(block.text)) {
          chunks.push({ type: "content_block_delta", index, delta: { type: "text_delta", text } })
        }
        break
      case "toolUse":
        chunks.push({
          type: "content_block_start",
          index,
          content_block: { type: "tool_use", id: nativeToolId(block.id), name: block.name, input: {} }
        })
        for (const partial_json of ["", ...pieces(JSON.stringify(block.input) ?? "{}", 12)]) {
          chunks.push({ type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json } })
        }
        break
      case "reasoning":
        chunks.push({
          type: "content_block_start",
          index,
          content_block: { type: "thinking", thinking: "", signature: "" }
        })
        for (const thinking of deltas(block.text)) {
          chunks.push({ type: "content_block_delta", index, delta: { type: "thinking_delta", thinking } })
        }
        if (block.signature !== undefined) {
          chunks.push({
            type: "content_block_delta",
            index,
            delta: { type: "signature_delta", signature: block.signature }
          })
        }
        break
    }
    chunks.push({ type: "content_block_stop", index })
  })
  chunks.push({
    type: "message_delta",
    delta: { stop_reason: body["stop_reason"], stop_sequence: stopSequence },
    usage: { output_tokens: answer.outputTokens }
  })
  chunks.push({ type: "message_stop" })
  return { body, chunks: withMetrics(chunks, usage) }
}
