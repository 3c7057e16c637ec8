/**
 * The agents API's wire shapes (pure): the run request, the run's result as JSON, each agent event as a Server-Sent
 * Event, and a stored conversation's messages.
 *
 * | SSE event        | data                                                                                  |
 * | ---------------- | ------------------------------------------------------------------------------------- |
 * | `run.started`    | `id`, `agent`, `model`, `conversation_id`                                             |
 * | `step.started`   | `step`, `attempt` (> 1: the step is replayed after its stream failed mid-way)          |
 * | `text.delta`     | `step`, `text`                                                                        |
 * | `tool.call`      | `step`, `tool_use_id`, `name`, `input`                                                |
 * | `tool.result`    | `step`, `tool_use_id`, `name`, `outcome` (`Success`, `Failure`, `InvalidInput`, ...), `result` |
 * | `step.retry`     | `step`, `attempt`, `message`: the step's stream failed and is replayed                |
 * | `step.completed` | `step`, `attempts`, `stop_reason`, `usage`, `cost_usd`, `tool_calls`                  |
 * | `run.completed`  | the run's result, as the JSON answer                                                  |
 * | `error`          | `{"error":{...}}` (the API's error shape)                                             |
 *
 * @since 0.1.0
 */
import { type Agent, Message, type Response } from "bedrock-llm"
import * as Schema from "effect/Schema"
import type * as Sse from "../../Sse.js"

/**
 * The body of `POST /v1/agents/{name}/runs`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const RunRequest = Schema.Struct({
  input: Schema.String.pipe(
    Schema.filter((text) => text.trim() !== "" || "must contain non-whitespace text"),
    Schema.maxLength(200_000)
  ),
  conversation_id: Schema.optional(Schema.String),
  stream: Schema.optional(Schema.Boolean)
}).annotations({ identifier: "AgentRunRequest" })

/**
 * @since 0.1.0
 * @category schemas
 */
export type RunRequest = typeof RunRequest.Type

const UsageJson = Schema.Struct({
  input_tokens: Schema.Int,
  output_tokens: Schema.Int,
  cache_read_tokens: Schema.Int,
  cache_write_tokens: Schema.Int
})

const ToolCallJson = Schema.Struct({
  tool_use_id: Schema.String,
  name: Schema.String,
  input: Schema.Unknown,
  outcome: Schema.String,
  result: Schema.Unknown
})

const StepJson = Schema.Struct({
  step: Schema.Int,
  attempts: Schema.Int,
  stop_reason: Schema.String,
  usage: UsageJson,
  cost_usd: Schema.Number,
  tool_calls: Schema.Array(ToolCallJson)
})

/**
 * The answer of a run (and the data of `run.completed`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const RunResult = Schema.Struct({
  id: Schema.String,
  agent: Schema.String,
  model: Schema.String,
  conversation_id: Schema.String,
  output: Schema.String,
  steps: Schema.Array(StepJson),
  usage: UsageJson,
  cost_usd: Schema.Number
}).annotations({ identifier: "AgentRunResult" })

/**
 * @since 0.1.0
 * @category schemas
 */
export type RunResult = typeof RunResult.Type

/**
 * The agents a key can run (`GET /v1/agents`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const AgentList = Schema.Struct({
  agents: Schema.Array(
    Schema.Struct({ name: Schema.String, description: Schema.NullOr(Schema.String), model: Schema.String })
  )
})

/**
 * A stored conversation: its messages in the library's JSON encoding of `Message` (`_tag`ged blocks, bytes as
 * base64).
 *
 * @since 0.1.0
 * @category schemas
 */
export const ConversationJson = Schema.Struct({
  id: Schema.String,
  messages: Schema.Array(Schema.encodedSchema(Message.Message))
}).annotations({ identifier: "AgentConversation" })

/**
 * The key's conversations.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ConversationList = Schema.Struct({ conversations: Schema.Array(Schema.Struct({ id: Schema.String })) })

/**
 * A run's identity, for every answer and event.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunInfo {
  readonly id: string
  readonly agent: string
  readonly model: string
  readonly conversationId: string
}

/**
 * Usage in the API's terms.
 *
 * @since 0.1.0
 * @category utils
 */
export const usage = (used: Response.Usage) => ({
  input_tokens: used.inputTokens,
  output_tokens: used.outputTokens,
  cache_read_tokens: used.cacheReadInputTokens ?? 0,
  cache_write_tokens: used.cacheWriteInputTokens ?? 0
})

/**
 * What a tool result told the model: a JSON result as its value, text as text, anything else as its blocks.
 *
 * @since 0.1.0
 * @category utils
 */
export const toolResult = (result: Message.ToolResult): unknown => {
  const parts = result.content
  if (parts.length === 1 && parts[0]!._tag === "Json") return parts[0]!.json
  if (parts.every((part) => part._tag === "Text")) return parts.map((part) => (part as Message.Text).text).join("")
  return parts.map((part) => part._tag === "Json" ? part.json : part._tag === "Text" ? part.text : { type: part._tag })
}

const step = (done: Agent.Step) => ({
  step: done.index,
  attempts: done.attempts,
  stop_reason: done.response.stopReason,
  usage: usage(done.response.usage),
  cost_usd: done.cost,
  tool_calls: done.toolCalls.map((call) => ({
    tool_use_id: call.toolUseId,
    name: call.name,
    input: call.input,
    outcome: call.outcome._tag,
    result: toolResult(call.result)
  }))
})

/**
 * A finished run as the API answers it.
 *
 * @since 0.1.0
 * @category constructors
 */
export const result = (run: RunInfo, done: Agent.Result<string>): RunResult => ({
  id: run.id,
  agent: run.agent,
  model: run.model,
  conversation_id: run.conversationId,
  output: done.text,
  steps: done.steps.map(step),
  usage: usage(done.usage),
  cost_usd: done.cost
})

/**
 * The first event of a streamed run.
 *
 * @since 0.1.0
 * @category constructors
 */
export const started = (run: RunInfo): Sse.Event => ({
  event: "run.started",
  data: { id: run.id, agent: run.agent, model: run.model, conversation_id: run.conversationId }
})

/**
 * An agent event as a Server-Sent Event (`undefined`: not sent, e.g. an approval request, which this API never has
 * an approver for: the library denies it).
 *
 * @since 0.1.0
 * @category constructors
 */
export const event = (run: RunInfo, input: Agent.Event<string>): Sse.Event | undefined => {
  switch (input._tag) {
    case "StepStart":
      return { event: "step.started", data: { step: input.step, attempt: input.attempt } }
    case "TextDelta":
      return { event: "text.delta", data: { step: input.step, text: input.text } }
    case "ToolCall":
      return {
        event: "tool.call",
        data: { step: input.step, tool_use_id: input.toolUseId, name: input.name, input: input.input }
      }
    case "ToolResult":
      return {
        event: "tool.result",
        data: {
          step: input.step,
          tool_use_id: input.toolUseId,
          name: input.name,
          outcome: input.outcome._tag,
          result: toolResult(input.result)
        }
      }
    case "StepRetry":
      return {
        event: "step.retry",
        data: { step: input.step, attempt: input.attempt, message: input.error.message }
      }
    case "StepEnd":
      return { event: "step.completed", data: step(input.step) }
    case "Final":
      return { event: "run.completed", data: result(run, input.result) }
    case "ApprovalRequested":
      return undefined
  }
}

/**
 * A conversation's messages in the library's JSON encoding.
 *
 * @since 0.1.0
 * @category constructors
 */
export const conversation = (id: string, messages: ReadonlyArray<Message.Message>) => ({
  id,
  messages: Schema.encodeSync(Schema.Array(Message.Message))(messages)
})
