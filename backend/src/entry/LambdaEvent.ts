/**
 * The HTTP request inside a Lambda invocation event, as a web `Request`: a Function URL's event (payload format 2.0)
 * or an API Gateway REST API proxy event (payload format 1.0), the two front doors that invoke the function with
 * response streaming. Anything else is refused with `UnsupportedEvent`, naming what was missing.
 *
 * @since 0.1.0
 */
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from "aws-lambda"
import * as Data from "effect/Data"

/**
 * The invocation event is neither a Function URL nor an API Gateway REST API proxy event.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnsupportedEvent extends Data.TaggedError("UnsupportedEvent")<{ readonly message: string }> {}

/**
 * Which front door sent the event.
 *
 * @since 0.1.0
 * @category models
 */
export type Source = "function-url" | "rest-api"

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null

/**
 * Which front door an event comes from: a Function URL (`version` "2.0" with `rawPath`) or a REST API
 * (`httpMethod` and `path`).
 *
 * @since 0.1.0
 * @category utils
 */
export const sourceOf = (event: unknown): Source | undefined => {
  if (!isObject(event)) return undefined
  if (event["version"] === "2.0" && typeof event["rawPath"] === "string" && isObject(event["requestContext"])) {
    return "function-url"
  }
  if (typeof event["httpMethod"] === "string" && typeof event["path"] === "string") return "rest-api"
  return undefined
}

const bodyOf = (body: string | null | undefined, base64: boolean, method: string): Uint8Array | undefined =>
  body === null || body === undefined || method === "GET" || method === "HEAD"
    ? undefined
    : base64
    ? new Uint8Array(Buffer.from(body, "base64"))
    : new TextEncoder().encode(body)

const fromFunctionUrl = (event: APIGatewayProxyEventV2): Request => {
  const method = event.requestContext.http.method.toUpperCase()
  const headers = new Headers()
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined) headers.set(name, value)
  }
  // A Function URL moves the Cookie header into `cookies`.
  if (event.cookies !== undefined && event.cookies.length > 0) headers.set("cookie", event.cookies.join("; "))
  const host = headers.get("host") ?? event.requestContext.domainName
  const query = event.rawQueryString === "" ? "" : `?${event.rawQueryString}`
  const body = bodyOf(event.body, event.isBase64Encoded, method)
  return new Request(`https://${host}${event.rawPath}${query}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body })
  })
}

const fromRestApi = (event: APIGatewayProxyEvent): Request => {
  const method = event.httpMethod.toUpperCase()
  const headers = new Headers()
  for (const [name, values] of Object.entries(event.multiValueHeaders ?? {})) {
    for (const value of values ?? []) headers.append(name, value)
  }
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined && !headers.has(name)) headers.set(name, value)
  }
  const query = new URLSearchParams()
  const multi = event.multiValueQueryStringParameters ?? {}
  for (const [name, values] of Object.entries(multi)) for (const value of values ?? []) query.append(name, value)
  for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) {
    if (value !== undefined && !(name in multi)) query.append(name, value)
  }
  const host = headers.get("host") ?? event.requestContext.domainName ?? "localhost"
  const search = query.size === 0 ? "" : `?${query.toString()}`
  const body = bodyOf(event.body, event.isBase64Encoded, method)
  // `path` is the resource path without the stage, which is what the service routes on.
  return new Request(`https://${host}${event.path}${search}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body })
  })
}

/**
 * The web `Request` of an invocation event (the body decoded from base64 when the event says so).
 *
 * @since 0.1.0
 * @category constructors
 */
export const toRequest = (event: unknown): { readonly source: Source; readonly request: Request } => {
  const source = sourceOf(event)
  switch (source) {
    case "function-url":
      return { source, request: fromFunctionUrl(event as APIGatewayProxyEventV2) }
    case "rest-api":
      return { source, request: fromRestApi(event as APIGatewayProxyEvent) }
    default:
      throw new UnsupportedEvent({
        message:
          "The invocation event is neither a Function URL event (version 2.0 with rawPath and requestContext) nor an API Gateway REST API proxy event (httpMethod and path)."
      })
  }
}
