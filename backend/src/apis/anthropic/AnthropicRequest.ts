/**
 * Anthropic Messages request -> the library's `BedrockClient.Request` (pure). Everything the gateway cannot honour on
 * the target model is refused with `InvalidParameter` naming Anthropic's field, so that no request Bedrock would reject
 * (or silently treat differently) is sent: remote or Files-API sources, server tools, images on a model without
 * vision, thinking on a model that does not reason, more than four cache breakpoints, `tool_choice: none` on a
 * conversation that holds tool blocks, and so on.
 *
 * What it maps: system (string or text blocks), text, base64 images, documents (base64 PDF, plain text, text chunks),
 * search results, `tool_use` / `tool_result` (string or blocks, `is_error`), `thinking` / `redacted_thinking` blocks
 * (signatures and data sent back unchanged), `cache_control` (a cache point after the block, or after the last message
 * for the top-level one), `stop_sequences`, `temperature`, `top_p`, `top_k`, `tool_choice`, `thinking` (Claude's
 * `additionalModelRequestFields.thinking`) and `metadata.user_id` (Converse `requestMetadata`). Consecutive messages of
 * one role are merged into one turn, as Anthropic's API does.
 *
 * @since 0.1.0
 */
import type { BedrockClient } from "bedrock-llm"
import { Conversation, Message, type ModelCatalog } from "bedrock-llm"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { InvalidParameter } from "./AnthropicError.js"
import type {
  CacheControl,
  ContentBlockParam,
  CountTokensRequest,
  DocumentBlockParam,
  ImageBlockParam,
  MessagesRequest,
  SearchResultBlockParam,
  TextBlockParam,
  ToolChoice
} from "./AnthropicSchema.js"

/**
 * A translated request: the library's request and the `max_tokens` the gateway bounds the call with.
 *
 * @since 0.1.0
 * @category models
 */
export interface Translated {
  readonly request: BedrockClient.BedrockClient.Request
  readonly maxTokens: number | undefined
}

/** Bedrock's limit of cache checkpoints per request (Anthropic's too). */
const maxCachePoints = 4
/** Anthropic's smallest thinking budget. */
const minThinkingBudget = 1024
/** The characters Converse allows in `requestMetadata` keys and values. */
const metadataValue = /^[a-zA-Z0-9\s:_@$#=/+,.-]{0,256}$/
const base64 = /^[A-Za-z0-9+/]*={0,2}$/

class Refusal {
  constructor(readonly error: InvalidParameter) {}
}

const refuse = (parameter: string, message: string): never => {
  throw new Refusal(new InvalidParameter({ parameter, message }))
}

/** What the translation needs to know of the target. */
interface Target {
  readonly info: ModelCatalog.ModelInfo
}

class Context {
  cachePoints = 0
  readonly documentNames = new Set<string>()
  constructor(readonly target: Target) {}

  cachePoint(control: CacheControl | null | undefined, path: string): Array<Message.CachePoint> {
    if (control === undefined || control === null) return []
    if (!this.target.info.capabilities.promptCaching) {
      refuse(`${path}.cache_control`, `prompt caching is not available on ${this.target.info.id}`)
    }
    this.cachePoints++
    if (this.cachePoints > maxCachePoints) {
      refuse(`${path}.cache_control`, `a request may have at most ${maxCachePoints} blocks with cache_control`)
    }
    return [Message.cachePoint(control.ttl)]
  }

  documentName(title: string | null | undefined): string {
    // Converse allows letters, digits, single spaces, hyphens, parentheses and square brackets in a document's name.
    const cleaned = (title ?? "").replace(/[^A-Za-z0-9\s()[\]-]/g, " ").replace(/\s+/g, " ").trim().slice(0, 180)
    const base = cleaned === "" ? `document ${this.documentNames.size + 1}` : cleaned
    let name = base
    for (let n = 2; this.documentNames.has(name); n++) name = `${base} (${n})`
    this.documentNames.add(name)
    return name
  }
}

const decodeBase64 = (data: string, path: string): Uint8Array => {
  const compact = data.replace(/\s/g, "")
  if (compact.length === 0) refuse(path, "the data is empty")
  if (compact.length % 4 !== 0 || !base64.test(compact)) refuse(path, "the data is not valid base64")
  return new Uint8Array(Buffer.from(compact, "base64"))
}

const nonBlank = (text: string, path: string): string => {
  if (text.trim() === "") refuse(path, "text content blocks must contain non-whitespace text")
  return text
}

const remoteSource = (source: { readonly type: string }, path: string): void => {
  if (source.type === "url") {
    refuse(`${path}.source`, "URL sources are not supported: the gateway never fetches remote content; send base64")
  }
  if (source.type === "file") {
    refuse(`${path}.source`, "Files API sources are not supported on Bedrock; send the content inline")
  }
}

const textBlock = (block: TextBlockParam, path: string): Message.Text =>
  Message.text(nonBlank(block.text, `${path}.text`))

const imageBlock = (block: ImageBlockParam, path: string, context: Context): Message.Image => {
  remoteSource(block.source, path)
  if (!context.target.info.capabilities.vision) refuse(path, `${context.target.info.id} does not accept images`)
  const source = block.source as Extract<ImageBlockParam["source"], { type: "base64" }>
  const format = source.media_type.slice("image/".length) as Message.ImageFormat
  const bytes = decodeBase64(source.data, `${path}.source.data`)
  const detected = Message.detectImageFormat(bytes)
  if (Option.isNone(detected) || detected.value !== format) {
    refuse(`${path}.source.data`, `the data is not a ${source.media_type} image`)
  }
  return Message.image(bytes, format)
}

const documentBlock = (block: DocumentBlockParam, path: string, context: Context): Message.Document => {
  remoteSource(block.source, path)
  if (!context.target.info.capabilities.documents) refuse(path, `${context.target.info.id} does not accept documents`)
  const citations = block.citations?.enabled === true
  if (citations && !context.target.info.capabilities.citations) {
    refuse(`${path}.citations`, `${context.target.info.id} cannot cite documents`)
  }
  const name = context.documentName(block.title)
  const extra = {
    ...(block.context === undefined || block.context === null ? {} : { context: block.context }),
    ...(citations ? { citations: true } : {})
  }
  const source = block.source
  switch (source.type) {
    case "base64": {
      const bytes = decodeBase64(source.data, `${path}.source.data`)
      if (!Buffer.from(bytes.subarray(0, 5)).equals(Buffer.from("%PDF-"))) {
        refuse(`${path}.source.data`, "the data is not a PDF document")
      }
      return { _tag: "Document", name, format: "pdf", source: { _tag: "Bytes", bytes }, ...extra }
    }
    case "text":
      return { _tag: "Document", name, format: "txt", source: { _tag: "Text", text: source.data }, ...extra }
    case "content": {
      const chunks = typeof source.content === "string"
        ? [Message.text(nonBlank(source.content, `${path}.source.content`))]
        : source.content.map((chunk, index) => textBlock(chunk, `${path}.source.content.${index}`))
      if (chunks.length === 0) refuse(`${path}.source.content`, "a content document needs at least one block")
      return { _tag: "Document", name, format: "txt", source: { _tag: "Content", content: chunks }, ...extra }
    }
    default:
      return refuse(`${path}.source`, "unsupported document source")
  }
}

const searchResultBlock = (block: SearchResultBlockParam, path: string): Message.SearchResult => ({
  _tag: "SearchResult",
  source: block.source,
  title: block.title,
  content: block.content.map((text, index) => textBlock(text, `${path}.content.${index}`)),
  ...(block.citations?.enabled === true ? { citations: true } : {})
})

type ConvertedContent = Array<Message.ContentBlock>

const contentBlock = (
  block: ContentBlockParam,
  role: "user" | "assistant",
  path: string,
  context: Context
): ConvertedContent => {
  switch (block.type) {
    case "text":
      return [textBlock(block, path), ...context.cachePoint(block.cache_control, path)]
    case "image":
      return [imageBlock(block, path, context), ...context.cachePoint(block.cache_control, path)]
    case "document":
      if (role !== "user") refuse(`${path}.type`, "document blocks belong in user messages")
      return [documentBlock(block, path, context), ...context.cachePoint(block.cache_control, path)]
    case "search_result":
      return [searchResultBlock(block, path), ...context.cachePoint(block.cache_control, path)]
    case "tool_use":
      if (role !== "assistant") refuse(`${path}.type`, "tool_use blocks belong in assistant messages")
      return [
        Message.toolUse(block.id, block.name, block.input),
        ...context.cachePoint(block.cache_control, path)
      ]
    case "tool_result": {
      if (role !== "user") refuse(`${path}.type`, "tool_result blocks belong in user messages")
      const parts: Array<Message.ToolResultContent> = block.content === undefined
        ? []
        : typeof block.content === "string"
        ? (block.content === "" ? [] : [Message.text(block.content)])
        : block.content.map((part, index) => {
          const partPath = `${path}.content.${index}`
          switch (part.type) {
            case "text":
              return textBlock(part, partPath)
            case "image":
              return imageBlock(part, partPath, context)
            case "document":
              return documentBlock(part, partPath, context)
            case "search_result":
              return searchResultBlock(part, partPath)
          }
        })
      // Converse has no breakpoint inside a tool result: one inside it caches up to the end of the result.
      const inner = Array.isArray(block.content)
        ? block.content.find((part) => part.cache_control !== undefined && part.cache_control !== null)
        : undefined
      return [
        {
          _tag: "ToolResult",
          toolUseId: block.tool_use_id,
          content: parts.length === 0 ? [Message.text("(empty result)")] : parts,
          status: block.is_error === true ? "error" : "success"
        },
        ...context.cachePoint(block.cache_control ?? inner?.cache_control, path)
      ]
    }
    case "thinking":
      if (role !== "assistant") refuse(`${path}.type`, "thinking blocks belong in assistant messages")
      return [{ _tag: "Reasoning", text: block.thinking, signature: block.signature }]
    case "redacted_thinking":
      if (role !== "assistant") refuse(`${path}.type`, "redacted_thinking blocks belong in assistant messages")
      return [{ _tag: "RedactedReasoning", data: decodeBase64(block.data, `${path}.data`) }]
  }
}

const messagesOf = (
  messages: MessagesRequest["messages"],
  topLevelCache: CacheControl | null | undefined,
  context: Context
): Array<Message.Message> => {
  if (messages.length === 0) refuse("messages", "at least one message is required")
  const merged: Array<{ role: "user" | "assistant"; content: Array<Message.ContentBlock> }> = []
  messages.forEach((message, index) => {
    const path = `messages.${index}`
    const content = typeof message.content === "string"
      ? [Message.text(nonBlank(message.content, `${path}.content`))]
      : message.content.flatMap((block, blockIndex) =>
        contentBlock(block, message.role, `${path}.content.${blockIndex}`, context)
      )
    if (content.length === 0) refuse(`${path}.content`, "a message needs at least one content block")
    const last = merged[merged.length - 1]
    if (last !== undefined && last.role === message.role) last.content.push(...content)
    else merged.push({ role: message.role, content })
  })
  const last = merged[merged.length - 1]!
  last.content.push(...context.cachePoint(topLevelCache, ""))
  return merged
}

const systemOf = (
  system: MessagesRequest["system"],
  context: Context
): Array<Message.SystemContentBlock> | undefined => {
  if (system === undefined) return undefined
  if (typeof system === "string") return system.trim() === "" ? undefined : [Message.text(system)]
  const blocks = system.flatMap((block, index) => [
    textBlock(block, `system.${index}`),
    ...context.cachePoint(block.cache_control, `system.${index}`)
  ])
  return blocks.length === 0 ? undefined : blocks
}

const hasToolBlocks = (messages: ReadonlyArray<Message.Message>): boolean =>
  messages.some((message) => message.content.some((block) => block._tag === "ToolUse" || block._tag === "ToolResult"))

const toolChoiceOf = (choice: ToolChoice, names: ReadonlySet<string>): Conversation.ToolChoice | undefined => {
  if (choice.type !== "none" && choice.disable_parallel_tool_use === true) {
    refuse(
      "tool_choice.disable_parallel_tool_use",
      "Bedrock's Converse API cannot forbid parallel tool calls; leave it unset or false"
    )
  }
  switch (choice.type) {
    case "auto":
      return Conversation.toolChoiceAuto
    case "any":
      return Conversation.toolChoiceAny
    case "tool":
      if (!names.has(choice.name)) refuse("tool_choice.name", `no tool named ${choice.name} is defined in tools`)
      return Conversation.toolChoiceTool(choice.name)
    case "none":
      return undefined
  }
}

const toolConfigOf = (
  body: CountTokensRequest,
  messages: ReadonlyArray<Message.Message>,
  context: Context
): Conversation.ToolConfiguration | undefined => {
  const tools = body.tools ?? []
  const choice = body.tool_choice
  if (tools.length > 0 && !context.target.info.capabilities.tools) {
    refuse("tools", `${context.target.info.id} does not support tools`)
  }
  if (choice !== undefined && choice.type !== "none" && tools.length === 0) {
    refuse("tool_choice", "tool_choice needs tools")
  }
  if (choice?.type === "none") {
    // Converse has no "none": a model offered no tools calls none, which Bedrock allows only without tool blocks.
    if (hasToolBlocks(messages)) {
      refuse(
        "tool_choice",
        "tool_choice none cannot be honoured on Bedrock for a conversation that holds tool_use or tool_result blocks"
      )
    }
    return undefined
  }
  if (tools.length === 0) return undefined
  const names = new Set<string>()
  const entries = tools.flatMap((tool, index): Array<Conversation.Tool> => {
    if (names.has(tool.name)) refuse(`tools.${index}.name`, `the tool name ${tool.name} is used twice`)
    names.add(tool.name)
    return [
      Conversation.toolSpec({
        name: tool.name,
        ...(tool.description === undefined ? {} : { description: tool.description }),
        inputSchema: tool.input_schema,
        ...(tool.strict === undefined ? {} : { strict: tool.strict })
      }),
      ...context.cachePoint(tool.cache_control, `tools.${index}`)
    ]
  })
  const toolChoice = choice === undefined ? undefined : toolChoiceOf(choice, names)
  return Conversation.toolConfig(entries, toolChoice)
}

const thinkingOf = (
  body: CountTokensRequest & Partial<Pick<MessagesRequest, "max_tokens" | "temperature" | "top_k" | "top_p">>,
  context: Context
): Record<string, unknown> | undefined => {
  const thinking = body.thinking
  if (thinking === undefined || thinking.type === "disabled") return undefined
  const info = context.target.info
  if (info.family !== "anthropic" || !info.capabilities.reasoning) {
    refuse("thinking", `extended thinking is not available on ${info.id}`)
  }
  if (body.temperature !== undefined && body.temperature !== 1) {
    refuse("temperature", "temperature may only be set to 1 when thinking is enabled")
  }
  if (body.top_k !== undefined) refuse("top_k", "top_k cannot be set when thinking is enabled")
  if (body.top_p !== undefined && body.top_p < 0.95) {
    refuse("top_p", "top_p must be between 0.95 and 1 when thinking is enabled")
  }
  if (body.tool_choice?.type === "any" || body.tool_choice?.type === "tool") {
    refuse("tool_choice", "thinking may not be enabled when tool_choice forces tool use")
  }
  const display = thinking.display === undefined || thinking.display === null ? {} : { display: thinking.display }
  if (thinking.type === "adaptive") return { type: "adaptive", ...display }
  if (thinking.budget_tokens < minThinkingBudget) {
    refuse("thinking.budget_tokens", `must be at least ${minThinkingBudget}`)
  }
  if (body.max_tokens !== undefined && thinking.budget_tokens >= body.max_tokens) {
    refuse("max_tokens", "must be greater than thinking.budget_tokens")
  }
  return { type: "enabled", budget_tokens: thinking.budget_tokens, ...display }
}

const translate = (
  body: CountTokensRequest & Partial<Omit<MessagesRequest, keyof CountTokensRequest>>,
  target: Target
): Translated => {
  const context = new Context(target)
  const system = systemOf(body.system, context)
  const messages = messagesOf(body.messages, body.cache_control, context)
  const toolConfig = toolConfigOf(body, messages, context)
  const invalid = Conversation.check(messages, { toolConfig })
  if (Option.isSome(invalid)) {
    refuse(
      invalid.value.rule === "tool-config-required" ? "tools" : "messages",
      invalid.value.rule === "tool-config-required"
        ? "requests that include tool_use or tool_result blocks must define tools"
        : invalid.value.message
    )
  }
  const thinking = thinkingOf(body, context)
  ;(body.stop_sequences ?? []).forEach((sequence, index) => {
    if (sequence.trim() === "") refuse(`stop_sequences.${index}`, "stop sequences must contain non-whitespace")
  })
  const userId = body.metadata?.user_id
  if (userId !== undefined && userId !== null && !metadataValue.test(userId)) {
    refuse("metadata.user_id", "must be at most 256 letters, digits, spaces or the characters :_@$#=/+,.-")
  }
  const model: BedrockClient.BedrockClient.ModelOverrides = {
    ...(body.temperature === undefined ? {} : { temperature: body.temperature }),
    ...(body.top_p === undefined ? {} : { topP: body.top_p }),
    ...(body.top_k === undefined ? {} : { topK: body.top_k }),
    ...(body.stop_sequences === undefined || body.stop_sequences.length === 0
      ? {}
      : { stopSequences: body.stop_sequences }),
    ...(thinking === undefined ? {} : { additionalModelRequestFields: { thinking } }),
    ...(userId === undefined || userId === null ? {} : { requestMetadata: { user_id: userId } })
  }
  return {
    request: {
      messages,
      ...(system === undefined ? {} : { system }),
      ...(toolConfig === undefined ? {} : { toolConfig }),
      ...(Object.keys(model).length === 0 ? {} : { model })
    },
    maxTokens: body.max_tokens
  }
}

const attempt = (run: () => Translated): Either.Either<Translated, InvalidParameter> => {
  try {
    return Either.right(run())
  } catch (error) {
    if (error instanceof Refusal) return Either.left(error.error)
    throw error
  }
}

/**
 * A `POST /v1/messages` body as the library's request for a model, or the first field that cannot be honoured.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromMessages = (
  body: MessagesRequest,
  info: ModelCatalog.ModelInfo
): Either.Either<Translated, InvalidParameter> => attempt(() => translate(body, { info }))

/**
 * A `POST /v1/messages/count_tokens` body as the library's request (no `max_tokens`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromCountTokens = (
  body: CountTokensRequest,
  info: ModelCatalog.ModelInfo
): Either.Either<Translated, InvalidParameter> => attempt(() => translate(body, { info }))

/**
 * The API versions (`anthropic-version`) this gateway speaks.
 *
 * @since 0.1.0
 * @category constants
 */
export const versions: ReadonlyArray<string> = ["2023-01-01", "2023-06-01", "2026-10-21"]

const hasUserCitations = (messages: MessagesRequest["messages"]): string | undefined => {
  for (const [index, message] of messages.entries()) {
    if (message.role !== "user" || typeof message.content === "string") continue
    for (const [blockIndex, block] of message.content.entries()) {
      const texts = block.type === "text"
        ? [[block, ""] as const]
        : block.type === "search_result"
        ? block.content.map((text, textIndex) => [text, `.content.${textIndex}`] as const)
        : []
      for (const [text, suffix] of texts) {
        if ((text.citations ?? []).length > 0) return `messages.${index}.content.${blockIndex}${suffix}.citations`
      }
    }
  }
  return undefined
}

/**
 * What an API version forbids in a body that an older one allowed: version 2026-10-21 removed `temperature`, `top_p`
 * and `top_k`, and refuses citations in user messages.
 *
 * @since 0.1.0
 * @category utils
 */
export const versionProblem = (
  version: string,
  body: CountTokensRequest & Partial<Pick<MessagesRequest, "temperature" | "top_p" | "top_k">>
): InvalidParameter | undefined => {
  if (version < "2026-10-21") return undefined
  for (const field of ["temperature", "top_p", "top_k"] as const) {
    if (body[field] !== undefined) {
      return new InvalidParameter({ parameter: field, message: `was removed in anthropic-version ${version}` })
    }
  }
  const cited = hasUserCitations(body.messages)
  return cited === undefined ? undefined : new InvalidParameter({
    parameter: cited,
    message: `citations in user messages are refused from anthropic-version ${version}`
  })
}

/**
 * The catalog names to try for a model a client names: the name itself, then for an Anthropic API name such as
 * `claude-3-5-haiku-20241022` the Bedrock ids `anthropic.<name>-v1:0` and `anthropic.<name>` (aliases in the service's
 * configuration win, being tried first under the name itself).
 *
 * @since 0.1.0
 * @category utils
 */
export const modelCandidates = (model: string): ReadonlyArray<string> =>
  /^claude-[a-z0-9.-]+$/.test(model) ? [model, `anthropic.${model}-v1:0`, `anthropic.${model}`] : [model]
