/**
 * The running service: the `HttpApi` with every group's handlers, `/openapi.json` and the `/docs` page, served by
 * `NodeHttpServer` with the request middleware, over the gateway, the stores and a Bedrock runtime. Releasing the
 * layer (SIGTERM in `main.ts`) drains: stop accepting, let in-flight requests and streams finish within
 * `drainTimeout`, then close their connections, which interrupts them (aborting their Bedrock requests; what they
 * used is still settled).
 *
 * @since 0.1.0
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import type * as HttpApi from "@effect/platform/HttpApi"
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpApiScalar from "@effect/platform/HttpApiScalar"
import type * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import { type BedrockRuntime, ModelCatalog } from "bedrock-llm"
import type * as BatchInference from "bedrock-llm/BatchInference"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { createServer } from "node:http"
import { Api } from "./Api.js"
import * as AdminHandlers from "./apis/admin/AdminHandlers.js"
import * as AgentsHandlers from "./apis/agents/AgentsHandlers.js"
import * as AnthropicHandlers from "./apis/anthropic/AnthropicHandlers.js"
import * as Batches from "./apis/batch/Batches.js"
import * as BatchHandlers from "./apis/batch/BatchHandlers.js"
import * as BedrockHandlers from "./apis/bedrock/BedrockHandlers.js"
import * as HealthHandlers from "./apis/health/HealthHandlers.js"
import * as OpenAiHandlers from "./apis/openai/OpenAiHandlers.js"
import type { Dynamo } from "./Dynamo.js"
import * as Gateway from "./Gateway.js"
import * as Http from "./Http.js"
import * as Authentication from "./keys/Authentication.js"
import type * as Admission from "./limits/Admission.js"
import type * as Budget from "./limits/Budget.js"
import type * as RateLimiter from "./limits/RateLimiter.js"
import * as Sweeper from "./limits/Sweeper.js"
import type { Fields } from "./RequestLog.js"
import { type BatchSettings, ServiceConfig, type Settings } from "./ServiceConfig.js"
import * as Stores from "./Stores.js"
import * as UiRoutes from "./ui/UiRoutes.js"

/**
 * The handlers of every group of `Api`.
 *
 * @since 0.1.0
 * @category layers
 */
export const handlers = Layer.mergeAll(
  HealthHandlers.layer,
  AdminHandlers.layer,
  OpenAiHandlers.layer,
  BatchHandlers.layer,
  AnthropicHandlers.layer,
  BedrockHandlers.layer,
  AgentsHandlers.layer
)

/**
 * The running service: where it listens, and its drain.
 *
 * @since 0.1.0
 * @category services
 */
export class Running extends Context.Tag("bedrock-llm-backend/Running")<Running, {
  readonly url: string
  readonly port: number
  /** Requests in flight (streams until their last byte). */
  readonly inFlight: () => number
  /** Stops accepting, waits for in-flight requests up to `drainTimeout`, then closes what remains. Idempotent. */
  readonly drain: Effect.Effect<void>
}>() {}

/**
 * Options of `layer`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly settings: Settings
  /** The Bedrock runtime of the service's region (real Bedrock, or an emulator). */
  readonly bedrock: Layer.Layer<BedrockRuntime.BedrockRuntime, unknown>
  /** The model catalog; default the library's built-in entries. */
  readonly catalog?: Layer.Layer<ModelCatalog.ModelCatalog> | undefined
  /** The DynamoDB client of DynamoDB stores; default one from the SDK's configuration. */
  readonly dynamo?: Layer.Layer<Dynamo> | undefined
  /** Receives every request's log line instead of the logger (tests). */
  readonly onLog?: ((fields: Fields) => Effect.Effect<void>) | undefined
  /** The Batch API's `BatchInference` configuration; default the one of `settings.batch` (off when `None`). */
  readonly batch?: BatchInference.Config | undefined
  /** The API with its handlers; default `Api` with `handlers` (tests extend it with groups of their own). */
  readonly api?: Layer.Layer<HttpApi.Api, never, Core> | undefined
}

/**
 * What the handlers of every group may use.
 *
 * @since 0.1.0
 * @category models
 */
export type Core =
  | Gateway.Gateway
  | Authentication.Authenticator
  | Stores.Stores
  | Admission.Admission
  | RateLimiter.RateLimiter
  | Budget.Budget
  | ModelCatalog.ModelCatalog
  | BedrockRuntime.BedrockRuntime
  | ServiceConfig
  | Batches.Batches

/**
 * The `BatchInference` configuration of the Batch API settings (the SDK's credentials).
 *
 * @since 0.1.0
 * @category utils
 */
export const batchConfigOf = (settings: BatchSettings): BatchInference.Config => ({
  bucket: settings.bucket,
  roleArn: settings.roleArn,
  prefix: settings.prefix,
  region: settings.region,
  s3Endpoint: settings.s3Endpoint,
  bedrockEndpoint: settings.bedrockEndpoint,
  quotas: { minRecordsPerJob: settings.minRecordsPerJob }
})

const waitUntil = (done: () => boolean, deadline: number) =>
  Effect.gen(function*() {
    while (!done() && (yield* Clock.currentTimeMillis) < deadline) yield* Effect.sleep(Duration.millis(20))
  })

/**
 * The services every front door shares: the gateway, authentication, the stores, the limits, the catalog, Bedrock and
 * the configuration.
 *
 * @since 0.1.0
 * @category layers
 */
export const coreLayer = (options: Options): Layer.Layer<Core, unknown> =>
  Batches.layer(options.batch ?? Option.getOrUndefined(Option.map(options.settings.batch, batchConfigOf))).pipe(
    Layer.provideMerge(
      Layer.mergeAll(Gateway.layer, Authentication.layer, Sweeper.layer(options.settings.reservationSweepInterval))
    ),
    Layer.provideMerge(Stores.limitsWith(Sweeper.holdFor(options.settings))),
    Layer.provideMerge(Stores.layer(options.settings.store, options.dynamo)),
    Layer.provideMerge(options.catalog ?? ModelCatalog.layer),
    Layer.provideMerge(options.bedrock),
    Layer.provideMerge(ServiceConfig.layer(options.settings))
  )

/**
 * The service's `HttpApp` (every group, `/openapi.json`, `/docs`, the UI's `/playground` and `/admin`, behind the request middleware) served by whichever
 * `HttpServer` is provided: `NodeHttpServer` in `layer`, one invocation at a time on Lambda.
 *
 * @since 0.1.0
 * @category layers
 */
export const served = (
  options: Options,
  control: Http.Control
): Layer.Layer<never, never, HttpServer.HttpServer | HttpRouter.HttpRouter.DefaultServices | Core> =>
  HttpApiBuilder.serve(Http.middleware(options.settings, control)).pipe(
    Http.tracedWhen(Option.isSome(options.settings.otlpEndpoint)),
    Layer.provide(HttpApiBuilder.middlewareOpenApi({ path: "/openapi.json" })),
    Layer.provide(HttpApiScalar.layer({ path: "/docs" })),
    Layer.provide(UiRoutes.layer),
    Layer.provide(options.api ?? HttpApiBuilder.api(Api).pipe(Layer.provide(handlers)))
  )

/**
 * The whole service as a layer: built, it listens; released, it drains.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options
): Layer.Layer<Running | Stores.Stores | Gateway.Gateway | Authentication.Authenticator, unknown> => {
  const { settings } = options
  const nodeServer = createServer({ keepAliveTimeout: Duration.toMillis(settings.keepAliveTimeout) })
  let draining = false
  let inFlight = 0
  const control: Http.Control = {
    draining: () => draining,
    enter: () => {
      inFlight++
    },
    leave: () => {
      inFlight--
    },
    onLog: options.onLog
  }

  const running = Layer.scoped(
    Running,
    Effect.gen(function*() {
      const server = yield* HttpServer.HttpServer
      const address = server.address
      const port = address._tag === "TcpAddress" ? address.port : 0
      const host = settings.host.includes(":") ? `[${settings.host}]` : settings.host
      const drain = yield* Effect.cached(Effect.gen(function*() {
        draining = true
        nodeServer.close()
        nodeServer.closeIdleConnections()
        const start = yield* Clock.currentTimeMillis
        yield* waitUntil(() => inFlight === 0, start + Duration.toMillis(settings.drainTimeout))
        if (inFlight > 0) {
          yield* Effect.logWarning(`drain deadline passed with ${inFlight} request(s) in flight: closing them`)
          nodeServer.closeAllConnections()
          yield* waitUntil(() => inFlight === 0, (yield* Clock.currentTimeMillis) + 5_000)
        }
      }))
      yield* Effect.addFinalizer(() => drain)
      return { url: `http://${host}:${port}`, port, inFlight: () => inFlight, drain }
    })
  )

  return running.pipe(
    Layer.provide(served(options, control)),
    Layer.provideMerge(
      NodeHttpServer.layer(() => nodeServer, { host: settings.host, port: settings.port, backlog: 4096 })
    ),
    Layer.provideMerge(coreLayer(options))
  )
}
