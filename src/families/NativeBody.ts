/**
 * The contract of a model family's native InvokeModel body: encode a request into the family's JSON body, decode its
 * JSON response into a `Response`, and decode its native stream chunks into the library's `StreamEvent`s (so a
 * stream looks the same whichever API served it, and `Response.Accumulator` folds it).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import type { ModelConfig } from "../BedrockConfig.js"
import { MalformedResponseError } from "../BedrockError.js"
import type * as Conversation from "../Conversation.js"
import { TypeId } from "../internal/errorTypeId.js"
import {
  chunkJson,
  type InvocationMetrics as NativeInvocationMetrics,
  type Json,
  splitMetrics
} from "../internal/native.js"
import type * as Message from "../Message.js"
import type * as ModelCatalog from "../ModelCatalog.js"
import * as Response from "../Response.js"

/**
 * The request asks for something the model family cannot do natively (e.g. tools on Amazon Titan Text); raised by
 * `encodeRequest`, before any request is sent. Not retryable.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnsupportedFeature extends Schema.TaggedError<UnsupportedFeature>()("UnsupportedFeature", {
  message: Schema.String,
  family: Schema.String,
  feature: Schema.String,
  modelId: Schema.optional(Schema.String)
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
 * A JSON object: a native request or response body.
 *
 * @since 0.1.0
 * @category models
 */
export type JsonObject = Json

/**
 * What `encodeRequest` takes: the conversation, system blocks, tools and the model settings (its `system` goes
 * before the system blocks).
 *
 * @since 0.1.0
 * @category models
 */
export interface EncodeRequest {
  readonly messages: ReadonlyArray<Message.Message>
  readonly system?: ReadonlyArray<Message.SystemContentBlock> | undefined
  readonly toolConfig?: Conversation.ToolConfiguration | undefined
  readonly model: ModelConfig
}

/**
 * The `amazon-bedrock-invocationMetrics` of a native stream's last chunk (InvokeModel sends the same numbers as
 * `x-amzn-bedrock-*` response headers).
 *
 * @since 0.1.0
 * @category models
 */
export type InvocationMetrics = NativeInvocationMetrics

/**
 * A stateful decoder of one native stream: the events of each chunk (invocation metrics already removed), then the
 * events after the last chunk. A `Left` is a description of a malformed chunk. One decoder per stream.
 *
 * @since 0.1.0
 * @category models
 */
export interface ChunkDecoder {
  readonly chunk: (chunk: JsonObject) => Either.Either<ReadonlyArray<Response.StreamEvent>, string>
  readonly end: (metrics: InvocationMetrics | undefined) => Either.Either<ReadonlyArray<Response.StreamEvent>, string>
}

/**
 * What a family provides; `make` adds `decodeStream`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Definition {
  /** The catalog family this implementation speaks for. */
  readonly family: ModelCatalog.Family
  /** A human name, e.g. "Anthropic Claude (Messages API)". */
  readonly name: string
  /** The native JSON body of a request, or `UnsupportedFeature`. */
  readonly encodeRequest: (request: EncodeRequest) => Effect.Effect<JsonObject, UnsupportedFeature>
  /**
   * The `Response` of a native JSON body. `metrics` (from the `x-amzn-bedrock-*` headers) fill in token counts for
   * bodies that carry none.
   */
  readonly decodeResponse: (
    body: unknown,
    requestId?: string,
    metrics?: InvocationMetrics
  ) => Effect.Effect<Response.Response, MalformedResponseError>
  /** A fresh decoder for one native stream. */
  readonly chunkDecoder: () => ChunkDecoder
}

/**
 * A model family's native InvokeModel implementation.
 *
 * @since 0.1.0
 * @category models
 */
export interface NativeBody extends Definition {
  /**
   * The library's stream events from native chunks (each one chunk's bytes, or its parsed JSON): the same events,
   * in the same order, as ConverseStream gives (`MessageStart`, deltas, `MessageStop`, `Metadata`).
   */
  readonly decodeStream: <E, R>(
    chunks: Stream.Stream<Uint8Array | JsonObject, E, R>,
    requestId?: string
  ) => Stream.Stream<Response.StreamEvent, E | MalformedResponseError, R>
}

/**
 * The former name of `NativeBody`.
 *
 * @deprecated Use `NativeBody`; this alias goes in the next release.
 * @since 0.1.0
 * @category models
 */
export type ModelImplementation = NativeBody

/**
 * Decodes native chunks with a family's chunk decoder: one decoder per run; invocation metrics are taken from the
 * chunks and handed to the decoder at the end.
 *
 * @since 0.1.0
 * @category combinators
 */
export const decodeChunks = <E, R>(
  chunkDecoder: () => ChunkDecoder,
  chunks: Stream.Stream<Uint8Array | JsonObject, E, R>,
  requestId?: string
): Stream.Stream<Response.StreamEvent, E | MalformedResponseError, R> =>
  Stream.suspend(() => {
    const decoder = chunkDecoder()
    let metrics: InvocationMetrics | undefined
    const fail = (message: string) =>
      new MalformedResponseError(requestId === undefined ? { message } : { message, requestId })
    const perChunk = Stream.mapConcatEffect(chunks, (raw) => {
      const decoded = Either.flatMap(chunkJson(raw), (json) => {
        const split = splitMetrics(json)
        if (split.metrics !== undefined) metrics = split.metrics
        return decoder.chunk(split.chunk)
      })
      return Either.isLeft(decoded) ? Effect.fail(fail(decoded.left)) : Effect.succeed(decoded.right)
    })
    const atEnd = Stream.fromIterableEffect(Effect.suspend(() => {
      const decoded = decoder.end(metrics)
      return Either.isLeft(decoded) ? Effect.fail(fail(decoded.left)) : Effect.succeed(decoded.right)
    }))
    return Stream.concat(perChunk, atEnd)
  })

/**
 * A model implementation from its definition.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (definition: Definition): NativeBody => ({
  ...definition,
  decodeStream: (chunks, requestId) => decodeChunks(definition.chunkDecoder, chunks, requestId)
})

/**
 * Decodes a complete list of native chunks into the `Response` the stream describes (for tests and replays).
 *
 * @since 0.1.0
 * @category utils
 */
export const foldChunks = (
  implementation: NativeBody,
  chunks: Iterable<Uint8Array | JsonObject>,
  requestId?: string
): Effect.Effect<Response.Response, MalformedResponseError> =>
  implementation.decodeStream(Stream.fromIterable(chunks), requestId).pipe(
    Stream.runFold(Response.Accumulator.empty, Response.accumulate),
    Effect.flatMap((accumulator) => accumulator.toResponse(requestId))
  )
