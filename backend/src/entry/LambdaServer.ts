/**
 * An `HttpServer` that serves Lambda invocations with response streaming, so that the Lambda handler runs the very
 * `HttpApp` the Node server runs (`Server.served`), request middleware and log line included.
 *
 * Each invocation's event (a Function URL or an API Gateway REST API event, see `LambdaEvent`) becomes the request;
 * the response is written to the invocation's response stream through `awslambda.HttpResponseStream.from`: the
 * status and headers first (the runtime sends them as the prelude of the stream), then each chunk of the body the
 * moment the app produces it (every SSE event), with the stream's backpressure respected. The invocation ends when the
 * last byte has been written, so usage is settled and the log line written before Lambda freezes the environment.
 *
 * When the runtime's connection for the response closes before the end, the request's fiber is interrupted, which
 * aborts the Bedrock call behind it, exactly as a closed socket does on the Node server. (Lambda itself keeps reading
 * a stream whose client went away, so there the answer runs to its end and is settled whole: docs/DEPLOY.md.) A body
 * that fails after its first byte makes the invocation fail, so the runtime reports the error in the stream's trailers
 * (`Lambda-Runtime-Function-Error-Type` and `-Body`); an error before the first byte is an ordinary response with its
 * own status.
 *
 * @since 0.1.0
 */
import * as Cookies from "@effect/platform/Cookies"
import * as HttpApp from "@effect/platform/HttpApp"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerError from "@effect/platform/HttpServerError"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import type * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import type {} from "aws-lambda"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Runtime from "effect/Runtime"
import * as Stream from "effect/Stream"
import type { Writable } from "node:stream"
import { toRequest } from "./LambdaEvent.js"

/**
 * Serves invocations.
 *
 * @since 0.1.0
 * @category services
 */
export class LambdaServer extends Context.Tag("bedrock-llm-backend/LambdaServer")<LambdaServer, {
  /**
   * Serves one invocation: resolves once the response has been written (or the client has gone away), rejects when
   * the event is no HTTP request or the body failed after its first byte.
   */
  readonly handle: (event: unknown, responseStream: Writable) => Promise<void>
}>() {}

interface Sink {
  readonly stream: Writable
  /** The prelude has been sent: nothing else may be. */
  started: boolean
  /** What broke the body after its first byte. */
  failure: unknown
}

class ResponseSink extends Context.Tag("bedrock-llm-backend/LambdaServer/ResponseSink")<ResponseSink, Sink>() {}

/**
 * The metadata prelude of a streamed HTTP response (what `HttpResponseStream.from` sends before the body).
 *
 * @since 0.1.0
 * @category models
 */
export interface Prelude {
  readonly statusCode: number
  readonly headers: Readonly<Record<string, string>>
  readonly cookies?: ReadonlyArray<string>
}

/**
 * The prelude of a response: its status, its headers (multi-valued ones joined by commas, as HTTP allows), and its
 * cookies as `Set-Cookie` values.
 *
 * @since 0.1.0
 * @category utils
 */
export const preludeOf = (
  response: HttpServerResponse.HttpServerResponse,
  extraHeaders: Readonly<Record<string, string>> = {}
): Prelude => {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(response.headers)) {
    if (name !== "set-cookie") headers[name] = value
  }
  Object.assign(headers, extraHeaders)
  const cookies = Cookies.isEmpty(response.cookies) ? [] : [...Cookies.toSetCookieHeaders(response.cookies)]
  if (response.headers["set-cookie"] !== undefined) cookies.push(response.headers["set-cookie"])
  return cookies.length === 0
    ? { statusCode: response.status, headers }
    : { statusCode: response.status, headers, cookies }
}

const encoder = new TextEncoder()

/** Writes a chunk, waiting for `drain` when the stream asks for it. */
const writeChunk = (stream: Writable, chunk: Uint8Array): Effect.Effect<void> =>
  chunk.length === 0 ? Effect.void : Effect.async<void>((resume) => {
    if (stream.write(chunk)) return resume(Effect.void)
    const drained = () => resume(Effect.void)
    stream.once("drain", drained)
    return Effect.sync(() => stream.off("drain", drained))
  })

const endStream = (stream: Writable): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    stream.end(() => resume(Effect.void))
  })

const readWeb = (body: ReadableStream<Uint8Array>, stream: Writable): Effect.Effect<void, unknown> =>
  Effect.suspend(() => {
    const reader = body.getReader()
    const next: Effect.Effect<void, unknown> = Effect.flatMap(
      Effect.tryPromise({ try: () => reader.read(), catch: (cause) => cause }),
      (result) => result.done ? Effect.void : Effect.zipRight(writeChunk(stream, result.value), next)
    )
    return Effect.ensuring(next, Effect.promise(() => reader.cancel().catch(() => undefined)))
  })

/** The body of a response written to the stream (the prelude already sent). */
const writeBody = (
  body: HttpServerResponse.HttpServerResponse["body"],
  stream: Writable
): Effect.Effect<void, unknown> => {
  switch (body._tag) {
    case "Empty":
      return Effect.void
    case "Uint8Array":
      return writeChunk(stream, body.body)
    case "Raw": {
      const raw = body.body
      if (typeof raw === "string") return writeChunk(stream, encoder.encode(raw))
      if (raw instanceof Uint8Array) return writeChunk(stream, raw)
      if (raw instanceof ReadableStream) return readWeb(raw, stream)
      if (raw instanceof Response) return raw.body === null ? Effect.void : readWeb(raw.body, stream)
      return writeChunk(stream, encoder.encode(String(raw)))
    }
    case "FormData":
      return Effect.flatMap(
        Effect.promise(() => new Response(body.formData).arrayBuffer()),
        (buffer) => writeChunk(stream, new Uint8Array(buffer))
      )
    case "Stream":
      return body.stream.pipe(
        Stream.runForEach((chunk) => writeChunk(stream, chunk)),
        Effect.interruptible
      )
  }
}

const writeResponse = (
  request: HttpServerRequest.HttpServerRequest,
  response: HttpServerResponse.HttpServerResponse
): Effect.Effect<void, never, ResponseSink> =>
  Effect.flatMap(ResponseSink, (sink) => {
    if (sink.started) return Effect.void
    sink.started = true
    const formType = response.body._tag === "FormData"
      ? new Response(response.body.formData).headers.get("content-type")
      : null
    const stream = awslambda.HttpResponseStream.from(
      sink.stream,
      { ...preludeOf(response, formType === null ? {} : { "content-type": formType }) }
    )
    // The runtime sends the prelude with the first write, so an empty body still writes once.
    stream.write("")
    const body = request.method === "HEAD" ? Effect.void : writeBody(response.body, stream)
    return body.pipe(
      Effect.zipRight(endStream(stream)),
      Effect.catchAllCause((cause) =>
        Effect.sync(() => {
          if (!Cause.isInterruptedOnly(cause)) sink.failure = Cause.squash(cause)
        })
      )
    )
  })

/**
 * The server as a layer: `HttpServer` for `Server.served`, and `LambdaServer` for the handler.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<HttpServer.HttpServer | LambdaServer> = Layer.scopedContext(Effect.gen(function*() {
  let serving: ((event: unknown, responseStream: Writable) => Promise<void>) | undefined

  const server = HttpServer.make({
    address: { _tag: "UnixAddress", path: "lambda" },
    serve: (httpApp, middleware) =>
      Effect.gen(function*() {
        const handled = HttpApp.toHandled(httpApp, writeResponse, middleware)
        const runFork = Runtime.runFork(yield* Effect.runtime<never>())
        serving = (event, responseStream) =>
          new Promise<void>((resolve, reject) => {
            const { request } = toRequest(event)
            const sink: Sink = { stream: responseStream, started: false, failure: undefined }
            const fiber = runFork(
              handled.pipe(
                Effect.provideService(HttpServerRequest.HttpServerRequest, HttpServerRequest.fromWeb(request)),
                Effect.provideService(ResponseSink, sink)
              ) as Effect.Effect<void>
            )
            const gone = () => {
              if (!responseStream.writableFinished) fiber.unsafeInterruptAsFork(HttpServerError.clientAbortFiberId)
            }
            responseStream.on("close", gone)
            responseStream.on("error", gone)
            fiber.addObserver((exit) => {
              responseStream.off("close", gone)
              responseStream.off("error", gone)
              if (sink.failure !== undefined) return reject(sink.failure)
              if (Exit.isFailure(exit) && !Cause.isInterruptedOnly(exit.cause)) return reject(Cause.squash(exit.cause))
              resolve()
            })
          })
        yield* Effect.addFinalizer(() =>
          Effect.sync(() => {
            serving = undefined
          })
        )
      })
  })

  return Context.make(HttpServer.HttpServer, server).pipe(
    Context.add(LambdaServer, {
      handle: (event, responseStream) =>
        serving === undefined
          ? Promise.reject(new Error("The service is not serving: its layer has not been built or was released."))
          : serving(event, responseStream)
    })
  )
}))
