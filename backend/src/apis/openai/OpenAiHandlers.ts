/**
 * The handlers of the OpenAI group and its key middleware. Each handler reads its body itself (so that malformed
 * JSON and wrong types get OpenAI's 400, not a generic one), authorizes the model (403) and resolves it (404) before
 * translating, so that what the model cannot take is refused before the gateway admits anything; then it calls the
 * `Gateway` and translates back, as JSON or as an event stream written chunk by chunk.
 *
 * @since 0.1.0
 */
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import type { ModelCatalog } from "bedrock-llm"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { Api } from "../../Api.js"
import { Gateway } from "../../Gateway.js"
import { Forbidden, ModelNotFound } from "../../GatewayError.js"
import * as Authentication from "../../keys/Authentication.js"
import { authorize } from "../../limits/Admission.js"
import * as RequestLog from "../../RequestLog.js"
import { ServiceConfig } from "../../ServiceConfig.js"
import * as Sse from "../../Sse.js"
import * as ChatRequest from "./ChatRequest.js"
import * as ChatResponse from "./ChatResponse.js"
import * as ChatStream from "./ChatStream.js"
import * as Embeddings from "./Embeddings.js"
import * as ModelList from "./ModelList.js"
import { OpenAiAuth } from "./OpenAiApi.js"
import * as OpenAiError from "./OpenAiError.js"
import { ChatCompletionRequest, EmbeddingRequest } from "./OpenAiSchemas.js"

const api = "openai" as const

/**
 * The OpenAI key middleware: `Authorization: Bearer <gateway key>`.
 *
 * @since 0.1.0
 * @category layers
 */
export const authLayer: Layer.Layer<OpenAiAuth, never, Authentication.Authenticator> = Layer.effect(
  OpenAiAuth,
  Effect.map(
    Authentication.securityHandler(OpenAiError.authenticationFailure),
    (bearer) => OpenAiAuth.of({ bearer })
  )
)

const decodeChat = OpenAiError.decodeBody(ChatCompletionRequest)
const decodeEmbedding = OpenAiError.decodeBody(EmbeddingRequest)

/**
 * Answers a handler's failure in OpenAI's shape; a defect (a bug) is logged and answered as OpenAI's 500, never
 * with its details.
 *
 * @since 0.1.0
 * @category utils
 */
export const answer = <R>(
  effect: Effect.Effect<HttpServerResponse.HttpServerResponse, OpenAiError.OpenAiFailure, R>
): Effect.Effect<HttpServerResponse.HttpServerResponse, never, R> =>
  effect.pipe(
    Effect.catchAll((failure) =>
      Effect.as(
        RequestLog.annotate({ error: `openai: ${failure.code ?? failure.type}` }),
        OpenAiError.response(failure)
      )
    ),
    Effect.catchAllCause((cause) =>
      Cause.isInterruptedOnly(cause) ? Effect.failCause(cause) : Effect.as(
        Effect.logError("openai handler defect", cause),
        OpenAiError.response({
          status: 500,
          type: "server_error",
          param: null,
          code: null,
          message: "The gateway failed to handle this request."
        })
      )
    )
  )

/** The catalog entries of a model the key may use, for the OpenAI API: 403 or 404 in OpenAI's shape otherwise. */
const targetsOf = (model: string) =>
  Effect.gen(function*() {
    const key = yield* Authentication.CurrentKey
    const gateway = yield* Gateway
    yield* RequestLog.annotate({ api, model })
    yield* Effect.mapError(authorize(key, api, model), (error) => OpenAiError.fromError(error))
    const targets = yield* Effect.mapError(gateway.resolve(model), (error) => OpenAiError.fromError(error))
    return targets.map((target): ModelCatalog.ModelInfo => target.info)
  })

const apiAllowed = Effect.flatMap(Authentication.CurrentKey, (key) =>
  key.allowedApis.includes(api)
    ? Effect.void
    : Effect.fail(
      OpenAiError.fromError(
        new Forbidden({ message: "This key may not use the openai API.", keyId: key.id, subject: "api" })
      )
    ))

const chatCompletion = Effect.gen(function*() {
  const gateway = yield* Gateway
  const config = yield* ServiceConfig
  const body = yield* decodeChat
  const targets = yield* targetsOf(body.model)
  if (targets[0]!.capabilities.embeddings !== undefined) {
    return yield* Effect.fail(
      OpenAiError.invalid("model", `The model ${body.model} is an embeddings model: use /v1/embeddings.`)
    )
  }
  const plan = yield* ChatRequest.translate(body, targets, { defaultMaxTokens: config.defaultMaxTokens })
  const identity: ChatResponse.Identity = {
    id: ChatResponse.completionId(),
    created: Math.floor((yield* Clock.currentTimeMillis) / 1000),
    model: plan.model,
    answerTool: plan.answerTool
  }
  const options = { api, model: plan.model, maxTokens: plan.maxTokens }
  const failed = (error: Parameters<typeof OpenAiError.fromError>[0]) => OpenAiError.fromError(error, plan.names)
  if (!plan.stream) {
    const generated = yield* Effect.mapError(gateway.generate(plan.request, options), failed)
    return HttpServerResponse.unsafeJson(ChatResponse.completion(generated.response, identity))
  }
  const events = yield* Effect.mapError(gateway.stream(plan.request, options), failed)
  const translator = ChatStream.make({ ...identity, includeUsage: plan.includeUsage })
  const event = (data: unknown): Sse.Event => ({ data })
  const ending = Stream.suspend(() => Stream.fromIterable([...translator.end().map(event), event("[DONE]")]))
  const chunks: Stream.Stream<Sse.Event> = events.pipe(
    Stream.mapConcat((next) => translator.push(next).map(event)),
    Stream.concat(ending),
    Stream.catchAll((error) => Stream.succeed(event(OpenAiError.body(failed(error)))))
  )
  return yield* Sse.response(chunks, { keepAlive: config.sseKeepAlive })
})

const embedding = Effect.gen(function*() {
  const gateway = yield* Gateway
  const body = yield* decodeEmbedding
  const targets = yield* targetsOf(body.model)
  const plan = yield* Embeddings.translate(body, targets[0]!.capabilities.embeddings)
  const embedded = yield* Effect.mapError(
    gateway.embed(plan.texts, {
      api,
      model: plan.model,
      normalize: true,
      ...(plan.dimensions === undefined ? {} : { dimensions: plan.dimensions })
    }),
    (error) => OpenAiError.fromError(error, { model: "model", dimensions: "dimensions" })
  )
  return HttpServerResponse.unsafeJson(Embeddings.response(plan, embedded.vectors, embedded.inputTokens))
})

const listModels = Effect.gen(function*() {
  yield* apiAllowed
  const entries = yield* Effect.flatMap(Gateway, (gateway) => gateway.models)
  return HttpServerResponse.unsafeJson({ object: "list", data: entries.map(ModelList.modelOf) })
})

const notFound = (id: string) =>
  OpenAiError.fromError(new ModelNotFound({ message: `No model ${id} for this key.`, model: id }))

const retrieveModel = (id: string) =>
  Effect.gen(function*() {
    yield* apiAllowed
    const gateway = yield* Gateway
    const key = yield* Authentication.CurrentKey
    const entries = yield* gateway.models
    const listed = entries.find((entry) => entry.id === id)
    if (listed !== undefined) return HttpServerResponse.unsafeJson(ModelList.modelOf(listed))
    // A profile id or ARN of a catalog model: known to the gateway, listed under its base id.
    const allowed = yield* Effect.either(authorize(key, api, id))
    const resolved = allowed._tag === "Right" ? yield* Effect.either(gateway.resolve(id)) : undefined
    if (resolved === undefined || resolved._tag === "Left") return yield* Effect.fail(notFound(id))
    return HttpServerResponse.unsafeJson(ModelList.modelOf({ id, info: resolved.right[0]!.info, alias: false }))
  })

/**
 * The OpenAI handlers, with their key middleware.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = HttpApiBuilder.group(Api, "openai", (handlers) =>
  handlers
    .handleRaw("createChatCompletion", () => answer(chatCompletion))
    .handleRaw("createEmbedding", () => answer(embedding))
    .handleRaw("listModels", () => answer(listModels))
    .handleRaw("retrieveModel", ({ path }) => answer(retrieveModel(path.id)))).pipe(Layer.provide(authLayer))
