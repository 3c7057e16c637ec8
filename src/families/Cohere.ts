/**
 * Cohere's native bodies on Bedrock. Command R and R+: `{ message, chat_history, preamble, tools, tool_results,
 * max_tokens, temperature, p, k, stop_sequences }` → `{ text, tool_calls, finish_reason, meta.billed_units }`, streams
 * of `stream-start` / `text-generation` / `tool-calls-generation` / `stream-end` events. The legacy Command (Light)
 * text models: `{ prompt, ... }` → `{ generations: [{ text, finish_reason }] }` (decoded; encoded as a
 * `User:` / `Chatbot:` prompt).
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Predicate from "effect/Predicate"
import { MalformedResponseError } from "../BedrockError.js"
import type * as Conversation from "../Conversation.js"
import {
  arrayAt,
  EventWriter,
  type Json,
  numberAt,
  recordAt,
  response,
  stableId,
  stopSequences,
  stringAt,
  usage,
  usageFromMetrics,
  withModelFields
} from "../internal/native.js"
import {
  blockName,
  noTools,
  onlyAutoToolChoice,
  plainText,
  systemTexts,
  toolSpecs,
  unsupported
} from "../internal/nativeEncode.js"
import type * as Message from "../Message.js"
import * as ModelCatalog from "../ModelCatalog.js"
import * as Response from "../Response.js"
import * as NativeBody from "./NativeBody.js"

const FAMILY = "Cohere Command"

/**
 * Whether a Cohere model takes the Command R chat body (rather than the legacy prompt body).
 *
 * @since 0.1.0
 * @category utils
 */
export const isCommandR = (modelId: string): boolean =>
  ModelCatalog.parseId(modelId).baseId.startsWith("cohere.command-r")

/**
 * Cohere's finish reasons as library stop reasons.
 *
 * @since 0.1.0
 * @category utils
 */
export const stopReasonOf = (reason: string | undefined, toolCalls: boolean): Response.StopReason => {
  if (toolCalls) return "tool_use"
  switch (reason) {
    case undefined:
    case "COMPLETE":
      return "end_turn"
    case "MAX_TOKENS":
      return "max_tokens"
    case "STOP_SEQUENCE":
      return "stop_sequence"
    case "ERROR_TOXIC":
      return "content_filtered"
    case "ERROR_LIMIT":
      return "model_context_window_exceeded"
    default:
      return reason
  }
}

const cohereType = (schema: unknown): string => {
  const type = Predicate.isRecord(schema) ? schema["type"] : undefined
  switch (type) {
    case "integer":
      return "int"
    case "number":
      return "float"
    case "boolean":
      return "bool"
    case "array": {
      const items = Predicate.isRecord(schema) ? schema["items"] : undefined
      return `List[${cohereType(items)}]`
    }
    case "object":
      return "Dict"
    default:
      return "str"
  }
}

/** A JSON Schema object as Cohere `parameter_definitions` (one level: nested objects become `Dict`). */
const parameterDefinitions = (schema: Message.JsonObject): Json => {
  const properties = Predicate.isRecord(schema["properties"]) ? schema["properties"] : {}
  const required = new Set(Array.isArray(schema["required"]) ? schema["required"] : [])
  const out: Json = {}
  for (const [name, property] of Object.entries(properties)) {
    const description = Predicate.isRecord(property) ? stringAt(property, "description") : undefined
    out[name] = {
      ...(description !== undefined ? { description } : {}),
      type: cohereType(property),
      required: required.has(name)
    }
  }
  return out
}

const toolOutputs = (result: Message.ToolResult, modelId: string) =>
  Either.gen(function*() {
    const outputs: Array<Json> = []
    for (const part of result.content) {
      if (part._tag === "Text") outputs.push({ text: part.text })
      else if (part._tag === "Json") outputs.push(Predicate.isRecord(part.json) ? part.json : { result: part.json })
      else return yield* Either.left(unsupported(FAMILY, blockName(part), modelId, "inside tool results"))
    }
    return outputs
  })

interface Turn {
  readonly text: string
  readonly uses: ReadonlyArray<Message.ToolUse>
  readonly results: ReadonlyArray<Message.ToolResult>
}

const turnOf = (message: Message.Message, modelId: string) =>
  Either.gen(function*() {
    const texts: Array<string> = []
    const uses: Array<Message.ToolUse> = []
    const results: Array<Message.ToolResult> = []
    for (const block of message.content) {
      if (block._tag === "Text") texts.push(block.text)
      else if (block._tag === "ToolUse") uses.push(block)
      else if (block._tag === "ToolResult") results.push(block)
      else if (block._tag === "Reasoning" || block._tag === "RedactedReasoning") continue
      else if (block._tag === "CitationsContent") texts.push(block.content.map((part) => part.text).join(""))
      else return yield* Either.left(unsupported(FAMILY, blockName(block), modelId))
    }
    return { text: texts.join("\n"), uses, results } satisfies Turn
  })

const toolResultsOf = (
  results: ReadonlyArray<Message.ToolResult>,
  uses: ReadonlyArray<Message.ToolUse>,
  modelId: string
) =>
  Either.gen(function*() {
    const out: Array<Json> = []
    for (const result of results) {
      const use = uses.find((u) => u.toolUseId === result.toolUseId)
      out.push({
        call: { name: use?.name ?? "", parameters: use?.input ?? {} },
        outputs: yield* toolOutputs(result, modelId)
      })
    }
    return out
  })

const toolCalls = (uses: ReadonlyArray<Message.ToolUse>): Array<Json> =>
  uses.map((use) => ({ name: use.name, parameters: use.input ?? {} }))

const commandRBody = (request: NativeBody.EncodeRequest) =>
  Either.gen(function*() {
    const model = request.model
    const modelId = model.modelId
    yield* onlyAutoToolChoice(FAMILY, modelId, request.toolConfig)
    const system = yield* systemTexts(FAMILY, request)
    const turns: Array<Turn & { readonly role: Message.Role }> = []
    for (const message of request.messages) turns.push({ role: message.role, ...(yield* turnOf(message, modelId)) })
    const last = turns[turns.length - 1]
    if (last === undefined || last.role !== "user") {
      return yield* Either.left(unsupported(FAMILY, "a conversation that does not end with a user message", modelId))
    }
    const history: Array<Json> = []
    for (let i = 0; i < turns.length - 1; i++) {
      const turn = turns[i]!
      if (turn.role === "assistant") {
        history.push({
          role: "CHATBOT",
          message: turn.text,
          ...(turn.uses.length > 0 ? { tool_calls: toolCalls(turn.uses) } : {})
        })
        continue
      }
      if (turn.results.length > 0) {
        history.push({
          role: "TOOL",
          tool_results: yield* toolResultsOf(turn.results, turns[i - 1]?.uses ?? [], modelId)
        })
      }
      if (turn.text.length > 0) history.push({ role: "USER", message: turn.text })
    }
    const previous = turns[turns.length - 2]
    const toolResults = last.results.length > 0 ? yield* toolResultsOf(last.results, previous?.uses ?? [], modelId) : []
    const specs = (yield* toolSpecs(FAMILY, modelId, request.toolConfig)).filter(
      (spec): spec is Conversation.ToolSpec => spec._tag === "ToolSpec"
    )
    const stop = stopSequences(model)
    const body: Json = {
      message: last.text,
      ...(history.length > 0 ? { chat_history: history } : {}),
      ...(system.length > 0 ? { preamble: system.join("\n\n") } : {}),
      ...(specs.length > 0
        ? {
          tools: specs.map((spec) => ({
            name: spec.name,
            description: spec.description ?? "",
            parameter_definitions: parameterDefinitions(spec.inputSchema)
          }))
        }
        : {}),
      ...(toolResults.length > 0 ? { tool_results: toolResults } : {}),
      ...(model.maxTokens !== undefined ? { max_tokens: model.maxTokens } : {}),
      ...(model.temperature !== undefined ? { temperature: model.temperature } : {}),
      ...(model.topP !== undefined ? { p: model.topP } : {}),
      ...(stop !== undefined ? { stop_sequences: stop } : {})
    }
    return withModelFields(body, model, (k) => ({ k }))
  })

const commandBody = (request: NativeBody.EncodeRequest) =>
  Either.gen(function*() {
    const model = request.model
    yield* noTools(FAMILY, request)
    const system = yield* systemTexts(FAMILY, request)
    const lines: Array<string> = [...system]
    for (const message of request.messages) {
      const text = yield* plainText(FAMILY, model.modelId, message)
      lines.push(`${message.role === "user" ? "User" : "Chatbot"}: ${text}`)
    }
    if (request.messages[request.messages.length - 1]?.role !== "assistant") lines.push("Chatbot:")
    const stop = stopSequences(model)
    const body: Json = {
      prompt: lines.join("\n"),
      ...(model.maxTokens !== undefined ? { max_tokens: model.maxTokens } : {}),
      ...(model.temperature !== undefined ? { temperature: model.temperature } : {}),
      ...(model.topP !== undefined ? { p: model.topP } : {}),
      ...(stop !== undefined ? { stop_sequences: stop } : {})
    }
    return withModelFields(body, model, (k) => ({ k }))
  })

const encodeRequest = (
  request: NativeBody.EncodeRequest
): Effect.Effect<Json, NativeBody.UnsupportedFeature> =>
  isCommandR(request.model.modelId) ? commandRBody(request) : commandBody(request)

// ---------------------------------------------------------------------------
// responses
// ---------------------------------------------------------------------------

const toolUsesOf = (calls: ReadonlyArray<unknown>, seed: string): Array<Message.ToolUse> =>
  calls.filter(Predicate.isRecord).map((call, i) => ({
    _tag: "ToolUse",
    toolUseId: `tooluse_cohere_${stableId(`${seed}#${i}`, 16)}`,
    name: stringAt(call, "name") ?? "",
    input: call["parameters"] ?? {}
  }))

const billedUsage = (body: Json, metrics: NativeBody.InvocationMetrics | undefined): Response.Usage => {
  const meta = recordAt(body, "meta")
  const billed = meta === undefined ? undefined : recordAt(meta, "billed_units")
  return billed === undefined
    ? usageFromMetrics(metrics)
    : usage(numberAt(billed, "input_tokens"), numberAt(billed, "output_tokens"))
}

const decodeResponse = (
  body: unknown,
  requestId?: string,
  metrics?: NativeBody.InvocationMetrics
): Effect.Effect<Response.Response, MalformedResponseError> => {
  const fail = (message: string) =>
    Either.left(new MalformedResponseError({ message, ...(requestId !== undefined ? { requestId } : {}) }))
  if (!Predicate.isRecord(body)) return fail("a Cohere response is not a JSON object")
  const generation = arrayAt(body, "generations")[0]
  if (Predicate.isRecord(generation)) {
    const text = stringAt(generation, "text") ?? ""
    return Either.right(
      response(
        text.length > 0 ? [{ _tag: "Text", text }] : [],
        stopReasonOf(stringAt(generation, "finish_reason"), false),
        usageFromMetrics(metrics),
        requestId,
        metrics
      )
    )
  }
  if (typeof body["text"] !== "string") return fail("a Cohere response has neither text nor generations")
  const uses = toolUsesOf(arrayAt(body, "tool_calls"), stringAt(body, "generation_id") ?? body["text"])
  const content: Array<Message.ContentBlock> = [
    ...(body["text"].length > 0 ? [{ _tag: "Text" as const, text: body["text"] }] : []),
    ...uses
  ]
  return Either.right(
    response(
      content,
      stopReasonOf(stringAt(body, "finish_reason"), uses.length > 0),
      billedUsage(body, metrics),
      requestId,
      metrics
    )
  )
}

const chunkDecoder = (): NativeBody.ChunkDecoder => {
  const writer = new EventWriter()
  let seed = ""
  let usageRecord: Response.Usage | undefined
  const chunk = (raw: Json): Either.Either<ReadonlyArray<Response.StreamEvent>, string> => {
    writer.start()
    const type = stringAt(raw, "event_type")
    if (type === undefined) {
      writer.text(stringAt(raw, "text") ?? "")
      if (raw["is_finished"] === true) writer.stop(stopReasonOf(stringAt(raw, "finish_reason"), false))
      return Either.right(writer.take())
    }
    switch (type) {
      case "stream-start":
        seed = stringAt(raw, "generation_id") ?? seed
        break
      case "text-generation":
        writer.text(stringAt(raw, "text") ?? "")
        break
      case "tool-calls-generation":
        for (
          const use of toolUsesOf(arrayAt(raw, "tool_calls"), seed.length > 0 ? seed : stringAt(raw, "text") ?? "")
        ) {
          writer.toolUse(use.toolUseId, use.name, use.input)
        }
        break
      case "stream-end": {
        const final = recordAt(raw, "response")
        if (final !== undefined) usageRecord = billedUsage(final, undefined)
        const calls = final === undefined ? [] : arrayAt(final, "tool_calls")
        writer.stop(stopReasonOf(stringAt(raw, "finish_reason"), calls.length > 0))
        break
      }
      default:
        break
    }
    return Either.right(writer.take())
  }
  const end = (
    metrics: NativeBody.InvocationMetrics | undefined
  ): Either.Either<ReadonlyArray<Response.StreamEvent>, string> => {
    if (writer.hasStopped) {
      const fromBody = usageRecord !== undefined && usageRecord.totalTokens > 0 ? usageRecord : undefined
      writer.metadata(fromBody ?? usageFromMetrics(metrics), metrics?.invocationLatency)
    }
    return Either.right(writer.take())
  }
  return { chunk, end }
}

/**
 * Cohere Command R / R+ (chat with tools) and the legacy Command text models.
 *
 * @since 0.1.0
 * @category models
 */
export const Cohere: NativeBody.NativeBody = NativeBody.make({
  family: "cohere-command",
  name: "Cohere Command R",
  encodeRequest,
  decodeResponse,
  chunkDecoder
})
