/**
 * Anthropic Claude's native Messages API on Bedrock (`anthropic_version: "bedrock-2023-05-31"`): system blocks,
 * messages with text, images and documents (base64), tool use and results, thinking with signatures, redacted
 * thinking, `cache_control` from `CachePoint` blocks, tools and `tool_choice`; responses and stream chunks
 * (`message_start`, `content_block_*`, `message_delta`, `message_stop`) decoded into the library's shapes.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Predicate from "effect/Predicate"
import { MalformedResponseError } from "../BedrockError.js"
import type * as Conversation from "../Conversation.js"
import {
  arrayAt,
  EventWriter,
  fromBase64,
  type Json,
  numberAt,
  recordAt,
  response,
  stopSequences,
  stringAt,
  toBase64,
  usage,
  usageFromMetrics,
  withModelFields
} from "../internal/native.js"
import { blockName, toolSpecs, unsupported } from "../internal/nativeEncode.js"
import type * as Message from "../Message.js"
import * as ModelCatalog from "../ModelCatalog.js"
import * as Response from "../Response.js"
import * as NativeBody from "./NativeBody.js"

const FAMILY = "Anthropic Claude"

/**
 * The `anthropic_version` Bedrock requires.
 *
 * @since 0.1.0
 * @category models
 */
export const ANTHROPIC_VERSION = "bedrock-2023-05-31"

/**
 * `max_tokens` when the model configuration sets none: 4096, or the model's output limit when lower.
 *
 * @since 0.1.0
 * @category models
 */
export const DEFAULT_MAX_TOKENS = 4096

const defaultMaxTokens = (modelId: string): number => {
  const info = ModelCatalog.resolve(modelId)
  return info._tag === "Some" && info.value.maxOutputTokens > 0
    ? Math.min(DEFAULT_MAX_TOKENS, info.value.maxOutputTokens)
    : DEFAULT_MAX_TOKENS
}

const cacheControl = (point: Message.CachePoint): Json =>
  point.ttl === undefined ? { type: "ephemeral" } : { type: "ephemeral", ttl: point.ttl }

/** Marks the last block of `blocks` with `cache_control`, or fails when there is none. */
const markCache = (
  blocks: Array<Json>,
  point: Message.CachePoint,
  modelId: string,
  where: string
): Either.Either<void, NativeBody.UnsupportedFeature> => {
  const last = blocks[blocks.length - 1]
  if (last === undefined) {
    return Either.left(unsupported(FAMILY, "a cachePoint with nothing before it", modelId, `in ${where}`))
  }
  blocks[blocks.length - 1] = { ...last, cache_control: cacheControl(point) }
  return Either.right(undefined)
}

const TEXT_DOCUMENTS: ReadonlySet<string> = new Set(["txt", "md", "csv", "html"])

const documentBlock = (
  block: Message.Document,
  modelId: string
): Either.Either<Json, NativeBody.UnsupportedFeature> => {
  const source = block.source
  let nativeSource: Json
  switch (source._tag) {
    case "Bytes":
      if (block.format === "pdf") {
        nativeSource = { type: "base64", media_type: "application/pdf", data: toBase64(source.bytes) }
      } else if (block.format !== undefined && TEXT_DOCUMENTS.has(block.format)) {
        nativeSource = { type: "text", media_type: "text/plain", data: new TextDecoder().decode(source.bytes) }
      } else {
        return Either.left(unsupported(FAMILY, `${block.format ?? "unknown"} documents`, modelId))
      }
      break
    case "Text":
      nativeSource = { type: "text", media_type: "text/plain", data: source.text }
      break
    case "Content":
      nativeSource = { type: "content", content: source.content.map((part) => ({ type: "text", text: part.text })) }
      break
    case "S3Location":
      return Either.left(unsupported(FAMILY, "documents from S3", modelId))
  }
  return Either.right({
    type: "document",
    source: nativeSource,
    title: block.name,
    ...(block.context !== undefined ? { context: block.context } : {}),
    ...(block.citations === true ? { citations: { enabled: true } } : {})
  })
}

const imageBlock = (
  block: Message.Image,
  modelId: string
): Either.Either<Json, NativeBody.UnsupportedFeature> =>
  block.source._tag === "Bytes"
    ? Either.right({
      type: "image",
      source: { type: "base64", media_type: `image/${block.format}`, data: toBase64(block.source.bytes) }
    })
    : Either.left(unsupported(FAMILY, "images from S3", modelId))

const toolResultBlock = (
  block: Message.ToolResult,
  modelId: string
): Either.Either<Json, NativeBody.UnsupportedFeature> =>
  Either.gen(function*() {
    const content: Array<Json> = []
    for (const part of block.content) {
      switch (part._tag) {
        case "Text":
          content.push({ type: "text", text: part.text })
          break
        case "Json":
          content.push({ type: "text", text: JSON.stringify(part.json) })
          break
        case "Image":
          content.push(yield* imageBlock(part, modelId))
          break
        case "Document":
          content.push(yield* documentBlock(part, modelId))
          break
        case "SearchResult":
          content.push(searchResultBlock(part))
          break
        default:
          return yield* Either.left(unsupported(FAMILY, blockName(part), modelId, "inside tool results"))
      }
    }
    return {
      type: "tool_result",
      tool_use_id: block.toolUseId,
      content,
      ...(block.status === "error" ? { is_error: true } : {})
    }
  })

const searchResultBlock = (block: Message.SearchResult): Json => ({
  type: "search_result",
  source: block.source,
  title: block.title,
  content: block.content.map((part) => ({ type: "text", text: part.text })),
  ...(block.citations === true ? { citations: { enabled: true } } : {})
})

const contentBlocks = (
  message: Message.Message,
  modelId: string
): Either.Either<Array<Json>, NativeBody.UnsupportedFeature> =>
  Either.gen(function*() {
    const blocks: Array<Json> = []
    for (const block of message.content) {
      switch (block._tag) {
        case "Text":
          blocks.push({ type: "text", text: block.text })
          break
        case "Image":
          blocks.push(yield* imageBlock(block, modelId))
          break
        case "Document":
          blocks.push(yield* documentBlock(block, modelId))
          break
        case "ToolUse":
          blocks.push({
            type: block.type === "server_tool_use" ? "server_tool_use" : "tool_use",
            id: block.toolUseId,
            name: block.name,
            input: block.input ?? {}
          })
          break
        case "ToolResult":
          blocks.push(yield* toolResultBlock(block, modelId))
          break
        case "Reasoning":
          blocks.push({
            type: "thinking",
            thinking: block.text,
            ...(block.signature !== undefined ? { signature: block.signature } : {})
          })
          break
        case "RedactedReasoning":
          blocks.push({ type: "redacted_thinking", data: toBase64(block.data) })
          break
        case "CachePoint":
          yield* markCache(blocks, block, modelId, "a message")
          break
        case "CitationsContent":
          blocks.push({ type: "text", text: block.content.map((part) => part.text).join("") })
          break
        case "SearchResult":
          blocks.push(searchResultBlock(block))
          break
        default:
          return yield* Either.left(unsupported(FAMILY, blockName(block), modelId))
      }
    }
    return blocks
  })

const systemBlocks = (
  request: NativeBody.EncodeRequest
): Either.Either<Array<Json>, NativeBody.UnsupportedFeature> =>
  Either.gen(function*() {
    const modelId = request.model.modelId
    const blocks: Array<Json> = []
    if (request.model.system !== undefined && request.model.system.length > 0) {
      blocks.push({ type: "text", text: request.model.system })
    }
    for (const block of request.system ?? []) {
      if (block._tag === "Text") blocks.push({ type: "text", text: block.text })
      else if (block._tag === "CachePoint") yield* markCache(blocks, block, modelId, "the system prompt")
      else return yield* Either.left(unsupported(FAMILY, blockName(block), modelId, "in the system prompt"))
    }
    return blocks
  })

const toolsOf = (
  toolConfig: Conversation.ToolConfiguration,
  modelId: string
): Either.Either<Json, NativeBody.UnsupportedFeature> =>
  Either.gen(function*() {
    const specs = yield* toolSpecs(FAMILY, modelId, toolConfig, { cachePoints: "keep" })
    const tools: Array<Json> = []
    for (const spec of specs) {
      if (spec._tag === "CachePoint") yield* markCache(tools, spec, modelId, "tools")
      else {
        tools.push({
          name: spec.name,
          ...(spec.description !== undefined ? { description: spec.description } : {}),
          input_schema: spec.inputSchema
        })
      }
    }
    const choice = toolConfig.toolChoice
    const toolChoice: Json | undefined = choice === undefined
      ? undefined
      : choice._tag === "Auto"
      ? { type: "auto" }
      : choice._tag === "Any"
      ? { type: "any" }
      : choice._tag === "Tool"
      ? { type: "tool", name: choice.name }
      : yield* Either.left(unsupported(FAMILY, `toolChoice "${choice.type}"`, modelId))
    return { tools, ...(toolChoice !== undefined ? { tool_choice: toolChoice } : {}) }
  })

const encodeRequest = (
  request: NativeBody.EncodeRequest
): Effect.Effect<Json, NativeBody.UnsupportedFeature> =>
  Either.gen(function*() {
    const model = request.model
    const system = yield* systemBlocks(request)
    const messages: Array<Json> = []
    for (const message of request.messages) {
      messages.push({ role: message.role, content: yield* contentBlocks(message, model.modelId) })
    }
    const tools = request.toolConfig === undefined ? {} : yield* toolsOf(request.toolConfig, model.modelId)
    const stop = stopSequences(model)
    const body: Json = {
      anthropic_version: ANTHROPIC_VERSION,
      max_tokens: model.maxTokens ?? defaultMaxTokens(model.modelId),
      ...(system.length > 0 ? { system } : {}),
      messages,
      ...(model.temperature !== undefined ? { temperature: model.temperature } : {}),
      ...(model.topP !== undefined ? { top_p: model.topP } : {}),
      ...(stop !== undefined ? { stop_sequences: stop } : {}),
      ...tools
    }
    return withModelFields(body, model, (k) => ({ top_k: k }))
  })

// ---------------------------------------------------------------------------
// responses
// ---------------------------------------------------------------------------

const citationOf = (raw: Json): Message.Citation => {
  const cited = stringAt(raw, "cited_text")
  const title = stringAt(raw, "document_title") ?? stringAt(raw, "title") ?? undefined
  const base = {
    ...(title !== undefined ? { title } : {}),
    ...(stringAt(raw, "source") !== undefined ? { source: stringAt(raw, "source")! } : {}),
    ...(cited !== undefined ? { sourceContent: [{ _tag: "Text" as const, text: cited }] } : {})
  }
  const documentIndex = numberAt(raw, "document_index")
  const span = (start: string, end: string) => ({
    ...(documentIndex !== undefined ? { documentIndex } : {}),
    ...(numberAt(raw, start) !== undefined ? { start: numberAt(raw, start)! } : {}),
    ...(numberAt(raw, end) !== undefined ? { end: numberAt(raw, end)! } : {})
  })
  switch (stringAt(raw, "type")) {
    case "char_location":
      return { ...base, location: { _tag: "DocumentChar", ...span("start_char_index", "end_char_index") } }
    case "page_location":
      return { ...base, location: { _tag: "DocumentPage", ...span("start_page_number", "end_page_number") } }
    case "content_block_location":
      return { ...base, location: { _tag: "DocumentChunk", ...span("start_block_index", "end_block_index") } }
    case "search_result_location": {
      const index = numberAt(raw, "search_result_index")
      return {
        ...base,
        location: {
          _tag: "SearchResultLocation",
          ...(index !== undefined ? { searchResultIndex: index } : {}),
          ...(numberAt(raw, "start_block_index") !== undefined ? { start: numberAt(raw, "start_block_index")! } : {}),
          ...(numberAt(raw, "end_block_index") !== undefined ? { end: numberAt(raw, "end_block_index")! } : {})
        }
      }
    }
    case "web_search_result_location": {
      const url = stringAt(raw, "url")
      return { ...base, location: { _tag: "Web", ...(url !== undefined ? { url } : {}) } }
    }
    default:
      return { ...base, location: { _tag: "UnknownLocation", type: stringAt(raw, "type") ?? "unknown", value: raw } }
  }
}

const contentOf = (raw: unknown): Either.Either<Message.ContentBlock, string> => {
  if (!Predicate.isRecord(raw)) return Either.left("a content block is not an object")
  const type = stringAt(raw, "type")
  switch (type) {
    case "text": {
      const text = stringAt(raw, "text") ?? ""
      const citations = arrayAt(raw, "citations").filter(Predicate.isRecord)
      return Either.right(
        citations.length === 0
          ? { _tag: "Text", text }
          : { _tag: "CitationsContent", content: [{ _tag: "Text", text }], citations: citations.map(citationOf) }
      )
    }
    case "tool_use":
    case "server_tool_use":
      return Either.right({
        _tag: "ToolUse",
        toolUseId: stringAt(raw, "id") ?? "",
        name: stringAt(raw, "name") ?? "",
        input: raw["input"] ?? {},
        ...(type === "server_tool_use" ? { type } : {})
      })
    case "thinking": {
      const signature = stringAt(raw, "signature")
      return Either.right({
        _tag: "Reasoning",
        text: stringAt(raw, "thinking") ?? "",
        ...(signature !== undefined && signature.length > 0 ? { signature } : {})
      })
    }
    case "redacted_thinking": {
      const data = fromBase64(stringAt(raw, "data") ?? "")
      return data === undefined
        ? Either.left("redacted_thinking data is not base64")
        : Either.right({ _tag: "RedactedReasoning", data })
    }
    default:
      return Either.right({ _tag: "Unknown", type: type ?? "unknown", value: raw })
  }
}

const usageOf = (raw: Json | undefined, outputTokens?: number): Response.Usage =>
  usage(
    raw === undefined ? undefined : numberAt(raw, "input_tokens"),
    outputTokens ?? (raw === undefined ? undefined : numberAt(raw, "output_tokens")),
    raw === undefined ? undefined : numberAt(raw, "cache_read_input_tokens"),
    raw === undefined ? undefined : numberAt(raw, "cache_creation_input_tokens")
  )

const decodeResponse = (
  body: unknown,
  requestId?: string,
  metrics?: NativeBody.InvocationMetrics
): Effect.Effect<Response.Response, MalformedResponseError> => {
  const fail = (message: string) =>
    Effect.fail(new MalformedResponseError({ message, ...(requestId !== undefined ? { requestId } : {}) }))
  if (!Predicate.isRecord(body) || !Array.isArray(body["content"])) {
    return fail("a Claude response has no content array")
  }
  const content: Array<Message.ContentBlock> = []
  for (const raw of body["content"]) {
    const block = contentOf(raw)
    if (Either.isLeft(block)) return fail(block.left)
    content.push(block.right)
  }
  const usageJson = recordAt(body, "usage")
  const usageRecord = usageJson === undefined ? usageFromMetrics(metrics) : usageOf(usageJson)
  return Effect.succeed(
    response(content, stringAt(body, "stop_reason") ?? "end_turn", usageRecord, requestId, metrics)
  )
}

// ---------------------------------------------------------------------------
// stream
// ---------------------------------------------------------------------------

const chunkDecoder = (): NativeBody.ChunkDecoder => {
  const writer = new EventWriter()
  let startUsage: Json | undefined
  let outputTokens: number | undefined
  const chunk = (raw: Json): Either.Either<ReadonlyArray<Response.StreamEvent>, string> => {
    const index = numberAt(raw, "index") ?? 0
    switch (stringAt(raw, "type")) {
      case "message_start": {
        const message = recordAt(raw, "message")
        startUsage = message === undefined ? undefined : recordAt(message, "usage")
        writer.start()
        break
      }
      case "content_block_start": {
        const block = recordAt(raw, "content_block") ?? {}
        const type = stringAt(block, "type")
        if (type === "text") {
          const text = stringAt(block, "text") ?? ""
          if (text.length > 0) writer.push({ _tag: "ContentBlockDelta", index, delta: { _tag: "TextDelta", text } })
        } else if (type === "thinking") {
          const text = stringAt(block, "thinking") ?? ""
          if (text.length > 0) {
            writer.push({ _tag: "ContentBlockDelta", index, delta: { _tag: "ReasoningTextDelta", text } })
          }
        } else if (type === "tool_use" || type === "server_tool_use") {
          writer.push({
            _tag: "ContentBlockStart",
            index,
            start: {
              _tag: "ToolUseStart",
              toolUseId: stringAt(block, "id") ?? "",
              name: stringAt(block, "name") ?? "",
              ...(type === "server_tool_use" ? { type } : {})
            }
          })
        } else if (type === "redacted_thinking") {
          const data = fromBase64(stringAt(block, "data") ?? "")
          if (data === undefined) return Either.left("redacted_thinking data is not base64")
          writer.push({ _tag: "ContentBlockDelta", index, delta: { _tag: "RedactedReasoningDelta", data } })
        } else {
          writer.push({
            _tag: "ContentBlockStart",
            index,
            start: { _tag: "UnknownStart", type: type ?? "unknown", value: block }
          })
        }
        break
      }
      case "content_block_delta": {
        const delta = recordAt(raw, "delta") ?? {}
        const type = stringAt(delta, "type")
        const event = (d: Response.Delta) => writer.push({ _tag: "ContentBlockDelta", index, delta: d })
        if (type === "text_delta") event({ _tag: "TextDelta", text: stringAt(delta, "text") ?? "" })
        else if (type === "input_json_delta") {
          const input = stringAt(delta, "partial_json") ?? ""
          if (input.length > 0) event({ _tag: "ToolUseInputDelta", input })
        } else if (type === "thinking_delta") {
          event({ _tag: "ReasoningTextDelta", text: stringAt(delta, "thinking") ?? "" })
        } else if (type === "signature_delta") {
          event({ _tag: "ReasoningSignatureDelta", signature: stringAt(delta, "signature") ?? "" })
        } else if (type === "citations_delta") {
          const citation = recordAt(delta, "citation")
          if (citation !== undefined) event({ _tag: "CitationDelta", citation: citationOf(citation) })
        } else event({ _tag: "UnknownDelta", type: type ?? "unknown", value: delta })
        break
      }
      case "content_block_stop":
        writer.push({ _tag: "ContentBlockStop", index })
        break
      case "message_delta": {
        const delta = recordAt(raw, "delta") ?? {}
        const deltaUsage = recordAt(raw, "usage")
        if (deltaUsage !== undefined) outputTokens = numberAt(deltaUsage, "output_tokens") ?? outputTokens
        writer.stop(stringAt(delta, "stop_reason") ?? "end_turn")
        break
      }
      case "error": {
        const error = recordAt(raw, "error")
        return Either.left(`the stream reported an error: ${error === undefined ? "" : stringAt(error, "message")}`)
      }
      default:
        break
    }
    return Either.right(writer.take())
  }
  const end = (
    metrics: NativeBody.InvocationMetrics | undefined
  ): Either.Either<ReadonlyArray<Response.StreamEvent>, string> => {
    if (writer.hasStopped) {
      writer.metadata(
        startUsage === undefined ? usageFromMetrics(metrics) : usageOf(startUsage, outputTokens),
        metrics?.invocationLatency
      )
    }
    return Either.right(writer.take())
  }
  return { chunk, end }
}

/**
 * Claude's native Messages API.
 *
 * @since 0.1.0
 * @category models
 */
export const Anthropic: NativeBody.NativeBody = NativeBody.make({
  family: "anthropic",
  name: "Anthropic Claude (Messages API)",
  encodeRequest,
  decodeResponse,
  chunkDecoder
})
