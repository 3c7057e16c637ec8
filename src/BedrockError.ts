/**
 * The typed errors of bedrock-llm: one class per Bedrock Runtime exception, the library's own failures, and the
 * mapping from whatever the AWS SDK throws.
 *
 * Retryability follows AWS guidance for Bedrock Runtime: throttling (429), service unavailable (503), internal server
 * errors (500), model timeouts (408), models not ready (429, "retry") and errors while streaming ("retry your
 * request") are transient; validation, access, missing resources, quotas and conflicts are not.
 *
 * @example
 * ```ts
 * import { BedrockClient, BedrockError } from "bedrock-llm"
 * import { Effect } from "effect"
 *
 * const program = Effect.flatMap(BedrockClient.BedrockClient, (client) => client.generate("Hello!")).pipe(
 *   Effect.catchTag("ThrottlingError", (error) => Effect.logWarning(`throttled, request ${error.requestId}`)),
 *   Effect.catchIf(BedrockError.isRetryable, (error) => Effect.logWarning(`transient: ${error.message}`))
 * )
 * ```
 *
 * @since 0.1.0
 */
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"
import * as Mapping from "./internal/errorMapping.js"
import * as ErrorTypeId from "./internal/errorTypeId.js"
import * as ModelCatalog from "./ModelCatalog.js"

/**
 * The mark every error of bedrock-llm carries; `isBedrockLlmError` checks for it.
 *
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: typeof ErrorTypeId.TypeId = ErrorTypeId.TypeId

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * A redacted summary of the exception an error was built from (its name, Node error code, SDK fault and attempts).
 *
 * @since 0.1.0
 * @category models
 */
export const ErrorOrigin = Schema.Struct({
  name: Schema.String,
  code: Schema.optional(Schema.String),
  fault: Schema.optional(Schema.String),
  attempts: Schema.optional(Schema.Number),
  inStream: Schema.optional(Schema.Boolean)
})

/**
 * @since 0.1.0
 * @category models
 */
export type ErrorOrigin = typeof ErrorOrigin.Type

const common = {
  message: Schema.String,
  status: Schema.optional(Schema.Number),
  requestId: Schema.optional(Schema.String),
  retryAfterMs: Schema.optional(Schema.Number),
  origin: Schema.optional(ErrorOrigin)
}

/** The model id a request named, when the service refused it, and the nearest catalog ids (see `fromSdkError`). */
const rejectedModelFields = {
  modelId: Schema.optional(Schema.String),
  suggestions: Schema.optional(Schema.Array(Schema.String))
}

/**
 * `ThrottlingException` (429): the account's request or token rate was exceeded. Retryable.
 *
 * @since 0.1.0
 * @category errors
 */
export class ThrottlingError extends Schema.TaggedError<ThrottlingError>("bedrock-llm/ThrottlingError")(
  "ThrottlingError",
  common
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId

  /** @since 0.1.0 */
  get retryable(): boolean {
    return true
  }
}

/**
 * `ServiceUnavailableException` (503). Retryable.
 *
 * @since 0.1.0
 * @category errors
 */
export class ServiceUnavailableError
  extends Schema.TaggedError<ServiceUnavailableError>("bedrock-llm/ServiceUnavailableError")(
    "ServiceUnavailableError",
    common
  )
{
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId

  /** @since 0.1.0 */
  get retryable(): boolean {
    return true
  }
}

/**
 * `InternalServerException` (500). Retryable.
 *
 * @since 0.1.0
 * @category errors
 */
export class InternalServerError extends Schema.TaggedError<InternalServerError>("bedrock-llm/InternalServerError")(
  "InternalServerError",
  common
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId

  /** @since 0.1.0 */
  get retryable(): boolean {
    return true
  }
}

/**
 * `ModelTimeoutException` (408): the model took longer than the service allows. Retryable.
 *
 * @since 0.1.0
 * @category errors
 */
export class ModelTimeoutError extends Schema.TaggedError<ModelTimeoutError>("bedrock-llm/ModelTimeoutError")(
  "ModelTimeoutError",
  common
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId

  /** @since 0.1.0 */
  get retryable(): boolean {
    return true
  }
}

/**
 * `ModelNotReadyException` (429): the model is being loaded (e.g. an imported model scaled to zero). Retryable.
 *
 * @since 0.1.0
 * @category errors
 */
export class ModelNotReadyError extends Schema.TaggedError<ModelNotReadyError>("bedrock-llm/ModelNotReadyError")(
  "ModelNotReadyError",
  common
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId

  /** @since 0.1.0 */
  get retryable(): boolean {
    return true
  }
}

/**
 * `ModelErrorException` (424): the model itself failed. Retryable only when the model's own status was 429 or 5xx.
 *
 * @since 0.1.0
 * @category errors
 */
export class ModelError extends Schema.TaggedError<ModelError>("bedrock-llm/ModelError")("ModelError", {
  ...common,
  originalStatusCode: Schema.optional(Schema.Number),
  resourceName: Schema.optional(Schema.String)
}) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId

  /** @since 0.1.0 */
  get retryable(): boolean {
    return this.originalStatusCode !== undefined && (this.originalStatusCode === 429 || this.originalStatusCode >= 500)
  }
}

/**
 * `ModelStreamErrorException` (424): an error while streaming the response ("retry your request"). Retryable as a
 * whole request; see `StreamInterruptedError` for a stream that had already produced events.
 *
 * @since 0.1.0
 * @category errors
 */
export class ModelStreamError extends Schema.TaggedError<ModelStreamError>("bedrock-llm/ModelStreamError")(
  "ModelStreamError",
  {
    ...common,
    originalStatusCode: Schema.optional(Schema.Number),
    originalMessage: Schema.optional(Schema.String)
  }
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId

  /** @since 0.1.0 */
  get retryable(): boolean {
    return true
  }
}

/**
 * `ValidationException` (400): the request does not satisfy the API's constraints. Not retryable. When the service
 * refused the model id, `modelId` names it and `suggestions` holds the nearest catalog ids (also in the message).
 *
 * @since 0.1.0
 * @category errors
 */
export class ValidationError extends Schema.TaggedError<ValidationError>("bedrock-llm/ValidationError")(
  "ValidationError",
  { ...common, ...rejectedModelFields }
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId

  /** @since 0.1.0 */
  get retryable(): boolean {
    return false
  }
}

/**
 * `AccessDeniedException` (403): missing permission or model access. Not retryable.
 *
 * @since 0.1.0
 * @category errors
 */
export class AccessDeniedError extends Schema.TaggedError<AccessDeniedError>("bedrock-llm/AccessDeniedError")(
  "AccessDeniedError",
  common
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId

  /** @since 0.1.0 */
  get retryable(): boolean {
    return false
  }
}

/**
 * `ResourceNotFoundException` (404): unknown model, profile or guardrail. Not retryable. For a model, `modelId` and
 * `suggestions` are set as on `ValidationError`.
 *
 * @since 0.1.0
 * @category errors
 */
export class ResourceNotFoundError
  extends Schema.TaggedError<ResourceNotFoundError>("bedrock-llm/ResourceNotFoundError")(
    "ResourceNotFoundError",
    { ...common, ...rejectedModelFields }
  )
{
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId

  /** @since 0.1.0 */
  get retryable(): boolean {
    return false
  }
}

/**
 * `ServiceQuotaExceededException` (400): a hard account quota. Not retryable.
 *
 * @since 0.1.0
 * @category errors
 */
export class ServiceQuotaExceededError
  extends Schema.TaggedError<ServiceQuotaExceededError>("bedrock-llm/ServiceQuotaExceededError")(
    "ServiceQuotaExceededError",
    common
  )
{
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId

  /** @since 0.1.0 */
  get retryable(): boolean {
    return false
  }
}

/**
 * `ConflictException` (400). Not retryable.
 *
 * @since 0.1.0
 * @category errors
 */
export class ConflictError extends Schema.TaggedError<ConflictError>("bedrock-llm/ConflictError")(
  "ConflictError",
  common
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId

  /** @since 0.1.0 */
  get retryable(): boolean {
    return false
  }
}

/**
 * The circuit breaker is open (or half-open with every probe slot taken): the call was not made. `retryAfterMs` is
 * the time left until the breaker lets a probe through. Not retryable by the retry schedule: failing fast is the point.
 *
 * @since 0.1.0
 * @category errors
 */
export class CircuitOpenError extends Schema.TaggedError<CircuitOpenError>("bedrock-llm/CircuitOpenError")(
  "CircuitOpenError",
  {
    ...common,
    state: Schema.Literal("open", "half-open"),
    openedAt: Schema.Number
  }
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId

  /** @since 0.1.0 */
  get retryable(): boolean {
    return false
  }
}

/**
 * Which of the library's timeouts fired: `connect` (a new connection was not made in time, see
 * `ConnectionConfig.connectTimeout`), `request`, `first-event` or `idle`.
 *
 * @since 0.1.0
 * @category models
 */
export const TimeoutKind = Schema.Literal("connect", "request", "first-event", "idle")

/**
 * @since 0.1.0
 * @category models
 */
export type TimeoutKind = typeof TimeoutKind.Type

/**
 * A connection was not made within `timeoutMs` (`connect`), a request took longer (`request`), a stream produced no
 * first event in time (`first-event`), or went quiet between events for too long (`idle`). The underlying HTTP request
 * was aborted. Retryable. As the final failure of a client call, `attempts` and `elapsedMs` say how many attempts
 * were made and how long the call took in all (also in the message).
 *
 * @since 0.1.0
 * @category errors
 */
export class RequestTimeoutError extends Schema.TaggedError<RequestTimeoutError>("bedrock-llm/RequestTimeoutError")(
  "RequestTimeoutError",
  {
    ...common,
    kind: TimeoutKind,
    timeoutMs: Schema.Number,
    attempts: Schema.optional(Schema.Number),
    elapsedMs: Schema.optional(Schema.Number)
  }
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId

  /** @since 0.1.0 */
  get retryable(): boolean {
    return true
  }

  /**
   * This timeout as the final failure of a call of `attempts` attempts that took `elapsedMs` in all.
   *
   * @since 0.1.0
   */
  afterAttempts(attempts: number, elapsedMs: number): RequestTimeoutError {
    const total = elapsedMs < 10_000 ? `${Math.round(elapsedMs)} ms` : `${(elapsedMs / 1000).toFixed(1)} s`
    return new RequestTimeoutError({
      message: `${this.message} (${attempts} ${attempts === 1 ? "attempt" : "attempts"}, ${total} in all)`,
      status: this.status,
      requestId: this.requestId,
      retryAfterMs: this.retryAfterMs,
      origin: this.origin,
      kind: this.kind,
      timeoutMs: this.timeoutMs,
      attempts,
      elapsedMs
    })
  }
}

/**
 * The client is configured so that no request can be sent: no region, a region that is not a region name, no
 * credentials, an unknown profile. `setting` names what to set (`AWS_REGION`, `credentials`, `AWS_PROFILE` ...) and
 * the message says how. Raised by a call when the SDK finds the problem; layers that check the configuration first
 * (`BedrockRuntime.layerConfig`, `LocalBedrock.layer`) fail with a `ConfigError` instead. Not retryable.
 *
 * @since 0.1.0
 * @category errors
 */
export class ConfigurationError extends Schema.TaggedError<ConfigurationError>("bedrock-llm/ConfigurationError")(
  "ConfigurationError",
  {
    ...common,
    setting: Schema.String
  }
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId

  /** @since 0.1.0 */
  get retryable(): boolean {
    return false
  }
}

/**
 * The connection failed: reset, refused, DNS, HTTP/2 session errors, socket timeouts. Retryable unless `aborted`
 * (the caller's own abort/interruption, which is not a failure to retry).
 *
 * @since 0.1.0
 * @category errors
 */
export class TransportError extends Schema.TaggedError<TransportError>("bedrock-llm/TransportError")(
  "TransportError",
  {
    ...common,
    code: Schema.optional(Schema.String),
    aborted: Schema.optionalWith(Schema.Boolean, { default: () => false })
  }
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId

  /** @since 0.1.0 */
  get retryable(): boolean {
    return !this.aborted
  }
}

/**
 * What the service sent does not make a response: its bytes could not be read (an event-stream frame with a wrong
 * checksum or length, a body the SDK could not deserialize; built by `fromSdkError`), or they were read but do not
 * make a valid `Response` (a stream cut before `messageStop`, a tool input that is not JSON, a native body without
 * its content; raised by `Response`'s fold and the native decoders). Not retryable.
 *
 * @since 0.1.0
 * @category errors
 */
export class MalformedResponseError
  extends Schema.TaggedError<MalformedResponseError>("bedrock-llm/MalformedResponseError")(
    "MalformedResponseError",
    common
  )
{
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId

  /** @since 0.1.0 */
  get retryable(): boolean {
    return false
  }
}

/**
 * The former name of `MalformedResponseError`, which `Response`'s fold now fails with too.
 *
 * @deprecated Use `MalformedResponseError`; this alias goes in the next release.
 * @since 0.1.0
 * @category errors
 */
export const MalformedResponse = MalformedResponseError

/**
 * @deprecated Use `MalformedResponseError`.
 * @since 0.1.0
 * @category errors
 */
export type MalformedResponse = MalformedResponseError

/**
 * A conversation Bedrock would reject, found before any request (defined by `Conversation`; re-exported for
 * convenience). Not part of `BedrockError`: it never comes from the service. Not retryable.
 *
 * @since 0.1.0
 * @category errors
 */
export { InvalidConversation } from "./Conversation.js"

/**
 * A stream failed after it had produced events. `cause` is the (typed) failure; `eventsReceived` counts the events
 * delivered before it and `unitsReceived` the caller's measure of them (e.g. characters of text). Retryable when its
 * cause is: a new call may well succeed. The stream itself is never resumed, and a retry of the whole call delivers
 * again the events already received, so retry what consumes the stream (a `collect`, an agent step), not the stream
 * in place.
 *
 * @since 0.1.0
 * @category errors
 */
export class StreamInterruptedError
  extends Schema.TaggedError<StreamInterruptedError>("bedrock-llm/StreamInterruptedError")(
    "StreamInterruptedError",
    {
      ...common,
      cause: Schema.Unknown,
      eventsReceived: Schema.Number,
      unitsReceived: Schema.optional(Schema.Number)
    }
  )
{
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId

  /** @since 0.1.0 */
  get retryable(): boolean {
    return isRetryable(this.cause)
  }
}

/**
 * Any other exception: a service exception this library does not model (its `exceptionName` and `status` are kept),
 * or an unexpected error from the SDK. Retryable when the status is 429 or 5xx.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnknownServiceError extends Schema.TaggedError<UnknownServiceError>("bedrock-llm/UnknownServiceError")(
  "UnknownServiceError",
  {
    ...common,
    exceptionName: Schema.String
  }
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId

  /** @since 0.1.0 */
  get retryable(): boolean {
    return this.status !== undefined && (this.status === 429 || (this.status >= 500 && this.status !== 501))
  }
}

/** The classes of the service errors, each mapping one Bedrock Runtime exception. */
const serviceErrorClasses = [
  ThrottlingError,
  ServiceUnavailableError,
  InternalServerError,
  ModelTimeoutError,
  ModelNotReadyError,
  ModelError,
  ModelStreamError,
  ValidationError,
  AccessDeniedError,
  ResourceNotFoundError,
  ServiceQuotaExceededError,
  ConflictError
] as const

/** The classes of every error the Bedrock client can fail with: the service's and the library's own. */
const bedrockErrorClasses = [
  ...serviceErrorClasses,
  CircuitOpenError,
  RequestTimeoutError,
  TransportError,
  MalformedResponseError,
  StreamInterruptedError,
  ConfigurationError,
  UnknownServiceError
] as const

/**
 * The service errors: those that map one Bedrock Runtime exception.
 *
 * @since 0.1.0
 * @category models
 */
export type ServiceError = InstanceType<(typeof serviceErrorClasses)[number]>

/**
 * Every error the Bedrock client can fail with: the `ServiceError`s, `CircuitOpenError`, `RequestTimeoutError`,
 * `TransportError`, `MalformedResponseError`, `StreamInterruptedError`, `ConfigurationError` and
 * `UnknownServiceError`.
 *
 * @since 0.1.0
 * @category models
 */
export type BedrockError = InstanceType<(typeof bedrockErrorClasses)[number]>

const TAGS: ReadonlySet<string> = new Set(bedrockErrorClasses.map((errorClass) => errorClass._tag))

/**
 * Whether a value is one of this module's errors (a `BedrockError`).
 *
 * @since 0.1.0
 * @category guards
 */
export const isBedrockError = (u: unknown): u is BedrockError =>
  isBedrockLlmError(u) && Predicate.isString(u._tag) && TAGS.has(u._tag)

/**
 * What every error of bedrock-llm has in common: the `TypeId` mark, a `_tag` and a message. Besides the
 * `BedrockError`s that includes `InvalidConversation`, `ModelCatalog.UnknownModel`, `UnsupportedFeature`,
 * the `Message`, `Tool` and `MemoryStore` errors.
 *
 * @since 0.1.0
 * @category models
 */
export interface LibraryError extends Error {
  readonly [TypeId]: TypeId
  readonly _tag: string
}

/**
 * Whether a value is any error of bedrock-llm (it carries `TypeId`), as `AiError.isAiError` does for `@effect/ai`.
 *
 * @example
 * ```ts
 * import { BedrockError } from "bedrock-llm"
 * import { Effect } from "effect"
 *
 * const report = (program: Effect.Effect<string, unknown>) =>
 *   program.pipe(
 *     Effect.catchIf(BedrockError.isBedrockLlmError, (error) => Effect.succeed(`bedrock-llm failed: ${error._tag}`))
 *   )
 * ```
 *
 * @since 0.1.0
 * @category guards
 */
export const isBedrockLlmError = (u: unknown): u is LibraryError => Predicate.hasProperty(u, TypeId)

/**
 * Whether a failure is worth retrying: any value whose `retryable` property is `true` (every `BedrockError` has one;
 * other errors, such as `InvalidConversation`, are never retried).
 *
 * @since 0.1.0
 * @category guards
 */
export const isRetryable = (u: unknown): boolean => Predicate.hasProperty(u, "retryable") && u.retryable === true

/**
 * Whether a failure is the service's throttling (429 `ThrottlingException`, before or inside a stream).
 *
 * @since 0.1.0
 * @category guards
 */
export const isThrottling = (u: unknown): u is ThrottlingError => Predicate.isTagged(u, "ThrottlingError")

const fromDescription = (description: Mapping.Description): BedrockError => {
  const { message, origin, requestId, retryAfterMs, status } = description
  const base = { message, status, requestId, retryAfterMs, origin }
  switch (description._tag) {
    case "Transport":
      return new TransportError({ ...base, code: description.code, aborted: description.aborted })
    case "Malformed":
      return new MalformedResponseError(base)
    case "Unknown":
      return new UnknownServiceError({ ...base, exceptionName: description.exceptionName })
    case "ConnectTimeout":
      return new RequestTimeoutError({ ...base, kind: "connect", timeoutMs: description.timeoutMs })
    case "Configuration":
      return new ConfigurationError({ ...base, setting: description.setting })
    case "Service":
      switch (description.exceptionName) {
        case "ThrottlingException":
          return new ThrottlingError(base)
        case "ServiceUnavailableException":
          return new ServiceUnavailableError(base)
        case "InternalServerException":
          return new InternalServerError(base)
        case "ModelTimeoutException":
          return new ModelTimeoutError(base)
        case "ModelNotReadyException":
          return new ModelNotReadyError(base)
        case "ModelErrorException":
          return new ModelError({
            ...base,
            originalStatusCode: description.originalStatusCode,
            resourceName: description.resourceName
          })
        case "ModelStreamErrorException":
          return new ModelStreamError({
            ...base,
            originalStatusCode: description.originalStatusCode,
            originalMessage: description.originalMessage
          })
        case "ValidationException":
          return new ValidationError(base)
        case "AccessDeniedException":
          return new AccessDeniedError(base)
        case "ResourceNotFoundException":
          return new ResourceNotFoundError(base)
        case "ServiceQuotaExceededException":
          return new ServiceQuotaExceededError(base)
        case "ConflictException":
          return new ConflictError(base)
      }
  }
}

/** How Bedrock words a refused model id: an unknown id (400), an id of the wrong form, a model it cannot find (404). */
const MODEL_ID_REFUSED = {
  ValidationError: /model identifier is invalid|at 'modelId' failed to satisfy/i,
  ResourceNotFoundError: /\bmodel\b/i
} as const

/**
 * A service error that refused the request's model id, naming it, with the nearest catalog ids when the id is not in
 * the catalog (the catalog may be behind the service, so such an id is sent; this is when it was refused).
 */
const namingRefusedModel = (error: BedrockError, modelId: string): BedrockError => {
  const refused = (error._tag === "ValidationError" || error._tag === "ResourceNotFoundError") &&
    MODEL_ID_REFUSED[error._tag].test(error.message)
  if (!refused || error.modelId !== undefined) return error
  const suggestions = Option.isSome(ModelCatalog.resolve(modelId)) ? [] : ModelCatalog.suggest(modelId)
  const hint = suggestions.length === 0 ? "" : `; did you mean ${suggestions.map((id) => `"${id}"`).join(" or ")}?`
  const fields = {
    message: `${error.message} (model id "${modelId}"${hint})`,
    status: error.status,
    requestId: error.requestId,
    retryAfterMs: error.retryAfterMs,
    origin: error.origin,
    modelId,
    suggestions
  }
  return error._tag === "ValidationError" ? new ValidationError(fields) : new ResourceNotFoundError(fields)
}

/**
 * Map anything thrown by the AWS SDK, Node's HTTP stack or the event-stream decoder to a `BedrockError`. SDK
 * exceptions are recognised by name (`ThrottlingException`, or the in-stream member spelling `throttlingException`),
 * status and request id come from `$metadata`, `retryAfterMs` from a `retry-after` response header. Node socket
 * errors (`ECONNRESET`, `ERR_HTTP2_*`, the handler's `TimeoutError` ...) become `TransportError`; an `AbortError`
 * becomes a `TransportError` with `aborted: true` (not retryable: interruption is the caller's decision); a connection
 * not made in time becomes `RequestTimeoutError` (`connect`); the SDK's configuration failures (no region, no
 * credentials) become `ConfigurationError`. Every string kept is redacted and the thrown object itself is not kept.
 * `now` (default `Date.now()`) dates an HTTP-date `retry-after`. `modelId`, the request's model, is named in the
 * error when the service refused it, with the nearest catalog ids (`ModelCatalog.suggest`) when it is not in the
 * catalog.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromSdkError = (
  error: unknown,
  options?: { readonly now?: number | undefined; readonly modelId?: string | undefined }
): BedrockError => {
  const mapped = isBedrockError(error)
    ? error
    : fromDescription(Mapping.describeError(error, options?.now ?? Date.now()))
  return options?.modelId === undefined ? mapped : namingRefusedModel(mapped, options.modelId)
}

/**
 * Map an exception event received inside an event stream (`:message-type: exception`, `:exception-type: <name>`) to
 * the same class as the exception would have before the stream started.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromStreamException = (
  exceptionType: string,
  message: string,
  extra?: {
    readonly requestId?: string | undefined
    readonly originalStatusCode?: number | undefined
    readonly originalMessage?: string | undefined
  }
): BedrockError => fromDescription(Mapping.describeStreamException(exceptionType, message, extra))
