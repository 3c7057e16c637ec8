/**
 * Amazon Titan Text's native body on Bedrock: `{ inputText, textGenerationConfig: { maxTokenCount, stopSequences,
 * temperature, topP } }` → `{ inputTextTokenCount, results: [{ tokenCount, outputText, completionReason }] }`.
 *
 * The conversation is written in Titan's chat format, exactly (no escaping): the system prompt first, then
 * `User: {text}` and `Bot: {text}` lines, ending with `Bot:`. Titan has no tools, images or documents: such requests
 * fail with `UnsupportedFeature` before anything is sent.
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
  numberAt,
  response,
  stopSequences,
  stringAt,
  usage,
  usageFromMetrics,
  withModelFields
} from "../internal/native.js"
import { noTools, plainText, systemTexts } from "../internal/nativeEncode.js"
import * as Response from "../Response.js"
import * as NativeBody from "./NativeBody.js"

const FAMILY = "Amazon Titan Text"

/**
 * Titan's completion reasons as library stop reasons.
 *
 * @since 0.1.0
 * @category utils
 */
export const stopReasonOf = (reason: string | undefined): Response.StopReason => {
  switch (reason) {
    case undefined:
    case "FINISH":
    case "FINISHED":
      return "end_turn"
    case "LENGTH":
      return "max_tokens"
    case "STOP_CRITERIA_MET":
      return "stop_sequence"
    case "CONTENT_FILTERED":
      return "content_filtered"
    default:
      return reason
  }
}

const encodeRequest = (
  request: NativeBody.EncodeRequest
): Effect.Effect<Json, NativeBody.UnsupportedFeature> =>
  Either.gen(function*() {
    const model = request.model
    yield* noTools(FAMILY, request)
    const system = yield* systemTexts(FAMILY, request)
    const lines: Array<string> = [...system]
    for (const message of request.messages) {
      const text = yield* plainText(FAMILY, model.modelId, message)
      lines.push(`${message.role === "user" ? "User" : "Bot"}: ${text}`)
    }
    const last = request.messages[request.messages.length - 1]
    if (last?.role !== "assistant") lines.push("Bot:")
    const stop = stopSequences(model)
    const config: Json = {
      ...(model.maxTokens !== undefined ? { maxTokenCount: model.maxTokens } : {}),
      ...(stop !== undefined ? { stopSequences: stop } : {}),
      ...(model.temperature !== undefined ? { temperature: model.temperature } : {}),
      ...(model.topP !== undefined ? { topP: model.topP } : {})
    }
    const body: Json = {
      inputText: lines.join("\n"),
      ...(Object.keys(config).length > 0 ? { textGenerationConfig: config } : {})
    }
    return withModelFields(body, model, undefined)
  })

const decodeResponse = (
  body: unknown,
  requestId?: string,
  metrics?: NativeBody.InvocationMetrics
): Effect.Effect<Response.Response, MalformedResponseError> => {
  const first = Predicate.isRecord(body) ? arrayAt(body, "results")[0] : undefined
  if (!Predicate.isRecord(body) || !Predicate.isRecord(first)) {
    return Either.left(
      new MalformedResponseError({
        message: "a Titan response has no results",
        ...(requestId !== undefined ? { requestId } : {})
      })
    )
  }
  const text = stringAt(first, "outputText") ?? ""
  const input = numberAt(body, "inputTextTokenCount")
  const output = numberAt(first, "tokenCount")
  return Either.right(
    response(
      text.length > 0 ? [{ _tag: "Text", text }] : [],
      stopReasonOf(stringAt(first, "completionReason")),
      input === undefined && output === undefined ? usageFromMetrics(metrics) : usage(input, output),
      requestId,
      metrics
    )
  )
}

const chunkDecoder = (): NativeBody.ChunkDecoder => {
  const writer = new EventWriter()
  let inputTokens: number | undefined
  let outputTokens: number | undefined
  const chunk = (raw: Json): Either.Either<ReadonlyArray<Response.StreamEvent>, string> => {
    writer.start()
    writer.text(stringAt(raw, "outputText") ?? "")
    inputTokens = numberAt(raw, "inputTextTokenCount") ?? inputTokens
    outputTokens = numberAt(raw, "totalOutputTextTokenCount") ?? outputTokens
    const reason = stringAt(raw, "completionReason")
    if (reason !== undefined) writer.stop(stopReasonOf(reason))
    return Either.right(writer.take())
  }
  const end = (
    metrics: NativeBody.InvocationMetrics | undefined
  ): Either.Either<ReadonlyArray<Response.StreamEvent>, string> => {
    if (writer.hasStopped) {
      writer.metadata(
        metrics !== undefined ? usageFromMetrics(metrics) : usage(inputTokens, outputTokens),
        metrics?.invocationLatency
      )
    }
    return Either.right(writer.take())
  }
  return { chunk, end }
}

/**
 * Amazon Titan Text's native completion body.
 *
 * @since 0.1.0
 * @category models
 */
export const Titan: NativeBody.NativeBody = NativeBody.make({
  family: "amazon-titan-text",
  name: "Amazon Titan Text",
  encodeRequest,
  decodeResponse,
  chunkDecoder
})
