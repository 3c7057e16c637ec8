/**
 * The service on Lambda: the service's `HttpApp` (the same as on the Node server and in the container) for a Function
 * URL in `RESPONSE_STREAM` mode or an API Gateway REST API with response streaming, one invocation at a time.
 *
 * Initialization (the cold start) reads the configuration (`ServiceConfig`, the admin key from Secrets Manager when
 * `BACKEND_ADMIN_KEY_SECRET_ARN` is set), and builds the layers once: the DynamoDB and Bedrock clients are reused by
 * every invocation of the execution environment. Bedrock is always the real one of the environment's configuration
 * (`AWS_REGION`, or `BEDROCK_ENDPOINT`); there is no fallback to an emulator. Logs are JSON lines on standard output.
 *
 * `lambda.ts` is the handler module built on it.
 *
 * @since 0.1.0
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import type {} from "aws-lambda"
import { BedrockRuntime } from "bedrock-llm"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Scope from "effect/Scope"
import type { Writable } from "node:stream"
import type * as Http from "../Http.js"
import * as Server from "../Server.js"
import * as ServiceConfig from "../ServiceConfig.js"
import * as Telemetry from "../Telemetry.js"
import * as AdminKeySecret from "./AdminKeySecret.js"
import * as LambdaServer from "./LambdaServer.js"

/**
 * A logger writing one JSON line per entry straight to standard output (where Lambda's log pipeline reads it whole,
 * without the runtime's console prefix).
 *
 * @since 0.1.0
 * @category loggers
 */
export const stdoutJsonLogger: Logger.Logger<unknown, void> = Logger.map(
  Logger.jsonLogger,
  (line) => void process.stdout.write(line + "\n")
)

/**
 * Builds the service for Lambda and returns what serves invocations (`LambdaServer.handle`). The layers live as long
 * as the execution environment.
 *
 * @since 0.1.0
 * @category constructors
 */
export const start = (options: Partial<Server.Options> = {}) =>
  Effect.gen(function*() {
    const settings = yield* Effect.flatMap(ServiceConfig.fromEnv, (settings) => AdminKeySecret.resolve(settings))
    const serverOptions: Server.Options = {
      settings,
      bedrock: BedrockRuntime.layerConfig(),
      ...options
    }
    let inFlight = 0
    const control: Http.Control = {
      // An execution environment serves one invocation at a time and is never asked to drain.
      draining: () => false,
      enter: () => {
        inFlight++
      },
      leave: () => {
        inFlight--
      },
      onLog: serverOptions.onLog
    }
    const service = Server.served(serverOptions, control).pipe(
      Layer.provideMerge(LambdaServer.layer),
      Layer.provide(NodeHttpServer.layerContext),
      Layer.provide(Server.coreLayer(serverOptions)),
      Layer.provide(Telemetry.layer(settings))
    )
    const scope = yield* Scope.make()
    const context = yield* Layer.buildWithScope(service, scope).pipe(
      Effect.provide(Logger.replace(Logger.defaultLogger, stdoutJsonLogger)),
      Effect.provide(Logger.minimumLogLevel(settings.logLevel))
    )
    return Context.get(context, LambdaServer.LambdaServer)
  })

/**
 * Starts the service (logging any failure to start) and returns the streaming handler that serves invocations with it.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeHandler = async (options: Partial<Server.Options> = {}) => {
  const server = await Effect.runPromise(
    start(options).pipe(
      Effect.tapErrorCause((cause) => Effect.logError("the service could not start", cause)),
      Effect.provide(Logger.replace(Logger.defaultLogger, stdoutJsonLogger))
    )
  )
  return awslambda.streamifyResponse((event: unknown, responseStream: Writable) => server.handle(event, responseStream))
}
