/**
 * bedrock-llm as `@effect/ai`'s `EmbeddingModel`, over the `EmbeddingsClient` in context: the client's batching
 * (Titan one text a call, Cohere up to 96), deduplication, cache, retries and breaker stay in force, and the layer's
 * (or `withEmbedOptions`'s) dimensions, normalisation and Cohere input type apply to every text. Failures are
 * `AiError`s whose cause is the library's error.
 *
 * @since 0.1.0
 */
import * as EmbeddingModel from "@effect/ai/EmbeddingModel"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as BedrockRuntime from "../BedrockRuntime.js"
import * as EmbeddingsClient from "../EmbeddingsClient.js"
import * as BedrockAiError from "./BedrockAiError.js"
import * as Override from "./internal/override.js"

/**
 * Per-call embedding options over the layer's: `withEmbedOptions` provides them.
 *
 * @since 0.1.0
 * @category context
 */
export class EmbedOptions extends Context.Tag("bedrock-llm/ai/BedrockEmbeddingModel/EmbedOptions")<
  EmbedOptions,
  EmbeddingsClient.EmbeddingsClient.EmbedOptions
>() {}

/**
 * The `EmbeddingModel` service over the `EmbeddingsClient` in context; `options` apply to every call (under those
 * of `withEmbedOptions`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options?: EmbeddingsClient.EmbeddingsClient.EmbedOptions
): Effect.Effect<EmbeddingModel.Service, never, EmbeddingsClient.EmbeddingsClient> =>
  Effect.map(EmbeddingsClient.EmbeddingsClient, (client) => {
    const origin = (method: string): BedrockAiError.Origin => ({
      module: "BedrockEmbeddingModel",
      method,
      url: `/model/${encodeURIComponent(client.model.modelId)}/invoke`
    })
    const embedOrigin = origin("embed")
    const embedManyOrigin = origin("embedMany")
    const settings = Effect.map(
      Effect.serviceOption(EmbedOptions),
      Option.match({ onNone: () => options, onSome: (override) => ({ ...options, ...override }) })
    )
    return EmbeddingModel.EmbeddingModel.of({
      embed: (input) =>
        Effect.flatMap(settings, (embedOptions) =>
          Effect.mapBoth(client.embed(input, embedOptions), {
            onFailure: (error) => BedrockAiError.fromCause(error, embedOrigin),
            onSuccess: (vector) => vector.slice()
          })),
      embedMany: (inputs) =>
        Effect.flatMap(settings, (embedOptions) =>
          Effect.mapBoth(client.embedMany(inputs, embedOptions), {
            onFailure: (error) => BedrockAiError.fromCause(error, embedManyOrigin),
            onSuccess: (vectors) => vectors.map((vector) => vector.slice())
          }))
    })
  })

/**
 * The `EmbeddingModel` layer over the `EmbeddingsClient` in context.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options?: EmbeddingsClient.EmbeddingsClient.EmbedOptions
): Layer.Layer<EmbeddingModel.EmbeddingModel, never, EmbeddingsClient.EmbeddingsClient> =>
  Layer.effect(EmbeddingModel.EmbeddingModel, make(options))

/**
 * The `EmbeddingModel` layer with its own `EmbeddingsClient` (model, defaults, cache, concurrency, retry) over the
 * `BedrockRuntime` in context; an unusable model fails the layer with the client's typed error.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerClient = (
  options: EmbeddingsClient.EmbeddingsClient.Options
): Layer.Layer<
  EmbeddingModel.EmbeddingModel,
  EmbeddingsClient.UnsupportedModelError | EmbeddingsClient.EmbeddingInputError,
  BedrockRuntime.BedrockRuntime
> => layer().pipe(Layer.provide(EmbeddingsClient.layer(options)))

/**
 * Runs an effect with these embedding options over the layer's (e.g. other dimensions, or Cohere's `search_query`
 * input type for queries).
 *
 * @since 0.1.0
 * @category combinators
 */
export const withEmbedOptions: {
  (options: EmbeddingsClient.EmbeddingsClient.EmbedOptions): <A, E, R>(
    self: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E, R>
  <A, E, R>(
    self: Effect.Effect<A, E, R>,
    options: EmbeddingsClient.EmbeddingsClient.EmbedOptions
  ): Effect.Effect<A, E, R>
} = dual(2, Override.provideOverrides(EmbedOptions))
