/**
 * A Lambda Runtime API server on loopback, implementing the documented interface the runtime interface client talks
 * to (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html and, for streamed responses,
 * https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html#runtimes-custom-response-streaming):
 *
 * - `GET /2018-06-01/runtime/invocation/next` waits for the next invocation and answers with its event and the
 *   `Lambda-Runtime-Aws-Request-Id`, `-Deadline-Ms`, `-Invoked-Function-Arn` and `-Trace-Id` headers;
 * - `POST /2018-06-01/runtime/invocation/{id}/response` takes a buffered response, or, with
 *   `Lambda-Runtime-Function-Response-Mode: streaming`, a chunked one read chunk by chunk as it arrives, with the
 *   `Lambda-Runtime-Function-Error-Type` / `-Error-Body` trailers of an error after the first byte;
 * - `POST /2018-06-01/runtime/invocation/{id}/error` and `POST /2018-06-01/runtime/init/error` take errors;
 * - anything else is a 404, an unknown request id a 400, a buffered response over 6 MB a 413.
 *
 * A streamed response can be cut (`abort`): the server destroys the connection, as Lambda does when the client of a
 * Function URL goes away.
 */
import { randomUUID } from "node:crypto"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"

/** A chunk of a streamed response and when it arrived (ms since the epoch). */
export interface TimedChunk {
  readonly bytes: Buffer
  readonly at: number
}

/** What the runtime posted for an invocation. */
export type Outcome =
  | { readonly _tag: "buffered"; readonly body: Buffer; readonly contentType: string | undefined }
  | {
    readonly _tag: "streamed"
    readonly headers: IncomingMessage["headers"]
    /** Every chunk as it arrives; ends with the request. */
    readonly chunks: AsyncIterable<TimedChunk>
    /** The trailers, once the request has ended (empty when it was cut). */
    readonly trailers: Promise<Record<string, string>>
    /** Cuts the response: the connection is destroyed. */
    readonly abort: () => void
  }
  | { readonly _tag: "error"; readonly errorType: string | undefined; readonly body: unknown }

/** One queued invocation. */
export interface Invocation {
  readonly requestId: string
  /** What the runtime answered. */
  readonly outcome: Promise<Outcome>
}

/** A request to the API, as recorded. */
export interface Recorded {
  readonly method: string
  readonly path: string
  readonly at: number
}

export interface RuntimeApi {
  /** `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`. */
  readonly address: string
  readonly invoke: (event: unknown, options?: { readonly timeoutMs?: number }) => Invocation
  /** Every request the runtime made, in order. */
  readonly requests: ReadonlyArray<Recorded>
  /** Init errors the runtime reported. */
  readonly initErrors: ReadonlyArray<{ readonly errorType: string | undefined; readonly body: unknown }>
  /** Resolves when the runtime first asks for an invocation (its initialization is over). */
  readonly ready: Promise<number>
  readonly close: () => Promise<void>
}

const base = "/2018-06-01/runtime"
const maxBufferedBytes = 6 * 1024 * 1024

/** A queue read by one async iterator: what has been pushed, then the end. */
const channel = <A>() => {
  const items: Array<A> = []
  let done = false
  let wake: (() => void) | undefined
  const notify = () => {
    const resume = wake
    wake = undefined
    resume?.()
  }
  return {
    push: (item: A) => {
      items.push(item)
      notify()
    },
    end: () => {
      done = true
      notify()
    },
    iterable: {
      async *[Symbol.asyncIterator]() {
        while (true) {
          if (items.length > 0) {
            yield items.shift()!
            continue
          }
          if (done) return
          await new Promise<void>((resolve) => {
            wake = resolve
          })
        }
      }
    } satisfies AsyncIterable<A>
  }
}

const readAll = (request: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const parts: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => parts.push(chunk))
    request.on("end", () => resolve(Buffer.concat(parts)))
    request.on("error", reject)
  })

const parseJson = (bytes: Buffer): unknown => {
  try {
    return JSON.parse(bytes.toString("utf8"))
  } catch {
    return bytes.toString("utf8")
  }
}

const accepted = (response: ServerResponse) => {
  response.writeHead(202, { "content-type": "application/json" })
  response.end(JSON.stringify({ status: "OK" }))
}

const fail = (response: ServerResponse, status: number, errorType: string, message: string) => {
  response.writeHead(status, { "content-type": "application/json" })
  response.end(JSON.stringify({ errorMessage: message, errorType }))
}

/** Starts the API on an ephemeral loopback port. */
export const startRuntimeApi = async (
  options: { readonly functionArn?: string } = {}
): Promise<RuntimeApi> => {
  const functionArn = options.functionArn ?? "arn:aws:lambda:us-east-1:123456789012:function:bedrock-llm-gateway"
  const queue: Array<{ readonly requestId: string; readonly event: unknown; readonly deadline: number }> = []
  const waiting: Array<(next: (typeof queue)[number]) => void> = []
  const pending = new Map<string, (outcome: Outcome) => void>()
  const requests: Array<Recorded> = []
  const initErrors: Array<{ readonly errorType: string | undefined; readonly body: unknown }> = []
  let markReady: (at: number) => void = () => undefined
  const ready = new Promise<number>((resolve) => {
    markReady = resolve
  })

  const serveNext = (response: ServerResponse, next: (typeof queue)[number]) => {
    response.writeHead(200, {
      "content-type": "application/json",
      "lambda-runtime-aws-request-id": next.requestId,
      "lambda-runtime-deadline-ms": String(next.deadline),
      "lambda-runtime-invoked-function-arn": functionArn,
      "lambda-runtime-trace-id": `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${
        randomUUID().replaceAll("-", "").slice(0, 24)
      };Parent=${randomUUID().replaceAll("-", "").slice(0, 16)};Sampled=0`
    })
    response.end(JSON.stringify(next.event))
  }

  const onStreamedResponse = (request: IncomingMessage, response: ServerResponse, settle: (o: Outcome) => void) => {
    const chunks = channel<TimedChunk>()
    let resolveTrailers: (trailers: Record<string, string>) => void = () => undefined
    const trailers = new Promise<Record<string, string>>((resolve) => {
      resolveTrailers = resolve
    })
    request.on("data", (bytes: Buffer) => chunks.push({ bytes, at: Date.now() }))
    request.on("end", () => {
      chunks.end()
      resolveTrailers({ ...request.trailers } as Record<string, string>)
      accepted(response)
    })
    request.on("close", () => {
      chunks.end()
      resolveTrailers({})
    })
    settle({
      _tag: "streamed",
      headers: request.headers,
      chunks: chunks.iterable,
      trailers,
      abort: () => request.socket.destroy()
    })
  }

  const server = createServer((request, response) => {
    const path = (request.url ?? "").split("?")[0]!
    requests.push({ method: request.method ?? "", path, at: Date.now() })
    if (request.method === "GET" && path === `${base}/invocation/next`) {
      markReady(Date.now())
      const next = queue.shift()
      if (next !== undefined) return serveNext(response, next)
      waiting.push((next) => serveNext(response, next))
      return
    }
    if (request.method === "POST" && path === `${base}/init/error`) {
      void readAll(request).then((body) => {
        initErrors.push({ errorType: request.headers["lambda-runtime-function-error-type"] as string, body })
        accepted(response)
      })
      return
    }
    const match = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(path)
    if (request.method !== "POST" || match === null) {
      return fail(response, 404, "NotFound", `No such Runtime API resource: ${request.method} ${path}`)
    }
    const requestId = decodeURIComponent(match[1]!)
    const settle = pending.get(requestId)
    if (settle === undefined) {
      return fail(response, 400, "InvalidRequestID", `No invocation ${requestId} is in progress.`)
    }
    pending.delete(requestId)
    if (match[2] === "error") {
      void readAll(request).then((body) => {
        settle({
          _tag: "error",
          errorType: request.headers["lambda-runtime-function-error-type"] as string | undefined,
          body: parseJson(body)
        })
        accepted(response)
      })
      return
    }
    if (request.headers["lambda-runtime-function-response-mode"] === "streaming") {
      return onStreamedResponse(request, response, settle)
    }
    void readAll(request).then((body) => {
      if (body.length > maxBufferedBytes) {
        settle({ _tag: "error", errorType: "Function.ResponseSizeTooLarge", body: undefined })
        return fail(response, 413, "RequestEntityTooLarge", "The response exceeds 6291456 bytes.")
      }
      settle({ _tag: "buffered", body, contentType: request.headers["content-type"] })
      accepted(response)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo

  return {
    address: `127.0.0.1:${port}`,
    requests,
    initErrors,
    ready,
    invoke: (event, invokeOptions = {}) => {
      const requestId = randomUUID()
      const outcome = new Promise<Outcome>((resolve) => pending.set(requestId, resolve))
      const next = { requestId, event, deadline: Date.now() + (invokeOptions.timeoutMs ?? 60_000) }
      const waiter = waiting.shift()
      if (waiter !== undefined) waiter(next)
      else queue.push(next)
      return { requestId, outcome }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

const delimiter = Buffer.alloc(8)

/** The HTTP response inside a streamed outcome: the prelude (status, headers, cookies) and the body's chunks. */
export interface StreamedHttp {
  readonly prelude: { readonly statusCode: number; readonly headers?: Record<string, string>; cookies?: Array<string> }
  /** The body's chunks after the prelude and its delimiter, as they arrive. */
  readonly body: AsyncIterable<TimedChunk>
}

/**
 * Splits a streamed outcome posted with the `application/vnd.awslambda.http-integration-response` content type into
 * its JSON prelude, the 8 NUL bytes that end it, and the body.
 */
export const readStreamedHttp = async (chunks: AsyncIterable<TimedChunk>): Promise<StreamedHttp> => {
  const iterator = chunks[Symbol.asyncIterator]()
  let head = Buffer.alloc(0)
  while (true) {
    const at = head.indexOf(delimiter)
    if (at >= 0) {
      const prelude = JSON.parse(head.subarray(0, at).toString("utf8"))
      const rest = head.subarray(at + delimiter.length)
      const body: AsyncIterable<TimedChunk> = {
        async *[Symbol.asyncIterator]() {
          if (rest.length > 0) yield { bytes: rest, at: Date.now() }
          while (true) {
            const next = await iterator.next()
            if (next.done) return
            yield next.value
          }
        }
      }
      return { prelude, body }
    }
    const next = await iterator.next()
    if (next.done) throw new Error("The stream ended before the prelude's delimiter of 8 NUL bytes.")
    head = Buffer.concat([head, next.value.bytes])
  }
}
