/**
 * Every mapping between the library's shapes and `@aws-sdk/client-bedrock-runtime`'s, in both directions.
 * Total: an SDK value the library does not model becomes an `Unknown` block (or event, location ...) that maps back
 * to the same SDK value.
 *
 * @since 0.1.0
 * @internal
 */
import type * as Sdk from "@aws-sdk/client-bedrock-runtime"
import type { DocumentType } from "@smithy/types"
import * as Either from "effect/Either"
import * as Predicate from "effect/Predicate"
import { MalformedResponseError } from "../BedrockError.js"
import type * as Conversation from "../Conversation.js"
import type * as Message from "../Message.js"
import * as Response from "../Response.js"
import { defined } from "./defined.js"

/**
 * The member of an SDK union value: its name and value (`$unknown` members give their own name).
 *
 * @since 0.1.0
 * @category utils
 * @internal
 */
export const memberOf = (union: object): readonly [string, unknown] => {
  const record = union as Record<string, unknown>
  const unknown = record.$unknown
  if (Array.isArray(unknown) && typeof unknown[0] === "string") return [unknown[0], unknown[1]]
  for (const key of Object.keys(record)) {
    if (key !== "$unknown" && record[key] !== undefined) return [key, record[key]]
  }
  return ["$unknown", undefined]
}

/** A union member from a name the SDK knows (`{ name: value }`) or does not (`{ $unknown: [name, value] }`). */
const sdkMember = <T>(known: ReadonlySet<string>, type: string, value: unknown): T =>
  (known.has(type) ? { [type]: value } : { $unknown: [type, value] }) as T

/** An SDK structure: an object that is neither an array nor bytes (the SDK's blobs are `Uint8Array`s). */
const isStructure = (u: unknown): u is Record<string, any> => Predicate.isRecord(u) && !(u instanceof Uint8Array)

const oneOf = <A extends string>(values: ReadonlyArray<A>, u: unknown): u is A =>
  typeof u === "string" && (values as ReadonlyArray<string>).includes(u)

const imageFormats = ["png", "jpeg", "gif", "webp"] as const
const documentFormats = ["pdf", "csv", "doc", "docx", "xls", "xlsx", "html", "txt", "md"] as const
const videoFormats = ["mkv", "mov", "mp4", "webm", "flv", "mpeg", "mpg", "wmv", "three_gp"] as const
const qualifiers = ["grounding_source", "query", "guard_content"] as const
const statuses = ["success", "error"] as const
const ttls = ["5m", "1h"] as const

const contentBlockMembers: ReadonlySet<string> = new Set([
  "text",
  "image",
  "document",
  "video",
  "audio",
  "toolUse",
  "toolResult",
  "guardContent",
  "cachePoint",
  "reasoningContent",
  "citationsContent",
  "searchResult",
  "toolAddition",
  "toolRemoval"
])
const systemBlockMembers: ReadonlySet<string> = new Set(["text", "guardContent", "cachePoint"])
const toolResultContentMembers: ReadonlySet<string> = new Set([
  "json",
  "text",
  "image",
  "document",
  "video",
  "searchResult"
])
const locationMembers: ReadonlySet<string> = new Set([
  "web",
  "documentChar",
  "documentPage",
  "documentChunk",
  "searchResultLocation"
])
const toolMembers: ReadonlySet<string> = new Set(["toolSpec", "systemTool", "cachePoint"])
const toolChoiceMembers: ReadonlySet<string> = new Set(["auto", "any", "tool"])

// ---------------------------------------------------------------------------
// library -> SDK
// ---------------------------------------------------------------------------

const mediaSourceToSdk = (source: Message.MediaSource): Sdk.ImageSource & Sdk.VideoSource =>
  source._tag === "Bytes"
    ? { bytes: source.bytes }
    : { s3Location: defined({ uri: source.uri, bucketOwner: source.bucketOwner }) }

const textsToSdk = (texts: ReadonlyArray<Message.Text>): Array<{ text: string }> =>
  texts.map((part) => ({ text: part.text }))

const imageToSdk = (block: Message.Image): Sdk.ImageBlock =>
  defined({
    format: block.format,
    source: mediaSourceToSdk(block.source),
    error: block.error === undefined ? undefined : { message: block.error }
  })

const documentSourceToSdk = (source: Message.DocumentSource): Sdk.DocumentSource => {
  switch (source._tag) {
    case "Bytes":
    case "S3Location":
      return mediaSourceToSdk(source)
    case "Text":
      return { text: source.text }
    case "Content":
      return { content: textsToSdk(source.content) }
  }
}

const documentToSdk = (block: Message.Document): Sdk.DocumentBlock =>
  defined({
    format: block.format,
    name: block.name,
    source: documentSourceToSdk(block.source),
    context: block.context,
    citations: block.citations === undefined ? undefined : { enabled: block.citations }
  })

const videoToSdk = (block: Message.Video): Sdk.VideoBlock => ({
  format: block.format,
  source: mediaSourceToSdk(block.source)
})

const searchResultToSdk = (block: Message.SearchResult): Sdk.SearchResultBlock =>
  defined({
    source: block.source,
    title: block.title,
    content: textsToSdk(block.content),
    citations: block.citations === undefined ? undefined : { enabled: block.citations }
  })

const toolResultContentToSdk = (content: Message.ToolResultContent): Sdk.ToolResultContentBlock => {
  switch (content._tag) {
    case "Text":
      return { text: content.text }
    case "Json":
      return { json: content.json as DocumentType }
    case "Image":
      return { image: imageToSdk(content) }
    case "Document":
      return { document: documentToSdk(content) }
    case "Video":
      return { video: videoToSdk(content) }
    case "SearchResult":
      return { searchResult: searchResultToSdk(content) }
    case "Unknown":
      return sdkMember(toolResultContentMembers, content.type, content.value)
  }
}

const cachePointToSdk = (block: Message.CachePoint): Sdk.CachePointBlock =>
  defined({ type: block.type, ttl: block.ttl })

const guardContentToSdk = (block: Message.GuardContent): Sdk.GuardrailConverseContentBlock =>
  block.content._tag === "Text"
    ? {
      text: defined({
        text: block.content.text,
        qualifiers: block.content.qualifiers === undefined ? undefined : [...block.content.qualifiers]
      })
    }
    : { image: { format: block.content.format, source: { bytes: block.content.bytes } } }

const locationToSdk = (location: Message.CitationLocation): Sdk.CitationLocation => {
  switch (location._tag) {
    case "DocumentChar":
    case "DocumentPage":
    case "DocumentChunk": {
      const span = defined({ documentIndex: location.documentIndex, start: location.start, end: location.end })
      return location._tag === "DocumentChar"
        ? { documentChar: span }
        : location._tag === "DocumentPage"
        ? { documentPage: span }
        : { documentChunk: span }
    }
    case "SearchResultLocation":
      return {
        searchResultLocation: defined({
          searchResultIndex: location.searchResultIndex,
          start: location.start,
          end: location.end
        })
      }
    case "Web":
      return { web: defined({ url: location.url, domain: location.domain }) }
    case "UnknownLocation":
      return sdkMember(locationMembers, location.type, location.value)
  }
}

const citationToSdk = (citation: Message.Citation): Sdk.Citation =>
  defined({
    title: citation.title,
    source: citation.source,
    sourceContent: citation.sourceContent === undefined ? undefined : textsToSdk(citation.sourceContent),
    location: citation.location === undefined ? undefined : locationToSdk(citation.location)
  })

/**
 * A library content block as the SDK's.
 *
 * @since 0.1.0
 * @category utils
 * @internal
 */
export const contentBlockToSdk = (block: Message.ContentBlock): Sdk.ContentBlock => {
  switch (block._tag) {
    case "Text":
      return { text: block.text }
    case "Image":
      return { image: imageToSdk(block) }
    case "Document":
      return { document: documentToSdk(block) }
    case "Video":
      return { video: videoToSdk(block) }
    case "ToolUse":
      return {
        toolUse: defined({
          toolUseId: block.toolUseId,
          name: block.name,
          input: block.input as DocumentType,
          type: block.type as Sdk.ToolUseType | undefined
        })
      }
    case "ToolResult":
      return {
        toolResult: defined({
          toolUseId: block.toolUseId,
          content: block.content.map(toolResultContentToSdk),
          status: block.status,
          type: block.type
        })
      }
    case "Reasoning":
      return { reasoningContent: { reasoningText: defined({ text: block.text, signature: block.signature }) } }
    case "RedactedReasoning":
      return { reasoningContent: { redactedContent: block.data } }
    case "CachePoint":
      return { cachePoint: cachePointToSdk(block) }
    case "GuardContent":
      return { guardContent: guardContentToSdk(block) }
    case "CitationsContent":
      return {
        citationsContent: { content: textsToSdk(block.content), citations: block.citations.map(citationToSdk) }
      }
    case "SearchResult":
      return { searchResult: searchResultToSdk(block) }
    case "Unknown":
      return sdkMember(contentBlockMembers, block.type, block.value)
  }
}

/**
 * A library message as the SDK's.
 *
 * @since 0.1.0
 * @category utils
 * @internal
 */
export const messageToSdk = (message: Message.Message): Sdk.Message => ({
  role: message.role,
  content: message.content.map(contentBlockToSdk)
})

/**
 * A library system block as the SDK's.
 *
 * @since 0.1.0
 * @category utils
 * @internal
 */
export const systemBlockToSdk = (block: Message.SystemContentBlock): Sdk.SystemContentBlock => {
  switch (block._tag) {
    case "Text":
      return { text: block.text }
    case "CachePoint":
      return { cachePoint: cachePointToSdk(block) }
    case "GuardContent":
      return { guardContent: guardContentToSdk(block) }
    case "Unknown":
      return sdkMember(systemBlockMembers, block.type, block.value)
  }
}

const toolToSdk = (tool: Conversation.Tool): Sdk.Tool => {
  switch (tool._tag) {
    case "ToolSpec":
      return {
        toolSpec: defined({
          name: tool.name,
          description: tool.description,
          inputSchema: { json: tool.inputSchema as DocumentType },
          strict: tool.strict
        })
      }
    case "SystemTool":
      return { systemTool: { name: tool.name } }
    case "CachePoint":
      return { cachePoint: cachePointToSdk(tool) }
    case "Unknown":
      return sdkMember(toolMembers, tool.type, tool.value)
  }
}

const toolChoiceToSdk = (choice: Conversation.ToolChoice): Sdk.ToolChoice => {
  switch (choice._tag) {
    case "Auto":
      return { auto: {} }
    case "Any":
      return { any: {} }
    case "Tool":
      return { tool: { name: choice.name } }
    case "Unknown":
      return sdkMember(toolChoiceMembers, choice.type, choice.value)
  }
}

/**
 * A library tool configuration as the SDK's.
 *
 * @since 0.1.0
 * @category utils
 * @internal
 */
export const toolConfigToSdk = (config: Conversation.ToolConfiguration): Sdk.ToolConfiguration =>
  defined({
    tools: config.tools.map(toolToSdk),
    toolChoice: config.toolChoice === undefined ? undefined : toolChoiceToSdk(config.toolChoice)
  })

const usageToSdk = (usage: Response.Usage): Sdk.TokenUsage =>
  defined({
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    totalTokens: usage.totalTokens,
    cacheReadInputTokens: usage.cacheReadInputTokens,
    cacheWriteInputTokens: usage.cacheWriteInputTokens,
    cacheDetails: usage.cacheDetails?.map((detail) => ({
      ttl: detail.ttl as Sdk.CacheTTL,
      inputTokens: detail.inputTokens
    }))
  })

/**
 * A library response as the SDK's Converse output (for tests, fakes and replays).
 *
 * @since 0.1.0
 * @category utils
 * @internal
 */
export const responseToSdk = (response: Response.Response): Sdk.ConverseCommandOutput =>
  defined({
    output: { message: messageToSdk(response.message) },
    stopReason: response.stopReason as Sdk.StopReason,
    usage: usageToSdk(response.usage),
    metrics: { latencyMs: response.latencyMs },
    additionalModelResponseFields: response.additionalModelResponseFields as DocumentType | undefined,
    trace: response.trace as Sdk.ConverseTrace | undefined,
    performanceConfig: response.performanceConfig as Sdk.PerformanceConfiguration | undefined,
    serviceTier: response.serviceTier as Sdk.ServiceTier | undefined,
    $metadata: defined({ requestId: response.requestId })
  })

const deltaToSdk = (delta: Response.Delta): Sdk.ContentBlockDelta => {
  switch (delta._tag) {
    case "TextDelta":
      return { text: delta.text }
    case "ToolUseInputDelta":
      return { toolUse: { input: delta.input } }
    case "ReasoningTextDelta":
      return { reasoningContent: { text: delta.text } }
    case "ReasoningSignatureDelta":
      return { reasoningContent: { signature: delta.signature } }
    case "RedactedReasoningDelta":
      return { reasoningContent: { redactedContent: delta.data } }
    case "CitationDelta":
      return { citation: citationToSdk(delta.citation) }
    case "ToolResultDelta":
      return {
        toolResult: delta.content.map((part): Sdk.ToolResultBlockDelta =>
          part._tag === "Text"
            ? { text: part.text }
            : part._tag === "Json"
            ? { json: part.json as DocumentType }
            : part._tag === "Unknown"
            ? { $unknown: [part.type, part.value] }
            : { $unknown: [part._tag, part] }
        )
      }
    case "ImageDelta":
      return {
        image: defined({
          source: delta.source === undefined ? undefined : mediaSourceToSdk(delta.source),
          error: delta.error === undefined ? undefined : { message: delta.error }
        })
      }
    case "UnknownDelta":
      return sdkMember(
        new Set(["text", "toolUse", "toolResult", "reasoningContent", "citation", "image"]),
        delta.type,
        delta.value
      )
  }
}

const startToSdk = (start: Response.BlockStart): Sdk.ContentBlockStart => {
  switch (start._tag) {
    case "ToolUseStart":
      return {
        toolUse: defined({
          toolUseId: start.toolUseId,
          name: start.name,
          type: start.type as Sdk.ToolUseType | undefined
        })
      }
    case "ToolResultStart":
      return { toolResult: defined({ toolUseId: start.toolUseId, status: start.status, type: start.type }) }
    case "ImageStart":
      return { image: { format: start.format } }
    case "UnknownStart":
      return sdkMember(new Set(["toolUse", "toolResult", "image"]), start.type, start.value)
  }
}

/**
 * A library stream event as the SDK's stream member (for tests, fakes and replays).
 *
 * @since 0.1.0
 * @category utils
 * @internal
 */
export const streamEventToSdk = (event: Response.StreamEvent): Sdk.ConverseStreamOutput => {
  switch (event._tag) {
    case "MessageStart":
      return { messageStart: { role: event.role } }
    case "ContentBlockStart":
      return { contentBlockStart: { contentBlockIndex: event.index, start: startToSdk(event.start) } }
    case "ContentBlockDelta":
      return { contentBlockDelta: { contentBlockIndex: event.index, delta: deltaToSdk(event.delta) } }
    case "ContentBlockStop":
      return { contentBlockStop: { contentBlockIndex: event.index } }
    case "MessageStop":
      return {
        messageStop: defined({
          stopReason: event.stopReason as Sdk.StopReason,
          additionalModelResponseFields: event.additionalModelResponseFields as DocumentType | undefined
        })
      }
    case "Metadata":
      return {
        metadata: defined({
          usage: usageToSdk(event.usage),
          metrics: { latencyMs: event.metrics.latencyMs },
          trace: event.trace as Sdk.ConverseStreamTrace | undefined,
          performanceConfig: event.performanceConfig as Sdk.PerformanceConfiguration | undefined,
          serviceTier: event.serviceTier as Sdk.ServiceTier | undefined
        })
      }
    case "UnknownEvent":
      return { $unknown: [event.type, event.value] }
  }
}

// ---------------------------------------------------------------------------
// SDK -> library
// ---------------------------------------------------------------------------

const mediaSourceFromSdk = (source: Sdk.ImageSource | Sdk.VideoSource | undefined): Message.MediaSource | undefined => {
  if (source?.bytes instanceof Uint8Array) return { _tag: "Bytes", bytes: source.bytes }
  if (source?.s3Location !== undefined && typeof source.s3Location.uri === "string") {
    return defined({
      _tag: "S3Location" as const,
      uri: source.s3Location.uri,
      bucketOwner: source.s3Location.bucketOwner
    })
  }
  return undefined
}

const textsFromSdk = (
  parts: ReadonlyArray<{ readonly text?: string | undefined }> | undefined
): Array<Message.Text> | undefined => {
  if (parts === undefined) return []
  const out: Array<Message.Text> = []
  for (const part of parts) {
    if (typeof part.text !== "string") return undefined
    out.push({ _tag: "Text", text: part.text })
  }
  return out
}

const imageFromSdk = (image: Sdk.ImageBlock): Message.Image | undefined => {
  const source = mediaSourceFromSdk(image.source)
  if (source === undefined || !oneOf(imageFormats, image.format)) return undefined
  return defined({
    _tag: "Image" as const,
    format: image.format,
    source,
    error: image.error === undefined ? undefined : image.error.message ?? ""
  })
}

const documentSourceFromSdk = (source: Sdk.DocumentSource | undefined): Message.DocumentSource | undefined => {
  if (source === undefined) return undefined
  if (typeof source.text === "string") return { _tag: "Text", text: source.text }
  if (source.content !== undefined) {
    const content = textsFromSdk(source.content)
    return content === undefined ? undefined : { _tag: "Content", content }
  }
  return mediaSourceFromSdk(source as Sdk.ImageSource)
}

const documentFromSdk = (document: Sdk.DocumentBlock): Message.Document | undefined => {
  const source = documentSourceFromSdk(document.source)
  if (source === undefined || typeof document.name !== "string") return undefined
  if (document.format !== undefined && !oneOf(documentFormats, document.format)) return undefined
  if (document.citations !== undefined && typeof document.citations.enabled !== "boolean") return undefined
  return defined({
    _tag: "Document" as const,
    name: document.name,
    format: document.format,
    source,
    context: document.context,
    citations: document.citations?.enabled
  })
}

const videoFromSdk = (video: Sdk.VideoBlock): Message.Video | undefined => {
  const source = mediaSourceFromSdk(video.source)
  if (source === undefined || !oneOf(videoFormats, video.format)) return undefined
  return { _tag: "Video", format: video.format, source }
}

const searchResultFromSdk = (block: Sdk.SearchResultBlock): Message.SearchResult | undefined => {
  const content = textsFromSdk(block.content)
  if (content === undefined || typeof block.source !== "string" || typeof block.title !== "string") return undefined
  if (block.citations !== undefined && typeof block.citations.enabled !== "boolean") return undefined
  return defined({
    _tag: "SearchResult" as const,
    source: block.source,
    title: block.title,
    content,
    citations: block.citations?.enabled
  })
}

const unknown = (type: string, value: unknown): Message.Unknown => ({ _tag: "Unknown", type, value })

const toolResultContentFromSdk = (content: Sdk.ToolResultContentBlock): Message.ToolResultContent => {
  const [type, value] = memberOf(content)
  const mapped = type === "text" && typeof value === "string"
    ? { _tag: "Text" as const, text: value }
    : type === "json" && value !== undefined
    ? { _tag: "Json" as const, json: value }
    : type === "image" && isStructure(value)
    ? imageFromSdk(value as Sdk.ImageBlock)
    : type === "document" && isStructure(value)
    ? documentFromSdk(value as Sdk.DocumentBlock)
    : type === "video" && isStructure(value)
    ? videoFromSdk(value as Sdk.VideoBlock)
    : type === "searchResult" && isStructure(value)
    ? searchResultFromSdk(value as Sdk.SearchResultBlock)
    : undefined
  return mapped ?? unknown(type, value)
}

const cachePointFromSdk = (block: Sdk.CachePointBlock): Message.CachePoint | undefined => {
  if (block.type !== "default") return undefined
  if (block.ttl !== undefined && !oneOf(ttls, block.ttl)) return undefined
  return defined({ _tag: "CachePoint" as const, type: block.type, ttl: block.ttl })
}

const guardContentFromSdk = (block: Sdk.GuardrailConverseContentBlock): Message.GuardContent | undefined => {
  if (block.text !== undefined) {
    const { qualifiers: qs, text } = block.text
    if (typeof text !== "string") return undefined
    if (qs !== undefined && !qs.every((q) => oneOf(qualifiers, q))) return undefined
    return {
      _tag: "GuardContent",
      content: defined({
        _tag: "Text" as const,
        text,
        qualifiers: qs as ReadonlyArray<Message.GuardQualifier> | undefined
      })
    }
  }
  if (block.image !== undefined) {
    const { format, source } = block.image
    if ((format !== "png" && format !== "jpeg") || !(source?.bytes instanceof Uint8Array)) return undefined
    return { _tag: "GuardContent", content: { _tag: "Image", format, bytes: source.bytes } }
  }
  return undefined
}

const spanFromSdk = (span: Sdk.DocumentCharLocation) =>
  defined({ documentIndex: span.documentIndex, start: span.start, end: span.end })

const locationFromSdk = (location: Sdk.CitationLocation): Message.CitationLocation => {
  const [type, value] = memberOf(location)
  if (isStructure(value)) {
    switch (type) {
      case "documentChar":
        return { _tag: "DocumentChar", ...spanFromSdk(value) }
      case "documentPage":
        return { _tag: "DocumentPage", ...spanFromSdk(value) }
      case "documentChunk":
        return { _tag: "DocumentChunk", ...spanFromSdk(value) }
      case "searchResultLocation": {
        const span = value as Sdk.SearchResultLocation
        return defined({
          _tag: "SearchResultLocation" as const,
          searchResultIndex: span.searchResultIndex,
          start: span.start,
          end: span.end
        })
      }
      case "web": {
        const web = value as Sdk.WebLocation
        return defined({ _tag: "Web" as const, url: web.url, domain: web.domain })
      }
    }
  }
  return { _tag: "UnknownLocation", type, value }
}

const citationFromSdk = (citation: Sdk.Citation | Sdk.CitationsDelta): Message.Citation | undefined => {
  const sourceContent = citation.sourceContent === undefined ? undefined : textsFromSdk(citation.sourceContent)
  if (citation.sourceContent !== undefined && sourceContent === undefined) return undefined
  return defined({
    title: citation.title,
    source: citation.source,
    sourceContent,
    location: citation.location === undefined ? undefined : locationFromSdk(citation.location)
  })
}

const citationsContentFromSdk = (block: Sdk.CitationsContentBlock): Message.CitationsContent | undefined => {
  const content = textsFromSdk(block.content)
  const citations: Array<Message.Citation> = []
  for (const citation of block.citations ?? []) {
    const mapped = citationFromSdk(citation)
    if (mapped === undefined) return undefined
    citations.push(mapped)
  }
  return content === undefined ? undefined : { _tag: "CitationsContent", content, citations }
}

const toolUseFromSdk = (block: Sdk.ToolUseBlock): Message.ToolUse | undefined =>
  typeof block.toolUseId !== "string" || typeof block.name !== "string" || block.input === undefined
    ? undefined
    : {
      _tag: "ToolUse",
      toolUseId: block.toolUseId,
      name: block.name,
      input: block.input,
      ...(block.type !== undefined ? { type: block.type } : {})
    }

const toolResultFromSdk = (block: Sdk.ToolResultBlock): Message.ToolResult | undefined =>
  typeof block.toolUseId !== "string" || (block.status !== undefined && !oneOf(statuses, block.status))
    ? undefined
    : defined({
      _tag: "ToolResult" as const,
      toolUseId: block.toolUseId,
      content: (block.content ?? []).map(toolResultContentFromSdk),
      status: block.status,
      type: block.type
    })

const reasoningFromSdk = (
  block: Sdk.ReasoningContentBlock
): Message.Reasoning | Message.RedactedReasoning | undefined => {
  if (block.reasoningText !== undefined && typeof block.reasoningText.text === "string") {
    return defined({
      _tag: "Reasoning" as const,
      text: block.reasoningText.text,
      signature: block.reasoningText.signature
    })
  }
  if (block.redactedContent instanceof Uint8Array) return { _tag: "RedactedReasoning", data: block.redactedContent }
  return undefined
}

/**
 * An SDK content block as the library's (an unmodelled one becomes `Unknown`, which maps back to it).
 *
 * @since 0.1.0
 * @category utils
 * @internal
 */
export const contentBlockFromSdk = (block: Sdk.ContentBlock): Message.ContentBlock => {
  const [type, value] = memberOf(block)
  const mapped: Message.ContentBlock | undefined = type === "text"
    ? (typeof value === "string" ? { _tag: "Text", text: value } : undefined)
    : !isStructure(value)
    ? undefined
    : type === "image"
    ? imageFromSdk(value as Sdk.ImageBlock)
    : type === "document"
    ? documentFromSdk(value as Sdk.DocumentBlock)
    : type === "video"
    ? videoFromSdk(value as Sdk.VideoBlock)
    : type === "toolUse"
    ? toolUseFromSdk(value as Sdk.ToolUseBlock)
    : type === "toolResult"
    ? toolResultFromSdk(value as Sdk.ToolResultBlock)
    : type === "reasoningContent"
    ? reasoningFromSdk(value as Sdk.ReasoningContentBlock)
    : type === "cachePoint"
    ? cachePointFromSdk(value as Sdk.CachePointBlock)
    : type === "guardContent"
    ? guardContentFromSdk(value as Sdk.GuardrailConverseContentBlock)
    : type === "citationsContent"
    ? citationsContentFromSdk(value as Sdk.CitationsContentBlock)
    : type === "searchResult"
    ? searchResultFromSdk(value as Sdk.SearchResultBlock)
    : undefined
  return mapped ?? unknown(type, value)
}

/**
 * An SDK message as the library's (any role but `assistant` becomes `user`: Converse messages have only those two).
 *
 * @since 0.1.0
 * @category utils
 * @internal
 */
export const messageFromSdk = (message: Sdk.Message): Message.Message => ({
  role: message.role === "assistant" ? "assistant" : "user",
  content: (message.content ?? []).map(contentBlockFromSdk)
})

/**
 * An SDK system block as the library's.
 *
 * @since 0.1.0
 * @category utils
 * @internal
 */
export const systemBlockFromSdk = (block: Sdk.SystemContentBlock): Message.SystemContentBlock => {
  const mapped = contentBlockFromSdk(block as Sdk.ContentBlock)
  switch (mapped._tag) {
    case "Text":
    case "CachePoint":
    case "GuardContent":
    case "Unknown":
      return mapped
    default: {
      const [type, value] = memberOf(block)
      return unknown(type, value)
    }
  }
}

const toolFromSdk = (tool: Sdk.Tool): Conversation.Tool => {
  const [type, value] = memberOf(tool)
  if (type === "toolSpec" && isStructure(value)) {
    const spec = value as Sdk.ToolSpecification
    const schema = spec.inputSchema === undefined ? undefined : memberOf(spec.inputSchema)
    if (typeof spec.name === "string" && schema !== undefined && schema[0] === "json" && isStructure(schema[1])) {
      return defined({
        _tag: "ToolSpec" as const,
        name: spec.name,
        description: spec.description,
        inputSchema: schema[1],
        strict: spec.strict
      })
    }
  }
  if (type === "systemTool" && isStructure(value) && typeof value.name === "string") {
    return { _tag: "SystemTool", name: value.name }
  }
  if (type === "cachePoint" && isStructure(value)) {
    const cachePoint = cachePointFromSdk(value as Sdk.CachePointBlock)
    if (cachePoint !== undefined) return cachePoint
  }
  return unknown(type, value)
}

const toolChoiceFromSdk = (choice: Sdk.ToolChoice): Conversation.ToolChoice => {
  const [type, value] = memberOf(choice)
  if (type === "auto" && isStructure(value) && Object.keys(value).length === 0) return { _tag: "Auto" }
  if (type === "any" && isStructure(value) && Object.keys(value).length === 0) return { _tag: "Any" }
  if (type === "tool" && isStructure(value) && typeof value.name === "string" && Object.keys(value).length === 1) {
    return { _tag: "Tool", name: value.name }
  }
  return unknown(type, value)
}

/**
 * An SDK tool configuration as the library's.
 *
 * @since 0.1.0
 * @category utils
 * @internal
 */
export const toolConfigFromSdk = (config: Sdk.ToolConfiguration): Conversation.ToolConfiguration =>
  defined({
    tools: (config.tools ?? []).map(toolFromSdk),
    toolChoice: config.toolChoice === undefined ? undefined : toolChoiceFromSdk(config.toolChoice)
  })

const usageFromSdk = (usage: Sdk.TokenUsage | undefined): Response.Usage =>
  usage === undefined
    ? Response.Usage.empty
    : defined({
      inputTokens: usage.inputTokens ?? 0,
      outputTokens: usage.outputTokens ?? 0,
      totalTokens: usage.totalTokens ?? 0,
      cacheReadInputTokens: usage.cacheReadInputTokens,
      cacheWriteInputTokens: usage.cacheWriteInputTokens,
      cacheDetails: usage.cacheDetails?.map((detail) => ({
        ttl: detail.ttl ?? "",
        inputTokens: detail.inputTokens ?? 0
      }))
    })

const performanceConfigFromSdk = (config: Sdk.PerformanceConfiguration | undefined) =>
  config === undefined ? undefined : defined({ latency: config.latency as string | undefined })

const serviceTierFromSdk = (tier: Sdk.ServiceTier | undefined) =>
  tier === undefined || typeof tier.type !== "string" ? undefined : { type: tier.type as string }

/**
 * The SDK's Converse output as a library Response (with the request id from `$metadata`).
 *
 * @since 0.1.0
 * @category utils
 * @internal
 */
export const responseFromSdk = (
  output: Sdk.ConverseCommandOutput
): Either.Either<Response.Response, MalformedResponseError> => {
  const requestId = output.$metadata?.requestId
  const fail = (message: string) => Either.left(new MalformedResponseError(defined({ message, requestId })))
  const message = output.output?.message
  if (message === undefined) {
    const [type] = output.output === undefined ? ["nothing"] : memberOf(output.output)
    return fail(`The Converse output holds no message (got ${type})`)
  }
  if (message.role !== "assistant") return fail(`The Converse output message has role "${message.role}"`)
  if (typeof output.stopReason !== "string") return fail("The Converse output has no stopReason")
  return Either.right(defined({
    message: { role: "assistant" as const, content: (message.content ?? []).map(contentBlockFromSdk) },
    stopReason: output.stopReason as Response.StopReason,
    usage: usageFromSdk(output.usage),
    latencyMs: output.metrics?.latencyMs,
    requestId,
    additionalModelResponseFields: output.additionalModelResponseFields as unknown,
    trace: output.trace as unknown,
    performanceConfig: performanceConfigFromSdk(output.performanceConfig),
    serviceTier: serviceTierFromSdk(output.serviceTier)
  }))
}

/**
 * An exception member of the SDK's ConverseStream union, left for the runtime to map to a typed error.
 *
 * @since 0.1.0
 * @category models
 * @internal
 */
export interface StreamException {
  readonly _tag: "Exception"
  /** The union member, e.g. `throttlingException`. */
  readonly member: string
  /** The exception name, e.g. `ThrottlingException`. */
  readonly name: string
  readonly message: string
  /** The SDK's exception object as received. */
  readonly error: unknown
}

const exceptionMembers: ReadonlySet<string> = new Set([
  "internalServerException",
  "modelStreamErrorException",
  "validationException",
  "throttlingException",
  "serviceUnavailableException"
])

/**
 * Whether a mapped stream member is an exception.
 *
 * @since 0.1.0
 * @category utils
 * @internal
 */
export const isStreamException = (u: Response.StreamEvent | StreamException): u is StreamException =>
  u._tag === "Exception"

const startFromSdk = (start: Sdk.ContentBlockStart | undefined): Response.BlockStart => {
  const [type, value] = start === undefined ? ["$unknown", undefined] as const : memberOf(start)
  if (
    type === "toolUse" && isStructure(value) && typeof value.toolUseId === "string" && typeof value.name === "string"
  ) {
    return defined({
      _tag: "ToolUseStart" as const,
      toolUseId: value.toolUseId,
      name: value.name,
      type: value.type as string | undefined
    })
  }
  if (
    type === "toolResult" && isStructure(value) && typeof value.toolUseId === "string" &&
    (value.status === undefined || oneOf(statuses, value.status))
  ) {
    return defined({
      _tag: "ToolResultStart" as const,
      toolUseId: value.toolUseId,
      status: value.status as Message.ToolResultStatus | undefined,
      type: value.type as string | undefined
    })
  }
  if (type === "image" && isStructure(value) && oneOf(imageFormats, value.format)) {
    return { _tag: "ImageStart", format: value.format }
  }
  return { _tag: "UnknownStart", type, value }
}

const deltaFromSdk = (delta: Sdk.ContentBlockDelta | undefined): Response.Delta => {
  const [type, value] = delta === undefined ? ["$unknown", undefined] as const : memberOf(delta)
  switch (type) {
    case "text":
      if (typeof value === "string") return { _tag: "TextDelta", text: value }
      break
    case "toolUse":
      if (isStructure(value)) {
        return { _tag: "ToolUseInputDelta", input: typeof value.input === "string" ? value.input : "" }
      }
      break
    case "reasoningContent": {
      if (!isStructure(value)) break
      const [kind, part] = memberOf(value)
      if (kind === "text" && typeof part === "string") return { _tag: "ReasoningTextDelta", text: part }
      if (kind === "signature" && typeof part === "string") return { _tag: "ReasoningSignatureDelta", signature: part }
      if (kind === "redactedContent" && part instanceof Uint8Array) {
        return { _tag: "RedactedReasoningDelta", data: part }
      }
      break
    }
    case "citation": {
      const citation = isStructure(value) ? citationFromSdk(value as Sdk.CitationsDelta) : undefined
      if (citation !== undefined) return { _tag: "CitationDelta", citation }
      break
    }
    case "toolResult":
      if (Array.isArray(value)) {
        return {
          _tag: "ToolResultDelta",
          content: (value as Array<Sdk.ToolResultBlockDelta>).map((part) =>
            toolResultContentFromSdk(part as Sdk.ToolResultContentBlock)
          )
        }
      }
      break
    case "image":
      if (isStructure(value)) {
        const image = value as Sdk.ImageBlockDelta
        const source = mediaSourceFromSdk(image.source)
        if (image.source === undefined || source !== undefined) {
          return defined({
            _tag: "ImageDelta" as const,
            source,
            error: image.error === undefined ? undefined : image.error.message ?? ""
          })
        }
      }
      break
  }
  return { _tag: "UnknownDelta", type, value }
}

/**
 * One member of the SDK's ConverseStream union as a library event, or the exception it carries.
 *
 * @since 0.1.0
 * @category utils
 * @internal
 */
export const streamEventFromSdk = (member: Sdk.ConverseStreamOutput): Response.StreamEvent | StreamException => {
  // Most events of an answer are text deltas: read those without listing the member's keys.
  const delta = member.contentBlockDelta
  if (delta !== undefined && typeof delta.delta?.text === "string" && member.$unknown === undefined) {
    return {
      _tag: "ContentBlockDelta",
      index: delta.contentBlockIndex ?? 0,
      delta: { _tag: "TextDelta", text: delta.delta.text }
    }
  }
  const [type, value] = memberOf(member)
  if (exceptionMembers.has(type)) {
    const error = value as { readonly name?: unknown; readonly message?: unknown } | undefined
    return {
      _tag: "Exception",
      member: type,
      name: typeof error?.name === "string" ? error.name : type.charAt(0).toUpperCase() + type.slice(1),
      message: typeof error?.message === "string" ? error.message : "",
      error: value
    }
  }
  if (isStructure(value)) {
    switch (type) {
      case "messageStart":
        if (value.role === "assistant" || value.role === "user") return { _tag: "MessageStart", role: value.role }
        break
      case "contentBlockStart": {
        const event = value as Sdk.ContentBlockStartEvent
        return { _tag: "ContentBlockStart", index: event.contentBlockIndex ?? 0, start: startFromSdk(event.start) }
      }
      case "contentBlockDelta": {
        const event = value as Sdk.ContentBlockDeltaEvent
        return { _tag: "ContentBlockDelta", index: event.contentBlockIndex ?? 0, delta: deltaFromSdk(event.delta) }
      }
      case "contentBlockStop":
        return { _tag: "ContentBlockStop", index: (value as Sdk.ContentBlockStopEvent).contentBlockIndex ?? 0 }
      case "messageStop": {
        const event = value as Sdk.MessageStopEvent
        if (typeof event.stopReason !== "string") break
        return defined({
          _tag: "MessageStop" as const,
          stopReason: event.stopReason as Response.StopReason,
          additionalModelResponseFields: event.additionalModelResponseFields as unknown
        })
      }
      case "metadata": {
        const event = value as Sdk.ConverseStreamMetadataEvent
        return defined({
          _tag: "Metadata" as const,
          usage: usageFromSdk(event.usage),
          metrics: defined({ latencyMs: event.metrics?.latencyMs }),
          trace: event.trace as unknown,
          performanceConfig: performanceConfigFromSdk(event.performanceConfig),
          serviceTier: serviceTierFromSdk(event.serviceTier)
        })
      }
    }
  }
  return unknownEventFromSdk(type, value)
}

/**
 * A stream member this library does not know (an SDK `$unknown`, or a newer member), preserved as an event.
 *
 * @since 0.1.0
 * @category utils
 * @internal
 */
export const unknownEventFromSdk = (type: string, value: unknown): Response.StreamEvent => ({
  _tag: "UnknownEvent",
  type,
  value
})
