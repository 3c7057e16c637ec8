/**
 * A probe API for the core's tests: a group built exactly as an API helper builds one (its own security middleware
 * on `Authentication.securityHandler`, handlers calling the `Gateway`, SSE through `Sse.response`), so the tests go
 * through real HTTP on loopback without depending on any client API.
 */
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiMiddleware from "@effect/platform/HttpApiMiddleware"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as HttpApiSecurity from "@effect/platform/HttpApiSecurity"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Message, type Response } from "bedrock-llm"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { Api } from "../../src/Api.js"
import { Gateway } from "../../src/Gateway.js"
import { retryAfterOf, statusOf } from "../../src/GatewayError.js"
import * as Authentication from "../../src/keys/Authentication.js"
import { handlers } from "../../src/Server.js"
import { ServiceConfig } from "../../src/ServiceConfig.js"
import * as Sse from "../../src/Sse.js"

class ProbeUnauthorized extends Schema.TaggedError<ProbeUnauthorized>()("ProbeUnauthorized", {
  reason: Schema.String,
  message: Schema.String
}, HttpApiSchema.annotations({ status: 401 })) {}

class ProbeAuth extends HttpApiMiddleware.Tag<ProbeAuth>()("ProbeAuth", {
  failure: ProbeUnauthorized,
  provides: Authentication.CurrentKey,
  security: { bearer: HttpApiSecurity.bearer }
}) {}

const Call = Schema.Struct({
  model: Schema.String,
  prompt: Schema.String,
  maxTokens: Schema.optional(Schema.Int),
  api: Schema.optional(Schema.Literal("openai", "anthropic", "bedrock", "agents"))
})

export class ProbeGroup extends HttpApiGroup.make("probe")
  .add(HttpApiEndpoint.post("generate", "/probe/generate").setPayload(Call).addSuccess(Schema.Unknown))
  .add(HttpApiEndpoint.post("stream", "/probe/stream").setPayload(Call).addSuccess(Schema.Unknown))
  .middleware(ProbeAuth)
{}

export class ProbeApi extends Api.add(ProbeGroup) {}

const failure = (error: { readonly _tag: string; readonly message: string }) => {
  const retryAfter = retryAfterOf(error)
  return HttpServerResponse.unsafeJson(
    { error: { type: error._tag, message: error.message } },
    { status: statusOf(error), headers: retryAfter === undefined ? {} : { "retry-after": String(retryAfter) } }
  )
}

const eventData = (event: Response.StreamEvent): Sse.Event => ({ event: event._tag, data: event })

export const probeHandlers = HttpApiBuilder.group(ProbeApi, "probe", (group) =>
  Effect.gen(function*() {
    const gateway = yield* Gateway
    const config = yield* ServiceConfig
    return group
      .handle("generate", ({ payload }) =>
        gateway.generate({ messages: [Message.user(payload.prompt)] }, {
          api: payload.api ?? "openai",
          model: payload.model,
          maxTokens: payload.maxTokens
        }).pipe(
          Effect.map((generated) =>
            HttpServerResponse.unsafeJson({
              text: generated.response.message.content.map((block) => block._tag === "Text" ? block.text : "").join(""),
              modelId: generated.modelId,
              costMicroUsd: generated.costMicroUsd,
              usage: generated.response.usage
            })
          ),
          Effect.catchAll((error) => Effect.succeed(failure(error)))
        ))
      .handle("stream", ({ payload }) =>
        gateway.stream({ messages: [Message.user(payload.prompt)] }, {
          api: payload.api ?? "openai",
          model: payload.model,
          maxTokens: payload.maxTokens
        }).pipe(
          Effect.flatMap((events) =>
            Sse.response(
              Stream.map(events, eventData).pipe(
                Stream.catchAll((error) =>
                  Stream.make({ event: "error", data: { type: error._tag, message: error.message } })
                )
              ),
              { keepAlive: config.sseKeepAlive }
            )
          ),
          Effect.catchAll((error) => Effect.succeed(failure(error)))
        ))
  })).pipe(
    Layer.provide(Layer.effect(
      ProbeAuth,
      Effect.map(
        Authentication.securityHandler((error) =>
          new ProbeUnauthorized({
            reason: error._tag === "AuthenticationError" ? error.reason : "store",
            message: error.message
          })
        ),
        (bearer) => ProbeAuth.of({ bearer })
      )
    ))
  )

/** The service's API plus the probe group, with every handler. */
export const probeApi = HttpApiBuilder.api(ProbeApi).pipe(Layer.provide(Layer.merge(handlers, probeHandlers)))
