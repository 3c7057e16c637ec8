/**
 * The wire shapes of Anthropic's Messages API as this gateway accepts and answers them: the request bodies of
 * `POST /v1/messages` and `POST /v1/messages/count_tokens` (strict: a field the gateway does not know is refused, never
 * dropped), the answer, the stream events and the error body. Field names are Anthropic's.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * A prompt-cache breakpoint on a block (`{"type":"ephemeral","ttl"?}`): everything up to the block may be cached.
 *
 * @since 0.1.0
 * @category schemas
 */
export const CacheControl = Schema.Struct({
  type: Schema.Literal("ephemeral"),
  ttl: Schema.optional(Schema.Literal("5m", "1h"))
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type CacheControl = typeof CacheControl.Type

const cacheControl = Schema.optional(Schema.NullOr(CacheControl))

/**
 * A text block; `citations` (of an earlier answer sent back) are accepted and sent as the text they cite.
 *
 * @since 0.1.0
 * @category schemas
 */
export const TextBlockParam = Schema.Struct({
  type: Schema.Literal("text"),
  text: Schema.String,
  cache_control: cacheControl,
  citations: Schema.optional(Schema.NullOr(Schema.Array(Schema.Unknown)))
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type TextBlockParam = typeof TextBlockParam.Type

/**
 * Inline base64 image data.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Base64ImageSource = Schema.Struct({
  type: Schema.Literal("base64"),
  media_type: Schema.Literal("image/jpeg", "image/png", "image/gif", "image/webp"),
  data: Schema.String
})

/**
 * A source by URL: parsed so that the refusal can say why (the gateway never fetches remote content).
 *
 * @since 0.1.0
 * @category schemas
 */
export const UrlSource = Schema.Struct({ type: Schema.Literal("url"), url: Schema.String })

/**
 * A source from Anthropic's Files API: parsed so that the refusal can say why (Bedrock has no Files API).
 *
 * @since 0.1.0
 * @category schemas
 */
export const FileSource = Schema.Struct({ type: Schema.Literal("file"), file_id: Schema.String })

/**
 * An image block.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ImageBlockParam = Schema.Struct({
  type: Schema.Literal("image"),
  source: Schema.Union(Base64ImageSource, UrlSource, FileSource),
  cache_control: cacheControl
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type ImageBlockParam = typeof ImageBlockParam.Type

/**
 * A PDF given inline as base64.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Base64PdfSource = Schema.Struct({
  type: Schema.Literal("base64"),
  media_type: Schema.Literal("application/pdf"),
  data: Schema.String
})

/**
 * A plain-text document.
 *
 * @since 0.1.0
 * @category schemas
 */
export const PlainTextSource = Schema.Struct({
  type: Schema.Literal("text"),
  media_type: Schema.Literal("text/plain"),
  data: Schema.String
})

/**
 * A document given as text blocks (its chunks).
 *
 * @since 0.1.0
 * @category schemas
 */
export const ContentBlockSource = Schema.Struct({
  type: Schema.Literal("content"),
  content: Schema.Union(Schema.String, Schema.Array(TextBlockParam))
})

/**
 * A document block.
 *
 * @since 0.1.0
 * @category schemas
 */
export const DocumentBlockParam = Schema.Struct({
  type: Schema.Literal("document"),
  source: Schema.Union(Base64PdfSource, PlainTextSource, ContentBlockSource, UrlSource, FileSource),
  title: Schema.optional(Schema.NullOr(Schema.String)),
  context: Schema.optional(Schema.NullOr(Schema.String)),
  citations: Schema.optional(Schema.NullOr(Schema.Struct({ enabled: Schema.optional(Schema.Boolean) }))),
  cache_control: cacheControl
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type DocumentBlockParam = typeof DocumentBlockParam.Type

/**
 * A search result given to the model.
 *
 * @since 0.1.0
 * @category schemas
 */
export const SearchResultBlockParam = Schema.Struct({
  type: Schema.Literal("search_result"),
  source: Schema.String,
  title: Schema.String,
  content: Schema.Array(TextBlockParam),
  citations: Schema.optional(Schema.NullOr(Schema.Struct({ enabled: Schema.optional(Schema.Boolean) }))),
  cache_control: cacheControl
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type SearchResultBlockParam = typeof SearchResultBlockParam.Type

/**
 * A tool call of an earlier assistant turn. `caller` (who made the call, in newer answers) is accepted and not sent.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ToolUseBlockParam = Schema.Struct({
  type: Schema.Literal("tool_use"),
  id: Schema.String,
  name: Schema.String,
  input: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  cache_control: cacheControl,
  caller: Schema.optional(Schema.Unknown)
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type ToolUseBlockParam = typeof ToolUseBlockParam.Type

/**
 * The result of a tool call, as a string or blocks.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ToolResultBlockParam = Schema.Struct({
  type: Schema.Literal("tool_result"),
  tool_use_id: Schema.String,
  content: Schema.optional(
    Schema.Union(
      Schema.String,
      Schema.Array(Schema.Union(TextBlockParam, ImageBlockParam, DocumentBlockParam, SearchResultBlockParam))
    )
  ),
  is_error: Schema.optional(Schema.Boolean),
  cache_control: cacheControl
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type ToolResultBlockParam = typeof ToolResultBlockParam.Type

/**
 * Extended thinking of an earlier assistant turn; the signature goes back unchanged.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ThinkingBlockParam = Schema.Struct({
  type: Schema.Literal("thinking"),
  thinking: Schema.String,
  signature: Schema.String
})

/**
 * Encrypted thinking of an earlier assistant turn (base64), sent back unchanged.
 *
 * @since 0.1.0
 * @category schemas
 */
export const RedactedThinkingBlockParam = Schema.Struct({
  type: Schema.Literal("redacted_thinking"),
  data: Schema.String
})

/**
 * Any block of a message.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ContentBlockParam = Schema.Union(
  TextBlockParam,
  ImageBlockParam,
  DocumentBlockParam,
  SearchResultBlockParam,
  ToolUseBlockParam,
  ToolResultBlockParam,
  ThinkingBlockParam,
  RedactedThinkingBlockParam
)

/**
 * @since 0.1.0
 * @category schemas
 */
export type ContentBlockParam = typeof ContentBlockParam.Type

/**
 * One turn: a string (one text block) or blocks.
 *
 * @since 0.1.0
 * @category schemas
 */
export const MessageParam = Schema.Struct({
  role: Schema.Literal("user", "assistant"),
  content: Schema.Union(Schema.String, Schema.Array(ContentBlockParam))
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type MessageParam = typeof MessageParam.Type

/**
 * A client tool; `type` is absent or `"custom"` (Anthropic's server tools cannot run on Bedrock).
 *
 * @since 0.1.0
 * @category schemas
 */
export const ToolParam = Schema.Struct({
  type: Schema.optional(Schema.NullOr(Schema.Literal("custom"))),
  name: Schema.String.pipe(Schema.pattern(/^[a-zA-Z0-9_-]{1,128}$/)),
  description: Schema.optional(Schema.String),
  input_schema: Schema.Struct(
    { type: Schema.Literal("object") },
    Schema.Record({ key: Schema.String, value: Schema.Unknown })
  ),
  cache_control: cacheControl,
  strict: Schema.optional(Schema.Boolean)
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type ToolParam = typeof ToolParam.Type

const parallel = { disable_parallel_tool_use: Schema.optional(Schema.Boolean) }

/**
 * How the model chooses tools.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ToolChoice = Schema.Union(
  Schema.Struct({ type: Schema.Literal("auto"), ...parallel }),
  Schema.Struct({ type: Schema.Literal("any"), ...parallel }),
  Schema.Struct({ type: Schema.Literal("tool"), name: Schema.String, ...parallel }),
  Schema.Struct({ type: Schema.Literal("none") })
)

/**
 * @since 0.1.0
 * @category schemas
 */
export type ToolChoice = typeof ToolChoice.Type

/**
 * Extended thinking: `enabled` with a budget, `adaptive` (the model decides), or `disabled`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Thinking = Schema.Union(
  Schema.Struct({
    type: Schema.Literal("enabled"),
    budget_tokens: Schema.Int,
    display: Schema.optional(Schema.NullOr(Schema.Literal("summarized", "omitted")))
  }),
  Schema.Struct({
    type: Schema.Literal("adaptive"),
    display: Schema.optional(Schema.NullOr(Schema.Literal("summarized", "omitted")))
  }),
  Schema.Struct({ type: Schema.Literal("disabled") })
)

/**
 * @since 0.1.0
 * @category schemas
 */
export type Thinking = typeof Thinking.Type

const conversationFields = {
  model: Schema.String.pipe(Schema.minLength(1)),
  messages: Schema.Array(MessageParam),
  system: Schema.optional(Schema.Union(Schema.String, Schema.Array(TextBlockParam))),
  tools: Schema.optional(Schema.Array(ToolParam)),
  tool_choice: Schema.optional(ToolChoice),
  thinking: Schema.optional(Thinking),
  cache_control: cacheControl
}

/**
 * The body of `POST /v1/messages`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const MessagesRequest = Schema.Struct({
  ...conversationFields,
  max_tokens: Schema.Int.pipe(Schema.greaterThanOrEqualTo(1)),
  stream: Schema.optional(Schema.Boolean),
  stop_sequences: Schema.optional(Schema.Array(Schema.String)),
  temperature: Schema.optional(Schema.Number.pipe(Schema.between(0, 1))),
  top_p: Schema.optional(Schema.Number.pipe(Schema.between(0, 1))),
  top_k: Schema.optional(Schema.Int.pipe(Schema.greaterThanOrEqualTo(0))),
  metadata: Schema.optional(Schema.Struct({ user_id: Schema.optional(Schema.NullOr(Schema.String)) })),
  service_tier: Schema.optional(Schema.Literal("auto", "standard_only"))
}).annotations({ identifier: "AnthropicMessagesRequest" })

/**
 * @since 0.1.0
 * @category schemas
 */
export type MessagesRequest = typeof MessagesRequest.Type

/**
 * The body of `POST /v1/messages/count_tokens`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const CountTokensRequest = Schema.Struct(conversationFields).annotations({
  identifier: "AnthropicCountTokensRequest"
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type CountTokensRequest = typeof CountTokensRequest.Type

/**
 * Request fields of Anthropic's API that this gateway knows and cannot honour on Bedrock, with the reason the 400
 * gives. A field that is neither supported nor listed here is refused as unknown.
 *
 * @since 0.1.0
 * @category constants
 */
export const refusedFields: Readonly<Record<string, string>> = {
  container: "code-execution containers are an Anthropic-hosted feature that Bedrock does not offer",
  mcp_servers: "the MCP connector is an Anthropic-hosted feature; the gateway makes no remote calls",
  context_management: "context management (an Anthropic beta) is not available through Bedrock's Converse API",
  output_config: "output_config (effort, JSON output format) is not available through Bedrock's Converse API",
  inference_geo: "the region is chosen by the gateway's model aliases, not per request",
  speed: "speed modes are not available through Bedrock",
  diagnostics: "diagnostics are an Anthropic API feature that Bedrock does not offer",
  user_profile_id: "user profiles are an Anthropic API feature that Bedrock does not offer",
  workspace_id: "workspaces are an Anthropic API feature; the gateway key decides what may be used"
}

/**
 * Usage of a message: `input_tokens` excludes the cached prefix, which is in the two cache counts.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Usage = Schema.Struct({
  input_tokens: Schema.Int,
  output_tokens: Schema.Int,
  cache_creation_input_tokens: Schema.NullOr(Schema.Int),
  cache_read_input_tokens: Schema.NullOr(Schema.Int)
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type Usage = typeof Usage.Type

/**
 * A citation of a document in an answer's text.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Citation = Schema.Struct(
  { type: Schema.String },
  Schema.Record({ key: Schema.String, value: Schema.Unknown })
)

/**
 * @since 0.1.0
 * @category schemas
 */
export type Citation = typeof Citation.Type

/**
 * One block of an answer.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ContentBlock = Schema.Union(
  Schema.Struct({
    type: Schema.Literal("text"),
    text: Schema.String,
    citations: Schema.NullOr(Schema.Array(Citation))
  }),
  Schema.Struct({ type: Schema.Literal("thinking"), thinking: Schema.String, signature: Schema.String }),
  Schema.Struct({ type: Schema.Literal("redacted_thinking"), data: Schema.String }),
  Schema.Struct({ type: Schema.Literal("tool_use"), id: Schema.String, name: Schema.String, input: Schema.Unknown })
)

/**
 * @since 0.1.0
 * @category schemas
 */
export type ContentBlock = typeof ContentBlock.Type

/**
 * Why the model stopped.
 *
 * @since 0.1.0
 * @category schemas
 */
export const StopReason = Schema.Literal(
  "end_turn",
  "max_tokens",
  "stop_sequence",
  "tool_use",
  "refusal",
  "model_context_window_exceeded"
)

/**
 * @since 0.1.0
 * @category schemas
 */
export type StopReason = typeof StopReason.Type

/**
 * The answer of `POST /v1/messages` (and the `message` of `message_start`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const MessageResponse = Schema.Struct({
  id: Schema.String,
  type: Schema.Literal("message"),
  role: Schema.Literal("assistant"),
  model: Schema.String,
  content: Schema.Array(ContentBlock),
  stop_reason: Schema.NullOr(StopReason),
  stop_sequence: Schema.NullOr(Schema.String),
  usage: Usage
}).annotations({ identifier: "AnthropicMessage" })

/**
 * @since 0.1.0
 * @category schemas
 */
export type MessageResponse = typeof MessageResponse.Type

/**
 * The answer of `POST /v1/messages/count_tokens`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const CountTokensResponse = Schema.Struct({ input_tokens: Schema.Int }).annotations({
  identifier: "AnthropicTokenCount"
})

/**
 * The error types of Anthropic's API.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ErrorType = Schema.Literal(
  "invalid_request_error",
  "authentication_error",
  "permission_error",
  "not_found_error",
  "request_too_large",
  "rate_limit_error",
  "api_error",
  "overloaded_error",
  "timeout_error"
)

/**
 * @since 0.1.0
 * @category schemas
 */
export type ErrorType = typeof ErrorType.Type

/**
 * An error body, `{"type":"error","error":{"type","message"},"request_id"}` (also the data of an `error` event).
 *
 * @since 0.1.0
 * @category schemas
 */
export const ErrorBody = Schema.Struct({
  type: Schema.Literal("error"),
  error: Schema.Struct({ type: ErrorType, message: Schema.String }),
  request_id: Schema.optional(Schema.String)
}).annotations({ identifier: "AnthropicError" })

/**
 * @since 0.1.0
 * @category schemas
 */
export type ErrorBody = typeof ErrorBody.Type
