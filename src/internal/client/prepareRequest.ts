/**
 * A client call's preparation, everything done before anything is sent: the request's shape, its model settings and
 * conversation checked (synchronously), `maxTokens` against the catalog, and the request built for its API: the
 * Converse input, or the model family's native InvokeModel body. Also the decoding of a native body.
 *
 * @internal
 */
import type * as Sdk from "@aws-sdk/client-bedrock-runtime"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import type * as BedrockClient from "../../BedrockClient.js"
import { ModelConfig } from "../../BedrockConfig.js"
import * as BedrockError from "../../BedrockError.js"
import * as Conversation from "../../Conversation.js"
import * as Message from "../../Message.js"
import * as ModelCatalog from "../../ModelCatalog.js"
import * as NativeBodies from "../../NativeBodies.js"
import * as Response from "../../Response.js"
import * as SdkShapes from "../sdkShapes.js"
import { invocationMetricsOf } from "../transport/invocationHeaders.js"
import { toSdkInferenceConfig } from "./requestFields.js"

/** The request of a call, in the API it goes to. */
export type Target =
  | { readonly api: "converse"; readonly input: Sdk.ConverseCommandInput }
  | {
    readonly api: "invoke"
    readonly implementation: NativeBodies.NativeBody
    readonly input: Sdk.InvokeModelCommandInput
  }

/** A call ready to be sent: its settings, its catalog entry (for the price), its sequence number and its request. */
export interface Prepared {
  readonly config: ModelConfig
  /** The request as checked (its messages and system blocks are what content capture records). */
  readonly request: BedrockClient.BedrockClient.Request
  readonly info: Option.Option<ModelCatalog.ModelInfo>
  readonly callId: number
  readonly target: Target
}

/** What a call accepts, as a request. */
export const toRequest = (input: BedrockClient.BedrockClient.Input): BedrockClient.BedrockClient.Request =>
  typeof input === "string"
    ? { messages: [Message.user(input)] }
    : Array.isArray(input)
    ? { messages: input as ReadonlyArray<Message.Message> }
    : (input as BedrockClient.BedrockClient.Request)

const RequestShape = Schema.Struct({
  messages: Schema.Array(Message.Message),
  system: Schema.optional(Schema.Array(Message.SystemContentBlock)),
  toolConfig: Schema.optional(Conversation.ToolConfiguration)
})

const validateRequestShape = Schema.validateEither(RequestShape)

/** The first issue of a parse error as `path: problem`. */
const firstIssue = (error: ParseResult.ParseError): string => {
  const [issue] = ParseResult.ArrayFormatter.formatErrorSync(error)
  if (issue === undefined) return error.message
  const problem = issue.message.length > 240
    ? `${issue.message.slice(0, 160)} ... ${issue.message.slice(-60)}`
    : issue.message
  return `${issue.path.join(".") || "(root)"}: ${problem}`
}

/** A request whose messages, system blocks or tools are not of their schema fails before any call, naming the path. */
const requestShapeError = (request: BedrockClient.BedrockClient.Request): BedrockError.ValidationError | undefined => {
  const result = validateRequestShape(request)
  return Either.isLeft(result)
    ? new BedrockError.ValidationError({ message: `invalid request: ${firstIssue(result.left)}` })
    : undefined
}

/** Fields Bedrock refuses when blank: system text blocks and stop sequences. */
const blankFieldError = (
  request: BedrockClient.BedrockClient.Request,
  config: ModelConfig
): BedrockError.ValidationError | undefined => {
  const blankSystem = (config.system !== undefined && config.system.length > 0 && config.system.trim() === "")
    ? "system"
    : (request.system ?? []).flatMap((block, index) =>
      block._tag === "Text" && block.text.trim() === "" ? [`system.${index}`] : []
    )[0]
  if (blankSystem !== undefined) {
    return new BedrockError.ValidationError({
      message: `invalid request: ${blankSystem}: system text must not be blank`
    })
  }
  const emptyStop = (config.stopSequences ?? []).findIndex((sequence) => sequence.length === 0)
  if (emptyStop >= 0) {
    return new BedrockError.ValidationError({
      message: `invalid model settings: stopSequences.${emptyStop}: a stop sequence must not be empty`
    })
  }
  return undefined
}

/** What a request may override: any field of `ModelConfig`, each checked on its own (they are independent). */
const validateModelOverrides = Schema.validateEither(Schema.partial(Schema.Struct(ModelConfig.fields)))

/**
 * A `ModelConfig` of fields that are valid already (the client's settings and checked overrides), built without
 * validating them again: validating the whole `ModelConfig` was the largest step of a call's preparation.
 */
const alreadyValidated = (fields: ConstructorParameters<typeof ModelConfig>[0]): ModelConfig =>
  new ModelConfig(fields, { disableValidation: true })

/** The client's model settings with a request's overrides; invalid ones fail before any call, naming the field. */
const withOverrides = (
  model: ModelConfig,
  overrides: BedrockClient.BedrockClient.ModelOverrides
): Either.Either<ModelConfig, BedrockError.ValidationError> =>
  Either.match(validateModelOverrides(overrides), {
    onLeft: (error) =>
      Either.left(new BedrockError.ValidationError({ message: `invalid model settings: ${firstIssue(error)}` })),
    onRight: () => Either.right(alreadyValidated({ ...model, ...overrides }))
  })

/** Everything checked synchronously before a call: the request's shape, its settings and its conversation. */
export const check = (
  input: BedrockClient.BedrockClient.Input,
  model: ModelConfig
): Either.Either<
  { readonly request: BedrockClient.BedrockClient.Request; readonly config: ModelConfig },
  BedrockClient.ClientError
> => {
  const request = toRequest(input)
  const shapeError = requestShapeError(request)
  if (shapeError !== undefined) return Either.left(shapeError)
  const config = request.model === undefined ? Either.right(model) : withOverrides(model, request.model)
  if (Either.isLeft(config)) return Either.left(config.left)
  const invalid = Conversation.check(request.messages, { toolConfig: request.toolConfig })
  if (Option.isSome(invalid)) return Either.left(invalid.value)
  const blank = blankFieldError(request, config.right)
  return blank === undefined ? Either.right({ request, config: config.right }) : Either.left(blank)
}

/** The Converse (or ConverseStream) input of a request. */
export const converseTarget = (
  request: BedrockClient.BedrockClient.Request,
  config: ModelConfig,
  streaming: boolean
): Target => {
  const fields = toSdkInferenceConfig(config, { streaming })
  const system = [
    ...(fields.system ?? []),
    ...(request.system ?? []).map(SdkShapes.systemBlockToSdk)
  ]
  return {
    api: "converse",
    input: {
      ...fields,
      modelId: config.modelId,
      messages: request.messages.map(SdkShapes.messageToSdk),
      ...(system.length > 0 ? { system } : {}),
      ...(request.toolConfig === undefined ? {} : { toolConfig: SdkShapes.toolConfigToSdk(request.toolConfig) })
    }
  }
}

const utf8Encoder = new TextEncoder()
const utf8Decoder = new TextDecoder()

/** The InvokeModel fields of a request's settings besides the body: guardrail, latency profile, service tier. */
const invokeFields = (config: ModelConfig) => {
  const guardrail = config.guardrail
  return {
    ...(guardrail === undefined ? {} : {
      guardrailIdentifier: guardrail.identifier,
      guardrailVersion: guardrail.version,
      ...(guardrail.trace === undefined
        ? {}
        : { trace: guardrail.trace.toUpperCase() as "ENABLED" | "DISABLED" | "ENABLED_FULL" })
    }),
    ...(config.latency === undefined ? {} : { performanceConfigLatency: config.latency }),
    ...(config.serviceTier === undefined ? {} : { serviceTier: config.serviceTier })
  }
}

/** The native InvokeModel input of a request, in the body of the model's family (from the catalog or the id). */
export const nativeTarget = (
  request: BedrockClient.BedrockClient.Request,
  config: ModelConfig,
  catalogFamily: Option.Option<ModelCatalog.Family>
): Effect.Effect<Target, NativeBodies.UnsupportedFeature> =>
  Effect.gen(function*() {
    const family = Option.orElse(catalogFamily, () => NativeBodies.familyOf(config.modelId))
    const implementation = Option.flatMap(family, NativeBodies.forFamily)
    if (Option.isNone(implementation)) {
      const name = Option.getOrElse(family, () => "unknown")
      return yield* new NativeBodies.UnsupportedFeature({
        message: `native InvokeModel is not supported for model ${config.modelId} (family ${name})`,
        family: name,
        feature: "native InvokeModel",
        modelId: config.modelId
      })
    }
    const body = yield* implementation.value.encodeRequest({
      messages: request.messages,
      system: request.system,
      toolConfig: request.toolConfig,
      model: config
    })
    return {
      api: "invoke" as const,
      implementation: implementation.value,
      input: {
        modelId: config.modelId,
        body: utf8Encoder.encode(JSON.stringify(body)),
        contentType: "application/json",
        accept: "application/json",
        ...invokeFields(config)
      }
    }
  })

/** The `Response` of a native InvokeModel body, with the invocation metrics its headers carried. */
export const decodeNative = (
  implementation: NativeBodies.NativeBody,
  output: {
    readonly body?: Uint8Array | undefined
    readonly $metadata: { readonly requestId?: string | undefined }
  }
): Effect.Effect<Response.Response, BedrockError.MalformedResponseError> => {
  const requestId = output.$metadata.requestId
  const body = Either.try(() => JSON.parse(utf8Decoder.decode(output.body ?? new Uint8Array(0))) as unknown)
  return Either.isLeft(body)
    ? Effect.fail(
      new BedrockError.MalformedResponseError({
        message: "the InvokeModel body is not JSON",
        ...(requestId === undefined ? {} : { requestId })
      })
    )
    : implementation.decodeResponse(body.right, requestId, invocationMetricsOf(output))
}

/** What `make` needs: the client's settings, its catalog and its default API. */
export interface Options {
  readonly model: ModelConfig
  readonly catalog: ModelCatalog.ModelCatalog.Service
  readonly api: BedrockClient.BedrockClient.Api | undefined
}

/**
 * The preparation of a client's calls: checks, the catalog's `maxTokens` limit, a call id (per client) and the
 * request for the call's API (`streaming` selects the stream's inference fields).
 */
export const make = (options: Options) => {
  let lastCallId = 0
  return (
    input: BedrockClient.BedrockClient.Input,
    streaming: boolean
  ): Effect.Effect<Prepared, BedrockClient.ClientError> =>
    Effect.suspend(() => {
      const valid = check(input, options.model)
      if (Either.isLeft(valid)) return Effect.fail(valid.left)
      const { config, request } = valid.right
      return Effect.flatMap(
        options.catalog.find(config.modelId),
        (info): Effect.Effect<Prepared, BedrockClient.ClientError> => {
          if (Option.isSome(info) && config.maxTokens !== undefined) {
            const limit = ModelCatalog.checkMaxTokens(info.value, config.maxTokens)
            if (Either.isLeft(limit)) return Effect.fail(new BedrockError.ValidationError({ message: limit.left }))
          }
          const prepared = (target: Target): Prepared => ({ config, request, info, callId: ++lastCallId, target })
          return (request.api ?? options.api ?? "converse") === "invoke"
            ? Effect.map(nativeTarget(request, config, Option.map(info, (found) => found.family)), prepared)
            : Effect.succeed(prepared(converseTarget(request, config, streaming)))
        }
      )
    })
}
