/**
 * AI21 Jamba's native chat body on Bedrock: `{ messages, tools, max_tokens, temperature, top_p, stop }` →
 * `{ id, choices: [{ message, finish_reason }], usage: { prompt_tokens, completion_tokens, total_tokens } }`; streams
 * of OpenAI-style `choices[].delta` chunks. Jamba lets the model decide on tools: a forced tool choice fails with
 * `UnsupportedFeature`.
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Predicate from "effect/Predicate"
import { MalformedResponseError } from "../BedrockError.js"
import {
  arrayAt,
  type Json,
  numberAt,
  recordAt,
  response,
  stopSequences,
  stringAt,
  usage,
  usageFromMetrics,
  withModelFields
} from "../internal/native.js"
import { chatMessages, ChatStream, finishReasonOf, messageContent } from "../internal/nativeChat.js"
import { onlyAutoToolChoice } from "../internal/nativeEncode.js"
import * as Response from "../Response.js"
import * as NativeBody from "./NativeBody.js"

const FAMILY = "AI21 Jamba"

const encodeRequest = (
  request: NativeBody.EncodeRequest
): Effect.Effect<Json, NativeBody.UnsupportedFeature> =>
  Either.gen(function*() {
    const model = request.model
    yield* onlyAutoToolChoice(FAMILY, model.modelId, request.toolConfig)
    const { messages, tools } = yield* chatMessages(FAMILY, request)
    const stop = stopSequences(model)
    const body: Json = {
      messages,
      ...(tools.length > 0 ? { tools } : {}),
      ...(model.maxTokens !== undefined ? { max_tokens: model.maxTokens } : {}),
      ...(model.temperature !== undefined ? { temperature: model.temperature } : {}),
      ...(model.topP !== undefined ? { top_p: model.topP } : {}),
      ...(stop !== undefined ? { stop } : {})
    }
    return withModelFields(body, model, undefined)
  })

const usageOf = (raw: Json | undefined, metrics: NativeBody.InvocationMetrics | undefined) =>
  raw === undefined
    ? usageFromMetrics(metrics)
    : usage(numberAt(raw, "prompt_tokens"), numberAt(raw, "completion_tokens"))

const decodeResponse = (
  body: unknown,
  requestId?: string,
  metrics?: NativeBody.InvocationMetrics
): Effect.Effect<Response.Response, MalformedResponseError> => {
  const choice = Predicate.isRecord(body) ? arrayAt(body, "choices")[0] : undefined
  const message = Predicate.isRecord(choice) ? recordAt(choice, "message") : undefined
  if (!Predicate.isRecord(body) || !Predicate.isRecord(choice) || message === undefined) {
    return Either.left(
      new MalformedResponseError({
        message: "a Jamba response has no choices[0].message",
        ...(requestId !== undefined ? { requestId } : {})
      })
    )
  }
  return Either.right(
    response(
      messageContent(message),
      finishReasonOf(stringAt(choice, "finish_reason")),
      usageOf(recordAt(body, "usage"), metrics),
      requestId,
      metrics
    )
  )
}

const chunkDecoder = (): NativeBody.ChunkDecoder => {
  const chat = new ChatStream()
  let usageJson: Json | undefined
  const chunk = (raw: Json): Either.Either<ReadonlyArray<Response.StreamEvent>, string> => {
    const choice = arrayAt(raw, "choices")[0]
    if (Predicate.isRecord(choice)) {
      chat.choice(choice)
      chat.stop()
    }
    usageJson = recordAt(raw, "usage") ?? usageJson
    return chat.take()
  }
  const end = (
    metrics: NativeBody.InvocationMetrics | undefined
  ): Either.Either<ReadonlyArray<Response.StreamEvent>, string> => {
    if (chat.writer.hasStopped) chat.writer.metadata(usageOf(usageJson, metrics), metrics?.invocationLatency)
    return chat.take()
  }
  return { chunk, end }
}

/**
 * AI21 Jamba's native chat body.
 *
 * @since 0.1.0
 * @category models
 */
export const Jamba: NativeBody.NativeBody = NativeBody.make({
  family: "ai21-jamba",
  name: "AI21 Jamba (chat)",
  encodeRequest,
  decodeResponse,
  chunkDecoder
})
