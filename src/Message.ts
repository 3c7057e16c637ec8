/**
 * Messages and content blocks of the Converse API, as Effect Schemas in the library's own tagged shape.
 *
 * @example
 * ```ts
 * import { Message } from "bedrock-llm"
 *
 * const question = Message.user("What is in this picture?")
 * const answer = Message.assistant([Message.text("A cat on a mat.")])
 * console.log(Message.textOf(answer), question.role)
 * ```
 *
 * @since 0.1.0
 */
import type { PlatformError } from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { TypeId } from "./internal/errorTypeId.js"

// ---------------------------------------------------------------------------
// primitives
// ---------------------------------------------------------------------------

/**
 * Any JSON value (tool inputs, tool results, model-specific fields); typed `unknown`.
 *
 * @since 0.1.0
 * @category models
 */
export const JsonValue: Schema.Schema<unknown> = Schema.Unknown.annotations({
  identifier: "JsonValue",
  arbitrary: () => (fc) => fc.jsonValue({ maxDepth: 2 }).map((value) => JSON.parse(JSON.stringify(value)))
})

/**
 * A JSON object (`{ ... }`), e.g. a tool's input JSON Schema.
 *
 * @since 0.1.0
 * @category models
 */
export const JsonObject = Schema.Record({ key: Schema.String, value: JsonValue }).annotations({
  identifier: "JsonObject"
})

/**
 * A JSON object.
 *
 * @since 0.1.0
 * @category models
 */
export type JsonObject = Schema.Schema.Type<typeof JsonObject>

/**
 * Bytes: `Uint8Array` in memory, base64 in JSON.
 *
 * @since 0.1.0
 * @category models
 */
export const Bytes: Schema.Schema<Uint8Array, string> = Schema.Uint8ArrayFromBase64

/**
 * The author of a message.
 *
 * @since 0.1.0
 * @category models
 */
export const Role = Schema.Literal("user", "assistant")

/**
 * The author of a message.
 *
 * @since 0.1.0
 * @category models
 */
export type Role = Schema.Schema.Type<typeof Role>

/**
 * Image formats accepted by Converse.
 *
 * @since 0.1.0
 * @category models
 */
export const ImageFormat = Schema.Literal("png", "jpeg", "gif", "webp")

/**
 * Image formats accepted by Converse.
 *
 * @since 0.1.0
 * @category models
 */
export type ImageFormat = Schema.Schema.Type<typeof ImageFormat>

/**
 * Document formats accepted by Converse.
 *
 * @since 0.1.0
 * @category models
 */
export const DocumentFormat = Schema.Literal("pdf", "csv", "doc", "docx", "xls", "xlsx", "html", "txt", "md")

/**
 * Document formats accepted by Converse.
 *
 * @since 0.1.0
 * @category models
 */
export type DocumentFormat = Schema.Schema.Type<typeof DocumentFormat>

/**
 * Video formats accepted by Converse.
 *
 * @since 0.1.0
 * @category models
 */
export const VideoFormat = Schema.Literal("mkv", "mov", "mp4", "webm", "flv", "mpeg", "mpg", "wmv", "three_gp")

/**
 * Video formats accepted by Converse.
 *
 * @since 0.1.0
 * @category models
 */
export type VideoFormat = Schema.Schema.Type<typeof VideoFormat>

// ---------------------------------------------------------------------------
// sources
// ---------------------------------------------------------------------------

/**
 * Inline bytes as a media source.
 *
 * @since 0.1.0
 * @category models
 */
export const BytesSource = Schema.TaggedStruct("Bytes", { bytes: Bytes })

/**
 * Inline bytes as a media source.
 *
 * @since 0.1.0
 * @category models
 */
export interface BytesSource extends Schema.Schema.Type<typeof BytesSource> {}

/**
 * An object in Amazon S3 as a media source.
 *
 * @since 0.1.0
 * @category models
 */
export const S3Source = Schema.TaggedStruct("S3Location", {
  uri: Schema.String,
  bucketOwner: Schema.optional(Schema.String)
})

/**
 * An object in Amazon S3 as a media source.
 *
 * @since 0.1.0
 * @category models
 */
export interface S3Source extends Schema.Schema.Type<typeof S3Source> {}

/**
 * Where image or video bytes come from: inline bytes or S3.
 *
 * @since 0.1.0
 * @category models
 */
export const MediaSource = Schema.Union(BytesSource, S3Source)

/**
 * Where image or video bytes come from: inline bytes or S3.
 *
 * @since 0.1.0
 * @category models
 */
export type MediaSource = Schema.Schema.Type<typeof MediaSource>

// ---------------------------------------------------------------------------
// content blocks
// ---------------------------------------------------------------------------

/**
 * A text block.
 *
 * @since 0.1.0
 * @category models
 */
export const Text = Schema.TaggedStruct("Text", { text: Schema.String })

/**
 * A text block.
 *
 * @since 0.1.0
 * @category models
 */
export interface Text extends Schema.Schema.Type<typeof Text> {}

/**
 * An image block (input, or output of image-generating models).
 *
 * @since 0.1.0
 * @category models
 */
export const Image = Schema.TaggedStruct("Image", {
  format: ImageFormat,
  source: MediaSource,
  error: Schema.optional(Schema.String)
})

/**
 * An image block (input, or output of image-generating models).
 *
 * @since 0.1.0
 * @category models
 */
export interface Image extends Schema.Schema.Type<typeof Image> {}

/**
 * A document's text given inline.
 *
 * @since 0.1.0
 * @category models
 */
export const TextSource = Schema.TaggedStruct("Text", { text: Schema.String })

/**
 * A document's text given inline.
 *
 * @since 0.1.0
 * @category models
 */
export interface TextSource extends Schema.Schema.Type<typeof TextSource> {}

/**
 * A document given as text chunks (e.g. for citations by chunk).
 *
 * @since 0.1.0
 * @category models
 */
export const ContentSource = Schema.TaggedStruct("Content", { content: Schema.Array(Text) })

/**
 * A document given as text chunks (e.g. for citations by chunk).
 *
 * @since 0.1.0
 * @category models
 */
export interface ContentSource extends Schema.Schema.Type<typeof ContentSource> {}

/**
 * Where a document comes from: bytes, S3, inline text or text chunks.
 *
 * @since 0.1.0
 * @category models
 */
export const DocumentSource = Schema.Union(BytesSource, S3Source, TextSource, ContentSource)

/**
 * Where a document comes from: bytes, S3, inline text or text chunks.
 *
 * @since 0.1.0
 * @category models
 */
export type DocumentSource = Schema.Schema.Type<typeof DocumentSource>

/**
 * A document block; `citations: true` asks the model to cite it.
 *
 * @since 0.1.0
 * @category models
 */
export const Document = Schema.TaggedStruct("Document", {
  name: Schema.String,
  format: Schema.optional(DocumentFormat),
  source: DocumentSource,
  context: Schema.optional(Schema.String),
  citations: Schema.optional(Schema.Boolean)
})

/**
 * A document block; `citations: true` asks the model to cite it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Document extends Schema.Schema.Type<typeof Document> {}

/**
 * A video block.
 *
 * @since 0.1.0
 * @category models
 */
export const Video = Schema.TaggedStruct("Video", { format: VideoFormat, source: MediaSource })

/**
 * A video block.
 *
 * @since 0.1.0
 * @category models
 */
export interface Video extends Schema.Schema.Type<typeof Video> {}

/**
 * A request from the model to call a tool; `type` is e.g. `"server_tool_use"` for server-side tools.
 *
 * @since 0.1.0
 * @category models
 */
export const ToolUse = Schema.TaggedStruct("ToolUse", {
  toolUseId: Schema.String,
  name: Schema.String,
  input: JsonValue,
  type: Schema.optional(Schema.String)
})

/**
 * A request from the model to call a tool; `type` is e.g. `"server_tool_use"` for server-side tools.
 *
 * @since 0.1.0
 * @category models
 */
export interface ToolUse extends Schema.Schema.Type<typeof ToolUse> {}

/**
 * JSON content of a tool result.
 *
 * @since 0.1.0
 * @category models
 */
export const Json = Schema.TaggedStruct("Json", { json: JsonValue })

/**
 * JSON content of a tool result.
 *
 * @since 0.1.0
 * @category models
 */
export interface Json extends Schema.Schema.Type<typeof Json> {}

/**
 * A search result given to the model (as a block or inside a tool result).
 *
 * @since 0.1.0
 * @category models
 */
export const SearchResult = Schema.TaggedStruct("SearchResult", {
  source: Schema.String,
  title: Schema.String,
  content: Schema.Array(Text),
  citations: Schema.optional(Schema.Boolean)
})

/**
 * A search result given to the model (as a block or inside a tool result).
 *
 * @since 0.1.0
 * @category models
 */
export interface SearchResult extends Schema.Schema.Type<typeof SearchResult> {}

/**
 * A block this library does not model (or a newer one), kept as its SDK member name and value so nothing is lost.
 *
 * @since 0.1.0
 * @category models
 */
export const Unknown = Schema.TaggedStruct("Unknown", { type: Schema.String, value: JsonValue })

/**
 * A block this library does not model (or a newer one), kept as its SDK member name and value so nothing is lost.
 *
 * @since 0.1.0
 * @category models
 */
export interface Unknown extends Schema.Schema.Type<typeof Unknown> {}

/**
 * One part of a tool result.
 *
 * @since 0.1.0
 * @category models
 */
export const ToolResultContent = Schema.Union(Text, Json, Image, Document, Video, SearchResult, Unknown)

/**
 * One part of a tool result.
 *
 * @since 0.1.0
 * @category models
 */
export type ToolResultContent = Schema.Schema.Type<typeof ToolResultContent>

/**
 * The outcome of a tool call.
 *
 * @since 0.1.0
 * @category models
 */
export const ToolResultStatus = Schema.Literal("success", "error")

/**
 * The outcome of a tool call.
 *
 * @since 0.1.0
 * @category models
 */
export type ToolResultStatus = Schema.Schema.Type<typeof ToolResultStatus>

/**
 * The result of a tool call, answering the `ToolUse` with the same `toolUseId`.
 *
 * @since 0.1.0
 * @category models
 */
export const ToolResult = Schema.TaggedStruct("ToolResult", {
  toolUseId: Schema.String,
  content: Schema.Array(ToolResultContent),
  status: Schema.optional(ToolResultStatus),
  type: Schema.optional(Schema.String)
})

/**
 * The result of a tool call, answering the `ToolUse` with the same `toolUseId`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ToolResult extends Schema.Schema.Type<typeof ToolResult> {}

/**
 * The model's visible reasoning; the signature must be sent back unchanged in later turns.
 *
 * @since 0.1.0
 * @category models
 */
export const Reasoning = Schema.TaggedStruct("Reasoning", {
  text: Schema.String,
  signature: Schema.optional(Schema.String)
})

/**
 * The model's visible reasoning; the signature must be sent back unchanged in later turns.
 *
 * @since 0.1.0
 * @category models
 */
export interface Reasoning extends Schema.Schema.Type<typeof Reasoning> {}

/**
 * Reasoning the provider encrypted; opaque bytes to send back unchanged.
 *
 * @since 0.1.0
 * @category models
 */
export const RedactedReasoning = Schema.TaggedStruct("RedactedReasoning", { data: Bytes })

/**
 * Reasoning the provider encrypted; opaque bytes to send back unchanged.
 *
 * @since 0.1.0
 * @category models
 */
export interface RedactedReasoning extends Schema.Schema.Type<typeof RedactedReasoning> {}

/**
 * Time to live of a prompt-cache checkpoint.
 *
 * @since 0.1.0
 * @category models
 */
export const CacheTtl = Schema.Literal("5m", "1h")

/**
 * Time to live of a prompt-cache checkpoint.
 *
 * @since 0.1.0
 * @category models
 */
export type CacheTtl = Schema.Schema.Type<typeof CacheTtl>

/**
 * A prompt-cache checkpoint: everything before it may be cached.
 *
 * @since 0.1.0
 * @category models
 */
export const CachePoint = Schema.TaggedStruct("CachePoint", {
  type: Schema.optionalWith(Schema.Literal("default"), { default: () => "default" as const }),
  ttl: Schema.optional(CacheTtl)
})

/**
 * A prompt-cache checkpoint: everything before it may be cached.
 *
 * @since 0.1.0
 * @category models
 */
export interface CachePoint extends Schema.Schema.Type<typeof CachePoint> {}

/**
 * How a guardrail treats guarded text.
 *
 * @since 0.1.0
 * @category models
 */
export const GuardQualifier = Schema.Literal("grounding_source", "query", "guard_content")

/**
 * How a guardrail treats guarded text.
 *
 * @since 0.1.0
 * @category models
 */
export type GuardQualifier = Schema.Schema.Type<typeof GuardQualifier>

/**
 * Text a guardrail evaluates.
 *
 * @since 0.1.0
 * @category models
 */
export const GuardText = Schema.TaggedStruct("Text", {
  text: Schema.String,
  qualifiers: Schema.optional(Schema.Array(GuardQualifier))
})

/**
 * Text a guardrail evaluates.
 *
 * @since 0.1.0
 * @category models
 */
export interface GuardText extends Schema.Schema.Type<typeof GuardText> {}

/**
 * An image a guardrail evaluates.
 *
 * @since 0.1.0
 * @category models
 */
export const GuardImage = Schema.TaggedStruct("Image", {
  format: Schema.Literal("png", "jpeg"),
  bytes: Bytes
})

/**
 * An image a guardrail evaluates.
 *
 * @since 0.1.0
 * @category models
 */
export interface GuardImage extends Schema.Schema.Type<typeof GuardImage> {}

/**
 * Content a guardrail evaluates (only this part of the prompt is guarded).
 *
 * @since 0.1.0
 * @category models
 */
export const GuardContent = Schema.TaggedStruct("GuardContent", {
  content: Schema.Union(GuardText, GuardImage)
})

/**
 * Content a guardrail evaluates (only this part of the prompt is guarded).
 *
 * @since 0.1.0
 * @category models
 */
export interface GuardContent extends Schema.Schema.Type<typeof GuardContent> {}

/**
 * Character span in a cited document.
 *
 * @since 0.1.0
 * @category models
 */
export const DocumentCharLocation = Schema.TaggedStruct("DocumentChar", {
  documentIndex: Schema.optional(Schema.NonNegativeInt),
  start: Schema.optional(Schema.NonNegativeInt),
  end: Schema.optional(Schema.NonNegativeInt)
})

/**
 * Page span in a cited document.
 *
 * @since 0.1.0
 * @category models
 */
export const DocumentPageLocation = Schema.TaggedStruct("DocumentPage", {
  documentIndex: Schema.optional(Schema.NonNegativeInt),
  start: Schema.optional(Schema.NonNegativeInt),
  end: Schema.optional(Schema.NonNegativeInt)
})

/**
 * Chunk span in a cited document.
 *
 * @since 0.1.0
 * @category models
 */
export const DocumentChunkLocation = Schema.TaggedStruct("DocumentChunk", {
  documentIndex: Schema.optional(Schema.NonNegativeInt),
  start: Schema.optional(Schema.NonNegativeInt),
  end: Schema.optional(Schema.NonNegativeInt)
})

/**
 * Block span in a cited search result.
 *
 * @since 0.1.0
 * @category models
 */
export const SearchResultLocation = Schema.TaggedStruct("SearchResultLocation", {
  searchResultIndex: Schema.optional(Schema.NonNegativeInt),
  start: Schema.optional(Schema.NonNegativeInt),
  end: Schema.optional(Schema.NonNegativeInt)
})

/**
 * A cited web page.
 *
 * @since 0.1.0
 * @category models
 */
export const WebLocation = Schema.TaggedStruct("Web", {
  url: Schema.optional(Schema.String),
  domain: Schema.optional(Schema.String)
})

/**
 * A location kind this library does not know yet.
 *
 * @since 0.1.0
 * @category models
 */
export const UnknownLocation = Schema.TaggedStruct("UnknownLocation", { type: Schema.String, value: JsonValue })

/**
 * Where a citation points.
 *
 * @since 0.1.0
 * @category models
 */
export const CitationLocation = Schema.Union(
  DocumentCharLocation,
  DocumentPageLocation,
  DocumentChunkLocation,
  SearchResultLocation,
  WebLocation,
  UnknownLocation
)

/**
 * Where a citation points.
 *
 * @since 0.1.0
 * @category models
 */
export type CitationLocation = Schema.Schema.Type<typeof CitationLocation>

/**
 * One citation: where in which source the cited text is.
 *
 * @since 0.1.0
 * @category models
 */
export const Citation = Schema.Struct({
  title: Schema.optional(Schema.String),
  source: Schema.optional(Schema.String),
  sourceContent: Schema.optional(Schema.Array(Text)),
  location: Schema.optional(CitationLocation)
})

/**
 * One citation: where in which source the cited text is.
 *
 * @since 0.1.0
 * @category models
 */
export interface Citation extends Schema.Schema.Type<typeof Citation> {}

/**
 * Generated text together with the citations that support it.
 *
 * @since 0.1.0
 * @category models
 */
export const CitationsContent = Schema.TaggedStruct("CitationsContent", {
  content: Schema.Array(Text),
  citations: Schema.Array(Citation)
})

/**
 * Generated text together with the citations that support it.
 *
 * @since 0.1.0
 * @category models
 */
export interface CitationsContent extends Schema.Schema.Type<typeof CitationsContent> {}

/**
 * Any block of a message.
 *
 * @since 0.1.0
 * @category models
 */
export const ContentBlock = Schema.Union(
  Text,
  Image,
  Document,
  Video,
  ToolUse,
  ToolResult,
  Reasoning,
  RedactedReasoning,
  CachePoint,
  GuardContent,
  CitationsContent,
  SearchResult,
  Unknown
)

/**
 * Any block of a message.
 *
 * @since 0.1.0
 * @category models
 */
export type ContentBlock = Schema.Schema.Type<typeof ContentBlock>

/**
 * Any block of a system prompt.
 *
 * @since 0.1.0
 * @category models
 */
export const SystemContentBlock = Schema.Union(Text, CachePoint, GuardContent, Unknown)

/**
 * Any block of a system prompt.
 *
 * @since 0.1.0
 * @category models
 */
export type SystemContentBlock = Schema.Schema.Type<typeof SystemContentBlock>

/**
 * One turn of a conversation. Requests need at least one block per message (`Conversation.validate` checks it);
 * a model may answer with none.
 *
 * @since 0.1.0
 * @category models
 */
export const Message = Schema.Struct({
  role: Role,
  content: Schema.Array(ContentBlock)
}).annotations({ identifier: "Message" })

/**
 * One turn of a conversation.
 *
 * @since 0.1.0
 * @category models
 */
export interface Message extends Schema.Schema.Type<typeof Message> {}

/**
 * A message's JSON form (bytes as base64).
 *
 * @since 0.1.0
 * @category models
 */
export type MessageEncoded = Schema.Schema.Encoded<typeof Message>

/**
 * A message to and from a JSON string, for persistence.
 *
 * @since 0.1.0
 * @category models
 */
export const MessageFromJson = Schema.parseJson(Message)

/**
 * A whole conversation to and from a JSON string, for persistence.
 *
 * @since 0.1.0
 * @category models
 */
export const MessagesFromJson = Schema.parseJson(Schema.Array(Message))

// ---------------------------------------------------------------------------
// errors
// ---------------------------------------------------------------------------

/**
 * A file whose media format Converse does not accept (or that could not be recognised).
 *
 * @since 0.1.0
 * @category errors
 */
export class UnsupportedMediaFormat extends Schema.TaggedError<UnsupportedMediaFormat>()("UnsupportedMediaFormat", {
  message: Schema.String,
  path: Schema.String,
  kind: Schema.Literal("image", "document", "video")
}) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId

  /**
   * @since 0.1.0
   */
  get retryable(): boolean {
    return false
  }
}

// ---------------------------------------------------------------------------
// constructors
// ---------------------------------------------------------------------------

/**
 * What the message constructors accept: a string, a block, or a non-empty list of both.
 *
 * @since 0.1.0
 * @category models
 */
export type ContentInput = string | ContentBlock | readonly [string | ContentBlock, ...Array<string | ContentBlock>]

const toBlocks = (input: ContentInput): ReadonlyArray<ContentBlock> =>
  typeof input === "string"
    ? [text(input)]
    : isReadonlyArray(input)
    ? input.map((part) => typeof part === "string" ? text(part) : part)
    : [input]

const isReadonlyArray = <A>(u: A | ReadonlyArray<A>): u is ReadonlyArray<A> => Array.isArray(u)

/**
 * A text block.
 *
 * @since 0.1.0
 * @category constructors
 */
export const text = (value: string): Text => ({ _tag: "Text", text: value })

/**
 * A user message: `Message.user("hi")` or `Message.user([Message.image(bytes, "png"), "what is this?"])`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const user = (content: ContentInput): Message => ({ role: "user", content: toBlocks(content) })

/**
 * An assistant message (a previous answer, or a prefill).
 *
 * @since 0.1.0
 * @category constructors
 */
export const assistant = (content: ContentInput): Message => ({ role: "assistant", content: toBlocks(content) })

/**
 * An S3 location of a media object.
 *
 * @since 0.1.0
 * @category models
 */
export interface S3LocationInput {
  readonly uri: string
  readonly bucketOwner?: string | undefined
}

const mediaSource = (source: Uint8Array | S3LocationInput): MediaSource =>
  source instanceof Uint8Array
    ? { _tag: "Bytes", bytes: source }
    : source.bucketOwner === undefined
    ? { _tag: "S3Location", uri: source.uri }
    : { _tag: "S3Location", uri: source.uri, bucketOwner: source.bucketOwner }

/**
 * An image block from bytes or an S3 location.
 *
 * @since 0.1.0
 * @category constructors
 */
export const image = (source: Uint8Array | S3LocationInput, format: ImageFormat): Image => ({
  _tag: "Image",
  format,
  source: mediaSource(source)
})

/**
 * A video block from bytes or an S3 location.
 *
 * @since 0.1.0
 * @category constructors
 */
export const video = (source: Uint8Array | S3LocationInput, format: VideoFormat): Video => ({
  _tag: "Video",
  format,
  source: mediaSource(source)
})

/**
 * Options of `Message.document`.
 *
 * @since 0.1.0
 * @category models
 */
export interface DocumentOptions {
  readonly name: string
  readonly format?: DocumentFormat | undefined
  readonly context?: string | undefined
  readonly citations?: boolean | undefined
}

/**
 * A document block from bytes, an S3 location, a string (format `txt` unless given) or a source.
 *
 * @since 0.1.0
 * @category constructors
 */
export const document = (
  source: Uint8Array | string | S3LocationInput | DocumentSource,
  options: DocumentOptions
): Document => {
  const documentSource: DocumentSource = typeof source === "string"
    ? { _tag: "Text", text: source }
    : source instanceof Uint8Array
    ? { _tag: "Bytes", bytes: source }
    : "_tag" in source
    ? source
    : mediaSource(source)
  const format = options.format ?? (typeof source === "string" ? "txt" : undefined)
  return {
    _tag: "Document",
    name: options.name,
    source: documentSource,
    ...(format !== undefined ? { format } : {}),
    ...(options.context !== undefined ? { context: options.context } : {}),
    ...(options.citations !== undefined ? { citations: options.citations } : {})
  }
}

/**
 * A tool-use block (mostly for tests and replays: models write these).
 *
 * @since 0.1.0
 * @category constructors
 */
export const toolUse = (toolUseId: string, name: string, input: unknown): ToolUse => ({
  _tag: "ToolUse",
  toolUseId,
  name,
  input
})

/**
 * JSON content for a tool result.
 *
 * @since 0.1.0
 * @category constructors
 */
export const json = (value: unknown): Json => ({ _tag: "Json", json: value })

/**
 * A tool-result block: a string becomes text; pass `Message.json(value)` for JSON.
 *
 * @since 0.1.0
 * @category constructors
 */
export const toolResult = (
  toolUseId: string,
  content: string | ToolResultContent | ReadonlyArray<ToolResultContent>,
  options?: { readonly status?: ToolResultStatus | undefined }
): ToolResult => ({
  _tag: "ToolResult",
  toolUseId,
  content: typeof content === "string" ? [text(content)] : isReadonlyArray(content) ? content : [content],
  ...(options?.status !== undefined ? { status: options.status } : {})
})

/**
 * A prompt-cache checkpoint block.
 *
 * @since 0.1.0
 * @category constructors
 */
export const cachePoint = (ttl?: CacheTtl): CachePoint =>
  ttl === undefined ? { _tag: "CachePoint", type: "default" } : { _tag: "CachePoint", type: "default", ttl }

/**
 * A system prompt: `Message.system("You are terse.")` or a list of strings and system blocks.
 *
 * @since 0.1.0
 * @category constructors
 */
export const system = (
  content: string | SystemContentBlock | ReadonlyArray<string | SystemContentBlock>
): ReadonlyArray<SystemContentBlock> =>
  typeof content === "string"
    ? [text(content)]
    : isReadonlyArray(content)
    ? content.map((part) => typeof part === "string" ? text(part) : part)
    : [content]

// ---------------------------------------------------------------------------
// files
// ---------------------------------------------------------------------------

const startsWith = (bytes: Uint8Array, prefix: ReadonlyArray<number>, offset = 0): boolean =>
  bytes.length >= offset + prefix.length && prefix.every((byte, i) => bytes[offset + i] === byte)

const ascii = (s: string): ReadonlyArray<number> => Array.from(s, (c) => c.charCodeAt(0))

const extensionOf = (path: string): string => {
  const name = path.slice(Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")) + 1)
  const dot = name.lastIndexOf(".")
  return dot <= 0 ? "" : name.slice(dot + 1).toLowerCase()
}

const imageExtensions: Readonly<Record<string, ImageFormat>> = {
  png: "png",
  jpg: "jpeg",
  jpeg: "jpeg",
  jpe: "jpeg",
  gif: "gif",
  webp: "webp"
}

/**
 * The image format of some bytes from their magic number, or else from the file name's extension.
 *
 * @since 0.1.0
 * @category utils
 */
export const detectImageFormat = (bytes: Uint8Array, fileName?: string): Option.Option<ImageFormat> => {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return Option.some("png")
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return Option.some("jpeg")
  if (startsWith(bytes, ascii("GIF87a")) || startsWith(bytes, ascii("GIF89a"))) return Option.some("gif")
  if (startsWith(bytes, ascii("RIFF")) && startsWith(bytes, ascii("WEBP"), 8)) return Option.some("webp")
  return fileName === undefined ? Option.none() : Option.fromNullable(imageExtensions[extensionOf(fileName)])
}

/**
 * An image block read from a file; the format comes from the magic bytes, else the extension.
 *
 * @since 0.1.0
 * @category constructors
 */
export const imageFromFile = (
  path: string
): Effect.Effect<Image, UnsupportedMediaFormat | PlatformError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const bytes = yield* fs.readFile(path)
    const format = detectImageFormat(bytes, path)
    if (Option.isNone(format)) {
      return yield* new UnsupportedMediaFormat({
        message: `Unsupported image format for "${path}": Converse accepts png, jpeg, gif and webp`,
        path,
        kind: "image"
      })
    }
    return image(bytes, format.value)
  })

const documentExtensions: ReadonlyArray<DocumentFormat> = DocumentFormat.literals

/**
 * A document block read from a file; the format comes from the extension, the name from the file name.
 *
 * @since 0.1.0
 * @category constructors
 */
export const documentFromFile = (
  path: string,
  options?: Partial<DocumentOptions>
): Effect.Effect<Document, UnsupportedMediaFormat | PlatformError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const extension = extensionOf(path)
    const format = options?.format ??
      (extension === "htm" ? "html" : documentExtensions.find((candidate) => candidate === extension))
    if (format === undefined) {
      return yield* new UnsupportedMediaFormat({
        message: `Unsupported document format for "${path}": Converse accepts ${documentExtensions.join(", ")}`,
        path,
        kind: "document"
      })
    }
    const fs = yield* FileSystem.FileSystem
    const bytes = yield* fs.readFile(path)
    const fileName = path.slice(Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")) + 1)
    const baseName = fileName.includes(".") ? fileName.slice(0, fileName.lastIndexOf(".")) : fileName
    return document(bytes, { ...options, name: options?.name ?? documentName(baseName), format })
  })

const documentName = (raw: string): string => {
  const cleaned = raw.replace(/[^A-Za-z0-9\s\-()[\]]/g, " ").replace(/\s+/g, " ").trim()
  return cleaned.length === 0 ? "document" : cleaned
}

// ---------------------------------------------------------------------------
// guards
// ---------------------------------------------------------------------------

/**
 * Whether a block is a tool use.
 *
 * @since 0.1.0
 * @category utils
 */
export const isToolUse = (block: ContentBlock): block is ToolUse => block._tag === "ToolUse"

/**
 * Whether a block is a tool result.
 *
 * @since 0.1.0
 * @category utils
 */
export const isToolResult = (block: ContentBlock): block is ToolResult => block._tag === "ToolResult"

/**
 * The tool uses of a message, in order.
 *
 * @since 0.1.0
 * @category utils
 */
export const toolUses = (message: Message): ReadonlyArray<ToolUse> => message.content.filter(isToolUse)

/**
 * The concatenated text of a message (text blocks and cited text, in order).
 *
 * @since 0.1.0
 * @category utils
 */
export const textOf = (message: Message): string =>
  message.content.map((block) =>
    block._tag === "Text"
      ? block.text
      : block._tag === "CitationsContent"
      ? block.content.map((part) => part.text).join("")
      : ""
  ).join("")
