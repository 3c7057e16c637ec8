/**
 * Sends a request body to Bedrock exactly as the client wrote it and hands back Bedrock's raw answer (status,
 * headers, body bytes as they arrive), through the target's `BedrockRuntime` SDK client: its endpoint, region,
 * credentials, SigV4 signing and HTTP/2 connection pool. The operation's command is built with a placeholder input,
 * its serialized body replaced by the client's bytes before signing, and its answer taken from the HTTP response
 * before the SDK parses it, so that nothing is decoded and re-encoded on the way.
 *
 * @since 0.1.0
 */
import {
  ConverseCommand,
  ConverseStreamCommand,
  CountTokensCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand
} from "@aws-sdk/client-bedrock-runtime"
import * as NodeStream from "@effect/platform-node/NodeStream"
import type { BedrockError, BedrockRuntime } from "bedrock-llm"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"
import { Readable } from "node:stream"
import * as Deadline from "../../Deadline.js"

/**
 * The operations of the passthrough, by the last segment of their path.
 *
 * @since 0.1.0
 * @category models
 */
export type Operation = "converse" | "converse-stream" | "invoke" | "invoke-with-response-stream" | "count-tokens"

/**
 * Bedrock's answer before anything read it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Upstream {
  readonly status: number
  /** Lowercase names; HTTP/2 pseudo-headers left out. */
  readonly headers: Readonly<Record<string, string>>
  /** The body as it arrives (a Node stream: HTTP/2 or HTTP/1.1, whichever the SDK client speaks). */
  readonly body: Readable
  /** The request's deadline error once it has passed (the request, body included, was aborted then). */
  readonly expired: () => BedrockError.RequestTimeoutError | undefined
}

/**
 * The request could not be sent or its answer not received (connection refused or reset, credentials unavailable).
 *
 * @since 0.1.0
 * @category errors
 */
export class ForwardError extends Schema.TaggedError<ForwardError>()("ForwardError", {
  message: Schema.String,
  aborted: Schema.Boolean
}) {}

const rawResponse = Symbol.for("bedrock-llm-backend/RawResponse")

interface HttpRequestLike {
  body?: unknown
  headers: Record<string, string>
}

interface HttpResponseLike {
  readonly statusCode: number
  readonly headers: Record<string, string | Array<string> | undefined>
  readonly body: Readable | undefined
}

type Middleware = (next: (args: any) => Promise<any>) => (args: any) => Promise<any>

interface CommandLike {
  readonly middlewareStack: {
    readonly add: (
      middleware: Middleware,
      options: { readonly step: string; readonly name: string; readonly priority?: string }
    ) => void
  }
}

const placeholder = (operation: Operation, modelId: string, headers: Readonly<Record<string, string>>): CommandLike => {
  switch (operation) {
    case "converse":
      return new ConverseCommand({ modelId, messages: [] }) as unknown as CommandLike
    case "converse-stream":
      return new ConverseStreamCommand({ modelId, messages: [] }) as unknown as CommandLike
    case "count-tokens":
      return new CountTokensCommand({ modelId, input: { converse: { messages: [] } } }) as unknown as CommandLike
    case "invoke":
    case "invoke-with-response-stream": {
      const input = {
        modelId,
        body: new Uint8Array(0),
        contentType: headers["content-type"] ?? "application/json",
        accept: headers["accept"] ?? "application/json"
      }
      return (operation === "invoke"
        ? new InvokeModelCommand(input)
        : new InvokeModelWithResponseStreamCommand(input)) as unknown as CommandLike
    }
  }
}

const flatHeaders = (headers: HttpResponseLike["headers"]): Record<string, string> => {
  const flat: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(":") || value === undefined) continue
    flat[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value
  }
  return flat
}

/**
 * Sends `body` for `operation` on `modelId` with `headers` (InvokeModel's `x-amzn-bedrock-*`, content type and accept)
 * and gives Bedrock's raw answer. The request is aborted when the scope closes, so a stream read after this effect
 * lives as long as the scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const send = (
  runtime: BedrockRuntime.BedrockRuntime.Service,
  request: {
    readonly operation: Operation
    readonly modelId: string
    readonly body: Uint8Array
    readonly headers: Readonly<Record<string, string>>
  }
): Effect.Effect<Upstream, ForwardError | BedrockError.RequestTimeoutError, Scope.Scope> =>
  Effect.flatMap(
    Effect.flatMap(Deadline.remaining, (left) =>
      Effect.acquireRelease(
        Effect.sync(() => abortAt(left)),
        (abort) =>
          Effect.sync(() => {
            clearTimeout(abort.timer)
            abort.controller.abort()
          })
      )),
    ({ controller, expired, receiving }) =>
      Effect.async<Upstream, ForwardError | BedrockError.RequestTimeoutError>((resume) => {
        const command = placeholder(request.operation, request.modelId, request.headers)
        command.middlewareStack.add((next) => (args: { request: HttpRequestLike }) => {
          args.request.body = request.body
          args.request.headers["content-length"] = String(request.body.byteLength)
          for (const [name, value] of Object.entries(request.headers)) {
            if (name.startsWith("x-amzn-bedrock-")) {
              args.request.headers[name] = value
            }
          }
          return next(args)
        }, { step: "build", name: "bedrockLlmPassthroughBody" })
        command.middlewareStack.add((next) => async (args) => {
          const { response } = await next(args) as { response: HttpResponseLike }
          throw Object.assign(new Error("raw response"), { [rawResponse]: response })
        }, { step: "deserialize", name: "bedrockLlmPassthroughResponse", priority: "low" })
        runtime.sdk.send(command as never, { abortSignal: controller.signal }).then(
          () =>
            resume(
              Effect.fail(new ForwardError({ message: "Bedrock's answer was parsed by the SDK", aborted: false }))
            ),
          (error: unknown) => {
            const response = typeof error === "object" && error !== null
              ? (error as Record<symbol, HttpResponseLike | undefined>)[rawResponse]
              : undefined
            if (response !== undefined) {
              return resume(Effect.succeed({
                status: response.statusCode,
                headers: flatHeaders(response.headers),
                body: receiving(response.body ?? Readable.from([])),
                expired
              }))
            }
            const name = error instanceof Error ? error.name : "Error"
            resume(Effect.fail(
              expired() ?? new ForwardError({
                message: `The request to Bedrock failed (${name}).`,
                aborted: controller.signal.aborted || name === "AbortError"
              })
            ))
          }
        )
        return Effect.sync(() => controller.abort())
      })
  )

/**
 * The request's abort controller, aborted (with the answer's body destroyed) by a plain timer when the request's
 * deadline passes: one timer per request, where racing each step against the deadline in another fiber costs more
 * than the rest of the request.
 */
const abortAt = (left: Option.Option<Duration.Duration>) => {
  const controller = new AbortController()
  let error: BedrockError.RequestTimeoutError | undefined
  let answer: Readable | undefined
  const timer = Option.isNone(left) ? undefined : setTimeout(() => {
    error = Deadline.expired(left.value)
    // The body first, with the error: aborting closes it without one, and a reader would wait for an end.
    answer?.destroy(error)
    controller.abort()
  }, Duration.toMillis(left.value))
  return {
    controller,
    timer,
    expired: () => error,
    receiving: (body: Readable) => {
      answer = body
      return body
    }
  }
}

/**
 * A body's chunks as they arrive; ending the stream early destroys the body (which resets the Bedrock request).
 *
 * @since 0.1.0
 * @category utils
 */
export const chunks = (body: Readable): Stream.Stream<Uint8Array, ForwardError> =>
  NodeStream.fromReadable(
    () => body,
    () => new ForwardError({ message: "The Bedrock stream was cut off.", aborted: false })
  )

/**
 * Reads a whole answer body (non-streaming operations).
 *
 * @since 0.1.0
 * @category utils
 */
export const readAll = (body: Readable): Effect.Effect<Uint8Array, ForwardError> =>
  NodeStream.toUint8Array(() => body, {
    onFailure: () => new ForwardError({ message: "Bedrock's answer was cut off.", aborted: false })
  })
