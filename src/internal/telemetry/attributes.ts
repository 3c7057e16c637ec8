/**
 * Span attributes by the GenAI semantic conventions, as pure functions of the library's own values: a call's model
 * settings, its response, its failure, a tool call, an agent run. Nothing here holds message content (that is
 * `content.ts`, behind the capture switch) or a credential. The inputs are structural, so that a `ModelConfig`, an
 * SDK-free settings object or a test's literal all fit.
 *
 * @internal
 */
import type * as Response from "../../Response.js"
import { Attr, type Operation, OTHER, PROVIDER } from "./conventions.js"

/**
 * A span's attributes: what `Effect.withSpan`'s `attributes` and `Effect.annotateCurrentSpan` take. Scalars only:
 * `@effect/opentelemetry` 0.64 exports any other value as its pretty-printed text, so the conventions' string-array
 * attributes are set as compact JSON (`stringArray`).
 */
export type Attributes = Readonly<Record<string, string | number | boolean>>

/** A string-array attribute as compact JSON text, e.g. `["end_turn"]`. */
export const stringArray = (values: ReadonlyArray<string>): string => JSON.stringify(values)

/** The model settings of one call (a `ModelConfig` is one). */
export interface RequestSettings {
  readonly modelId: string
  readonly maxTokens?: number | undefined
  readonly temperature?: number | undefined
  readonly topP?: number | undefined
  readonly topK?: number | undefined
  readonly stopSequences?: ReadonlyArray<string> | undefined
  readonly guardrail?: { readonly identifier: string } | undefined
}

/** Where the calls go: `server.address` and `server.port`. */
export interface Server {
  readonly address: string
  readonly port?: number | undefined
}

/** Options of `requestAttributes` that are not model settings. */
export interface RequestExtras {
  readonly server?: Server | undefined
  /** The Bedrock API of the call (`bedrock_llm.api`). */
  readonly api?: "converse" | "invoke" | undefined
  /** `gen_ai.output.type`: `json` for `generateObject`. */
  readonly outputType?: "text" | "json" | undefined
}

/** The span name the conventions give an operation: `{gen_ai.operation.name} {target}`, or the operation alone. */
export const spanName = (operation: Operation, target: string | undefined): string =>
  target === undefined || target === "" ? operation : `${operation} ${target}`

/**
 * The server of a Bedrock Runtime client: the host (and port, when not 443) of a custom endpoint such as the emulator,
 * otherwise the regional endpoint's host.
 */
export const serverOf = (options: { readonly region?: string | undefined; readonly endpoint?: string | undefined }) => {
  if (options.endpoint !== undefined) {
    try {
      const url = new URL(options.endpoint)
      const port = url.port === "" ? (url.protocol === "http:" ? 80 : 443) : Number(url.port)
      return { address: url.hostname, port } satisfies Server
    } catch {
      return undefined
    }
  }
  return options.region === undefined
    ? undefined
    : ({ address: `bedrock-runtime.${options.region}.amazonaws.com`, port: 443 } satisfies Server)
}

const serverAttributes = (server: Server | undefined): Attributes =>
  server === undefined ? {} : {
    [Attr.serverAddress]: server.address,
    ...(server.port === undefined ? {} : { [Attr.serverPort]: server.port })
  }

/** The attributes of a call known before it is sent. */
export const requestAttributes = (
  operation: Operation,
  settings: RequestSettings,
  extras?: RequestExtras
): Attributes => ({
  [Attr.operationName]: operation,
  [Attr.providerName]: PROVIDER,
  [Attr.requestModel]: settings.modelId,
  ...(settings.maxTokens === undefined ? {} : { [Attr.requestMaxTokens]: settings.maxTokens }),
  ...(settings.temperature === undefined ? {} : { [Attr.requestTemperature]: settings.temperature }),
  ...(settings.topP === undefined ? {} : { [Attr.requestTopP]: settings.topP }),
  ...(settings.topK === undefined ? {} : { [Attr.requestTopK]: settings.topK }),
  ...(settings.stopSequences === undefined || settings.stopSequences.length === 0
    ? {}
    : { [Attr.requestStopSequences]: stringArray(settings.stopSequences) }),
  ...(settings.guardrail === undefined ? {} : { [Attr.guardrailId]: settings.guardrail.identifier }),
  ...(extras?.api === undefined ? {} : { [Attr.api]: extras.api }),
  ...(extras?.outputType === undefined ? {} : { [Attr.outputType]: extras.outputType }),
  ...serverAttributes(extras?.server)
})

/**
 * Every input token of a usage, the cached ones included: Bedrock reports cache reads and writes apart from
 * `inputTokens`, the conventions count them in `gen_ai.usage.input_tokens` (and report them again on their own).
 */
export const allInputTokens = (usage: Response.Usage): number =>
  usage.inputTokens + (usage.cacheReadInputTokens ?? 0) + (usage.cacheWriteInputTokens ?? 0)

/** The token counts of a usage. */
export const usageAttributes = (usage: Response.Usage): Attributes => ({
  [Attr.usageInputTokens]: allInputTokens(usage),
  [Attr.usageOutputTokens]: usage.outputTokens,
  ...(usage.cacheReadInputTokens === undefined ? {} : { [Attr.usageCacheReadInputTokens]: usage.cacheReadInputTokens }),
  ...(usage.cacheWriteInputTokens === undefined
    ? {}
    : { [Attr.usageCacheCreationInputTokens]: usage.cacheWriteInputTokens })
})

/**
 * The attributes of a call's answer: why it stopped (Bedrock's own stop reason, e.g. `end_turn`), its request id as
 * the response id, and its usage. `cost` (USD, from the catalog) is added when known.
 */
export const responseAttributes = (response: Response.Response, cost?: number): Attributes => ({
  [Attr.responseFinishReasons]: stringArray([response.stopReason]),
  ...(response.requestId === undefined ? {} : { [Attr.responseId]: response.requestId }),
  ...usageAttributes(response.usage),
  ...(cost === undefined ? {} : { [Attr.costUsd]: cost })
})

/** The time from sending a streaming call to its first event, in seconds (the span attribute of the conventions). */
export const timeToFirstChunkAttributes = (millis: number): Attributes => ({
  [Attr.responseTimeToFirstChunk]: millis / 1000
})

/** The attributes of an embeddings call: texts sent, tokens Titan or Cohere counted, the vectors' size. */
export const embeddingsAttributes = (result: {
  readonly texts: number
  readonly inputTokens?: number | undefined
  readonly dimensions?: number | undefined
}): Attributes => ({
  [Attr.embeddingsTexts]: result.texts,
  ...(result.inputTokens === undefined ? {} : { [Attr.usageInputTokens]: result.inputTokens }),
  ...(result.dimensions === undefined ? {} : { [Attr.embeddingsDimensionCount]: result.dimensions })
})

const ERROR_TYPE = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/

/**
 * `error.type` of a failure: the tag of the library's tagged errors (`ThrottlingError`, `RequestTimeoutError`,
 * `InvalidConversation`, ...), a low-cardinality name by construction; `_OTHER` for anything else.
 */
export const errorType = (error: unknown): string => {
  const tag = typeof error === "object" && error !== null && "_tag" in error ? error._tag : undefined
  return typeof tag === "string" && ERROR_TYPE.test(tag) ? tag : OTHER
}

/** The attributes of a failed call: its `error.type`, and the HTTP status Bedrock answered with when there was one. */
export const errorAttributes = (error: unknown): Attributes => {
  const status = typeof error === "object" && error !== null && "status" in error ? error.status : undefined
  return {
    [Attr.errorType]: errorType(error),
    ...(typeof status === "number" && Number.isInteger(status) ? { [Attr.httpStatusCode]: status } : {})
  }
}

/** The attributes of a retry event: the cause, which attempt failed and the delay before the next one. */
export const retryEventAttributes = (error: unknown, failedAttempt: number, delayMillis: number): Attributes => ({
  [Attr.errorType]: errorType(error),
  [Attr.retryAttempt]: failedAttempt,
  [Attr.retryDelayMs]: Math.round(delayMillis)
})

/** A tool call as the agent runs it. */
export interface ToolCallInfo {
  readonly name: string
  readonly toolUseId: string
  readonly description?: string | undefined
}

/** The attributes of an `execute_tool` span. */
export const toolAttributes = (call: ToolCallInfo): Attributes => ({
  [Attr.operationName]: "execute_tool",
  [Attr.providerName]: PROVIDER,
  [Attr.toolName]: call.name,
  [Attr.toolCallId]: call.toolUseId,
  [Attr.toolType]: "function",
  ...(call.description === undefined ? {} : { [Attr.toolDescription]: call.description })
})

/** The attributes of a tool call's outcome (a `Tool.Outcome`): `error.type` is its tag unless it succeeded. */
export const toolOutcomeAttributes = (outcome: { readonly _tag: string }): Attributes =>
  outcome._tag === "Success" ? {} : { [Attr.errorType]: errorType(outcome) }

/** An agent run. */
export interface AgentInfo {
  readonly name: string
  readonly modelId?: string | undefined
  readonly description?: string | undefined
  readonly conversationId?: string | undefined
}

/** The attributes of an `invoke_agent` span. */
export const agentAttributes = (agent: AgentInfo): Attributes => ({
  [Attr.operationName]: "invoke_agent",
  [Attr.providerName]: PROVIDER,
  [Attr.agentName]: agent.name,
  ...(agent.modelId === undefined ? {} : { [Attr.requestModel]: agent.modelId }),
  ...(agent.description === undefined ? {} : { [Attr.agentDescription]: agent.description }),
  ...(agent.conversationId === undefined ? {} : { [Attr.conversationId]: agent.conversationId })
})

/** The attributes of a finished agent run: steps taken, tokens and cost of every step together. */
export const agentResultAttributes = (result: {
  readonly steps: number
  readonly usage: Response.Usage
  readonly cost: number
}): Attributes => ({
  [Attr.agentSteps]: result.steps,
  ...usageAttributes(result.usage),
  [Attr.costUsd]: result.cost
})
