/**
 * The passthrough's handlers. Each request: the key (401), the body (413, 400 naming the field), the model (404),
 * then `Gateway.admit` (403, 429, the budget, `maxTokens` against the model's limit) with the input bounded from the
 * body; then the body goes to the first target's Bedrock with the gateway's own AWS credentials (the next target on
 * throttling or unavailability before any byte of the answer), and the call is settled with the usage Bedrock
 * reported. Streams are forwarded frame by frame as the frames arrive; a client that goes away aborts the Bedrock
 * request, and the call is settled with what was written so far. CountTokens is authorized, not charged.
 *
 * @since 0.1.0
 */
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpApp from "@effect/platform/HttpApp"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { BedrockError, BedrockRuntime, type ModelCatalog } from "bedrock-llm"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { Api } from "../../Api.js"
import { type Admitted, Gateway } from "../../Gateway.js"
import * as Authentication from "../../keys/Authentication.js"
import { CurrentKey } from "../../keys/Authentication.js"
import { authorize } from "../../limits/Admission.js"
import * as RequestBody from "../../RequestBody.js"
import * as RequestLog from "../../RequestLog.js"
import { BedrockAuth } from "./BedrockApi.js"
import * as BedrockForward from "./BedrockForward.js"
import * as EventStreamFrames from "./EventStreamFrames.js"
import * as PassthroughBody from "./PassthroughBody.js"
import * as PassthroughError from "./PassthroughError.js"
import { Unauthorized, Unavailable } from "./PassthroughError.js"
import * as PassthroughUsage from "./PassthroughUsage.js"

/**
 * The security middleware's layer. Its refusal also carries `x-amzn-ErrorType`, which the AWS SDK reads.
 *
 * @since 0.1.0
 * @category layers
 */
export const BedrockAuthLive = Layer.effect(
  BedrockAuth,
  Effect.map(
    Authentication.securityHandler((error): Unauthorized | Unavailable => {
      const refusal = PassthroughError.toRefusal(error)
      return error._tag === "AuthenticationError"
        ? new Unauthorized({ __type: "AccessDeniedException", message: refusal.message })
        : new Unavailable({ __type: "ServiceUnavailableException", message: refusal.message })
    }),
    (check) =>
      BedrockAuth.of({
        bearer: (token) =>
          check(token).pipe(Effect.tapError((error) =>
            HttpApp.appendPreResponseHandler((_, response) =>
              Effect.succeed(
                HttpServerResponse.setHeader(
                  response,
                  "x-amzn-errortype",
                  error instanceof Unauthorized ? "AccessDeniedException" : "ServiceUnavailableException"
                )
              )
            )
          ))
      })
  )
)

const requestId = Effect.map(
  Effect.serviceOption(RequestLog.RequestLog),
  (log) => Option.getOrUndefined(Option.flatMapNullable(log, (fields) => fields.requestId))
)

const fromEither = <A, E>(either: Either.Either<A, E>) =>
  Either.isRight(either) ? Effect.succeed(either.right) : Effect.fail(either.left)

/** Headers of Bedrock's answer the client gets. */
const forwardedHeaders = (headers: Readonly<Record<string, string>>): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (name === "content-type" || name.startsWith("x-amzn-")) out[name] = value
  }
  return out
}

/** Bedrock refused the gateway's own credentials: the gateway's failure, not the client's. */
const isCredentialsRefusal = (status: number, headers: Readonly<Record<string, string>>): boolean => {
  const type = headers["x-amzn-errortype"] ?? ""
  return status === 403 &&
    /^(AccessDenied|UnrecognizedClient|InvalidSignature|IncompleteSignature|ExpiredToken)/.test(type)
}

/** Throttling or unavailability before the first byte: the next target of an alias is tried. */
const isFallback = (status: number, headers: Readonly<Record<string, string>>): boolean => {
  const type = headers["x-amzn-errortype"] ?? ""
  return status === 503 || (status === 429 && /^(Throttling|ModelNotReady)/.test(type))
}

/** Headers of the client's InvokeModel request that go to Bedrock, with the key's guardrail in place of any. */
const invokeHeaders = (
  incoming: Readonly<Record<string, string>>,
  guardrail: { readonly identifier: string; readonly version: string; readonly trace?: string | undefined } | undefined
): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(incoming)) {
    if (name === "content-type" || name === "accept" || name.startsWith("x-amzn-bedrock-")) out[name] = value
  }
  if (guardrail !== undefined) {
    out["x-amzn-bedrock-guardrailidentifier"] = guardrail.identifier
    out["x-amzn-bedrock-guardrailversion"] = guardrail.version
    if (guardrail.trace !== undefined) out["x-amzn-bedrock-trace"] = guardrail.trace.toUpperCase()
    else delete out["x-amzn-bedrock-trace"]
  }
  return out
}

const credentialsRefused = new BedrockError.AccessDeniedError({ message: "Bedrock refused the gateway's credentials." })

interface Prepared {
  readonly body: Uint8Array
  readonly admitted: Admitted
  readonly size: PassthroughBody.InputSize
  readonly headers: Record<string, string>
}

const encoder = new TextEncoder()

/** Checks the body, admits the call and makes the body that is sent. */
const prepare = (operation: BedrockForward.Operation, modelId: string) =>
  Effect.gen(function*() {
    const gateway = yield* Gateway
    const key = yield* CurrentKey
    const request = yield* HttpServerRequest.HttpServerRequest
    const bytes = yield* RequestBody.bytes
    const value = yield* fromEither(RequestBody.parseJson(bytes))
    const targets = yield* gateway.resolve(modelId)
    const info: ModelCatalog.ModelInfo = targets[0]!.info
    const window = Math.max(...targets.map((target) => target.info.contextWindow))
    const converse = operation === "converse" || operation === "converse-stream"
    const embeddings = info.capabilities.embeddings !== undefined
    const body = converse
      ? (yield* fromEither(PassthroughBody.checkConverse(value))) as Record<string, unknown>
      : yield* fromEither(PassthroughBody.checkObject(value))
    const path = converse ? ["inferenceConfig", "maxTokens"] : PassthroughBody.maxTokensPath[info.family]
    const requested = path === undefined || embeddings
      ? undefined
      : yield* fromEither(PassthroughBody.requestedMaxTokens(body, path))
    const size = PassthroughBody.sizeOf(body, window)
    const admitted = yield* gateway.admit({
      api: "bedrock",
      model: modelId,
      inputTokens: size.bound,
      maxTokens: requested
    })
    let sent = path === undefined || embeddings ? body : PassthroughBody.withMaxTokens(body, path, admitted.maxTokens)
    if (converse) sent = PassthroughBody.withGuardrail(sent, key, operation === "converse-stream")
    return {
      body: sent === value ? bytes : encoder.encode(JSON.stringify(sent)),
      admitted,
      size,
      headers: converse ? { "content-type": "application/json" } : invokeHeaders(request.headers, key.guardrail)
    } satisfies Prepared
  })

/** Sends to the targets in order, to the next one on throttling or unavailability before the first byte. */
const forward = (operation: BedrockForward.Operation, prepared: Prepared) =>
  Effect.gen(function*() {
    const targets = prepared.admitted.targets
    for (let index = 0;; index++) {
      const target = targets[index]!
      const upstream = yield* BedrockForward.send(target.runtime, {
        operation,
        modelId: target.modelId,
        body: prepared.body,
        headers: prepared.headers
      })
      if (index + 1 < targets.length && isFallback(upstream.status, upstream.headers)) {
        yield* Effect.ignore(BedrockForward.readAll(upstream.body))
        yield* RequestLog.annotate({ fallbacks: index + 1 })
        continue
      }
      return { upstream, target }
    }
  })

/** Reads a whole answer; a body cut off by the request's deadline fails with the deadline's error. */
const readAll = (upstream: BedrockForward.Upstream) =>
  Effect.catchTag(
    BedrockForward.readAll(upstream.body),
    "ForwardError",
    (error) => Effect.fail(upstream.expired() ?? error)
  )

/** A whole answer: Bedrock's status, headers and bytes; settled with the usage it reported. */
const unary = (operation: "converse" | "invoke", modelId: string) =>
  Effect.gen(function*() {
    const prepared = yield* prepare(operation, modelId)
    const { target, upstream } = yield* forward(operation, prepared)
    const bytes = yield* readAll(upstream)
    if (isCredentialsRefusal(upstream.status, upstream.headers)) {
      yield* prepared.admitted.settle(undefined)
      return yield* credentialsRefused
    }
    const usage = upstream.status !== 200
      ? undefined
      : operation === "converse"
      ? PassthroughUsage.ofConverse(bytes)
      : PassthroughUsage.ofInvokeHeaders(upstream.headers)
    yield* prepared.admitted.settle(
      upstream.status !== 200
        ? undefined
        : { target, usage: usage ?? { inputTokens: prepared.size.estimate, outputTokens: 0 } }
    )
    return HttpServerResponse.uint8Array(bytes, {
      status: upstream.status,
      headers: forwardedHeaders(upstream.headers)
    })
  })

/** A stream: Bedrock's frames forwarded as they arrive; settled when the stream ends, however it ends. */
const streamed = (operation: "converse-stream" | "invoke-with-response-stream", modelId: string) =>
  Effect.gen(function*() {
    const prepared = yield* prepare(operation, modelId)
    const { target, upstream } = yield* forward(operation, prepared)
    if (upstream.status !== 200) {
      const bytes = yield* BedrockForward.readAll(upstream.body)
      yield* prepared.admitted.settle(undefined)
      if (isCredentialsRefusal(upstream.status, upstream.headers)) {
        return yield* credentialsRefused
      }
      return HttpServerResponse.uint8Array(bytes, {
        status: upstream.status,
        headers: forwardedHeaders(upstream.headers)
      })
    }
    const read = operation === "converse-stream"
      ? PassthroughUsage.ofConverseStreamFrame
      : PassthroughUsage.ofInvokeStreamFrame
    const splitter = new EventStreamFrames.Splitter()
    let usage: ModelCatalog.Usage | undefined
    let outputTokens = 0
    const settle = Effect.suspend(() =>
      prepared.admitted.settle({
        target,
        usage: usage ?? { inputTokens: prepared.size.estimate, outputTokens }
      })
    )
    const frames = BedrockForward.chunks(upstream.body).pipe(
      Stream.mapConcat((chunk) => {
        const whole = splitter.push(chunk)
        for (const frame of whole) {
          const seen = read(EventStreamFrames.decode(frame))
          usage = seen.usage ?? usage
          outputTokens += seen.outputTokens
        }
        return whole
      }),
      Stream.catchAll((error) => {
        const expired = upstream.expired()
        // Cut off by the deadline after the answer's usage: nothing is missing but the stream's end.
        if (expired !== undefined && usage !== undefined) return Stream.empty
        return Stream.make(
          EventStreamFrames.exception(
            "internalServerException",
            expired?.message ?? (error instanceof Error ? error.message : "The Bedrock stream failed.")
          )
        )
      })
    )
    return HttpServerResponse.stream(Stream.ensuring(frames, settle), {
      contentType: "application/vnd.amazon.eventstream",
      headers: forwardedHeaders(upstream.headers)
    })
  })

/** CountTokens: authorized for the key, sent in the service's region, not charged. */
const countTokens = (modelId: string) =>
  Effect.gen(function*() {
    const key = yield* CurrentKey
    yield* RequestLog.annotate({ keyId: key.id, api: "bedrock", model: modelId })
    yield* authorize(key, "bedrock", modelId)
    const gateway = yield* Gateway
    const target = (yield* gateway.resolve(modelId))[0]!
    const bytes = yield* RequestBody.bytes
    yield* fromEither(PassthroughBody.checkCountTokens(yield* fromEither(RequestBody.parseJson(bytes))))
    const runtime = yield* BedrockRuntime.BedrockRuntime
    const upstream = yield* BedrockForward.send(runtime, {
      operation: "count-tokens",
      modelId: target.modelId,
      body: bytes,
      headers: { "content-type": "application/json" }
    })
    const answer = yield* readAll(upstream)
    if (isCredentialsRefusal(upstream.status, upstream.headers)) {
      return yield* credentialsRefused
    }
    return HttpServerResponse.uint8Array(answer, {
      status: upstream.status,
      headers: forwardedHeaders(upstream.headers)
    })
  })

/** Runs a handler; every failure becomes Bedrock's error response. */
const answer = <R>(
  handler: Effect.Effect<HttpServerResponse.HttpServerResponse, PassthroughError.PassthroughFailure, R>
) =>
  Effect.flatMap(requestId, (id) =>
    Effect.catchAll(handler, (error) => {
      const refusal = PassthroughError.toRefusal(error)
      return Effect.as(
        RequestLog.annotate({ error: `${refusal.type}: ${refusal.message}`.slice(0, 300) }),
        PassthroughError.response(refusal, id)
      )
    }))

/**
 * The passthrough's handlers, with its security middleware.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = HttpApiBuilder.group(
  Api,
  "bedrock",
  (handlers) =>
    handlers
      .handleRaw("converse", ({ path }) => answer(unary("converse", path.modelId)))
      .handleRaw("converseStream", ({ path }) => answer(streamed("converse-stream", path.modelId)))
      .handleRaw("invoke", ({ path }) => answer(unary("invoke", path.modelId)))
      .handleRaw("invokeStream", ({ path }) => answer(streamed("invoke-with-response-stream", path.modelId)))
      .handleRaw("countTokens", ({ path }) => answer(countTokens(path.modelId)))
).pipe(Layer.provide(BedrockAuthLive))
