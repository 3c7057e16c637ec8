/**
 * Mistral's native bodies on Bedrock. Mistral 7B Instruct and Mixtral 8x7B take a text completion body
 * `{ prompt, max_tokens, temperature, top_p, top_k, stop }` whose prompt is the instruct template, rendered exactly
 * (`<s>[INST] {user} [/INST] {assistant}</s>[INST] ... [/INST]`, the system prompt before the first instruction);
 * they answer `{ outputs: [{ text, stop_reason }] }`. Mistral Large and Small take the chat body `{ messages, tools,
 * tool_choice, ... }` and answer `{ choices: [{ message, stop_reason }] }`.
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Predicate from "effect/Predicate"
import { MalformedResponseError } from "../BedrockError.js"
import {
  arrayAt,
  EventWriter,
  type Json,
  recordAt,
  response,
  stopSequences,
  stringAt,
  usageFromMetrics,
  withModelFields
} from "../internal/native.js"
import { chatMessages, ChatStream, finishReasonOf, messageContent } from "../internal/nativeChat.js"
import { noTools, plainText, systemTexts, unsupported } from "../internal/nativeEncode.js"
import * as ModelCatalog from "../ModelCatalog.js"
import * as Response from "../Response.js"
import * as NativeBody from "./NativeBody.js"

const FAMILY = "Mistral"

/**
 * Whether a Mistral model takes the chat body (Mistral Large and Small) rather than the instruct prompt.
 *
 * @since 0.1.0
 * @category utils
 */
export const isChatModel = (modelId: string): boolean => {
  const base = ModelCatalog.parseId(modelId).baseId
  return !(base.startsWith("mistral.mistral-7b") || base.startsWith("mistral.mixtral"))
}

const instructPrompt = (request: NativeBody.EncodeRequest) =>
  Either.gen(function*() {
    yield* noTools(FAMILY, request)
    const system = yield* systemTexts(FAMILY, request)
    let pendingSystem = system.length > 0 ? `${system.join("\n\n")}\n\n` : ""
    let prompt = "<s>"
    for (const message of request.messages) {
      const text = yield* plainText(FAMILY, request.model.modelId, message)
      if (message.role === "user") {
        prompt += `[INST] ${pendingSystem}${text} [/INST]`
        pendingSystem = ""
      } else prompt += ` ${text}</s>`
    }
    const last = request.messages[request.messages.length - 1]
    return last?.role === "assistant" ? prompt.slice(0, -"</s>".length) : prompt
  })

const sampling = (request: NativeBody.EncodeRequest): Json => {
  const model = request.model
  const stop = stopSequences(model)
  return {
    ...(model.maxTokens !== undefined ? { max_tokens: model.maxTokens } : {}),
    ...(model.temperature !== undefined ? { temperature: model.temperature } : {}),
    ...(model.topP !== undefined ? { top_p: model.topP } : {}),
    ...(stop !== undefined ? { stop } : {})
  }
}

const encodeRequest = (
  request: NativeBody.EncodeRequest
): Effect.Effect<Json, NativeBody.UnsupportedFeature> =>
  Either.gen(function*() {
    const model = request.model
    if (!isChatModel(model.modelId)) {
      const prompt = yield* instructPrompt(request)
      return withModelFields({ prompt, ...sampling(request) }, model, (k) => ({ top_k: k }))
    }
    const { messages, tools } = yield* chatMessages(FAMILY, request)
    const choice = request.toolConfig?.toolChoice
    const toolChoice = choice === undefined || tools.length === 0
      ? undefined
      : choice._tag === "Auto"
      ? "auto"
      : choice._tag === "Any"
      ? "any"
      : yield* Either.left(
        unsupported(FAMILY, choice._tag === "Tool" ? "toolChoice tool" : "toolChoice", model.modelId)
      )
    const body: Json = {
      messages,
      ...(tools.length > 0 ? { tools } : {}),
      ...(toolChoice !== undefined ? { tool_choice: toolChoice } : {}),
      ...sampling(request)
    }
    return withModelFields(body, model, (k) => ({ top_k: k }))
  })

const decodeResponse = (
  body: unknown,
  requestId?: string,
  metrics?: NativeBody.InvocationMetrics
): Effect.Effect<Response.Response, MalformedResponseError> => {
  const fail = (message: string) =>
    Either.left(new MalformedResponseError({ message, ...(requestId !== undefined ? { requestId } : {}) }))
  if (!Predicate.isRecord(body)) return fail("a Mistral response is not a JSON object")
  const output = arrayAt(body, "outputs")[0]
  if (Predicate.isRecord(output)) {
    const text = stringAt(output, "text") ?? ""
    return Either.right(
      response(
        text.length > 0 ? [{ _tag: "Text", text }] : [],
        finishReasonOf(stringAt(output, "stop_reason")),
        usageFromMetrics(metrics),
        requestId,
        metrics
      )
    )
  }
  const choice = arrayAt(body, "choices")[0]
  const message = Predicate.isRecord(choice) ? recordAt(choice, "message") : undefined
  if (!Predicate.isRecord(choice) || message === undefined) {
    return fail("a Mistral response has neither outputs nor choices")
  }
  return Either.right(
    response(
      messageContent(message),
      finishReasonOf(stringAt(choice, "stop_reason") ?? stringAt(choice, "finish_reason")),
      usageFromMetrics(metrics),
      requestId,
      metrics
    )
  )
}

const chunkDecoder = (): NativeBody.ChunkDecoder => {
  const chat = new ChatStream()
  const writer: EventWriter = chat.writer
  const chunk = (raw: Json): Either.Either<ReadonlyArray<Response.StreamEvent>, string> => {
    const output = arrayAt(raw, "outputs")[0]
    if (Predicate.isRecord(output)) {
      writer.start()
      writer.text(stringAt(output, "text") ?? "")
      const reason = stringAt(output, "stop_reason")
      if (reason !== undefined) writer.stop(finishReasonOf(reason))
      return chat.take()
    }
    const choice = arrayAt(raw, "choices")[0]
    if (Predicate.isRecord(choice)) {
      chat.choice(choice)
      chat.stop()
    }
    return chat.take()
  }
  const end = (
    metrics: NativeBody.InvocationMetrics | undefined
  ): Either.Either<ReadonlyArray<Response.StreamEvent>, string> => {
    if (writer.hasStopped) writer.metadata(usageFromMetrics(metrics), metrics?.invocationLatency)
    return chat.take()
  }
  return { chunk, end }
}

/**
 * Mistral's native bodies (instruct prompt for 7B and Mixtral, chat with tools for Large and Small).
 *
 * @since 0.1.0
 * @category models
 */
export const Mistral: NativeBody.NativeBody = NativeBody.make({
  family: "mistral",
  name: "Mistral (instruct and chat)",
  encodeRequest,
  decodeResponse,
  chunkDecoder
})
