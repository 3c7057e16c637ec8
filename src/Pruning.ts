/**
 * Pruning strategies for conversations: a sliding window of messages, a token budget from the model's context window,
 * truncation of the oldest tool results, and a summary of the oldest turns written by the model.
 *
 * Every strategy takes a valid conversation (one that `Conversation.check` accepts, given a tool configuration when
 * tool blocks are present) and returns one that is no longer and still valid:
 *
 * - the first message is from the user and roles alternate;
 * - a toolUse is never separated from its toolResult: messages are dropped only before a user message that holds no
 *   toolResult (a "cut point"), so an assistant toolUse and the user toolResult answering it go together or stay;
 * - assistant messages are never modified (so reasoning blocks keep their text and signatures byte for byte): they are
 *   kept as the same objects or dropped whole;
 * - only user messages change: tool results are truncated (ids and status kept) and a summary is prepended as a text
 *   block of the first user message.
 *
 * Limits are best effort: when no cut point satisfies a limit, the strategy keeps the shortest valid suffix rather
 * than break an invariant. A strategy that has nothing to do returns its input array unchanged (the same reference).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import type * as BedrockClient from "./BedrockClient.js"
import type * as Conversation from "./Conversation.js"
import * as Message from "./Message.js"
import * as ModelCatalog from "./ModelCatalog.js"
import * as Response from "./Response.js"

// ---------------------------------------------------------------------------
// models
// ---------------------------------------------------------------------------

/**
 * A pruning strategy: a pure function of the messages, or one that returns an Effect (e.g. the summarising one).
 *
 * @since 0.1.0
 * @category models
 */
export type Strategy<E = never, R = never> = (
  messages: ReadonlyArray<Message.Message>
) => ReadonlyArray<Message.Message> | Effect.Effect<ReadonlyArray<Message.Message>, E, R>

/**
 * A token estimate for one message.
 *
 * @since 0.1.0
 * @category models
 */
export type Estimator = (message: Message.Message) => number

/**
 * Runs any strategy as an Effect.
 *
 * @since 0.1.0
 * @category combinators
 */
export const run: {
  <E, R>(strategy: Strategy<E, R>): (
    messages: ReadonlyArray<Message.Message>
  ) => Effect.Effect<ReadonlyArray<Message.Message>, E, R>
  <E, R>(
    messages: ReadonlyArray<Message.Message>,
    strategy: Strategy<E, R>
  ): Effect.Effect<ReadonlyArray<Message.Message>, E, R>
} = dual(2, <E, R>(messages: ReadonlyArray<Message.Message>, strategy: Strategy<E, R>) =>
  Effect.suspend(() => {
    const result = strategy(messages)
    return Effect.isEffect(result) ? result : Effect.succeed(result)
  }))

/**
 * Applies strategies one after the other (e.g. truncate tool results, then enforce a token budget).
 *
 * @since 0.1.0
 * @category combinators
 */
export const sequence = <E = never, R = never>(
  ...strategies: ReadonlyArray<Strategy<E, R>>
): (messages: ReadonlyArray<Message.Message>) => Effect.Effect<ReadonlyArray<Message.Message>, E, R> =>
(messages) => Effect.reduce(strategies, messages, (current, strategy) => run(current, strategy))

// ---------------------------------------------------------------------------
// token estimates
// ---------------------------------------------------------------------------

/**
 * Tokens counted for an image, a video, or a media object in S3 whose size is unknown.
 *
 * @since 0.1.0
 * @category utils
 */
export const MEDIA_TOKENS = 1_600

/**
 * Tokens counted per message for the role and separators.
 *
 * @since 0.1.0
 * @category utils
 */
export const MESSAGE_OVERHEAD_TOKENS = 3

const tokensOfJson = (value: unknown): number => ModelCatalog.estimateTokens(JSON.stringify(value) ?? "")

const tokensOfBytes = (bytes: Uint8Array): number => Math.ceil(bytes.length / 4)

const tokensOfSource = (source: Message.DocumentSource): number => {
  switch (source._tag) {
    case "Bytes":
      return tokensOfBytes(source.bytes)
    case "S3Location":
      return MEDIA_TOKENS
    case "Text":
      return ModelCatalog.estimateTokens(source.text)
    case "Content":
      return source.content.reduce((sum, part) => sum + ModelCatalog.estimateTokens(part.text), 0)
  }
}

const tokensOfTexts = (texts: ReadonlyArray<Message.Text>): number =>
  texts.reduce((sum, part) => sum + ModelCatalog.estimateTokens(part.text), 0)

/**
 * Estimated tokens of one block: `ModelCatalog.estimateTokens` over its text (text, reasoning, cited text, guarded
 * text, search results) or its JSON (tool inputs, JSON tool results, unknown blocks); inline document bytes count a
 * token per 4 bytes; images, videos and S3 objects count `MEDIA_TOKENS`; cache points count nothing.
 *
 * @since 0.1.0
 * @category utils
 */
export const estimateBlockTokens = (block: Message.ContentBlock | Message.ToolResultContent): number => {
  switch (block._tag) {
    case "Text":
    case "Reasoning":
      return ModelCatalog.estimateTokens(block.text)
    case "RedactedReasoning":
      return tokensOfBytes(block.data)
    case "ToolUse":
      return ModelCatalog.estimateTokens(block.name) + tokensOfJson(block.input)
    case "ToolResult":
      return block.content.reduce((sum, part) => sum + estimateBlockTokens(part), 0)
    case "Json":
      return tokensOfJson(block.json)
    case "Image":
    case "Video":
      return MEDIA_TOKENS
    case "Document":
      return tokensOfSource(block.source) + ModelCatalog.estimateTokens(block.name)
    case "CachePoint":
      return 0
    case "GuardContent":
      return block.content._tag === "Text" ? ModelCatalog.estimateTokens(block.content.text) : MEDIA_TOKENS
    case "CitationsContent":
      return tokensOfTexts(block.content)
    case "SearchResult":
      return tokensOfTexts(block.content) + ModelCatalog.estimateTokens(block.title)
    case "Unknown":
      return tokensOfJson(block.value)
  }
}

/**
 * Estimated tokens of one message: its blocks plus `MESSAGE_OVERHEAD_TOKENS`.
 *
 * @since 0.1.0
 * @category utils
 */
export const estimateMessageTokens: Estimator = (message) =>
  message.content.reduce((sum, block) => sum + estimateBlockTokens(block), MESSAGE_OVERHEAD_TOKENS)

/**
 * Estimated tokens of a conversation.
 *
 * @since 0.1.0
 * @category utils
 */
export const estimateTokens = (
  messages: ReadonlyArray<Message.Message>,
  estimate: Estimator = estimateMessageTokens
): number => messages.reduce((sum, message) => sum + estimate(message), 0)

/**
 * Options of `budgetFor`: tokens reserved for the answer (default: the model's maximum output), and the system prompt
 * and tool configuration that share the context window.
 *
 * @since 0.1.0
 * @category models
 */
export interface BudgetOptions {
  readonly reserve?: number | undefined
  readonly system?: ReadonlyArray<Message.SystemContentBlock> | undefined
  readonly toolConfig?: Conversation.ToolConfiguration | undefined
}

/**
 * The tokens left for messages: the model's context window minus the answer reserve, the system prompt and the tools.
 *
 * @since 0.1.0
 * @category utils
 */
export const budgetFor = (model: ModelCatalog.ModelInfo, options: BudgetOptions = {}): number => {
  const reserve = options.reserve ?? model.maxOutputTokens
  const system = (options.system ?? []).reduce((sum, block) => sum + estimateBlockTokens(block), 0)
  const tools = options.toolConfig === undefined ? 0 : tokensOfJson(options.toolConfig)
  return Math.max(0, model.contextWindow - reserve - system - tools)
}

// ---------------------------------------------------------------------------
// cut points
// ---------------------------------------------------------------------------

/**
 * Indexes where a valid conversation may start after dropping older messages: user messages without a toolResult.
 *
 * @since 0.1.0
 * @category utils
 */
export const cutPoints = (messages: ReadonlyArray<Message.Message>): ReadonlyArray<number> =>
  messages.flatMap((message, index) =>
    message.role === "user" && !message.content.some(Message.isToolResult) ? [index] : []
  )

const suffixFrom = (
  messages: ReadonlyArray<Message.Message>,
  fits: (start: number) => boolean,
  minStart = 0
): ReadonlyArray<Message.Message> => {
  const points = cutPoints(messages).filter((index) => index >= minStart)
  if (points.length === 0) return messages
  const start = points.find(fits) ?? points[points.length - 1]!
  return start === 0 ? messages : messages.slice(start)
}

// ---------------------------------------------------------------------------
// sliding window
// ---------------------------------------------------------------------------

/**
 * Options of `slidingWindow`.
 *
 * @since 0.1.0
 * @category models
 */
export interface SlidingWindowOptions {
  readonly maxMessages: number
}

/**
 * Keeps the newest messages: the longest suffix of at most `maxMessages` that starts at a cut point (or the shortest
 * valid suffix when none is that short).
 *
 * @since 0.1.0
 * @category combinators
 */
export const slidingWindow: {
  (options: SlidingWindowOptions): (messages: ReadonlyArray<Message.Message>) => ReadonlyArray<Message.Message>
  (messages: ReadonlyArray<Message.Message>, options: SlidingWindowOptions): ReadonlyArray<Message.Message>
} = dual(
  2,
  (messages: ReadonlyArray<Message.Message>, options: SlidingWindowOptions): ReadonlyArray<Message.Message> =>
    messages.length <= options.maxMessages
      ? messages
      : suffixFrom(messages, (start) => messages.length - start <= options.maxMessages)
)

// ---------------------------------------------------------------------------
// token budget
// ---------------------------------------------------------------------------

/**
 * Options of `tokenBudget`: an explicit `maxTokens`, or a catalog `model` whose context window (minus the reserve,
 * system prompt and tools, see `budgetFor`) gives it; `estimate` replaces the default estimator.
 *
 * @since 0.1.0
 * @category models
 */
export type TokenBudgetOptions =
  & (
    | { readonly maxTokens: number }
    | ({ readonly model: ModelCatalog.ModelInfo } & BudgetOptions)
  )
  & { readonly estimate?: Estimator | undefined }

const maxTokensOf = (options: TokenBudgetOptions): number =>
  "maxTokens" in options ? options.maxTokens : budgetFor(options.model, options)

const suffixTokens = (messages: ReadonlyArray<Message.Message>, estimate: Estimator): ReadonlyArray<number> => {
  const sums = new Array<number>(messages.length + 1).fill(0)
  for (let index = messages.length - 1; index >= 0; index--) {
    sums[index] = sums[index + 1]! + estimate(messages[index]!)
  }
  return sums
}

/**
 * Keeps the newest messages whose estimated tokens fit the budget, cutting only at cut points (or the shortest valid
 * suffix when even that does not fit).
 *
 * @since 0.1.0
 * @category combinators
 */
export const tokenBudget: {
  (options: TokenBudgetOptions): (messages: ReadonlyArray<Message.Message>) => ReadonlyArray<Message.Message>
  (messages: ReadonlyArray<Message.Message>, options: TokenBudgetOptions): ReadonlyArray<Message.Message>
} = dual(2, (messages: ReadonlyArray<Message.Message>, options: TokenBudgetOptions): ReadonlyArray<Message.Message> => {
  const maxTokens = maxTokensOf(options)
  const sums = suffixTokens(messages, options.estimate ?? estimateMessageTokens)
  return sums[0]! <= maxTokens ? messages : suffixFrom(messages, (start) => sums[start]! <= maxTokens)
})

/**
 * A token-budget strategy for a model id resolved through the `ModelCatalog` service (user entries included).
 *
 * @since 0.1.0
 * @category constructors
 */
export const tokenBudgetFor = (
  modelId: string,
  options: BudgetOptions & { readonly estimate?: Estimator | undefined } = {}
): Effect.Effect<
  (messages: ReadonlyArray<Message.Message>) => ReadonlyArray<Message.Message>,
  ModelCatalog.UnknownModel,
  ModelCatalog.ModelCatalog
> =>
  Effect.map(
    Effect.flatMap(ModelCatalog.ModelCatalog, (catalog) => catalog.get(modelId)),
    (model) => tokenBudget({ ...options, model })
  )

// ---------------------------------------------------------------------------
// tool result truncation
// ---------------------------------------------------------------------------

/**
 * Options of `truncateToolResults`: stop once the conversation fits `maxTokens` (without it, truncate every eligible
 * result); the tool results of the newest `keepLast` user messages that hold any are never truncated (default 1).
 *
 * @since 0.1.0
 * @category models
 */
export interface TruncateOptions {
  readonly maxTokens?: number | undefined
  readonly keepLast?: number | undefined
  readonly estimate?: Estimator | undefined
}

const truncatedPattern = /^\[truncated \d+ chars\]$/

const charsOf = (part: Message.ToolResultContent): number => {
  switch (part._tag) {
    case "Text":
      return part.text.length
    case "Json":
      return (JSON.stringify(part.json) ?? "").length
    case "Image":
    case "Video":
      return part.source._tag === "Bytes" ? part.source.bytes.length : part.source.uri.length
    case "Document":
      return part.source._tag === "Bytes"
        ? part.source.bytes.length
        : part.source._tag === "S3Location"
        ? part.source.uri.length
        : part.source._tag === "Text"
        ? part.source.text.length
        : part.source.content.reduce((sum, chunk) => sum + chunk.text.length, 0)
    case "SearchResult":
      return part.content.reduce((sum, chunk) => sum + chunk.text.length, 0)
    case "Unknown":
      return (JSON.stringify(part.value) ?? "").length
  }
}

/**
 * The text that replaces a truncated tool result's content.
 *
 * @since 0.1.0
 * @category utils
 */
export const truncatedText = (chars: number): string => `[truncated ${chars} chars]`

/**
 * A tool result with its content replaced by `[truncated N chars]` (id, status and type kept), or the same block
 * when that would not make it smaller or it is already truncated.
 *
 * @since 0.1.0
 * @category utils
 */
export const truncateToolResult = (block: Message.ToolResult): Message.ToolResult => {
  const only = block.content.length === 1 ? block.content[0]! : undefined
  if (only?._tag === "Text" && truncatedPattern.test(only.text)) return block
  const chars = block.content.reduce((sum, part) => sum + charsOf(part), 0)
  const replacement = Message.text(truncatedText(chars))
  if (estimateBlockTokens(replacement) >= estimateBlockTokens(block)) return block
  return { ...block, content: [replacement] }
}

/**
 * Replaces the content of the oldest tool results (in user messages) with `[truncated N chars]`, oldest first, until
 * the conversation fits `maxTokens`; tool-use ids, statuses and every other block are kept.
 *
 * @since 0.1.0
 * @category combinators
 */
export const truncateToolResults: {
  (options?: TruncateOptions): (messages: ReadonlyArray<Message.Message>) => ReadonlyArray<Message.Message>
  (messages: ReadonlyArray<Message.Message>, options?: TruncateOptions): ReadonlyArray<Message.Message>
} = dual(
  (args) => Array.isArray(args[0]),
  (messages: ReadonlyArray<Message.Message>, options: TruncateOptions = {}): ReadonlyArray<Message.Message> => {
    const estimate = options.estimate ?? estimateMessageTokens
    const withResults = messages.flatMap((message, index) =>
      message.role === "user" && message.content.some(Message.isToolResult) ? [index] : []
    )
    const eligible = withResults.slice(0, Math.max(0, withResults.length - (options.keepLast ?? 1)))
    let total = options.maxTokens === undefined ? 0 : estimateTokens(messages, estimate)
    const fits = () => options.maxTokens !== undefined && total <= options.maxTokens
    if (eligible.length === 0 || fits()) return messages
    const out = messages.slice()
    let changed = false
    for (const index of eligible) {
      if (fits()) break
      const message = out[index]!
      const content = message.content.slice()
      for (let blockIndex = 0; blockIndex < content.length && !fits(); blockIndex++) {
        const block = content[blockIndex]!
        if (block._tag !== "ToolResult") continue
        const truncated = truncateToolResult(block)
        if (truncated === block) continue
        const before = estimate({ role: message.role, content })
        content[blockIndex] = truncated
        total -= before - estimate({ role: message.role, content })
        changed = true
      }
      out[index] = content.every((block, i) => block === message.content[i]) ? message : { ...message, content }
    }
    return changed ? out : messages
  }
)

// ---------------------------------------------------------------------------
// summary
// ---------------------------------------------------------------------------

/**
 * Options of `summarize`: the function that writes the summary; how many newest messages to keep verbatim (at most,
 * cutting at a cut point; default 6); and an optional `maxTokens` below which nothing is summarised.
 *
 * @since 0.1.0
 * @category models
 */
export interface SummarizeOptions<E, R> {
  readonly summarize: (messages: ReadonlyArray<Message.Message>) => Effect.Effect<string, E, R>
  readonly keep?: number | undefined
  readonly maxTokens?: number | undefined
  readonly estimate?: Estimator | undefined
  /** Text before the summary in the first user message; default `"Summary of the earlier conversation:\n"`. */
  readonly prefix?: string | undefined
}

/**
 * The default text placed before a summary.
 *
 * @since 0.1.0
 * @category utils
 */
export const SUMMARY_PREFIX = "Summary of the earlier conversation:\n"

/**
 * Replaces the oldest turns with a summary written by `summarize`: the summary becomes the first block of the first
 * kept user message (a cut point), so that message stays the first, from the user, with no tool result. A blank
 * summary, or a conversation without a cut point after its start, is returned unchanged.
 *
 * @since 0.1.0
 * @category combinators
 */
export const summarize: {
  <E, R>(
    options: SummarizeOptions<E, R>
  ): (messages: ReadonlyArray<Message.Message>) => Effect.Effect<ReadonlyArray<Message.Message>, E, R>
  <E, R>(
    messages: ReadonlyArray<Message.Message>,
    options: SummarizeOptions<E, R>
  ): Effect.Effect<ReadonlyArray<Message.Message>, E, R>
} = dual(2, <E, R>(
  messages: ReadonlyArray<Message.Message>,
  options: SummarizeOptions<E, R>
): Effect.Effect<ReadonlyArray<Message.Message>, E, R> =>
  Effect.suspend(() => {
    const estimate = options.estimate ?? estimateMessageTokens
    if (options.maxTokens !== undefined && estimateTokens(messages, estimate) <= options.maxTokens) {
      return Effect.succeed(messages)
    }
    const keep = options.keep ?? 6
    const points = cutPoints(messages).filter((index) => index > 0)
    if (points.length === 0) return Effect.succeed(messages)
    const start = points.find((index) => messages.length - index <= keep) ?? points[points.length - 1]!
    return Effect.map(options.summarize(messages.slice(0, start)), (summary): ReadonlyArray<Message.Message> => {
      if (summary.trim() === "") return messages
      const first = messages[start]!
      return [
        { role: "user", content: [Message.text(`${options.prefix ?? SUMMARY_PREFIX}${summary}`), ...first.content] },
        ...messages.slice(start + 1)
      ]
    })
  }))

/**
 * Options of `summarizeWith`.
 *
 * @since 0.1.0
 * @category models
 */
export interface SummarizeWithOptions {
  /** The system prompt of the summary request. */
  readonly instructions?: string | undefined
  /** Model settings for the summary request (e.g. a cheaper model, `maxTokens`). */
  readonly model?: BedrockClient.BedrockClient.ModelOverrides | undefined
}

/**
 * The default system prompt of `summarizeWith`.
 *
 * @since 0.1.0
 * @category utils
 */
export const SUMMARY_INSTRUCTIONS = "You summarise conversations between a user and an AI assistant. Write a concise " +
  "summary that keeps every fact, decision, name, number, open question and tool outcome the assistant will need to " +
  "continue the conversation. Answer with the summary only."

const renderPart = (part: Message.ContentBlock | Message.ToolResultContent): string => {
  switch (part._tag) {
    case "Text":
      return part.text
    case "Json":
      return JSON.stringify(part.json) ?? ""
    case "ToolUse":
      return `[called tool ${part.name} with ${JSON.stringify(part.input) ?? "{}"}]`
    case "ToolResult":
      return `[tool result${part.status === "error" ? " (error)" : ""}: ${part.content.map(renderPart).join(" ")}]`
    case "CitationsContent":
      return part.content.map((chunk) => chunk.text).join("")
    case "Document":
      return part.source._tag === "Text" ? `[document ${part.name}: ${part.source.text}]` : `[document ${part.name}]`
    case "SearchResult":
      return `[search result ${part.title}: ${part.content.map((chunk) => chunk.text).join(" ")}]`
    case "GuardContent":
      return part.content._tag === "Text" ? part.content.text : "[image]"
    case "Reasoning":
    case "RedactedReasoning":
    case "CachePoint":
      return ""
    case "Image":
      return "[image]"
    case "Video":
      return "[video]"
    case "Unknown":
      return `[${part.type}]`
  }
}

/**
 * A conversation as plain text (`User: ...` / `Assistant: ...`), tool calls and results inline, reasoning left out.
 *
 * @since 0.1.0
 * @category utils
 */
export const transcript = (messages: ReadonlyArray<Message.Message>): string =>
  messages.map((message) =>
    `${message.role === "user" ? "User" : "Assistant"}: ${
      message.content.map(renderPart).filter((part) => part !== "").join("\n")
    }`
  ).join("\n\n")

/**
 * A `summarize` function that asks the model, through the client, for a summary of the messages (sent as a plain-text
 * transcript, so no tool configuration or reasoning signature is involved).
 *
 * @since 0.1.0
 * @category constructors
 */
export const summarizeWith = (
  client: BedrockClient.BedrockClient.Service,
  options: SummarizeWithOptions = {}
) =>
(messages: ReadonlyArray<Message.Message>): Effect.Effect<string, BedrockClient.ClientError> =>
  Effect.map(
    client.generate({
      messages: [Message.user(`Summarise this conversation:\n\n${transcript(messages)}`)],
      system: Message.system(options.instructions ?? SUMMARY_INSTRUCTIONS),
      ...(options.model !== undefined ? { model: options.model } : {})
    }),
    (response) => Response.text(response).trim()
  )
