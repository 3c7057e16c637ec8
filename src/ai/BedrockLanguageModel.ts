/**
 * bedrock-llm as `@effect/ai`'s `LanguageModel`: `generateText`, `streamText` and `generateObject` (and so `Chat` and
 * `Toolkit` round trips) over the `BedrockClient` in context, so that everything the client does stays in force:
 * conversation validation, the retry `Schedule`, the circuit breaker, deadlines, usage and cost accounting, hooks.
 *
 * Prompts become Converse conversations (system text, user text and files, assistant text, reasoning with its
 * signature, tool calls and results); answers become `@effect/ai` parts (text with citations, reasoning with its
 * signature or redacted bytes, tool calls, generated images, a finish part with usage and cache tokens, response
 * metadata with the request id). `generateObject` uses the client's structured output (a forced tool call whose input
 * is decoded with the schema, retried with the decode error). Bedrock-only features are provider options under
 * `bedrockLlm` (cache points, guarded content, document names and citations, S3 files) and per-call model settings
 * (`withConfigOverride`: model or inference profile id, guardrail, service tier, latency profile, thinking ...).
 * Failures are `AiError`s whose cause is the library's error (see `BedrockAiError`).
 *
 * @since 0.1.0
 */
import * as AiError from "@effect/ai/AiError"
import * as LanguageModel from "@effect/ai/LanguageModel"
import * as AiModel from "@effect/ai/Model"
import type * as AiResponse from "@effect/ai/Response"
import * as Telemetry from "@effect/ai/Telemetry"
import * as Tool from "@effect/ai/Tool"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { dual } from "effect/Function"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as Tracer from "effect/Tracer"
import * as BedrockClient from "../BedrockClient.js"
import * as BedrockError from "../BedrockError.js"
import { BedrockRuntime } from "../BedrockRuntime.js"
import * as PullStream from "../internal/client/pullStream.js"
import * as StructuredOutput from "../internal/client/structuredOutput.js"
import { withSpan } from "../internal/tracing.js"
import * as BedrockAiError from "./BedrockAiError.js"
import type * as ProviderOptions from "./internal/options.js"
import * as Override from "./internal/override.js"
import * as Parts from "./internal/parts.js"
import * as PromptConversion from "./internal/prompt.js"
import * as ReasoningMemory from "./internal/reasoningMemory.js"
import * as Tools from "./internal/tools.js"

declare module "@effect/ai/Prompt" {
  export interface SystemMessageOptions extends ProviderOptions {
    readonly bedrockLlm?: ProviderOptions.SystemOptions | undefined
  }
  export interface UserMessageOptions extends ProviderOptions {
    readonly bedrockLlm?: ProviderOptions.MessageOptions | undefined
  }
  export interface AssistantMessageOptions extends ProviderOptions {
    readonly bedrockLlm?: ProviderOptions.MessageOptions | undefined
  }
  export interface ToolMessageOptions extends ProviderOptions {
    readonly bedrockLlm?: ProviderOptions.MessageOptions | undefined
  }
  export interface TextPartOptions extends ProviderOptions {
    readonly bedrockLlm?: ProviderOptions.TextOptions | undefined
  }
  export interface FilePartOptions extends ProviderOptions {
    readonly bedrockLlm?: ProviderOptions.FileOptions | undefined
  }
  export interface ReasoningPartOptions extends ProviderOptions {
    readonly bedrockLlm?: ProviderOptions.ReasoningInfo | undefined
  }
}

declare module "@effect/ai/Response" {
  export interface TextPartMetadata extends ProviderMetadata {
    readonly bedrockLlm?: ProviderOptions.TextInfo | undefined
  }
  export interface TextDeltaPartMetadata extends ProviderMetadata {
    readonly bedrockLlm?: ProviderOptions.TextInfo | undefined
  }
  export interface ReasoningPartMetadata extends ProviderMetadata {
    readonly bedrockLlm?: ProviderOptions.ReasoningInfo | undefined
  }
  export interface ReasoningDeltaPartMetadata extends ProviderMetadata {
    readonly bedrockLlm?: ProviderOptions.ReasoningInfo | undefined
  }
  export interface ReasoningEndPartMetadata extends ProviderMetadata {
    readonly bedrockLlm?: ProviderOptions.ReasoningInfo | undefined
  }
  export interface FinishPartMetadata extends ProviderMetadata {
    readonly bedrockLlm?: ProviderOptions.FinishInfo | undefined
  }
  export interface ResponseMetadataPartMetadata extends ProviderMetadata {
    readonly bedrockLlm?: ProviderOptions.ResponseInfo | undefined
  }
}

/**
 * The provider options this module reads (`options: { bedrockLlm: ... }` on prompt messages and parts) and the
 * metadata it writes (`metadata.bedrockLlm` on response parts).
 *
 * @since 0.1.0
 * @category models
 */
export type {
  CachePointOption,
  FileOptions,
  FinishInfo,
  GuardContentOption,
  MessageOptions,
  ReasoningInfo,
  ResponseInfo,
  SystemOptions,
  TextInfo,
  TextOptions
} from "./internal/options.js"

/**
 * Per-call model settings, over the layer's and the client's: `withConfigOverride` provides them.
 *
 * @since 0.1.0
 * @category context
 */
export class Config extends Context.Tag("bedrock-llm/ai/BedrockLanguageModel/Config")<Config, Config.Service>() {}

/**
 * @since 0.1.0
 */
export declare namespace Config {
  /**
   * Any field of the client's `ModelConfig` (model, inference profile id or ARN, `maxTokens`, `temperature`,
   * `guardrail`, `serviceTier`, `latency`, `additionalModelRequestFields` ...) and the API of the call.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Service extends BedrockClient.BedrockClient.ModelOverrides {
    readonly api?: BedrockClient.BedrockClient.Api | undefined
  }
}

/**
 * Options of `make` and `layer`: model settings for every call of this model (over the client's), and how many
 * answers' reasoning signatures to keep for the next turn (default 1,000; 0 for none).
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly config?: Config.Service | undefined
  readonly reasoningMemory?: number | undefined
}

const module = "BedrockLanguageModel"

/** Where a call goes, for `AiError`s: the Bedrock endpoint of the operation when the runtime is in context. */
const endpointOf = (runtime: Option.Option<BedrockRuntime.Service>): string =>
  Option.match(runtime, {
    onNone: () => "",
    onSome: ({ config }) =>
      config.endpoint ?? (config.region === undefined ? "" : `https://bedrock-runtime.${config.region}.amazonaws.com`)
  })

const operationPath = (streaming: boolean, api: BedrockClient.BedrockClient.Api | undefined): string =>
  api === "invoke" ? (streaming ? "invoke-with-response-stream" : "invoke") : streaming ? "converse-stream" : "converse"

const builtInTracer = Context.get(DefaultServices.liveServices, Tracer.Tracer)

/**
 * Whether spans are recorded: Effect's built-in tracer keeps them nowhere, and the GenAI attributes cost a visible
 * share of a short call (as the library's own spans, see `internal/tracing.ts`).
 */
const isRecording = (tracer: Tracer.Tracer): boolean => tracer !== builtInTracer

const annotateRequest = (span: Tracer.Span, modelId: string, request: BedrockClient.BedrockClient.Request) =>
  Telemetry.addGenAIAnnotations(span, {
    system: "aws.bedrock",
    operation: { name: "chat" },
    request: {
      model: modelId,
      maxTokens: request.model?.maxTokens,
      temperature: request.model?.temperature,
      topP: request.model?.topP,
      topK: request.model?.topK,
      stopSequences: request.model?.stopSequences
    }
  })

const annotateFinish = (span: Tracer.Span, part: AiResponse.FinishPartEncoded, requestId: string | undefined) =>
  Telemetry.addGenAIAnnotations(span, {
    response: { id: requestId, finishReasons: [part.reason] },
    usage: { inputTokens: part.usage.inputTokens, outputTokens: part.usage.outputTokens }
  })

/** The JSON text of a structured answer: the decoded value encoded back, for `@effect/ai` to decode. */
const encodeObject = (schema: Schema.Schema.Any, value: unknown): Either.Either<string, string> =>
  Either.match(Schema.encodeEither(schema as Schema.Schema<unknown, unknown>)(value), {
    onLeft: (error) => Either.left(`the object could not be encoded with its schema: ${error.message}`),
    onRight: (encoded) => Either.right(JSON.stringify(encoded))
  })

/** A prepared call: the client's request, the model it names, and where it goes (for errors). */
interface Call {
  readonly request: BedrockClient.BedrockClient.Request
  readonly modelId: string
  readonly origin: (method: string, streaming: boolean) => BedrockAiError.Origin
}

const timestamp = Effect.map(Clock.currentTimeMillis, (millis) => new Date(millis).toISOString())

/** A streamed answer as a pull of `@effect/ai` stream parts, in the scope of the stream. */
const streamTextPull = (
  client: BedrockClient.BedrockClient.Service,
  memory: ReasoningMemory.ReasoningMemory,
  call: Call,
  span: Tracer.Span,
  traced: boolean
): Effect.Effect<PullStream.Pull<AiResponse.StreamPartEncoded, AiError.AiError>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const origin = call.origin("streamText", true)
    const mapper = new Parts.StreamMapper({ modelId: call.modelId, timestamp: yield* timestamp }, undefined)
    const pull = yield* client.streamPull(call.request)
    let ended = false
    const ending = (): Effect.Effect<Chunk.Chunk<AiResponse.StreamPartEncoded>, Option.Option<AiError.AiError>> => {
      if (ended) return Effect.fail(Option.none())
      ended = true
      const out: Array<AiResponse.StreamPartEncoded> = []
      mapper.end(out)
      memory.remember(mapper.completed)
      const finish = out.find((part): part is AiResponse.FinishPartEncoded => part.type === "finish")
      if (traced && finish !== undefined) annotateFinish(span, finish, mapper.responseId)
      return out.length === 0 ? Effect.fail(Option.none()) : Effect.succeed(Chunk.unsafeFromArray(out))
    }
    return Effect.matchEffect(pull, {
      onSuccess: (events) => {
        const out: Array<AiResponse.StreamPartEncoded> = []
        const bad = mapper.map(events, out)
        if (bad !== undefined) {
          return Effect.fail(Option.some(
            BedrockAiError.fromCause(new BedrockError.MalformedResponseError({ message: bad.message }), origin)
          ))
        }
        return Effect.succeed(Chunk.unsafeFromArray(out))
      },
      onFailure: Option.match({
        onNone: ending,
        onSome: (error) => Effect.fail(Option.some(BedrockAiError.fromCause(error, origin)))
      })
    })
  })

/**
 * The `LanguageModel` service over the `BedrockClient` in context (a `BedrockRuntime` in context only names the
 * endpoint in errors).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options?: Options): Effect.Effect<LanguageModel.Service, never, BedrockClient.BedrockClient> =>
  Effect.gen(function*() {
    const client = yield* BedrockClient.BedrockClient
    const endpoint = endpointOf(yield* Effect.serviceOption(BedrockRuntime))
    const memory = ReasoningMemory.make(Math.max(0, Math.floor(options?.reasoningMemory ?? 1_000)))
    const layerConfig = options?.config ?? {}

    const prepare = (
      providerOptions: LanguageModel.ProviderOptions,
      method: string,
      override: Option.Option<Config.Service>
    ): Either.Either<Call, AiError.AiError> => {
      const { api, ...model } = Option.isSome(override) ? { ...layerConfig, ...override.value } : layerConfig
      const modelId = model.modelId ?? client.model.modelId
      const origin = (method: string, streaming: boolean): BedrockAiError.Origin => ({
        module,
        method,
        url: `${endpoint}/model/${encodeURIComponent(modelId)}/${operationPath(streaming, api ?? undefined)}`
      })
      const converted = PromptConversion.convert(providerOptions.prompt, memory)
      if (Either.isLeft(converted)) return Either.left(invalidInput(converted.left, origin(method, false)))
      const { messages, system } = converted.right
      const toolConfig = Tools.toolConfiguration(providerOptions, messages)
      if (Either.isLeft(toolConfig)) return Either.left(invalidInput(toolConfig.left, origin(method, false)))
      return Either.right({
        modelId,
        origin,
        request: {
          messages,
          ...(system.length > 0 ? { system } : {}),
          ...(toolConfig.right === undefined ? {} : { toolConfig: toolConfig.right }),
          ...(Object.keys(model).length > 0 ? { model } : {}),
          ...(api === undefined ? {} : { api })
        }
      })
    }

    const generateObject = (
      call: Call,
      format: Extract<LanguageModel.ProviderOptions["responseFormat"], { readonly type: "json" }>
    ): Effect.Effect<Array<AiResponse.PartEncoded>, AiError.AiError> => {
      const origin = call.origin("generateObject", false)
      const { toolConfig: _ignored, ...request } = call.request
      return StructuredOutput.generate(
        client.generate,
        format.schema as Schema.Schema<unknown, unknown>,
        request,
        { name: format.objectName, description: Tool.getDescriptionFromSchemaAst(format.schema.ast) },
        (message, attempts, requestId): BedrockClient.ClientError | BedrockClient.StructuredOutputError =>
          new BedrockClient.StructuredOutputError({
            message,
            attempts,
            ...(requestId === undefined ? {} : { requestId })
          })
      ).pipe(
        Effect.mapError((error) => BedrockAiError.fromCause(error, origin)),
        Effect.flatMap(({ response, usage, value }) =>
          Either.match(encodeObject(format.schema, value), {
            onLeft: (problem) =>
              Effect.fail(
                BedrockAiError.fromCause(new BedrockError.MalformedResponseError({ message: problem }), origin)
              ),
            onRight: (json) =>
              Effect.map(timestamp, (time): Array<AiResponse.PartEncoded> => [
                Parts.responseMetadataPart({ modelId: call.modelId, timestamp: time }, response.requestId),
                { type: "text", text: json },
                // The answer was a forced tool call; the caller asked for a value, which ends the turn.
                Parts.finishPart({ stopReason: "end_turn", usage, requestId: response.requestId })
              ])
          })
        ),
        withSpan("BedrockClient.generateObject")
      )
    }

    const generateText = (
      providerOptions: LanguageModel.ProviderOptions
    ): Effect.Effect<Array<AiResponse.PartEncoded>, AiError.AiError> =>
      Effect.tracerWith((tracer) => {
        const traced = isRecording(tracer)
        return Effect.flatMap(Effect.serviceOption(Config), (override) => {
          const method = providerOptions.responseFormat.type === "json" ? "generateObject" : "generateText"
          const prepared = prepare(providerOptions, method, override)
          if (Either.isLeft(prepared)) return Effect.fail(prepared.left)
          const call = prepared.right
          if (traced) annotateRequest(providerOptions.span, call.modelId, call.request)
          if (providerOptions.responseFormat.type === "json") {
            return generateObject(call, providerOptions.responseFormat)
          }
          return Effect.matchEffect(client.generate(call.request), {
            onFailure: (error) => Effect.fail(BedrockAiError.fromCause(error, call.origin(method, false))),
            onSuccess: (response) =>
              Effect.map(timestamp, (time) => {
                memory.remember(response.message.content)
                const parts = Parts.fromResponse(response, { modelId: call.modelId, timestamp: time })
                if (traced) {
                  annotateFinish(
                    providerOptions.span,
                    parts[parts.length - 1] as AiResponse.FinishPartEncoded,
                    response.requestId
                  )
                }
                return parts
              })
          })
        })
      })

    const streamText = (
      providerOptions: LanguageModel.ProviderOptions
    ): Stream.Stream<AiResponse.StreamPartEncoded, AiError.AiError> =>
      PullStream.fromScopedPull(Effect.gen(function*() {
        const prepared = prepare(providerOptions, "streamText", yield* Effect.serviceOption(Config))
        if (Either.isLeft(prepared)) return Effect.fail(Option.some(prepared.left))
        const call = prepared.right
        const traced = isRecording(yield* Effect.tracer)
        if (traced) annotateRequest(providerOptions.span, call.modelId, call.request)
        return yield* streamTextPull(client, memory, call, providerOptions.span, traced)
      }))

    return yield* LanguageModel.make({ generateText, streamText })
  })

/** A prompt or tool set this provider cannot send (found before the client is called). */
const invalidInput = (problem: string, origin: BedrockAiError.Origin): AiError.AiError =>
  new AiError.MalformedInput({ module: origin.module, method: origin.method, description: problem })

/**
 * The `LanguageModel` layer over the `BedrockClient` in context, e.g.
 * `BedrockLanguageModel.layer().pipe(Layer.provide(BedrockClient.layerConfig()), Layer.provide(LocalBedrock.layer()))`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options?: Options
): Layer.Layer<LanguageModel.LanguageModel, never, BedrockClient.BedrockClient> =>
  Layer.effect(LanguageModel.LanguageModel, make(options))

/**
 * The model as an `@effect/ai` `Model` (provider `"bedrock-llm"`), e.g. `BedrockLanguageModel.model("amazon.nova-lite-v1:0")`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const model = (
  modelId: string,
  config?: Omit<Config.Service, "modelId">,
  options?: Omit<Options, "config">
): AiModel.Model<"bedrock-llm", LanguageModel.LanguageModel, BedrockClient.BedrockClient> =>
  AiModel.make("bedrock-llm", layer({ ...options, config: { ...config, modelId } }))

/**
 * Runs an effect with these model settings over the current ones (per call: model id, `maxTokens`, guardrail,
 * thinking ...).
 *
 * @since 0.1.0
 * @category combinators
 */
export const withConfigOverride: {
  (overrides: Config.Service): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, overrides: Config.Service): Effect.Effect<A, E, R>
} = dual(2, Override.provideOverrides(Config))

/**
 * `withConfigOverride` for a stream (`LanguageModel.streamText`, `Chat.streamText`).
 *
 * @since 0.1.0
 * @category combinators
 */
export const withConfigOverrideStream: {
  (overrides: Config.Service): <A, E, R>(self: Stream.Stream<A, E, R>) => Stream.Stream<A, E, R>
  <A, E, R>(self: Stream.Stream<A, E, R>, overrides: Config.Service): Stream.Stream<A, E, R>
} = dual(2, Override.provideOverridesStream(Config))
