/**
 * Meta Llama's native body on Bedrock: `{ prompt, max_gen_len, temperature, top_p, images? }` →
 * `{ generation, prompt_token_count, generation_token_count, stop_reason }`, one token a stream chunk.
 *
 * The prompt is the Llama 3.x chat template, rendered exactly (no escaping):
 * `<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n{system}<|eot_id|>` then one
 * `<|start_header_id|>{role}<|end_header_id|>\n\n{text}<|eot_id|>` per message, ending with an open assistant header.
 * Tools use Llama 3.1+ JSON tool calling: the tool definitions go in the system prompt, the model answers
 * `{"name": ..., "parameters": {...}}`, and tool results are `ipython` messages. Llama 2 ids get the Llama 2
 * `[INST]` template (no tools). Images go in `images` with an `<|image|>` marker (Llama 3.2 Vision, Llama 4).
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Predicate from "effect/Predicate"
import { MalformedResponseError } from "../BedrockError.js"
import type * as Conversation from "../Conversation.js"
import { parseJson } from "../internal/json.js"
import {
  EventWriter,
  type Json,
  numberAt,
  response,
  stableId,
  stringAt,
  toBase64,
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
  toolResultText,
  toolSpecs,
  unsupported
} from "../internal/nativeEncode.js"
import type * as Message from "../Message.js"
import * as ModelCatalog from "../ModelCatalog.js"
import * as Response from "../Response.js"
import * as NativeBody from "./NativeBody.js"

const FAMILY = "Meta Llama"

const BEGIN = "<|begin_of_text|>"
const EOT = "<|eot_id|>"
const PYTHON_TAG = "<|python_tag|>"
const header = (role: string): string => `<|start_header_id|>${role}<|end_header_id|>\n\n`

/**
 * The instruction that introduces tool definitions in the system prompt (Llama 3.1+ JSON tool calling).
 *
 * @since 0.1.0
 * @category models
 */
export const TOOL_INSTRUCTIONS =
  "You have access to the following functions. To call a function, respond only with a JSON object in the format " +
  "{\"name\": function name, \"parameters\": dictionary of argument name and its value}, and nothing else. " +
  "Do not use variables. Call a function only when it is needed to answer."

const isLlama2 = (modelId: string): boolean => ModelCatalog.parseId(modelId).baseId.startsWith("meta.llama2")

const toolDefinitions = (specs: ReadonlyArray<Conversation.ToolSpec>): string =>
  specs.map((spec) =>
    JSON.stringify({
      type: "function",
      function: {
        name: spec.name,
        ...(spec.description !== undefined ? { description: spec.description } : {}),
        parameters: spec.inputSchema
      }
    })
  ).join("\n")

const toolCallText = (use: Message.ToolUse): string => JSON.stringify({ name: use.name, parameters: use.input ?? {} })

/** One message as Llama 3 turns: text for the role, tool calls as JSON, tool results as `ipython` turns. */
const llama3Turns = (
  message: Message.Message,
  modelId: string,
  images: Array<string>
): Either.Either<string, NativeBody.UnsupportedFeature> =>
  Either.gen(function*() {
    const out: Array<string> = []
    const texts: Array<string> = []
    const flushText = () => {
      if (texts.length > 0) out.push(header(message.role) + texts.join("\n") + EOT)
      texts.length = 0
    }
    for (const block of message.content) {
      switch (block._tag) {
        case "Text":
          texts.push(block.text)
          break
        case "CitationsContent":
          texts.push(block.content.map((part) => part.text).join(""))
          break
        case "Image":
          if (message.role !== "user" || block.source._tag !== "Bytes") {
            return yield* Either.left(unsupported(FAMILY, "images from S3 or in assistant messages", modelId))
          }
          images.push(toBase64(block.source.bytes))
          texts.push("<|image|>")
          break
        case "ToolUse":
          flushText()
          out.push(header("assistant") + toolCallText(block) + EOT)
          break
        case "ToolResult":
          flushText()
          out.push(header("ipython") + (yield* toolResultText(FAMILY, modelId, block)) + EOT)
          break
        case "Reasoning":
        case "RedactedReasoning":
          break
        default:
          return yield* Either.left(unsupported(FAMILY, blockName(block), modelId))
      }
    }
    flushText()
    return out.join("")
  })

const llama3Prompt = (request: NativeBody.EncodeRequest, images: Array<string>) =>
  Either.gen(function*() {
    const modelId = request.model.modelId
    const system = yield* systemTexts(FAMILY, request, { cachePoints: "refuse" })
    const specs = (yield* toolSpecs(FAMILY, modelId, request.toolConfig)).filter(
      (spec): spec is Conversation.ToolSpec => spec._tag === "ToolSpec"
    )
    yield* onlyAutoToolChoice(FAMILY, modelId, request.toolConfig)
    if (specs.length > 0) system.push(`${TOOL_INSTRUCTIONS}\n\n${toolDefinitions(specs)}`)
    const parts = [BEGIN]
    if (system.length > 0) parts.push(header("system") + system.join("\n\n") + EOT)
    for (const message of request.messages) parts.push(yield* llama3Turns(message, modelId, images))
    const last = request.messages[request.messages.length - 1]
    if (last?.role !== "assistant") parts.push(header("assistant"))
    else parts[parts.length - 1] = parts[parts.length - 1]!.slice(0, -EOT.length)
    return parts.join("")
  })

const llama2Prompt = (request: NativeBody.EncodeRequest) =>
  Either.gen(function*() {
    const modelId = request.model.modelId
    yield* noTools(FAMILY, request)
    const system = yield* systemTexts(FAMILY, request)
    let prompt = ""
    let pendingSystem = system.length > 0 ? `<<SYS>>\n${system.join("\n\n")}\n<</SYS>>\n\n` : ""
    for (const message of request.messages) {
      const text = yield* plainText(FAMILY, modelId, message)
      if (message.role === "user") {
        prompt += `<s>[INST] ${pendingSystem}${text} [/INST]`
        pendingSystem = ""
      } else prompt += ` ${text} </s>`
    }
    return prompt
  })

const encodeRequest = (
  request: NativeBody.EncodeRequest
): Effect.Effect<Json, NativeBody.UnsupportedFeature> =>
  Either.gen(function*() {
    const model = request.model
    const images: Array<string> = []
    const prompt = isLlama2(model.modelId) ? yield* llama2Prompt(request) : yield* llama3Prompt(request, images)
    if (model.stopSequences !== undefined && model.stopSequences.length > 0) {
      return yield* Either.left(unsupported(FAMILY, "stop sequences", model.modelId))
    }
    const body: Json = {
      prompt,
      ...(images.length > 0 ? { images } : {}),
      ...(model.maxTokens !== undefined ? { max_gen_len: model.maxTokens } : {}),
      ...(model.temperature !== undefined ? { temperature: model.temperature } : {}),
      ...(model.topP !== undefined ? { top_p: model.topP } : {})
    }
    return withModelFields(body, model, undefined)
  })

// ---------------------------------------------------------------------------
// responses
// ---------------------------------------------------------------------------

interface ToolCall {
  readonly name: string
  readonly input: unknown
}

/** The tool calls a generation makes, when it is nothing but Llama 3.1+ JSON calls (`;`-separated or a list). */
export const parseToolCalls = (generation: string): ReadonlyArray<ToolCall> | undefined => {
  let text = generation.trim()
  if (text.startsWith(PYTHON_TAG)) text = text.slice(PYTHON_TAG.length).trim()
  if (!text.startsWith("{") && !text.startsWith("[")) return undefined
  const candidates = text.startsWith("[") ? [text] : text.split(/(?<=\})\s*;\s*(?=\{)/)
  const calls: Array<ToolCall> = []
  for (const candidate of candidates) {
    const parsed = parseJson(candidate)
    if (Either.isLeft(parsed)) return undefined
    const values = Array.isArray(parsed.right) ? parsed.right : [parsed.right]
    for (const value of values) {
      if (!Predicate.isRecord(value) || typeof value["name"] !== "string") return undefined
      const input = value["parameters"] ?? value["arguments"] ?? {}
      if (!Predicate.isRecord(input)) return undefined
      calls.push({ name: value["name"], input })
    }
  }
  return calls.length > 0 ? calls : undefined
}

const toolUseId = (generation: string, index: number): string =>
  `tooluse_llama_${stableId(`${generation}#${index}`, 16)}`

const stopReasonOf = (raw: string | undefined, hasToolCalls: boolean): Response.StopReason =>
  hasToolCalls ? "tool_use" : raw === "length" ? "max_tokens" : raw === "stop" || raw === undefined ? "end_turn" : raw

const contentOf = (generation: string): {
  readonly content: ReadonlyArray<Message.ContentBlock>
  readonly toolCalls: boolean
} => {
  const calls = parseToolCalls(generation)
  if (calls === undefined) {
    return { content: generation.length > 0 ? [{ _tag: "Text", text: generation }] : [], toolCalls: false }
  }
  return {
    content: calls.map((call, i) => ({
      _tag: "ToolUse",
      toolUseId: toolUseId(generation, i),
      name: call.name,
      input: call.input
    })),
    toolCalls: true
  }
}

const decodeResponse = (
  body: unknown,
  requestId?: string,
  metrics?: NativeBody.InvocationMetrics
): Effect.Effect<Response.Response, MalformedResponseError> => {
  if (!Predicate.isRecord(body) || typeof body["generation"] !== "string") {
    return Either.left(
      new MalformedResponseError({
        message: "a Llama response has no generation",
        ...(requestId !== undefined ? { requestId } : {})
      })
    )
  }
  const { content, toolCalls } = contentOf(body["generation"])
  const input = numberAt(body, "prompt_token_count")
  const output = numberAt(body, "generation_token_count")
  return Either.right(
    response(
      content,
      stopReasonOf(stringAt(body, "stop_reason"), toolCalls),
      input === undefined && output === undefined ? usageFromMetrics(metrics) : usage(input, output),
      requestId,
      metrics
    )
  )
}

// ---------------------------------------------------------------------------
// stream
// ---------------------------------------------------------------------------

/**
 * Text streams as it comes, unless the generation opens like a tool call (`{`, `[` or `<|python_tag|>`): then it is
 * held until the end and becomes tool uses when it parses as calls, text otherwise.
 */
const chunkDecoder = (): NativeBody.ChunkDecoder => {
  const writer = new EventWriter()
  let generation = ""
  let mode: "undecided" | "text" | "held" = "undecided"
  let inputTokens: number | undefined
  let outputTokens: number | undefined
  let stopReason: string | undefined
  const chunk = (raw: Json): Either.Either<ReadonlyArray<Response.StreamEvent>, string> => {
    writer.start()
    const piece = stringAt(raw, "generation") ?? ""
    generation += piece
    inputTokens = numberAt(raw, "prompt_token_count") ?? inputTokens
    outputTokens = numberAt(raw, "generation_token_count") ?? outputTokens
    stopReason = stringAt(raw, "stop_reason") ?? stopReason
    if (mode === "undecided") {
      const head = generation.trimStart()
      if (head.length > 0) {
        const held = head.startsWith("{") || head.startsWith("[") || head.startsWith(PYTHON_TAG) ||
          PYTHON_TAG.startsWith(head)
        mode = held ? "held" : "text"
        if (mode === "text") writer.text(generation)
      }
    } else if (mode === "text") writer.text(piece)
    return Either.right(writer.take())
  }
  const end = (
    metrics: NativeBody.InvocationMetrics | undefined
  ): Either.Either<ReadonlyArray<Response.StreamEvent>, string> => {
    writer.start()
    let toolCalls = false
    if (mode !== "text") {
      const decoded = contentOf(generation)
      toolCalls = decoded.toolCalls
      for (const block of decoded.content) {
        if (block._tag === "ToolUse") writer.toolUse(block.toolUseId, block.name, block.input)
        else if (block._tag === "Text") writer.text(block.text)
      }
    }
    if (stopReason !== undefined || metrics !== undefined) {
      writer.stop(stopReasonOf(stopReason, toolCalls))
      writer.metadata(
        inputTokens === undefined && outputTokens === undefined
          ? usageFromMetrics(metrics)
          : usage(inputTokens ?? metrics?.inputTokenCount, outputTokens ?? metrics?.outputTokenCount),
        metrics?.invocationLatency
      )
    }
    return Either.right(writer.take())
  }
  return { chunk, end }
}

/**
 * Meta Llama's native completion body with the Llama 3.x chat template.
 *
 * @since 0.1.0
 * @category models
 */
export const Llama: NativeBody.NativeBody = NativeBody.make({
  family: "meta-llama",
  name: "Meta Llama (chat template)",
  encodeRequest,
  decodeResponse,
  chunkDecoder
})
