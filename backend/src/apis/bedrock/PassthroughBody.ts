/**
 * What the passthrough checks and changes in a Bedrock request body before forwarding it (pure):
 *
 * - Converse / ConverseStream bodies are decoded with `ConverseRequest` (unknown fields refused, each content block
 *   exactly one known member) and their conversation checked with the library's `Conversation.check` (first message
 *   from the user, roles alternate, no blank text, every tool result answers a tool use, tool blocks need a
 *   `toolConfig`);
 * - InvokeModel bodies must be JSON objects; their max-tokens field is read where the model family has one;
 * - CountTokens bodies are `{"input":{"converse":{...}}}` (checked as Converse) or `{"input":{"invokeModel":{"body"}}}`;
 * - the input is bounded for admission: UTF-8 bytes of every string (no tokenizer makes a token of less than a byte),
 *   plus 10,000 tokens per image, or the model's whole context window when a document, video or S3 object is in it;
 * - a body without a max-tokens field gets the one the gateway admitted (so that Bedrock cannot write more than was
 *   reserved), and a Converse body gets the key's guardrail in place of any it names.
 *
 * @since 0.1.0
 */
import { Conversation, type Message, ModelCatalog } from "bedrock-llm"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type { KeyRecord } from "../../keys/KeyStore.js"
import * as RequestBody from "../../RequestBody.js"

/**
 * A body the passthrough refuses (400 `ValidationException`); `path` names the field.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidBody extends Schema.TaggedError<InvalidBody>()("InvalidBody", {
  path: Schema.String,
  message: Schema.String
}) {}

const contentMembers = [
  "text",
  "image",
  "document",
  "video",
  "toolUse",
  "toolResult",
  "guardContent",
  "cachePoint",
  "reasoningContent",
  "citationsContent",
  "searchResult"
] as const

const oneMember = (members: ReadonlyArray<string>, what: string) =>
  Schema.Record({ key: Schema.String, value: Schema.Unknown }).pipe(
    Schema.filter((block) => {
      const keys = Object.keys(block)
      return keys.length === 1 && members.includes(keys[0]!)
        ? undefined
        : `a ${what} must have exactly one of ${members.join(", ")}`
    })
  )

/**
 * A message of a Converse request (its blocks checked member by member afterwards).
 *
 * @since 0.1.0
 * @category schemas
 */
export const ConverseMessage = Schema.Struct({
  role: Schema.Literal("user", "assistant"),
  content: Schema.Array(oneMember(contentMembers, "content block"))
})

const ToolSpec = Schema.Struct({
  name: Schema.String.pipe(Schema.pattern(/^[a-zA-Z0-9_-]{1,64}$/)),
  description: Schema.optional(Schema.String),
  inputSchema: Schema.Struct({ json: Schema.Record({ key: Schema.String, value: Schema.Unknown }) }),
  strict: Schema.optional(Schema.Boolean)
})

/**
 * The body of Converse and ConverseStream (`modelId` is in the path), as Bedrock documents it.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ConverseRequest = Schema.Struct({
  messages: Schema.Array(ConverseMessage),
  system: Schema.optional(Schema.Array(oneMember(["text", "guardContent", "cachePoint"], "system block"))),
  inferenceConfig: Schema.optional(Schema.Struct({
    maxTokens: Schema.optional(Schema.Int.pipe(Schema.greaterThanOrEqualTo(1))),
    temperature: Schema.optional(Schema.Number.pipe(Schema.between(0, 1))),
    topP: Schema.optional(Schema.Number.pipe(Schema.between(0, 1))),
    stopSequences: Schema.optional(Schema.Array(Schema.String.pipe(Schema.minLength(1))))
  })),
  toolConfig: Schema.optional(Schema.Struct({
    tools: Schema.Array(Schema.Union(
      Schema.Struct({ toolSpec: ToolSpec }),
      Schema.Struct({ systemTool: Schema.Struct({ name: Schema.String }) }),
      Schema.Struct({
        cachePoint: Schema.Struct({ type: Schema.Literal("default"), ttl: Schema.optional(Schema.Literal("5m", "1h")) })
      })
    )),
    toolChoice: Schema.optional(Schema.Union(
      Schema.Struct({ auto: Schema.Struct({}) }),
      Schema.Struct({ any: Schema.Struct({}) }),
      Schema.Struct({ tool: Schema.Struct({ name: Schema.String }) })
    ))
  })),
  guardrailConfig: Schema.optional(Schema.Struct({
    guardrailIdentifier: Schema.String,
    guardrailVersion: Schema.String,
    trace: Schema.optional(Schema.Literal("enabled", "disabled", "enabled_full")),
    streamProcessingMode: Schema.optional(Schema.Literal("sync", "async"))
  })),
  additionalModelRequestFields: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
  additionalModelResponseFieldPaths: Schema.optional(Schema.Array(Schema.String)),
  promptVariables: Schema.optional(
    Schema.Record({ key: Schema.String, value: Schema.Struct({ text: Schema.String }) })
  ),
  requestMetadata: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String })),
  performanceConfig: Schema.optional(Schema.Struct({ latency: Schema.Literal("standard", "optimized") })),
  serviceTier: Schema.optional(Schema.Struct({ type: Schema.String }))
}).annotations({ identifier: "BedrockConverseRequest" })

/**
 * @since 0.1.0
 * @category schemas
 */
export type ConverseRequest = typeof ConverseRequest.Type

/**
 * The body of CountTokens.
 *
 * @since 0.1.0
 * @category schemas
 */
export const CountTokensRequest = Schema.Struct({
  input: Schema.Union(
    Schema.Struct({ converse: Schema.Record({ key: Schema.String, value: Schema.Unknown }) }),
    Schema.Struct({ invokeModel: Schema.Struct({ body: Schema.String }) })
  )
}).annotations({ identifier: "BedrockCountTokensRequest" })

const decodeConverse = RequestBody.strictDecoder(ConverseRequest)
const decodeCountTokens = RequestBody.strictDecoder(CountTokensRequest)

const invalid = (path: string, message: string) => new InvalidBody({ path, message })

const fromBodyError = (error: RequestBody.BodyError, prefix = "") =>
  invalid(prefix === "" ? error.path : error.path === "" ? prefix : `${prefix}.${error.path}`, error.message)

/**
 * The input of a request as the admission sees it.
 *
 * @since 0.1.0
 * @category models
 */
export interface InputSize {
  /** An upper bound of the input tokens (what the budget reserves). */
  readonly bound: number
  /** An estimate, for a call cut off before Bedrock reported its usage. */
  readonly estimate: number
}

/** Tokens per image in the bound: above what any catalogued model charges for one image. */
const imageTokenBound = 10_000
const imageTokenEstimate = 1_600
const encoder = new TextEncoder()

/**
 * The input size of any Bedrock JSON body: strings by their bytes, images by a fixed bound (their base64 data not
 * counted), documents, videos and S3 objects by the context window.
 *
 * @since 0.1.0
 * @category utils
 */
export const sizeOf = (body: unknown, contextWindow: number): InputSize => {
  let bytes = 0
  let estimate = 0
  let images = 0
  let unbounded = false
  const visit = (value: unknown, inImage: boolean): void => {
    if (typeof value === "string") {
      if (!inImage) {
        bytes += encoder.encode(value).length
        estimate += ModelCatalog.estimateTokens(value)
      }
      return
    }
    if (Array.isArray(value)) {
      for (const item of value) visit(item, inImage)
      return
    }
    if (typeof value !== "object" || value === null) return
    const record = value as Record<string, unknown>
    for (const [key, child] of Object.entries(record)) {
      if (key === "document" || key === "video" || key === "s3Location") unbounded = true
      const image = key === "image" || key === "images" || (key === "source" && record["type"] === "image")
      if (key === "image") images++
      if (key === "images" && Array.isArray(child)) images += child.length
      if (key === "type" && (child === "document" || child === "video")) unbounded = true
      visit(child, inImage || image)
    }
    if (record["type"] === "image") images++
  }
  visit(body, false)
  const bound = unbounded ? contextWindow : Math.min(contextWindow, bytes + images * imageTokenBound)
  return { bound: Math.max(1, bound), estimate: Math.max(1, Math.min(bound, estimate + images * imageTokenEstimate)) }
}

/** Converse blocks as the library's blocks, as far as `Conversation.check` looks at them. */
const asLibraryBlock = (block: Record<string, unknown>): Message.ContentBlock => {
  const [member, value] = Object.entries(block)[0]!
  const record = (typeof value === "object" && value !== null ? value : {}) as Record<string, unknown>
  switch (member) {
    case "text":
      return { _tag: "Text", text: typeof value === "string" ? value : "" }
    case "toolUse":
      return {
        _tag: "ToolUse",
        toolUseId: String(record["toolUseId"] ?? ""),
        name: String(record["name"] ?? ""),
        input: record["input"],
        ...(typeof record["type"] === "string" ? { type: record["type"] } : {})
      }
    case "toolResult":
      return { _tag: "ToolResult", toolUseId: String(record["toolUseId"] ?? ""), content: [] }
    default:
      return { _tag: "Unknown", type: member, value }
  }
}

const checkBlock = (block: Record<string, unknown>, path: string): InvalidBody | undefined => {
  const [member, value] = Object.entries(block)[0]!
  const record = typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as Record<string, unknown>
    : undefined
  const at = `${path}.${member}`
  switch (member) {
    case "text":
      return typeof value === "string" ? undefined : invalid(at, "must be a string")
    case "toolUse":
      if (record === undefined || typeof record["toolUseId"] !== "string" || typeof record["name"] !== "string") {
        return invalid(at, "needs toolUseId and name (strings) and input")
      }
      return typeof record["input"] === "object" && record["input"] !== null
        ? undefined
        : invalid(`${at}.input`, "must be a JSON object")
    case "toolResult":
      if (record === undefined || typeof record["toolUseId"] !== "string" || !Array.isArray(record["content"])) {
        return invalid(at, "needs toolUseId (a string) and content (an array)")
      }
      return undefined
    case "image":
    case "video": {
      const source = record?.["source"] as Record<string, unknown> | undefined
      if (record === undefined || typeof record["format"] !== "string" || typeof source !== "object") {
        return invalid(at, "needs format and source")
      }
      if ("bytes" in source && !isBase64(source["bytes"])) return invalid(`${at}.source.bytes`, "must be base64")
      return undefined
    }
    case "document": {
      if (record === undefined || typeof record["name"] !== "string" || typeof record["source"] !== "object") {
        return invalid(at, "needs name and source")
      }
      const source = record["source"] as Record<string, unknown>
      if ("bytes" in source && !isBase64(source["bytes"])) return invalid(`${at}.source.bytes`, "must be base64")
      return undefined
    }
    case "reasoningContent": {
      if (record === undefined) return invalid(at, "must be an object")
      if ("redactedContent" in record && !isBase64(record["redactedContent"])) {
        return invalid(`${at}.redactedContent`, "must be base64")
      }
      return undefined
    }
    default:
      return record === undefined ? invalid(at, "must be an object") : undefined
  }
}

const base64 = /^[A-Za-z0-9+/]*={0,2}$/
const isBase64 = (value: unknown): boolean =>
  typeof value === "string" && value.length > 0 && value.length % 4 === 0 && base64.test(value)

/**
 * Checks a Converse body (the whole body, or CountTokens' `input.converse`).
 *
 * @since 0.1.0
 * @category utils
 */
export const checkConverse = (value: unknown, prefix = ""): Either.Either<ConverseRequest, InvalidBody> => {
  const decoded = decodeConverse(value)
  if (Either.isLeft(decoded)) return Either.left(fromBodyError(decoded.left, prefix))
  const body = decoded.right
  const at = (path: string) => prefix === "" ? path : `${prefix}.${path}`
  for (const [index, message] of body.messages.entries()) {
    for (const [blockIndex, block] of message.content.entries()) {
      const problem = checkBlock(block, at(`messages.${index}.content.${blockIndex}`))
      if (problem !== undefined) return Either.left(problem)
    }
  }
  const messages = body.messages.map((message) => ({
    role: message.role,
    content: message.content.map(asLibraryBlock)
  }))
  const toolConfig = body.toolConfig === undefined ? undefined : { tools: [] }
  const broken = Conversation.check(messages, { toolConfig })
  if (Option.isSome(broken)) return Either.left(invalid(at("messages"), broken.value.message))
  return Either.right(body)
}

/**
 * A JSON object (InvokeModel's native body).
 *
 * @since 0.1.0
 * @category utils
 */
export const checkObject = (value: unknown): Either.Either<Record<string, unknown>, InvalidBody> =>
  typeof value === "object" && value !== null && !Array.isArray(value)
    ? Either.right(value as Record<string, unknown>)
    : Either.left(invalid("", "the body must be a JSON object"))

/**
 * Checks a CountTokens body, and its inner Converse body or InvokeModel body (base64 of a JSON object).
 *
 * @since 0.1.0
 * @category utils
 */
export const checkCountTokens = (
  value: unknown
): Either.Either<{ readonly counted: unknown }, InvalidBody> => {
  const decoded = decodeCountTokens(value)
  if (Either.isLeft(decoded)) return Either.left(fromBodyError(decoded.left))
  const input = decoded.right.input
  if ("converse" in input) {
    return Either.map(checkConverse(input.converse, "input.converse"), (converse) => ({ counted: converse }))
  }
  if (!isBase64(input.invokeModel.body)) return Either.left(invalid("input.invokeModel.body", "must be base64"))
  const parsed = RequestBody.parseJson(new Uint8Array(Buffer.from(input.invokeModel.body, "base64")))
  if (Either.isLeft(parsed)) return Either.left(invalid("input.invokeModel.body", "must be base64 of a JSON body"))
  return Either.map(checkObject(parsed.right), (body) => ({ counted: body }))
}

/**
 * Where each model family's native body takes its most output tokens.
 *
 * @since 0.1.0
 * @category constants
 */
export const maxTokensPath: Readonly<Record<ModelCatalog.Family, ReadonlyArray<string> | undefined>> = {
  "anthropic": ["max_tokens"],
  "amazon-nova": ["inferenceConfig", "max_new_tokens"],
  "amazon-titan-text": ["textGenerationConfig", "maxTokenCount"],
  "meta-llama": ["max_gen_len"],
  "mistral": ["max_tokens"],
  "cohere-command": ["max_tokens"],
  "ai21-jamba": ["max_tokens"],
  "other": ["max_tokens"],
  "amazon-titan-embed": undefined,
  "cohere-embed": undefined
}

const readPath = (body: Record<string, unknown>, path: ReadonlyArray<string>): unknown =>
  path.reduce<unknown>(
    (value, key) => typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined,
    body
  )

const writePath = (
  body: Record<string, unknown>,
  path: ReadonlyArray<string>,
  value: unknown
): Record<string, unknown> => {
  const [head, ...rest] = path
  if (head === undefined) return body
  if (rest.length === 0) return { ...body, [head]: value }
  const inner = body[head]
  return {
    ...body,
    [head]: writePath(typeof inner === "object" && inner !== null ? inner as Record<string, unknown> : {}, rest, value)
  }
}

/**
 * The max tokens a body asks for at `path` (`undefined`: none), or why the field is unusable.
 *
 * @since 0.1.0
 * @category utils
 */
export const requestedMaxTokens = (
  body: Record<string, unknown>,
  path: ReadonlyArray<string>
): Either.Either<number | undefined, InvalidBody> => {
  const value = readPath(body, path)
  if (value === undefined) return Either.right(undefined)
  return typeof value === "number" && Number.isInteger(value) && value >= 1
    ? Either.right(value)
    : Either.left(invalid(path.join("."), "must be a positive integer"))
}

/**
 * The body with `maxTokens` at `path` when it names none.
 *
 * @since 0.1.0
 * @category utils
 */
export const withMaxTokens = (
  body: Record<string, unknown>,
  path: ReadonlyArray<string>,
  maxTokens: number
): Record<string, unknown> => readPath(body, path) === undefined ? writePath(body, path, maxTokens) : body

/**
 * A Converse body with the key's guardrail in place of any it names (`streamProcessingMode` on streams only).
 *
 * @since 0.1.0
 * @category utils
 */
export const withGuardrail = (
  body: Record<string, unknown>,
  key: KeyRecord,
  streaming: boolean
): Record<string, unknown> => {
  const guardrail = key.guardrail
  if (guardrail === undefined) return body
  return {
    ...body,
    guardrailConfig: {
      guardrailIdentifier: guardrail.identifier,
      guardrailVersion: guardrail.version,
      ...(guardrail.trace === undefined ? {} : { trace: guardrail.trace }),
      ...(streaming && guardrail.streamProcessingMode !== undefined
        ? { streamProcessingMode: guardrail.streamProcessingMode }
        : {})
    }
  }
}
