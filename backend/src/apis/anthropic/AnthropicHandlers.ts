/**
 * The handlers of the Anthropic group and its security middleware. A request is checked in this order, and nothing
 * reaches Bedrock before every check passed: the key (401), `anthropic-version` (400), the body (413, 400 for
 * malformed JSON, a refused or unknown field, or a schema failure naming the field), the model (404), the translation
 * for that model (400 naming the field), then the gateway (403, 429, 400 for `max_tokens`, ...).
 *
 * `anthropic-beta` is accepted whatever it lists: betas change nothing here (the request is served as without them),
 * and a body field that only a beta enables is refused by name (see `AnthropicSchema.refusedFields`).
 *
 * @since 0.1.0
 */
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { randomBytes } from "node:crypto"
import { Api } from "../../Api.js"
import { Gateway, type ResolvedTarget } from "../../Gateway.js"
import { ModelNotFound } from "../../GatewayError.js"
import * as Authentication from "../../keys/Authentication.js"
import * as RequestBody from "../../RequestBody.js"
import * as RequestLog from "../../RequestLog.js"
import { ServiceConfig } from "../../ServiceConfig.js"
import * as Sse from "../../Sse.js"
import { AnthropicAuth } from "./AnthropicApi.js"
import * as AnthropicError from "./AnthropicError.js"
import { type AnthropicFailure, InvalidParameter } from "./AnthropicError.js"
import * as AnthropicRequest from "./AnthropicRequest.js"
import * as AnthropicResponse from "./AnthropicResponse.js"
import { CountTokensRequest, MessagesRequest, refusedFields } from "./AnthropicSchema.js"
import * as AnthropicStream from "./AnthropicStream.js"

const versions: ReadonlySet<string> = new Set(AnthropicRequest.versions)

const bearer = (authorization: string | undefined): string =>
  authorization !== undefined && /^bearer /i.test(authorization) ? authorization.slice(7).trim() : ""

/**
 * The security middleware's layer: `x-api-key`, else `Authorization: Bearer`.
 *
 * @since 0.1.0
 * @category layers
 */
export const AnthropicAuthLive = Layer.effect(
  AnthropicAuth,
  Effect.map(Authentication.securityHandler(AnthropicError.fromAuthentication), (check) =>
    AnthropicAuth.of({
      apiKey: (key) =>
        Redacted.value(key).trim() !== ""
          ? check(key)
          : Effect.flatMap(
            Effect.serviceOption(HttpServerRequest.HttpServerRequest),
            (request) =>
              check(Redacted.make(Option.match(request, {
                onNone: () => "",
                onSome: (request) => bearer(request.headers["authorization"])
              })))
          )
    }))
)

const requestId = Effect.map(
  Effect.serviceOption(RequestLog.RequestLog),
  (log) => Option.getOrUndefined(Option.flatMapNullable(log, (fields) => fields.requestId))
)

const checkVersion = Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
  const version = request.headers["anthropic-version"]
  if (version === undefined || version.trim() === "") {
    return Effect.fail(new InvalidParameter({ parameter: "anthropic-version", message: "header is required" }))
  }
  return versions.has(version.trim()) ? Effect.succeed(version.trim()) : Effect.fail(
    new InvalidParameter({
      parameter: "anthropic-version",
      message: `unknown version ${JSON.stringify(version)}; this gateway speaks ${AnthropicRequest.versions.join(", ")}`
    })
  )
})

const checkedForVersion = <A extends Parameters<typeof AnthropicRequest.versionProblem>[1]>(
  version: string,
  body: A
) => {
  const problem = AnthropicRequest.versionProblem(version, body)
  return problem === undefined ? Effect.succeed(body) : Effect.fail(problem)
}

/** The body, checked against a schema after the fields the gateway knows and refuses. */
const readBody = <A>(decode: (value: unknown) => Either.Either<A, RequestBody.BodyError>) =>
  Effect.gen(function*() {
    const value = yield* RequestBody.json
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      for (const field of Object.keys(value)) {
        const reason = refusedFields[field]
        if (reason !== undefined) {
          return yield* Effect.fail(new InvalidParameter({ parameter: field, message: `not supported: ${reason}` }))
        }
      }
    }
    return yield* decode(value)
  })

/** The model's name as the gateway knows it and its targets: the name itself, else its Bedrock id. */
const resolveModel = (gateway: Gateway["Type"], model: string) =>
  Effect.gen(function*() {
    for (const candidate of AnthropicRequest.modelCandidates(model)) {
      const found = yield* Effect.option(gateway.resolve(candidate))
      if (Option.isSome(found)) return { name: candidate, targets: found.value }
    }
    return yield* new ModelNotFound({
      message: `The model ${model} is neither an alias of this gateway nor in its model catalog.`,
      model
    })
  })

const translated = (
  result: Either.Either<AnthropicRequest.Translated, InvalidParameter>
) => Either.isRight(result) ? Effect.succeed(result.right) : Effect.fail(result.left)

const firstInfo = (targets: ReadonlyArray<ResolvedTarget>) => targets[0]!.info

/** Runs a handler; every failure becomes Anthropic's error response. */
const answer = <R>(handler: Effect.Effect<HttpServerResponse.HttpServerResponse, AnthropicFailure, R>) =>
  Effect.flatMap(requestId, (id) =>
    Effect.catchAll(handler, (error) => {
      const failure = AnthropicError.toFailure(error)
      return Effect.as(
        RequestLog.annotate({ error: `${failure.type}: ${failure.message}`.slice(0, 300) }),
        AnthropicError.response(failure, id)
      )
    }))

const messageId = () => `msg_${randomBytes(12).toString("hex")}`

const decodeMessages = RequestBody.strictDecoder(MessagesRequest)
const decodeCountTokens = RequestBody.strictDecoder(CountTokensRequest)

const messages = Effect.gen(function*() {
  const version = yield* checkVersion
  const body = yield* Effect.flatMap(readBody(decodeMessages), (body) => checkedForVersion(version, body))
  const gateway = yield* Gateway
  const model = yield* resolveModel(gateway, body.model)
  const { maxTokens, request } = yield* translated(AnthropicRequest.fromMessages(body, firstInfo(model.targets)))
  const options = { api: "anthropic" as const, model: model.name, maxTokens }
  const id = messageId()
  const requestIdValue = yield* requestId
  const headers: Record<string, string> = requestIdValue === undefined ? {} : { "request-id": requestIdValue }
  if (body.stream !== true) {
    const { response } = yield* gateway.generate(request, options)
    return HttpServerResponse.unsafeJson(AnthropicResponse.toMessage(response, { id, model: body.model }), {
      headers
    })
  }
  const events = yield* gateway.stream(request, options)
  const translator = new AnthropicStream.Translator({ id, model: body.model })
  const anthropicEvents = Stream.concat(
    Stream.concat(
      Stream.fromIterable(translator.start()),
      Stream.mapConcat(events, (event) => translator.next(event))
    ),
    Stream.suspend(() => Stream.fromIterable(translator.end()))
  ).pipe(
    Stream.catchAll((error) =>
      Stream.make(AnthropicStream.errorEvent(AnthropicError.body(AnthropicError.toFailure(error), requestIdValue)))
    )
  )
  const config = yield* ServiceConfig
  return yield* Sse.response(anthropicEvents, { keepAlive: config.sseKeepAlive, headers })
})

const countTokens = Effect.gen(function*() {
  const version = yield* checkVersion
  const body = yield* Effect.flatMap(readBody(decodeCountTokens), (body) => checkedForVersion(version, body))
  const gateway = yield* Gateway
  const model = yield* resolveModel(gateway, body.model)
  const { request } = yield* translated(AnthropicRequest.fromCountTokens(body, firstInfo(model.targets)))
  const counted = yield* gateway.countTokens(request, { api: "anthropic", model: model.name })
  return HttpServerResponse.unsafeJson({ input_tokens: counted.inputTokens })
})

/**
 * The Anthropic group's handlers, with its security middleware.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = HttpApiBuilder.group(
  Api,
  "anthropic",
  (handlers) =>
    handlers
      .handleRaw("messages", () => answer(messages))
      .handleRaw("countTokens", () => answer(countTokens))
).pipe(Layer.provide(AnthropicAuthLive))
