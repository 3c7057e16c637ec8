/**
 * A model's answer: the message, why it stopped, token usage; the streaming events and their fold into a Response.
 *
 * @example
 * ```ts
 * import { BedrockClient, Response } from "bedrock-llm"
 * import { Effect, Stream } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const client = yield* BedrockClient.BedrockClient
 *   const events = yield* Stream.runCollect(client.stream("Tell me a story"))
 *   const response = yield* Response.fromEvents(events) // the Response Converse would have returned
 *   console.log(Response.text(response), response.stopReason, response.usage.outputTokens)
 * })
 * ```
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import { dual } from "effect/Function"
import * as Schema from "effect/Schema"
import { MalformedResponseError } from "./BedrockError.js"
import { parseToolInput } from "./internal/json.js"
import * as Message from "./Message.js"

// ---------------------------------------------------------------------------
// stop reason
// ---------------------------------------------------------------------------

/**
 * The stop reasons Bedrock documents.
 *
 * @since 0.1.0
 * @category models
 */
export const KnownStopReason = Schema.Literal(
  "end_turn",
  "tool_use",
  "max_tokens",
  "stop_sequence",
  "guardrail_intervened",
  "content_filtered",
  "malformed_model_output",
  "malformed_tool_use",
  "model_context_window_exceeded"
)

/**
 * The stop reasons Bedrock documents.
 *
 * @since 0.1.0
 * @category models
 */
export type KnownStopReason = Schema.Schema.Type<typeof KnownStopReason>

/**
 * Why the model stopped: a known reason, or any newer value kept as it came.
 *
 * @since 0.1.0
 * @category models
 */
export type StopReason = KnownStopReason | (string & {})

const knownStopReasons: ReadonlySet<string> = new Set(KnownStopReason.literals)

const StopReasonSchema: Schema.Schema<StopReason> = Schema.Union(KnownStopReason, Schema.String).annotations({
  identifier: "StopReason"
})

/**
 * Why the model stopped (schema); `StopReason.isKnown(reason)` narrows to a documented value.
 *
 * @since 0.1.0
 * @category models
 */
export const StopReason: typeof StopReasonSchema & {
  readonly isKnown: (reason: StopReason) => reason is KnownStopReason
  readonly known: ReadonlyArray<KnownStopReason>
} = Object.assign(StopReasonSchema, {
  isKnown: (reason: StopReason): reason is KnownStopReason => knownStopReasons.has(reason),
  known: KnownStopReason.literals
})

// ---------------------------------------------------------------------------
// usage
// ---------------------------------------------------------------------------

/**
 * Tokens cached with one time to live.
 *
 * @since 0.1.0
 * @category models
 */
export const CacheDetail = Schema.Struct({ ttl: Schema.String, inputTokens: Schema.NonNegativeInt })

const UsageSchema = Schema.Struct({
  inputTokens: Schema.NonNegativeInt,
  outputTokens: Schema.NonNegativeInt,
  totalTokens: Schema.NonNegativeInt,
  cacheReadInputTokens: Schema.optional(Schema.NonNegativeInt),
  cacheWriteInputTokens: Schema.optional(Schema.NonNegativeInt),
  cacheDetails: Schema.optional(Schema.Array(CacheDetail))
}).annotations({ identifier: "Usage" })

/**
 * Token usage of one call, or of many added up.
 *
 * @since 0.1.0
 * @category models
 */
export interface Usage extends Schema.Schema.Type<typeof UsageSchema> {}

const emptyUsage: Usage = { inputTokens: 0, outputTokens: 0, totalTokens: 0 }

const addOptional = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined && b === undefined ? undefined : (a ?? 0) + (b ?? 0)

const addUsage: {
  (that: Usage): (self: Usage) => Usage
  (self: Usage, that: Usage): Usage
} = dual(2, (self: Usage, that: Usage): Usage => {
  const cacheReadInputTokens = addOptional(self.cacheReadInputTokens, that.cacheReadInputTokens)
  const cacheWriteInputTokens = addOptional(self.cacheWriteInputTokens, that.cacheWriteInputTokens)
  const cacheDetails = self.cacheDetails === undefined && that.cacheDetails === undefined
    ? undefined
    : [...(self.cacheDetails ?? []), ...(that.cacheDetails ?? [])]
  return {
    inputTokens: self.inputTokens + that.inputTokens,
    outputTokens: self.outputTokens + that.outputTokens,
    totalTokens: self.totalTokens + that.totalTokens,
    ...(cacheReadInputTokens !== undefined ? { cacheReadInputTokens } : {}),
    ...(cacheWriteInputTokens !== undefined ? { cacheWriteInputTokens } : {}),
    ...(cacheDetails !== undefined ? { cacheDetails } : {})
  }
})

/**
 * Token usage (schema) with `Usage.empty` and `Usage.add(a, b)` (also pipeable).
 *
 * @since 0.1.0
 * @category models
 */
export const Usage: typeof UsageSchema & {
  readonly empty: Usage
  readonly add: typeof addUsage
} = Object.assign(UsageSchema, { empty: emptyUsage, add: addUsage })

// ---------------------------------------------------------------------------
// response
// ---------------------------------------------------------------------------

/**
 * The assistant message of a response (its content may be empty: models sometimes answer with nothing).
 *
 * @since 0.1.0
 * @category models
 */
export const AssistantMessage = Schema.Struct({
  role: Schema.Literal("assistant"),
  content: Schema.Array(Message.ContentBlock)
}).annotations({ identifier: "AssistantMessage" })

/**
 * The latency profile a request was served with.
 *
 * @since 0.1.0
 * @category models
 */
export const PerformanceConfig = Schema.Struct({ latency: Schema.optional(Schema.String) })

/**
 * The service tier a request was served with.
 *
 * @since 0.1.0
 * @category models
 */
export const ServiceTier = Schema.Struct({ type: Schema.String })

/**
 * The result of a Converse call (or of folding a ConverseStream).
 *
 * @since 0.1.0
 * @category models
 */
export const Response = Schema.Struct({
  message: AssistantMessage,
  stopReason: StopReason,
  usage: Usage,
  latencyMs: Schema.optional(Schema.NonNegativeInt),
  requestId: Schema.optional(Schema.String),
  additionalModelResponseFields: Schema.optional(Message.JsonValue),
  trace: Schema.optional(Message.JsonValue),
  performanceConfig: Schema.optional(PerformanceConfig),
  serviceTier: Schema.optional(ServiceTier)
}).annotations({ identifier: "Response" })

/**
 * The result of a Converse call (or of folding a ConverseStream).
 *
 * @since 0.1.0
 * @category models
 */
export interface Response extends Schema.Schema.Type<typeof Response> {}

/**
 * A response to and from a JSON string, for persistence.
 *
 * @since 0.1.0
 * @category models
 */
export const ResponseFromJson = Schema.parseJson(Response)

/**
 * The concatenated text of a response (text blocks and cited text).
 *
 * @since 0.1.0
 * @category utils
 */
export const text = (response: Response): string => Message.textOf(response.message)

/**
 * The tool uses of a response, in order.
 *
 * @since 0.1.0
 * @category utils
 */
export const toolUses = (response: Response): ReadonlyArray<Message.ToolUse> => Message.toolUses(response.message)

/**
 * The concatenated reasoning text of a response (redacted reasoning has none).
 *
 * @since 0.1.0
 * @category utils
 */
export const reasoning = (response: Response): string =>
  response.message.content.map((block) => block._tag === "Reasoning" ? block.text : "").join("")

/**
 * The response's message as a conversation turn (the same value; typed as a `Message`).
 *
 * @since 0.1.0
 * @category utils
 */
export const toMessage = (response: Response): Message.Message => response.message

// ---------------------------------------------------------------------------
// errors
// ---------------------------------------------------------------------------

/**
 * A response or stream that cannot be turned into a Response: `BedrockError.MalformedResponseError`, re-exported
 * here under its former name.
 *
 * @deprecated Use `BedrockError.MalformedResponseError`; this alias goes in the next release.
 * @since 0.1.0
 * @category errors
 */
export const MalformedResponse = MalformedResponseError

/**
 * @deprecated Use `BedrockError.MalformedResponseError`.
 * @since 0.1.0
 * @category errors
 */
export type MalformedResponse = MalformedResponseError

// ---------------------------------------------------------------------------
// stream events
// ---------------------------------------------------------------------------

/**
 * The stream's first event; `BedrockClient` adds the request id of the call's HTTP response.
 *
 * @since 0.1.0
 * @category models
 */
export const MessageStart = Schema.TaggedStruct("MessageStart", {
  role: Message.Role,
  requestId: Schema.optional(Schema.String)
})

/**
 * Opens a tool-use block.
 *
 * @since 0.1.0
 * @category models
 */
export const ToolUseStart = Schema.TaggedStruct("ToolUseStart", {
  toolUseId: Schema.String,
  name: Schema.String,
  type: Schema.optional(Schema.String)
})

/**
 * Opens a tool-result block (server-side tools).
 *
 * @since 0.1.0
 * @category models
 */
export const ToolResultStart = Schema.TaggedStruct("ToolResultStart", {
  toolUseId: Schema.String,
  status: Schema.optional(Message.ToolResultStatus),
  type: Schema.optional(Schema.String)
})

/**
 * Opens an image block (image-generating models).
 *
 * @since 0.1.0
 * @category models
 */
export const ImageStart = Schema.TaggedStruct("ImageStart", { format: Message.ImageFormat })

/**
 * Opens a block of a kind this library does not know yet.
 *
 * @since 0.1.0
 * @category models
 */
export const UnknownStart = Schema.TaggedStruct("UnknownStart", { type: Schema.String, value: Message.JsonValue })

/**
 * What a `ContentBlockStart` opens.
 *
 * @since 0.1.0
 * @category models
 */
export const BlockStart = Schema.Union(ToolUseStart, ToolResultStart, ImageStart, UnknownStart)

/**
 * What a `ContentBlockStart` opens.
 *
 * @since 0.1.0
 * @category models
 */
export type BlockStart = Schema.Schema.Type<typeof BlockStart>

/**
 * Opens a block (text and reasoning blocks have none: their first delta opens them).
 *
 * @since 0.1.0
 * @category models
 */
export const ContentBlockStart = Schema.TaggedStruct("ContentBlockStart", {
  index: Schema.NonNegativeInt,
  start: BlockStart
})

/**
 * A piece of text.
 *
 * @since 0.1.0
 * @category models
 */
export const TextDelta = Schema.TaggedStruct("TextDelta", { text: Schema.String })

/**
 * A piece of a tool's input JSON (not parseable on its own).
 *
 * @since 0.1.0
 * @category models
 */
export const ToolUseInputDelta = Schema.TaggedStruct("ToolUseInputDelta", { input: Schema.String })

/**
 * A piece of reasoning text.
 *
 * @since 0.1.0
 * @category models
 */
export const ReasoningTextDelta = Schema.TaggedStruct("ReasoningTextDelta", { text: Schema.String })

/**
 * The signature of the reasoning block.
 *
 * @since 0.1.0
 * @category models
 */
export const ReasoningSignatureDelta = Schema.TaggedStruct("ReasoningSignatureDelta", { signature: Schema.String })

/**
 * Encrypted reasoning bytes.
 *
 * @since 0.1.0
 * @category models
 */
export const RedactedReasoningDelta = Schema.TaggedStruct("RedactedReasoningDelta", { data: Message.Bytes })

/**
 * A citation for the block's text.
 *
 * @since 0.1.0
 * @category models
 */
export const CitationDelta = Schema.TaggedStruct("CitationDelta", { citation: Message.Citation })

/**
 * Content of a server-side tool's result.
 *
 * @since 0.1.0
 * @category models
 */
export const ToolResultDelta = Schema.TaggedStruct("ToolResultDelta", {
  content: Schema.Array(Message.ToolResultContent)
})

/**
 * Image data of an image block.
 *
 * @since 0.1.0
 * @category models
 */
export const ImageDelta = Schema.TaggedStruct("ImageDelta", {
  source: Schema.optional(Message.MediaSource),
  error: Schema.optional(Schema.String)
})

/**
 * A delta of a kind this library does not know yet.
 *
 * @since 0.1.0
 * @category models
 */
export const UnknownDelta = Schema.TaggedStruct("UnknownDelta", { type: Schema.String, value: Message.JsonValue })

/**
 * What a `ContentBlockDelta` carries.
 *
 * @since 0.1.0
 * @category models
 */
export const Delta = Schema.Union(
  TextDelta,
  ToolUseInputDelta,
  ReasoningTextDelta,
  ReasoningSignatureDelta,
  RedactedReasoningDelta,
  CitationDelta,
  ToolResultDelta,
  ImageDelta,
  UnknownDelta
)

/**
 * What a `ContentBlockDelta` carries.
 *
 * @since 0.1.0
 * @category models
 */
export type Delta = Schema.Schema.Type<typeof Delta>

/**
 * A piece of the block at `index`.
 *
 * @since 0.1.0
 * @category models
 */
export const ContentBlockDelta = Schema.TaggedStruct("ContentBlockDelta", {
  index: Schema.NonNegativeInt,
  delta: Delta
})

/**
 * Closes the block at `index`.
 *
 * @since 0.1.0
 * @category models
 */
export const ContentBlockStop = Schema.TaggedStruct("ContentBlockStop", { index: Schema.NonNegativeInt })

/**
 * The model stopped; why.
 *
 * @since 0.1.0
 * @category models
 */
export const MessageStop = Schema.TaggedStruct("MessageStop", {
  stopReason: StopReason,
  additionalModelResponseFields: Schema.optional(Message.JsonValue)
})

/**
 * The stream's last event: usage, latency and trace.
 *
 * @since 0.1.0
 * @category models
 */
export const Metadata = Schema.TaggedStruct("Metadata", {
  usage: Usage,
  metrics: Schema.Struct({ latencyMs: Schema.optional(Schema.NonNegativeInt) }),
  trace: Schema.optional(Message.JsonValue),
  performanceConfig: Schema.optional(PerformanceConfig),
  serviceTier: Schema.optional(ServiceTier)
})

/**
 * An event of a kind this library does not know yet, kept as it came.
 *
 * @since 0.1.0
 * @category models
 */
export const UnknownEvent = Schema.TaggedStruct("UnknownEvent", { type: Schema.String, value: Message.JsonValue })

/**
 * One event of a ConverseStream.
 *
 * @since 0.1.0
 * @category models
 */
export const StreamEvent = Schema.Union(
  MessageStart,
  ContentBlockStart,
  ContentBlockDelta,
  ContentBlockStop,
  MessageStop,
  Metadata,
  UnknownEvent
)

/**
 * One event of a ConverseStream.
 *
 * @since 0.1.0
 * @category models
 */
export type StreamEvent = Schema.Schema.Type<typeof StreamEvent>

// ---------------------------------------------------------------------------
// fold
// ---------------------------------------------------------------------------

type BlockState =
  | { readonly kind: "text"; readonly text: string; readonly citations: ReadonlyArray<Message.Citation> | undefined }
  | {
    readonly kind: "toolUse"
    readonly toolUseId: string
    readonly name: string
    readonly type: string | undefined
    readonly input: string
    readonly parsed: { readonly value: unknown } | undefined
  }
  | {
    readonly kind: "toolResult"
    readonly toolUseId: string
    readonly status: Message.ToolResultStatus | undefined
    readonly type: string | undefined
    readonly content: ReadonlyArray<Message.ToolResultContent>
  }
  | { readonly kind: "reasoning"; readonly text: string; readonly signature: string | undefined }
  | { readonly kind: "redacted"; readonly data: Uint8Array }
  | {
    readonly kind: "image"
    readonly format: Message.ImageFormat
    readonly source: Message.MediaSource | undefined
    readonly error: string | undefined
  }
  | { readonly kind: "unknown"; readonly type: string; readonly values: ReadonlyArray<unknown> }

interface AccumulatorState {
  readonly role: Message.Role | undefined
  readonly blocks: ReadonlyMap<number, BlockState>
  readonly stopReason: StopReason | undefined
  readonly additionalModelResponseFields: unknown
  readonly usage: Usage | undefined
  readonly latencyMs: number | undefined
  readonly trace: unknown
  readonly performanceConfig: Schema.Schema.Type<typeof PerformanceConfig> | undefined
  readonly serviceTier: Schema.Schema.Type<typeof ServiceTier> | undefined
  readonly events: number
  readonly error: string | undefined
}

const concatBytes = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const out = new Uint8Array(a.length + b.length)
  out.set(a, 0)
  out.set(b, a.length)
  return out
}

const applyDelta = (block: BlockState | undefined, delta: Delta, index: number): BlockState | string => {
  switch (delta._tag) {
    case "TextDelta":
      if (block === undefined) return { kind: "text", text: delta.text, citations: undefined }
      if (block.kind === "text") return { ...block, text: block.text + delta.text }
      break
    case "CitationDelta":
      if (block === undefined) return { kind: "text", text: "", citations: [delta.citation] }
      if (block.kind === "text") return { ...block, citations: [...(block.citations ?? []), delta.citation] }
      break
    case "ToolUseInputDelta":
      if (block?.kind === "toolUse") return { ...block, input: block.input + delta.input, parsed: undefined }
      if (block === undefined) return `toolUse input delta for block ${index} without a contentBlockStart`
      break
    case "ReasoningTextDelta":
      if (block === undefined) return { kind: "reasoning", text: delta.text, signature: undefined }
      if (block.kind === "reasoning") return { ...block, text: block.text + delta.text }
      break
    case "ReasoningSignatureDelta":
      if (block === undefined) return { kind: "reasoning", text: "", signature: delta.signature }
      if (block.kind === "reasoning") return { ...block, signature: (block.signature ?? "") + delta.signature }
      break
    case "RedactedReasoningDelta":
      if (block === undefined) return { kind: "redacted", data: delta.data }
      if (block.kind === "redacted") return { kind: "redacted", data: concatBytes(block.data, delta.data) }
      break
    case "ToolResultDelta":
      if (block?.kind === "toolResult") return { ...block, content: [...block.content, ...delta.content] }
      if (block === undefined) return `toolResult delta for block ${index} without a contentBlockStart`
      break
    case "ImageDelta":
      if (block?.kind === "image") {
        return { ...block, source: delta.source ?? block.source, error: delta.error ?? block.error }
      }
      if (block === undefined) return `image delta for block ${index} without a contentBlockStart`
      break
    case "UnknownDelta":
      if (block === undefined) return { kind: "unknown", type: delta.type, values: [delta.value] }
      if (block.kind === "unknown") return { ...block, values: [...block.values, delta.value] }
      return block
  }
  return `${delta._tag} does not fit block ${index} of kind ${block!.kind}`
}

const startBlock = (start: BlockStart): BlockState => {
  switch (start._tag) {
    case "ToolUseStart":
      return {
        kind: "toolUse",
        toolUseId: start.toolUseId,
        name: start.name,
        type: start.type,
        input: "",
        parsed: undefined
      }
    case "ToolResultStart":
      return { kind: "toolResult", toolUseId: start.toolUseId, status: start.status, type: start.type, content: [] }
    case "ImageStart":
      return { kind: "image", format: start.format, source: undefined, error: undefined }
    case "UnknownStart":
      return { kind: "unknown", type: start.type, values: [start.value] }
  }
}

const finishBlock = (block: BlockState, index: number): Either.Either<Message.ContentBlock, string> => {
  switch (block.kind) {
    case "text":
      return Either.right(
        block.citations === undefined
          ? { _tag: "Text", text: block.text }
          : { _tag: "CitationsContent", content: [{ _tag: "Text", text: block.text }], citations: block.citations }
      )
    case "toolUse": {
      const input = block.parsed !== undefined ? Either.right(block.parsed.value) : parseToolInput(block.input)
      return Either.match(input, {
        onLeft: (error) => Either.left(`toolUse input of block ${index} (${block.name}) is not valid JSON: ${error}`),
        onRight: (value) =>
          Either.right({
            _tag: "ToolUse" as const,
            toolUseId: block.toolUseId,
            name: block.name,
            input: value,
            ...(block.type !== undefined ? { type: block.type } : {})
          })
      })
    }
    case "toolResult":
      return Either.right({
        _tag: "ToolResult",
        toolUseId: block.toolUseId,
        content: block.content,
        ...(block.status !== undefined ? { status: block.status } : {}),
        ...(block.type !== undefined ? { type: block.type } : {})
      })
    case "reasoning":
      return Either.right({
        _tag: "Reasoning",
        text: block.text,
        ...(block.signature !== undefined ? { signature: block.signature } : {})
      })
    case "redacted":
      return Either.right({ _tag: "RedactedReasoning", data: block.data })
    case "image":
      return block.source === undefined
        ? Either.left(`image block ${index} ended without image data`)
        : Either.right({
          _tag: "Image",
          format: block.format,
          source: block.source,
          ...(block.error !== undefined ? { error: block.error } : {})
        })
    case "unknown":
      return Either.right({
        _tag: "Unknown",
        type: block.type,
        value: block.values.length === 1 ? block.values[0] : block.values
      })
  }
}

const initialState: AccumulatorState = {
  role: undefined,
  blocks: new Map(),
  stopReason: undefined,
  additionalModelResponseFields: undefined,
  usage: undefined,
  latencyMs: undefined,
  trace: undefined,
  performanceConfig: undefined,
  serviceTier: undefined,
  events: 0,
  error: undefined
}

const withBlock = (blocks: ReadonlyMap<number, BlockState>, index: number, block: BlockState) => {
  const next = new Map(blocks)
  next.set(index, block)
  return next
}

/**
 * An immutable, incremental fold of stream events into a Response:
 * `Stream.runFold(stream, Accumulator.empty, Response.accumulate)` then `.toResponse(requestId)`.
 *
 * @since 0.1.0
 * @category models
 */
export class Accumulator {
  /**
   * The fold before any event.
   *
   * @since 0.1.0
   */
  static readonly empty: Accumulator = new Accumulator(initialState)

  private constructor(private readonly state: AccumulatorState) {}

  /**
   * The fold after one more event.
   *
   * @since 0.1.0
   */
  add(event: StreamEvent): Accumulator {
    const state = { ...this.state, events: this.state.events + 1 }
    if (this.state.error !== undefined) return new Accumulator(state)
    switch (event._tag) {
      case "MessageStart":
        return new Accumulator({ ...state, role: event.role })
      case "ContentBlockStart":
        return new Accumulator({ ...state, blocks: withBlock(state.blocks, event.index, startBlock(event.start)) })
      case "ContentBlockDelta": {
        const next = applyDelta(state.blocks.get(event.index), event.delta, event.index)
        return typeof next === "string"
          ? new Accumulator({ ...state, error: next })
          : new Accumulator({ ...state, blocks: withBlock(state.blocks, event.index, next) })
      }
      case "ContentBlockStop": {
        const block = state.blocks.get(event.index)
        if (block?.kind !== "toolUse") return new Accumulator(state)
        return Either.match(parseToolInput(block.input), {
          onLeft: (error) =>
            new Accumulator({
              ...state,
              error: `toolUse input of block ${event.index} (${block.name}) is not valid JSON: ${error}`
            }),
          onRight: (value) =>
            new Accumulator({ ...state, blocks: withBlock(state.blocks, event.index, { ...block, parsed: { value } }) })
        })
      }
      case "MessageStop":
        return new Accumulator({
          ...state,
          stopReason: event.stopReason,
          additionalModelResponseFields: event.additionalModelResponseFields
        })
      case "Metadata":
        return new Accumulator({
          ...state,
          usage: event.usage,
          latencyMs: event.metrics.latencyMs,
          trace: event.trace,
          performanceConfig: event.performanceConfig,
          serviceTier: event.serviceTier
        })
      case "UnknownEvent":
        return new Accumulator(state)
    }
  }

  /**
   * How many events were folded so far.
   *
   * @since 0.1.0
   */
  get events(): number {
    return this.state.events
  }

  /**
   * The text received so far (all text blocks, in block order).
   *
   * @since 0.1.0
   */
  get partialText(): string {
    return [...this.state.blocks.entries()].sort(([a], [b]) => a - b)
      .map(([, block]) => block.kind === "text" ? block.text : "").join("")
  }

  /**
   * Whether the stream's `MessageStop` was seen.
   *
   * @since 0.1.0
   */
  get isComplete(): boolean {
    return this.state.stopReason !== undefined
  }

  /**
   * The Response the events describe, or `MalformedResponse` (stream cut before `MessageStop`, bad tool JSON ...).
   *
   * @since 0.1.0
   */
  toResponse(requestId?: string): Either.Either<Response, MalformedResponseError> {
    const fail = (message: string) =>
      Either.left(new MalformedResponseError(requestId === undefined ? { message } : { message, requestId }))
    const state = this.state
    if (state.error !== undefined) return fail(state.error)
    if (state.stopReason === undefined) return fail("The stream ended before its messageStop event")
    if (state.role !== undefined && state.role !== "assistant") {
      return fail(`The stream's message role is "${state.role}", expected "assistant"`)
    }
    const content: Array<Message.ContentBlock> = []
    for (const [index, block] of [...state.blocks.entries()].sort(([a], [b]) => a - b)) {
      const finished = finishBlock(block, index)
      if (Either.isLeft(finished)) return fail(finished.left)
      content.push(finished.right)
    }
    return Either.right({
      message: { role: "assistant", content },
      stopReason: state.stopReason,
      usage: state.usage ?? emptyUsage,
      ...(state.latencyMs !== undefined ? { latencyMs: state.latencyMs } : {}),
      ...(requestId !== undefined ? { requestId } : {}),
      ...(state.additionalModelResponseFields !== undefined
        ? { additionalModelResponseFields: state.additionalModelResponseFields }
        : {}),
      ...(state.trace !== undefined ? { trace: state.trace } : {}),
      ...(state.performanceConfig !== undefined ? { performanceConfig: state.performanceConfig } : {}),
      ...(state.serviceTier !== undefined ? { serviceTier: state.serviceTier } : {})
    })
  }
}

/**
 * The fold step, for `Stream.runFold(events, Accumulator.empty, accumulate)`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const accumulate = (accumulator: Accumulator, event: StreamEvent): Accumulator => accumulator.add(event)

/**
 * Folds a complete list of stream events into the Response Converse would have returned.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromEvents = (
  events: Iterable<StreamEvent>,
  requestId?: string
): Either.Either<Response, MalformedResponseError> => {
  let accumulator = Accumulator.empty
  for (const event of events) accumulator = accumulator.add(event)
  return accumulator.toResponse(requestId)
}
