/**
 * The OpenAI API's request and response bodies as Schemas: what `/v1/chat/completions`, `/v1/embeddings` and
 * `/v1/models` accept and answer, in OpenAI's own field names. Requests are decoded with excess properties refused
 * (an unknown parameter is a 400, as OpenAI answers); parameters the gateway knows but cannot honour are part of the
 * schema, so that `ChatRequest` refuses them by name instead of calling them unknown.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

const optionalNullable = <S extends Schema.Schema.Any>(schema: S) => Schema.optional(Schema.NullOr(schema))

/**
 * Anthropic-style prompt caching on a content part or tool (`{"type":"ephemeral","ttl":"5m"|"1h"}`): a Bedrock cache
 * point after it. An extension of the OpenAI format (as other gateways accept it).
 *
 * @since 0.1.0
 * @category models
 */
export const CacheControl = Schema.Struct({
  type: Schema.Literal("ephemeral"),
  ttl: Schema.optional(Schema.Literal("5m", "1h"))
})

/**
 * A text part.
 *
 * @since 0.1.0
 * @category models
 */
export const TextPart = Schema.Struct({
  type: Schema.Literal("text"),
  text: Schema.String,
  cache_control: Schema.optional(CacheControl)
})

/**
 * @since 0.1.0
 * @category models
 */
export type TextPart = typeof TextPart.Type

/**
 * An image part: a `data:` URL (a remote URL is refused: the gateway never fetches).
 *
 * @since 0.1.0
 * @category models
 */
export const ImagePart = Schema.Struct({
  type: Schema.Literal("image_url"),
  image_url: Schema.Struct({
    url: Schema.String,
    detail: Schema.optional(Schema.Literal("auto", "low", "high"))
  }),
  cache_control: Schema.optional(CacheControl)
})

/**
 * An audio part (refused: no Bedrock model the gateway serves takes audio through Converse).
 *
 * @since 0.1.0
 * @category models
 */
export const AudioPart = Schema.Struct({
  type: Schema.Literal("input_audio"),
  input_audio: Schema.Unknown
})

/**
 * A file part: `file_data` as a `data:` URL (PDF, text, CSV, HTML, Markdown, Word, Excel) with its `filename`;
 * `file_id` is refused (the gateway has no files API).
 *
 * @since 0.1.0
 * @category models
 */
export const FilePart = Schema.Struct({
  type: Schema.Literal("file"),
  file: Schema.Struct({
    file_data: Schema.optional(Schema.String),
    file_id: Schema.optional(Schema.String),
    filename: Schema.optional(Schema.String)
  }),
  cache_control: Schema.optional(CacheControl)
})

/**
 * @since 0.1.0
 * @category models
 */
export type FilePart = typeof FilePart.Type

/**
 * A refusal part of an assistant message.
 *
 * @since 0.1.0
 * @category models
 */
export const RefusalPart = Schema.Struct({
  type: Schema.Literal("refusal"),
  refusal: Schema.String
})

/**
 * A part of a user message.
 *
 * @since 0.1.0
 * @category models
 */
export const UserPart = Schema.Union(TextPart, ImagePart, AudioPart, FilePart)

/**
 * @since 0.1.0
 * @category models
 */
export type UserPart = typeof UserPart.Type

const TextContent = Schema.Union(Schema.String, Schema.Array(TextPart))

/**
 * A system message.
 *
 * @since 0.1.0
 * @category models
 */
export const SystemMessage = Schema.Struct({
  role: Schema.Literal("system"),
  content: TextContent,
  name: Schema.optional(Schema.String)
})

/**
 * A developer message (system instructions, as OpenAI's newer models call them).
 *
 * @since 0.1.0
 * @category models
 */
export const DeveloperMessage = Schema.Struct({
  role: Schema.Literal("developer"),
  content: TextContent,
  name: Schema.optional(Schema.String)
})

/**
 * A user message.
 *
 * @since 0.1.0
 * @category models
 */
export const UserMessage = Schema.Struct({
  role: Schema.Literal("user"),
  content: Schema.Union(Schema.String, Schema.Array(UserPart)),
  name: Schema.optional(Schema.String)
})

/**
 * A tool call of an assistant message (`arguments`: JSON text).
 *
 * @since 0.1.0
 * @category models
 */
export const ToolCall = Schema.Struct({
  id: Schema.String,
  type: Schema.Literal("function"),
  function: Schema.Struct({ name: Schema.String, arguments: Schema.String })
})

/**
 * A reasoning block with its signature, as the gateway answers it (`thinking_blocks`); sent back unchanged in later
 * turns it keeps the model's reasoning across a tool round trip.
 *
 * @since 0.1.0
 * @category models
 */
export const ThinkingBlock = Schema.Struct({
  type: Schema.Literal("thinking"),
  thinking: Schema.String,
  signature: Schema.optional(Schema.String)
})

/**
 * Reasoning the provider encrypted (base64), sent back unchanged.
 *
 * @since 0.1.0
 * @category models
 */
export const RedactedThinkingBlock = Schema.Struct({
  type: Schema.Literal("redacted_thinking"),
  data: Schema.String
})

/**
 * An assistant message: text, tool calls, and (as answered by this gateway) reasoning. The fields OpenAI answers
 * (`refusal`, `annotations`, `audio`, `function_call`) are accepted, so that a response message can be sent back
 * as it came.
 *
 * @since 0.1.0
 * @category models
 */
export const AssistantMessage = Schema.Struct({
  role: Schema.Literal("assistant"),
  content: optionalNullable(Schema.Union(Schema.String, Schema.Array(Schema.Union(TextPart, RefusalPart)))),
  refusal: optionalNullable(Schema.String),
  tool_calls: optionalNullable(Schema.Array(ToolCall)),
  name: Schema.optional(Schema.String),
  annotations: optionalNullable(Schema.Array(Schema.Unknown)),
  audio: optionalNullable(Schema.Unknown),
  function_call: optionalNullable(Schema.Unknown),
  reasoning_content: optionalNullable(Schema.String),
  thinking_blocks: optionalNullable(Schema.Array(Schema.Union(ThinkingBlock, RedactedThinkingBlock)))
})

/**
 * A tool result.
 *
 * @since 0.1.0
 * @category models
 */
export const ToolMessage = Schema.Struct({
  role: Schema.Literal("tool"),
  tool_call_id: Schema.String,
  content: TextContent
})

/**
 * A result of the deprecated function calling (refused: use tools).
 *
 * @since 0.1.0
 * @category models
 */
export const FunctionMessage = Schema.Struct({
  role: Schema.Literal("function"),
  name: Schema.optional(Schema.String),
  content: optionalNullable(Schema.String)
})

/**
 * One message of a conversation, by role.
 *
 * @since 0.1.0
 * @category models
 */
export const ChatMessage = Schema.Union(
  SystemMessage,
  DeveloperMessage,
  UserMessage,
  AssistantMessage,
  ToolMessage,
  FunctionMessage
)

/**
 * @since 0.1.0
 * @category models
 */
export type ChatMessage = typeof ChatMessage.Type

/**
 * A function the model may call.
 *
 * @since 0.1.0
 * @category models
 */
export const FunctionTool = Schema.Struct({
  type: Schema.Literal("function"),
  function: Schema.Struct({
    name: Schema.String,
    description: Schema.optional(Schema.String),
    parameters: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
    strict: optionalNullable(Schema.Boolean)
  }),
  cache_control: Schema.optional(CacheControl)
})

/**
 * A custom (free-form input) tool (refused: Bedrock tools take JSON).
 *
 * @since 0.1.0
 * @category models
 */
export const CustomTool = Schema.Struct({
  type: Schema.Literal("custom"),
  custom: Schema.Unknown
})

/**
 * `tool_choice`: `none`, `auto`, `required`, or one named function.
 *
 * @since 0.1.0
 * @category models
 */
export const ToolChoice = Schema.Union(
  Schema.Literal("none", "auto", "required"),
  Schema.Struct({ type: Schema.Literal("function"), function: Schema.Struct({ name: Schema.String }) }),
  Schema.Struct({ type: Schema.Literal("allowed_tools"), allowed_tools: Schema.Unknown }),
  Schema.Struct({ type: Schema.Literal("custom"), custom: Schema.Unknown })
)

/**
 * `response_format`: plain text, any JSON object, or JSON following a schema.
 *
 * @since 0.1.0
 * @category models
 */
export const ResponseFormat = Schema.Union(
  Schema.Struct({ type: Schema.Literal("text") }),
  Schema.Struct({ type: Schema.Literal("json_object") }),
  Schema.Struct({
    type: Schema.Literal("json_schema"),
    json_schema: Schema.Struct({
      name: Schema.String,
      description: Schema.optional(Schema.String),
      schema: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
      strict: optionalNullable(Schema.Boolean)
    })
  })
)

/**
 * @since 0.1.0
 * @category models
 */
export type ResponseFormat = typeof ResponseFormat.Type

/**
 * The body of `POST /v1/chat/completions`.
 *
 * @since 0.1.0
 * @category models
 */
export const ChatCompletionRequest = Schema.Struct({
  model: Schema.String,
  messages: Schema.Array(ChatMessage),
  max_tokens: optionalNullable(Schema.Number),
  max_completion_tokens: optionalNullable(Schema.Number),
  temperature: optionalNullable(Schema.Number),
  top_p: optionalNullable(Schema.Number),
  stop: optionalNullable(Schema.Union(Schema.String, Schema.Array(Schema.String))),
  stream: optionalNullable(Schema.Boolean),
  stream_options: optionalNullable(Schema.Struct({
    include_usage: optionalNullable(Schema.Boolean),
    include_obfuscation: optionalNullable(Schema.Boolean)
  })),
  tools: optionalNullable(Schema.Array(Schema.Union(FunctionTool, CustomTool))),
  tool_choice: optionalNullable(ToolChoice),
  parallel_tool_calls: optionalNullable(Schema.Boolean),
  response_format: optionalNullable(ResponseFormat),
  reasoning_effort: optionalNullable(Schema.Literal("none", "minimal", "low", "medium", "high", "xhigh")),
  service_tier: optionalNullable(Schema.Literal("auto", "default", "flex", "scale", "priority")),
  user: optionalNullable(Schema.String),
  safety_identifier: optionalNullable(Schema.String),
  metadata: optionalNullable(Schema.Record({ key: Schema.String, value: Schema.String })),
  n: optionalNullable(Schema.Number),
  logprobs: optionalNullable(Schema.Boolean),
  top_logprobs: optionalNullable(Schema.Number),
  logit_bias: optionalNullable(Schema.Record({ key: Schema.String, value: Schema.Number })),
  frequency_penalty: optionalNullable(Schema.Number),
  presence_penalty: optionalNullable(Schema.Number),
  seed: optionalNullable(Schema.Number),
  modalities: optionalNullable(Schema.Array(Schema.String)),
  audio: optionalNullable(Schema.Unknown),
  prediction: optionalNullable(Schema.Unknown),
  store: optionalNullable(Schema.Boolean),
  verbosity: optionalNullable(Schema.String),
  web_search_options: optionalNullable(Schema.Unknown),
  prompt_cache_key: optionalNullable(Schema.String),
  prompt_cache_retention: optionalNullable(Schema.String),
  functions: optionalNullable(Schema.Unknown),
  function_call: optionalNullable(Schema.Unknown)
}).annotations({ identifier: "CreateChatCompletionRequest" })

/**
 * @since 0.1.0
 * @category models
 */
export type ChatCompletionRequest = typeof ChatCompletionRequest.Type

/**
 * Token usage of a chat completion. `prompt_tokens` counts cache reads and writes too (Bedrock reports them apart);
 * `cached_tokens` are the cache reads; `reasoning_tokens` is an estimate from the reasoning text (Bedrock does not
 * report it), present when the model reasoned.
 *
 * @since 0.1.0
 * @category models
 */
export const CompletionUsage = Schema.Struct({
  prompt_tokens: Schema.Int,
  completion_tokens: Schema.Int,
  total_tokens: Schema.Int,
  prompt_tokens_details: Schema.Struct({ cached_tokens: Schema.Int }),
  completion_tokens_details: Schema.optional(Schema.Struct({ reasoning_tokens: Schema.Int }))
})

/**
 * @since 0.1.0
 * @category models
 */
export type CompletionUsage = typeof CompletionUsage.Type

const ThinkingBlocks = Schema.Array(Schema.Union(ThinkingBlock, RedactedThinkingBlock))

/**
 * A finish reason.
 *
 * @since 0.1.0
 * @category models
 */
export const FinishReason = Schema.Literal("stop", "length", "tool_calls", "content_filter")

/**
 * @since 0.1.0
 * @category models
 */
export type FinishReason = typeof FinishReason.Type

/** What every answer and chunk of one request shares. */
const completionIdentity = { id: Schema.String, created: Schema.Int, model: Schema.String }

/**
 * The answer of a chat completion.
 *
 * @since 0.1.0
 * @category models
 */
export const ChatCompletion = Schema.Struct({
  ...completionIdentity,
  object: Schema.Literal("chat.completion"),
  choices: Schema.Array(Schema.Struct({
    index: Schema.Int,
    message: Schema.Struct({
      role: Schema.Literal("assistant"),
      content: Schema.NullOr(Schema.String),
      refusal: Schema.Null,
      annotations: Schema.Array(Schema.Unknown),
      tool_calls: Schema.optional(Schema.Array(ToolCall)),
      reasoning_content: Schema.optional(Schema.String),
      thinking_blocks: Schema.optional(ThinkingBlocks)
    }),
    logprobs: Schema.Null,
    finish_reason: FinishReason
  })),
  usage: CompletionUsage,
  service_tier: Schema.optional(Schema.String)
}).annotations({ identifier: "ChatCompletion" })

/**
 * @since 0.1.0
 * @category models
 */
export type ChatCompletion = typeof ChatCompletion.Type

/**
 * A tool call fragment of a stream chunk: the first carries `id`, `type` and `name`, the next ones pieces of
 * `arguments`.
 *
 * @since 0.1.0
 * @category models
 */
export const ToolCallDelta = Schema.Struct({
  index: Schema.Int,
  id: Schema.optional(Schema.String),
  type: Schema.optional(Schema.Literal("function")),
  function: Schema.Struct({ name: Schema.optional(Schema.String), arguments: Schema.String })
})

/**
 * @since 0.1.0
 * @category models
 */
export type ToolCallDelta = typeof ToolCallDelta.Type

/**
 * The delta of a stream chunk.
 *
 * @since 0.1.0
 * @category models
 */
export const ChunkDelta = Schema.Struct({
  role: Schema.optional(Schema.Literal("assistant")),
  content: Schema.optional(Schema.String),
  refusal: Schema.optional(Schema.Null),
  tool_calls: Schema.optional(Schema.Array(ToolCallDelta)),
  reasoning_content: Schema.optional(Schema.String),
  thinking_blocks: Schema.optional(ThinkingBlocks)
})

/**
 * @since 0.1.0
 * @category models
 */
export type ChunkDelta = typeof ChunkDelta.Type

/**
 * One event of a streamed chat completion (`data:` of the event stream, which ends with `data: [DONE]`).
 *
 * @since 0.1.0
 * @category models
 */
export const ChatCompletionChunk = Schema.Struct({
  ...completionIdentity,
  object: Schema.Literal("chat.completion.chunk"),
  choices: Schema.Array(Schema.Struct({
    index: Schema.Int,
    delta: ChunkDelta,
    logprobs: Schema.Null,
    finish_reason: Schema.NullOr(FinishReason)
  })),
  usage: Schema.optional(Schema.NullOr(CompletionUsage))
}).annotations({ identifier: "ChatCompletionChunk" })

/**
 * @since 0.1.0
 * @category models
 */
export type ChatCompletionChunk = typeof ChatCompletionChunk.Type

/**
 * The body of `POST /v1/embeddings`. Token arrays as `input` are refused (the gateway has no tokenizer of Bedrock's
 * models).
 *
 * @since 0.1.0
 * @category models
 */
export const EmbeddingRequest = Schema.Struct({
  model: Schema.String,
  input: Schema.Union(
    Schema.String,
    Schema.Array(Schema.String),
    Schema.Array(Schema.Number),
    Schema.Array(Schema.Array(Schema.Number))
  ),
  dimensions: optionalNullable(Schema.Number),
  encoding_format: optionalNullable(Schema.Literal("float", "base64")),
  user: optionalNullable(Schema.String)
}).annotations({ identifier: "CreateEmbeddingRequest" })

/**
 * @since 0.1.0
 * @category models
 */
export type EmbeddingRequest = typeof EmbeddingRequest.Type

/**
 * The answer of `POST /v1/embeddings`: each vector as numbers, or (`encoding_format: "base64"`) as the base64 of its
 * little-endian float32 bytes.
 *
 * @since 0.1.0
 * @category models
 */
export const EmbeddingResponse = Schema.Struct({
  object: Schema.Literal("list"),
  data: Schema.Array(Schema.Struct({
    object: Schema.Literal("embedding"),
    index: Schema.Int,
    embedding: Schema.Union(Schema.Array(Schema.Number), Schema.String)
  })),
  model: Schema.String,
  usage: Schema.Struct({ prompt_tokens: Schema.Int, total_tokens: Schema.Int })
}).annotations({ identifier: "CreateEmbeddingResponse" })

/**
 * @since 0.1.0
 * @category models
 */
export type EmbeddingResponse = typeof EmbeddingResponse.Type

/**
 * A model, as `/v1/models` lists it; the extra fields come from the gateway's model catalog.
 *
 * @since 0.1.0
 * @category models
 */
export const Model = Schema.Struct({
  id: Schema.String,
  object: Schema.Literal("model"),
  created: Schema.Int,
  owned_by: Schema.String,
  display_name: Schema.String,
  context_window: Schema.Int,
  max_output_tokens: Schema.Int,
  alias: Schema.Boolean
}).annotations({ identifier: "Model" })

/**
 * @since 0.1.0
 * @category models
 */
export type Model = typeof Model.Type

/**
 * The answer of `GET /v1/models`.
 *
 * @since 0.1.0
 * @category models
 */
export const ModelList = Schema.Struct({
  object: Schema.Literal("list"),
  data: Schema.Array(Model)
}).annotations({ identifier: "ListModelsResponse" })

/**
 * OpenAI's error body: `{"error":{"message","type","param","code"}}`.
 *
 * @since 0.1.0
 * @category models
 */
export const ErrorBody = Schema.Struct({
  error: Schema.Struct({
    message: Schema.String,
    type: Schema.String,
    param: Schema.NullOr(Schema.String),
    code: Schema.NullOr(Schema.String)
  })
}).annotations({ identifier: "Error" })

/**
 * @since 0.1.0
 * @category models
 */
export type ErrorBody = typeof ErrorBody.Type
