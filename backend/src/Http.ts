/**
 * What wraps every request, whatever its API: a request id (`x-request-id`), the body size limit (413 before the body
 * is read, and a limit on what is read), the per-request deadline (which the gateway enforces on every Bedrock call
 * and stream), refusal of new requests while the instance drains (503, `connection: close`),
 * CORS when origins are configured, and one structured log line per request when its response has been sent (and,
 * with `BACKEND_EMF_NAMESPACE`, its metrics as an embedded metric format line on standard output, see `Emf`).
 * Transport-level refusals use the error shape of the API the path belongs to.
 *
 * @since 0.1.0
 */
import * as HttpApp from "@effect/platform/HttpApp"
import * as IncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as HttpMiddleware from "@effect/platform/HttpMiddleware"
import * as HttpServerError from "@effect/platform/HttpServerError"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberRef from "effect/FiberRef"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { randomBytes } from "node:crypto"
import { Deadline } from "./Deadline.js"
import * as Emf from "./Emf.js"
import { type Fields, RequestLog } from "./RequestLog.js"
import type { Settings } from "./ServiceConfig.js"

/**
 * Which API a path belongs to, for the shape of errors raised before any handler runs.
 *
 * @since 0.1.0
 * @category utils
 */
export const apiOfPath = (path: string): "openai" | "anthropic" | "bedrock" | "other" =>
  path.startsWith("/v1/messages")
    ? "anthropic"
    : path.startsWith("/bedrock/")
    ? "bedrock"
    : path.startsWith("/v1/")
    ? "openai"
    : "other"

/**
 * The kinds of transport-level refusal.
 *
 * @since 0.1.0
 * @category models
 */
export type TransportRefusal = "too_large" | "draining"

const statusOf: Record<TransportRefusal, number> = { too_large: 413, draining: 503 }
const anthropicType: Record<TransportRefusal, string> = { too_large: "request_too_large", draining: "overloaded_error" }
const bedrockType: Record<TransportRefusal, string> = {
  too_large: "ValidationException",
  draining: "ServiceUnavailableException"
}
const openaiType: Record<TransportRefusal, string> = { too_large: "invalid_request_error", draining: "server_error" }

/**
 * A transport-level refusal in the shape of the path's API: OpenAI's `{"error":{...}}`, Anthropic's
 * `{"type":"error","error":{...}}`, Bedrock's `x-amzn-ErrorType` header and `{"message"}`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const refusal = (
  path: string,
  kind: TransportRefusal,
  message: string
): HttpServerResponse.HttpServerResponse => {
  const status = statusOf[kind]
  switch (apiOfPath(path)) {
    case "anthropic":
      return HttpServerResponse.unsafeJson(
        { type: "error", error: { type: anthropicType[kind], message } },
        { status }
      )
    case "bedrock":
      return HttpServerResponse.unsafeJson({ message }, {
        status,
        headers: { "x-amzn-errortype": bedrockType[kind] }
      })
    default:
      return HttpServerResponse.unsafeJson(
        {
          error: {
            message,
            type: openaiType[kind],
            param: null,
            code: kind === "too_large" ? "request_too_large" : null
          }
        },
        { status }
      )
  }
}

/**
 * The server's spans only when they go somewhere: without an OTLP endpoint, no HTTP server span (whose attributes
 * parse the URL and copy the headers of every request) and no library span under it.
 *
 * @since 0.1.0
 * @category layers
 */
export const tracedWhen = (enabled: boolean) => <A, E, R>(layer: Layer.Layer<A, E, R>): Layer.Layer<A, E, R> =>
  enabled
    ? layer
    : layer.pipe(
      HttpMiddleware.withTracerDisabledWhen(() => true),
      Layer.locally(FiberRef.currentTracerEnabled, false)
    )

const requestIdPattern = /^[A-Za-z0-9._-]{1,128}$/

/** A random prefix per process and a counter: unique without a call into the CSPRNG per request. */
const requestIdPrefix = `req_${randomBytes(8).toString("hex")}`
let requestCount = 0
const newRequestId = () => `${requestIdPrefix}${(++requestCount).toString(16).padStart(8, "0")}`

/**
 * The state the middleware consults on every request.
 *
 * @since 0.1.0
 * @category models
 */
export interface Control {
  /** True once the instance drains: new requests get 503. */
  readonly draining: () => boolean
  /** Called when a request starts and when it has finished (its response written, or it was interrupted). */
  readonly enter: () => void
  readonly leave: () => void
  /** Receives each request's finished log line (the default writes it with `Effect.logInfo`). */
  readonly onLog?: ((fields: Fields) => Effect.Effect<void>) | undefined
}

const writeLog = (fields: Fields): Effect.Effect<void> =>
  Effect.logInfo("request").pipe(Effect.annotateLogs(fields as Record<string, unknown>))

/**
 * The middleware around the whole `HttpApp`.
 *
 * @since 0.1.0
 * @category middleware
 */
export const middleware = (settings: Settings, control: Control) => {
  const cors = settings.corsOrigins.length === 0
    ? undefined
    : HttpMiddleware.cors({
      allowedOrigins: settings.corsOrigins.includes("*") ? ["*"] : settings.corsOrigins,
      allowedHeaders: [
        "authorization",
        "content-type",
        "x-api-key",
        "anthropic-version",
        "anthropic-beta",
        "x-request-id"
      ],
      exposedHeaders: ["x-request-id", "retry-after"],
      maxAge: 600
    })
  const log = control.onLog ?? writeLog
  const emit = Option.match(settings.emfNamespace, {
    onNone: () => undefined,
    onSome: (namespace) => (line: Fields, now: number) =>
      Effect.sync(() => {
        const text = Emf.line({ api: apiOfPath(line.path ?? "/"), ...line }, namespace, now)
        if (text !== undefined) process.stdout.write(text)
      })
  })
  return (app: HttpApp.Default): HttpApp.Default => {
    const inner = cors === undefined ? app : cors(app)
    const handle = Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const presented = request.headers["x-request-id"]
      const requestId = presented !== undefined && requestIdPattern.test(presented) ? presented : newRequestId()
      const path = request.url.split("?")[0] ?? request.url
      const fields: Fields = { requestId, method: request.method, path }
      const startedAt = yield* Clock.currentTimeMillis
      const finished = (status: number) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) => {
          const line: Fields = { ...fields, status, latencyMs: now - startedAt }
          return emit === undefined ? log(line) : Effect.zipRight(log(line), emit(line, now))
        })

      if (control.draining()) {
        return HttpServerResponse.setHeaders(refusal(path, "draining", "The server is shutting down; retry."), {
          connection: "close",
          "retry-after": "1",
          "x-request-id": requestId
        })
      }
      const length = Number(request.headers["content-length"] ?? "0")
      if (Number.isFinite(length) && length > settings.maxBodyBytes) {
        const response = HttpServerResponse.setHeaders(
          refusal(
            path,
            "too_large",
            `The request body of ${length} bytes exceeds the limit of ${settings.maxBodyBytes} bytes.`
          ),
          { connection: "close", "x-request-id": requestId }
        )
        yield* finished(response.status)
        return response
      }
      yield* HttpApp.appendPreResponseHandler((_, response) =>
        Effect.succeed(HttpServerResponse.setHeader(response, "x-request-id", requestId))
      )
      return yield* inner.pipe(
        Effect.provideService(RequestLog, fields),
        Effect.provideService(Deadline, { at: startedAt + Duration.toMillis(settings.requestTimeout) }),
        IncomingMessage.withMaxBodySize(Option.some(settings.maxBodyBytes)),
        Effect.onExit((exit) =>
          Exit.isSuccess(exit)
            ? finished(exit.value.status)
            : Cause.isInterruptedOnly(exit.cause)
            ? finished(499)
            : Effect.flatMap(HttpServerError.causeResponse(exit.cause), ([response]) => finished(response.status))
        )
      )
    })
    return Effect.acquireUseRelease(
      Effect.sync(control.enter),
      () => handle,
      () => Effect.sync(control.leave)
    ).pipe(Effect.locally(FiberRef.currentMinimumLogLevel, settings.logLevel))
  }
}
