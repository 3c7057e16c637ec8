/**
 * Tool configuration and the checks Bedrock makes on a conversation, done before any request is sent.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { TypeId } from "./internal/errorTypeId.js"
import * as Message from "./Message.js"

// ---------------------------------------------------------------------------
// tool configuration
// ---------------------------------------------------------------------------

/**
 * A tool the model may call: its name, what it does, and its input as a JSON Schema object.
 *
 * @since 0.1.0
 * @category models
 */
export const ToolSpec = Schema.TaggedStruct("ToolSpec", {
  name: Schema.String,
  description: Schema.optional(Schema.String),
  inputSchema: Message.JsonObject,
  strict: Schema.optional(Schema.Boolean)
})

/**
 * A tool the model may call: its name, what it does, and its input as a JSON Schema object.
 *
 * @since 0.1.0
 * @category models
 */
export interface ToolSpec extends Schema.Schema.Type<typeof ToolSpec> {}

/**
 * A tool the provider runs itself (e.g. Nova's code interpreter), named.
 *
 * @since 0.1.0
 * @category models
 */
export const SystemTool = Schema.TaggedStruct("SystemTool", { name: Schema.String })

/**
 * A tool the provider runs itself (e.g. Nova's code interpreter), named.
 *
 * @since 0.1.0
 * @category models
 */
export interface SystemTool extends Schema.Schema.Type<typeof SystemTool> {}

/**
 * An entry of `tools`: a tool, a system tool, a prompt-cache checkpoint, or an unmodelled entry kept as it came.
 *
 * @since 0.1.0
 * @category models
 */
export const Tool = Schema.Union(ToolSpec, SystemTool, Message.CachePoint, Message.Unknown)

/**
 * An entry of `tools`.
 *
 * @since 0.1.0
 * @category models
 */
export type Tool = Schema.Schema.Type<typeof Tool>

/**
 * The model decides whether to call a tool.
 *
 * @since 0.1.0
 * @category models
 */
export const AutoToolChoice = Schema.TaggedStruct("Auto", {})

/**
 * The model must call some tool.
 *
 * @since 0.1.0
 * @category models
 */
export const AnyToolChoice = Schema.TaggedStruct("Any", {})

/**
 * The model must call the named tool.
 *
 * @since 0.1.0
 * @category models
 */
export const SpecificToolChoice = Schema.TaggedStruct("Tool", { name: Schema.String })

/**
 * How the model chooses tools.
 *
 * @since 0.1.0
 * @category models
 */
export const ToolChoice = Schema.Union(AutoToolChoice, AnyToolChoice, SpecificToolChoice, Message.Unknown)

/**
 * How the model chooses tools.
 *
 * @since 0.1.0
 * @category models
 */
export type ToolChoice = Schema.Schema.Type<typeof ToolChoice>

/**
 * The tools of a request and how the model chooses among them.
 *
 * @since 0.1.0
 * @category models
 */
export const ToolConfiguration = Schema.Struct({
  tools: Schema.Array(Tool),
  toolChoice: Schema.optional(ToolChoice)
}).annotations({ identifier: "ToolConfiguration" })

/**
 * The tools of a request and how the model chooses among them.
 *
 * @since 0.1.0
 * @category models
 */
export interface ToolConfiguration extends Schema.Schema.Type<typeof ToolConfiguration> {}

/**
 * A tool spec.
 *
 * @since 0.1.0
 * @category constructors
 */
export const toolSpec = (options: {
  readonly name: string
  readonly description?: string | undefined
  readonly inputSchema: Message.JsonObject
  readonly strict?: boolean | undefined
}): ToolSpec => ({
  _tag: "ToolSpec",
  name: options.name,
  inputSchema: options.inputSchema,
  ...(options.description !== undefined ? { description: options.description } : {}),
  ...(options.strict !== undefined ? { strict: options.strict } : {})
})

/**
 * Tool choice: the model decides.
 *
 * @since 0.1.0
 * @category constructors
 */
export const toolChoiceAuto: ToolChoice = { _tag: "Auto" }

/**
 * Tool choice: the model must call some tool.
 *
 * @since 0.1.0
 * @category constructors
 */
export const toolChoiceAny: ToolChoice = { _tag: "Any" }

/**
 * Tool choice: the model must call the named tool.
 *
 * @since 0.1.0
 * @category constructors
 */
export const toolChoiceTool = (name: string): ToolChoice => ({ _tag: "Tool", name })

/**
 * A tool configuration.
 *
 * @since 0.1.0
 * @category constructors
 */
export const toolConfig = (tools: ReadonlyArray<Tool>, toolChoice?: ToolChoice): ToolConfiguration =>
  toolChoice === undefined ? { tools } : { tools, toolChoice }

// ---------------------------------------------------------------------------
// validation
// ---------------------------------------------------------------------------

/**
 * The rules a conversation must follow (Bedrock rejects a request that breaks one).
 *
 * @since 0.1.0
 * @category models
 */
export const Rule = Schema.Literal(
  "no-messages",
  "first-message-from-user",
  "roles-alternate",
  "empty-content",
  "blank-text",
  "tool-result-without-tool-use",
  "tool-use-in-user-message",
  "tool-config-required",
  "tool-use-unanswered"
)

/**
 * The rules a conversation must follow (Bedrock rejects a request that breaks one).
 *
 * @since 0.1.0
 * @category models
 */
export type Rule = Schema.Schema.Type<typeof Rule>

/**
 * A conversation Bedrock would reject; names the message (and block) and the rule broken.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidConversation extends Schema.TaggedError<InvalidConversation>()("InvalidConversation", {
  message: Schema.String,
  messageIndex: Schema.Number,
  blockIndex: Schema.optional(Schema.Number),
  rule: Rule
}) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId

  /**
   * Never: the same request fails the same way.
   *
   * @since 0.1.0
   */
  get retryable(): boolean {
    return false
  }
}

/**
 * Options of `Conversation.validate`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ValidateOptions {
  readonly toolConfig?: ToolConfiguration | undefined
}

const violation = (
  rule: Rule,
  messageIndex: number,
  message: string,
  blockIndex?: number
): InvalidConversation =>
  new InvalidConversation({
    rule,
    messageIndex,
    message: blockIndex === undefined
      ? `messages[${messageIndex}]: ${message}`
      : `messages[${messageIndex}].content[${blockIndex}]: ${message}`,
    ...(blockIndex !== undefined ? { blockIndex } : {})
  })

const isServerToolUse = (block: Message.ToolUse): boolean => block.type === "server_tool_use"

const checkMessage = (
  messages: ReadonlyArray<Message.Message>,
  index: number,
  options: ValidateOptions
): InvalidConversation | undefined => {
  const current = messages[index]!
  const previous = index > 0 ? messages[index - 1] : undefined
  if (index === 0 && current.role !== "user") {
    return violation("first-message-from-user", 0, `the first message must come from the user, not "${current.role}"`)
  }
  if (previous !== undefined && previous.role === current.role) {
    return violation(
      "roles-alternate",
      index,
      `roles must alternate between user and assistant, but messages ${
        index - 1
      } and ${index} are both "${current.role}"`
    )
  }
  if (current.content.length === 0) {
    return violation("empty-content", index, "a message needs at least one content block")
  }
  const askedIds = new Set(
    previous?.role === "assistant"
      ? Message.toolUses(previous).filter((u) => !isServerToolUse(u)).map((u) => u.toolUseId)
      : []
  )
  const ownIds = new Set(Message.toolUses(current).map((u) => u.toolUseId))
  for (let blockIndex = 0; blockIndex < current.content.length; blockIndex++) {
    const block = current.content[blockIndex]!
    if (block._tag === "Text" && block.text.trim() === "") {
      return violation("blank-text", index, "text blocks must not be empty or blank", blockIndex)
    }
    if ((block._tag === "ToolUse" || block._tag === "ToolResult") && options.toolConfig === undefined) {
      return violation(
        "tool-config-required",
        index,
        `a ${block._tag === "ToolUse" ? "toolUse" : "toolResult"} block needs a toolConfig in the request`,
        blockIndex
      )
    }
    if (block._tag === "ToolUse" && current.role === "user") {
      return violation(
        "tool-use-in-user-message",
        index,
        `toolUse ${block.toolUseId} is in a user message; only assistant messages hold toolUse blocks`,
        blockIndex
      )
    }
    if (block._tag === "ToolResult") {
      const answered = current.role === "user" ? askedIds.has(block.toolUseId) : ownIds.has(block.toolUseId)
      if (!answered) {
        return violation(
          "tool-result-without-tool-use",
          index,
          current.role === "user"
            ? `toolResult ${block.toolUseId} answers no toolUse of the previous assistant message`
            : `toolResult ${block.toolUseId} answers no toolUse of this assistant message`,
          blockIndex
        )
      }
    }
  }
  if (previous?.role === "assistant") {
    const answeredIds = new Set(
      current.content.flatMap((block) => block._tag === "ToolResult" ? [block.toolUseId] : [])
    )
    for (let blockIndex = 0; blockIndex < previous.content.length; blockIndex++) {
      const block = previous.content[blockIndex]!
      if (block._tag === "ToolUse" && !isServerToolUse(block) && !answeredIds.has(block.toolUseId)) {
        return violation(
          "tool-use-unanswered",
          index - 1,
          `toolUse ${block.toolUseId} (${block.name}) has no toolResult in the next message (messages[${index}])`,
          blockIndex
        )
      }
    }
  }
  return undefined
}

/**
 * The first rule a conversation breaks, if any (the pure form of `validate`).
 *
 * @since 0.1.0
 * @category utils
 */
export const check = (
  messages: ReadonlyArray<Message.Message>,
  options: ValidateOptions = {}
): Option.Option<InvalidConversation> => {
  if (messages.length === 0) {
    return Option.some(violation("no-messages", 0, "a conversation needs at least one message"))
  }
  for (let index = 0; index < messages.length; index++) {
    const found = checkMessage(messages, index, options)
    if (found !== undefined) return Option.some(found)
  }
  return Option.none()
}

/**
 * Checks a conversation before it is sent: fails with the first rule it breaks.
 *
 * @since 0.1.0
 * @category combinators
 */
export const validate = (
  messages: ReadonlyArray<Message.Message>,
  options: ValidateOptions = {}
): Effect.Effect<void, InvalidConversation> =>
  Option.match(check(messages, options), { onNone: () => Effect.void, onSome: Effect.fail })
