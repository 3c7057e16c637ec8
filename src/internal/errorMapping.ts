/**
 * Reading what matters out of whatever the AWS SDK (or Node, or the event-stream codec) threw, without keeping the
 * thrown object: every string that leaves this module is redacted.
 *
 * @internal
 */
import * as Either from "effect/Either"
import * as Predicate from "effect/Predicate"
import { parseJson } from "./json.js"
import { redact } from "./redact.js"

/** The Bedrock Runtime exceptions of the service model, by canonical (PascalCase) name, with their HTTP status. */
export const SERVICE_EXCEPTION_STATUS = {
  AccessDeniedException: 403,
  ConflictException: 400,
  InternalServerException: 500,
  ModelErrorException: 424,
  ModelNotReadyException: 429,
  ModelStreamErrorException: 424,
  ModelTimeoutException: 408,
  ResourceNotFoundException: 404,
  ServiceQuotaExceededException: 400,
  ServiceUnavailableException: 503,
  ThrottlingException: 429,
  ValidationException: 400
} as const

/** One of the modeled Bedrock Runtime exception names. */
export type ServiceExceptionName = keyof typeof SERVICE_EXCEPTION_STATUS

/**
 * The code of the error a connection is destroyed with when it was not made within the connect timeout (see
 * `internal/connectTimeout.ts`); such an error also carries `timeoutMs`.
 */
export const CONNECT_TIMEOUT_CODE = "BEDROCK_LLM_CONNECT_TIMEOUT"

/** A redacted summary of the thrown object, kept on the typed error instead of the object itself. */
export interface Origin {
  readonly name: string
  readonly code?: string | undefined
  readonly fault?: string | undefined
  readonly attempts?: number | undefined
  readonly inStream?: boolean | undefined
}

interface Common {
  readonly message: string
  readonly status?: number | undefined
  readonly requestId?: string | undefined
  readonly retryAfterMs?: number | undefined
  readonly origin: Origin
}

/** What `describeError` found. */
export type Description =
  | Common & {
    readonly _tag: "Service"
    readonly exceptionName: ServiceExceptionName
    readonly originalStatusCode?: number | undefined
    readonly originalMessage?: string | undefined
    readonly resourceName?: string | undefined
  }
  | Common & { readonly _tag: "Transport"; readonly code?: string | undefined; readonly aborted: boolean }
  | Common & { readonly _tag: "Malformed" }
  | Common & { readonly _tag: "Unknown"; readonly exceptionName: string }
  | Common & { readonly _tag: "ConnectTimeout"; readonly timeoutMs: number }
  | Common & { readonly _tag: "Configuration"; readonly setting: string }

const TRANSPORT_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "EHOSTDOWN",
  "ERR_STREAM_PREMATURE_CLOSE",
  "ERR_SOCKET_CONNECTION_TIMEOUT",
  "ERR_SOCKET_CLOSED",
  "ERR_TLS_CERT_ALTNAME_INVALID"
])

const TRANSPORT_NAMES = new Set(["TimeoutError", "RequestTimeout", "SocketError", "NetworkingError"])

const stringField = (record: Record<string, unknown>, key: string): string | undefined => {
  const value = record[key]
  return typeof value === "string" && value.length > 0 ? value : undefined
}

const numberField = (record: Record<string, unknown>, key: string): number | undefined => {
  const value = record[key]
  return typeof value === "number" && Number.isFinite(value) ? value : undefined
}

/** `throttlingException` (in-stream member name), `Throttling` and `ThrottlingException` all name the same class. */
export const canonicalExceptionName = (name: string): ServiceExceptionName | undefined => {
  const trimmed = name.includes(":") ? name.slice(0, name.indexOf(":")) : name
  const pascal = trimmed.charAt(0).toUpperCase() + trimmed.slice(1)
  const withSuffix = pascal.endsWith("Exception") ? pascal : `${pascal}Exception`
  return Object.prototype.hasOwnProperty.call(SERVICE_EXCEPTION_STATUS, withSuffix)
    ? withSuffix as ServiceExceptionName
    : undefined
}

const headerValue = (headers: unknown, name: string): string | undefined => {
  if (!Predicate.isRecord(headers)) return undefined
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() === name) {
      const value = headers[key]
      return typeof value === "string" ? value : Array.isArray(value) ? String(value[0]) : undefined
    }
  }
  return undefined
}

/** A `retry-after` header value (delta seconds or an HTTP date) in milliseconds from `now`. */
export const parseRetryAfter = (value: string | undefined, now: number): number | undefined => {
  if (value === undefined) return undefined
  const trimmed = value.trim()
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000)
  const date = Date.parse(trimmed)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

const retryAfterOf = (error: Record<string, unknown>, now: number): number | undefined => {
  const response = error["$response"]
  const headers = Predicate.isRecord(response) ? response["headers"] : undefined
  const fromHeader = parseRetryAfter(headerValue(headers, "retry-after"), now)
  if (fromHeader !== undefined) return fromHeader
  return numberField(error, "retryAfterMs")
}

const statusOf = (error: Record<string, unknown>): number | undefined => {
  const metadata = error["$metadata"]
  const fromMetadata = Predicate.isRecord(metadata) ? numberField(metadata, "httpStatusCode") : undefined
  if (fromMetadata !== undefined) return fromMetadata
  const response = error["$response"]
  return Predicate.isRecord(response) ? numberField(response, "statusCode") : undefined
}

const requestIdOf = (error: Record<string, unknown>): string | undefined => {
  const metadata = error["$metadata"]
  const fromMetadata = Predicate.isRecord(metadata)
    ? stringField(metadata, "requestId") ?? stringField(metadata, "extendedRequestId")
    : undefined
  if (fromMetadata !== undefined) return fromMetadata
  const response = error["$response"]
  return Predicate.isRecord(response) ? headerValue(response["headers"], "x-amzn-requestid") : undefined
}

const attemptsOf = (error: Record<string, unknown>): number | undefined => {
  const metadata = error["$metadata"]
  return Predicate.isRecord(metadata) ? numberField(metadata, "attempts") : undefined
}

const codeOf = (error: Record<string, unknown>): string | undefined => {
  const code = error["code"] ?? error["errno"]
  if (typeof code === "string") return code
  const cause = error["cause"]
  return Predicate.isRecord(cause) && typeof cause["code"] === "string" ? cause["code"] : undefined
}

const isTransportCode = (code: string | undefined): boolean =>
  code !== undefined && (TRANSPORT_CODES.has(code) || code.startsWith("ERR_HTTP2_") || code.startsWith("UND_ERR_"))

const isMalformedMessage = (message: string): boolean =>
  /checksum|Reported message length|message too short|Unrecognizable event type|Deserialization error|Unexpected (?:token|end of JSON)/i
    .test(message)

/** The hint the SDK appends to the message of an error thrown while it read a response (e.g. its first event). */
const deserializationHint = /\n\s*Deserialization error: [\s\S]*$/

/** What the JSON body of an in-stream exception carries. */
interface StreamExceptionBody {
  readonly exceptionType: string
  readonly message: string
  readonly originalStatusCode?: number | undefined
  readonly originalMessage?: string | undefined
}

/**
 * An exception event of a type the SDK does not model for the stream's union: the SDK's event-stream unmarshaller
 * throws a plain `Error` whose message is the event's JSON body and whose name is its `:exception-type` (with the
 * deserialization hint appended when it was the stream's first event). Both marshallers (the SDK's and
 * `eventStreamDecoder.ts`, which hands exceptions to the SDK's) throw it alike. `undefined` for any other error: a
 * modeled exception has a `$fault` and a message of its own, and no other error's message is a JSON object.
 */
const unmodeledStreamException = (error: Record<string, unknown>): StreamExceptionBody | undefined => {
  const exceptionType = stringField(error, "name")
  const message = stringField(error, "message")
  if (error["$fault"] !== undefined || exceptionType === undefined || message === undefined) return undefined
  const body = message.replace(deserializationHint, "")
  if (!body.startsWith("{")) return undefined
  const json = Either.getOrUndefined(parseJson(body))
  if (!Predicate.isRecord(json)) return undefined
  return {
    exceptionType,
    message: stringField(json, "message") ?? stringField(json, "Message") ?? exceptionType,
    originalStatusCode: numberField(json, "originalStatusCode"),
    originalMessage: stringField(json, "originalMessage")
  }
}

const SET_CREDENTIALS = "set AWS_PROFILE to a profile with credentials, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, " +
  "or AWS_BEARER_TOKEN_BEDROCK (a Bedrock API key)"

/**
 * The client configuration problems the SDK reports before it sends anything (no region, a region that is not a
 * region name, no credentials), as the setting to fix and a message that says how.
 */
const configurationProblem = (
  name: string,
  message: string
): { readonly setting: string; readonly message: string } | undefined => {
  if (message === "Region is missing" || message.startsWith("expected `region` to be configured")) {
    return {
      setting: "AWS_REGION",
      message: "no AWS region is configured: set AWS_REGION, a region in the AWS profile (~/.aws/config), " +
        "or ClientConfig.region"
    }
  }
  const rejected = /^Region not accepted: region="([^"]*)"/.exec(message)
  if (rejected !== null) {
    return {
      setting: "AWS_REGION",
      message: `the region "${rejected[1]}" is not an AWS region name such as us-east-1 ` +
        "(from AWS_REGION, the AWS profile or ClientConfig.region)"
    }
  }
  if (name === "CredentialsProviderError") {
    return { setting: "credentials", message: `no AWS credentials were found (${message}): ${SET_CREDENTIALS}` }
  }
  if (name === "TokenProviderError") {
    return {
      setting: "AWS_BEARER_TOKEN_BEDROCK",
      message: `no Bedrock API key or SSO token was found (${message}): set AWS_BEARER_TOKEN_BEDROCK, ` +
        "or sign in again to the profile's SSO session"
    }
  }
  return undefined
}

/**
 * The connect-timeout error in `error` or its causes: Node cancels the HTTP/2 streams waiting for a session whose
 * socket was destroyed with an error that it keeps as their cause.
 */
const connectTimeoutIn = (error: Record<string, unknown>): Record<string, unknown> | undefined => {
  let current: unknown = error
  for (let depth = 0; depth < 4 && Predicate.isRecord(current); depth++) {
    if (current["code"] === CONNECT_TIMEOUT_CODE) return current
    current = current["cause"]
  }
  return undefined
}

/** Describe anything thrown while talking to Bedrock. `now` (epoch ms) dates an HTTP-date `retry-after`. */
export const describeError = (error: unknown, now: number): Description => {
  if (!Predicate.isRecord(error)) {
    const message = redact(String(error))
    return { _tag: "Unknown", exceptionName: "UnknownError", message, origin: { name: typeof error } }
  }
  const unmodeled = unmodeledStreamException(error)
  if (unmodeled !== undefined) {
    // The response's status (200) is not the exception's: the exception's own status rule applies.
    return describeStreamException(unmodeled.exceptionType, unmodeled.message, {
      requestId: requestIdOf(error),
      originalStatusCode: unmodeled.originalStatusCode,
      originalMessage: unmodeled.originalMessage
    })
  }
  const rawName = stringField(error, "name") ?? stringField(error, "__type") ?? "Error"
  const name = redact(rawName)
  const message = redact(stringField(error, "message") ?? stringField(error, "Message") ?? name)
  const code = codeOf(error)
  const fault = stringField(error, "$fault")
  const status = statusOf(error)
  const requestId = requestIdOf(error)
  const retryAfterMs = retryAfterOf(error, now)
  const origin: Origin = {
    name,
    ...(code !== undefined ? { code: redact(code) } : {}),
    ...(fault !== undefined ? { fault } : {}),
    ...(attemptsOf(error) !== undefined ? { attempts: attemptsOf(error) } : {})
  }
  const common = { message, status, requestId, retryAfterMs, origin }

  const connectTimeout = connectTimeoutIn(error)
  if (connectTimeout !== undefined) {
    return {
      _tag: "ConnectTimeout",
      ...common,
      message: redact(stringField(connectTimeout, "message") ?? message),
      timeoutMs: numberField(connectTimeout, "timeoutMs") ?? 0
    }
  }
  const configuration = status === undefined ? configurationProblem(rawName, message) : undefined
  if (configuration !== undefined) {
    return { _tag: "Configuration", ...common, message: configuration.message, setting: configuration.setting }
  }

  const exceptionName = canonicalExceptionName(rawName) ??
    (code !== undefined ? canonicalExceptionName(code) : undefined)
  if (exceptionName !== undefined) {
    const originalMessage = stringField(error, "originalMessage")
    const resourceName = stringField(error, "resourceName")
    return {
      _tag: "Service",
      exceptionName,
      ...common,
      status: status ?? SERVICE_EXCEPTION_STATUS[exceptionName],
      originalStatusCode: numberField(error, "originalStatusCode"),
      originalMessage: originalMessage === undefined ? undefined : redact(originalMessage),
      resourceName: resourceName === undefined ? undefined : redact(resourceName)
    }
  }
  if (rawName === "AbortError" || code === "ABORT_ERR") {
    return { _tag: "Transport", ...common, code: code ?? "ABORT_ERR", aborted: true }
  }
  if (isTransportCode(code) || TRANSPORT_NAMES.has(rawName)) {
    return { _tag: "Transport", ...common, code: code ?? rawName, aborted: false }
  }
  if (/^Truncated event message/.test(message)) {
    return { _tag: "Transport", ...common, code: "TRUNCATED_EVENT_STREAM", aborted: false }
  }
  const successfulOrNoStatus = status === undefined || status < 400
  if (fault === undefined && successfulOrNoStatus && (rawName === "SyntaxError" || isMalformedMessage(message))) {
    return { _tag: "Malformed", ...common }
  }
  return { _tag: "Unknown", exceptionName: name, ...common }
}

/**
 * Describe an exception that arrived as an event inside an event stream (`:message-type: exception`). A type the
 * service model does not have is `Unknown`, with the status the exception reports (`originalStatusCode`), if any.
 */
export const describeStreamException = (
  exceptionType: string,
  message: string,
  extra?: {
    readonly requestId?: string | undefined
    readonly originalStatusCode?: number | undefined
    readonly originalMessage?: string | undefined
  }
): Description => {
  const name = redact(exceptionType)
  const origin: Origin = { name, inStream: true }
  const exceptionName = canonicalExceptionName(exceptionType)
  const common = { message: redact(message), requestId: extra?.requestId, origin }
  if (exceptionName === undefined) {
    return { _tag: "Unknown", exceptionName: name, ...common, status: extra?.originalStatusCode }
  }
  return {
    _tag: "Service",
    exceptionName,
    ...common,
    status: SERVICE_EXCEPTION_STATUS[exceptionName],
    originalStatusCode: extra?.originalStatusCode,
    originalMessage: extra?.originalMessage === undefined ? undefined : redact(extra.originalMessage)
  }
}
