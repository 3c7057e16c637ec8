/**
 * What stands between an HTTP client and a Lambda function with response streaming, on loopback: each request becomes
 * an invocation event in the recorded format of a Function URL (payload 2.0) or an API Gateway REST API proxy
 * integration (payload 1.0, stage `prod`), is queued on the Runtime API, and the function's streamed answer is turned
 * back into HTTP: the prelude's status and headers, then each body chunk the moment it arrives. A buffered answer is
 * read as a proxy result (`statusCode`, `headers`, `body`, `isBase64Encoded`).
 *
 * When the HTTP client goes away, Lambda keeps reading the function's stream to its end ("streamed responses are not
 * interrupted or stopped when the invoking client connection is broken",
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-response-streaming.html), and so does this front door by
 * default; `cutOnClientGone` instead cuts the function's response connection, the one signal a function could get.
 */
import { readFileSync } from "node:fs"
import { createServer, type IncomingMessage } from "node:http"
import type { AddressInfo } from "node:net"
import { type Outcome, readStreamedHttp, type RuntimeApi } from "./runtimeApi.js"

export type EventFormat = "function-url" | "rest-api"

const template = (format: EventFormat): Record<string, any> =>
  JSON.parse(readFileSync(new URL(`../fixtures/${format}-event.json`, import.meta.url), "utf8"))

const isText = (contentType: string | undefined) =>
  contentType === undefined || /^(text\/|application\/(json|x-www-form-urlencoded))/.test(contentType)

/** The invocation event of a request, in the recorded format with this request's fields. */
export const eventOf = (
  format: EventFormat,
  request: { method: string; url: string; headers: IncomingMessage["headers"]; body: Buffer }
): Record<string, any> => {
  const event = template(format)
  const url = new URL(request.url, "http://front-door")
  const contentType = request.headers["content-type"]
  const base64 = request.body.length > 0 && !isText(contentType)
  const body = request.body.length === 0 ? undefined : request.body.toString(base64 ? "base64" : "utf8")
  const single: Record<string, string> = {}
  const multi: Record<string, Array<string>> = {}
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || name === "connection") continue
    const values = Array.isArray(value) ? value : [value]
    single[name] = values.join(",")
    multi[name] = values
  }
  if (format === "function-url") {
    const { cookie, ...headers } = single
    event["rawPath"] = url.pathname
    event["rawQueryString"] = url.search.slice(1)
    event["headers"] = headers
    event["cookies"] = cookie === undefined ? undefined : cookie.split(/;\s*/)
    event["queryStringParameters"] = url.search === ""
      ? undefined
      : Object.fromEntries([...new Set(url.searchParams.keys())].map((k) => [k, url.searchParams.getAll(k).join(",")]))
    event["requestContext"]["http"]["method"] = request.method
    event["requestContext"]["http"]["path"] = url.pathname
    event["requestContext"]["timeEpoch"] = Date.now()
  } else {
    event["path"] = url.pathname
    event["httpMethod"] = request.method
    event["headers"] = single
    event["multiValueHeaders"] = multi
    const keys = [...new Set(url.searchParams.keys())]
    event["queryStringParameters"] = keys.length === 0
      ? null
      : Object.fromEntries(keys.map((k) => [k, url.searchParams.getAll(k).at(-1)]))
    event["multiValueQueryStringParameters"] = keys.length === 0
      ? null
      : Object.fromEntries(keys.map((k) => [k, url.searchParams.getAll(k)]))
    event["pathParameters"] = { proxy: url.pathname.slice(1) }
    event["requestContext"]["httpMethod"] = request.method
    event["requestContext"]["path"] = `/prod${url.pathname}`
    event["requestContext"]["requestTimeEpoch"] = Date.now()
  }
  event["body"] = body ?? null
  event["isBase64Encoded"] = base64
  return event
}

export interface FrontDoor {
  readonly url: string
  /** The outcome of every invocation, in order. */
  readonly outcomes: Array<Outcome>
  /** The trailers of every streamed invocation once it ended. */
  readonly trailers: Array<Record<string, string>>
  readonly close: () => Promise<void>
}

const readBody = (request: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const parts: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => parts.push(chunk))
    request.on("end", () => resolve(Buffer.concat(parts)))
    request.on("error", reject)
  })

/** Starts a front door of the given format in front of the Runtime API. */
export const startFrontDoor = async (
  runtime: RuntimeApi,
  format: EventFormat,
  options: { readonly cutOnClientGone?: boolean } = {}
): Promise<FrontDoor> => {
  const outcomes: Array<Outcome> = []
  const trailers: Array<Record<string, string>> = []
  const server = createServer(async (request, response) => {
    const body = await readBody(request)
    const event = eventOf(format, {
      method: request.method ?? "GET",
      url: request.url ?? "/",
      headers: request.headers,
      body
    })
    const outcome = await runtime.invoke(event).outcome
    outcomes.push(outcome)
    if (outcome._tag === "error") {
      response.writeHead(502, { "content-type": "application/json", "x-amzn-errortype": "Function.Error" })
      return response.end(JSON.stringify({ message: "Internal Server Error", errorType: outcome.errorType }))
    }
    if (outcome._tag === "buffered") {
      const result = JSON.parse(outcome.body.toString("utf8"))
      response.writeHead(result.statusCode ?? 200, result.headers ?? {})
      return response.end(Buffer.from(result.body ?? "", result.isBase64Encoded ? "base64" : "utf8"))
    }
    void outcome.trailers.then((received) => trailers.push(received))
    response.on("close", () => {
      if (options.cutOnClientGone === true && !response.writableFinished) outcome.abort()
    })
    const { body: chunks, prelude } = await readStreamedHttp(outcome.chunks)
    const headers: Record<string, string | Array<string>> = { ...prelude.headers }
    if (prelude.cookies !== undefined && prelude.cookies.length > 0) headers["set-cookie"] = prelude.cookies
    response.writeHead(prelude.statusCode, headers)
    response.flushHeaders()
    for await (const chunk of chunks) if (!response.destroyed) response.write(chunk.bytes)
    response.end()
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    outcomes,
    trailers,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}
