/**
 * The high-level Bedrock client (the seed's BaseClient / AsyncClient): `generate`, `stream`, `generateObject` and
 * `batch` over the Converse API, with conversation validation, the retry policy, the circuit breaker, timeouts,
 * usage and cost accounting, and hooks around every request. `api: "invoke"` (per client or per call) sends the
 * model family's native InvokeModel body instead (see `Models`), with the same checks, policy and `Response`.
 *
 * @since 0.1.0
 */
import type * as Sdk from "@aws-sdk/client-bedrock-runtime"
import * as Arr from "effect/Array"
import * as Chunk from "effect/Chunk"
import * as EffectConfig from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as JSONSchema from "effect/JSONSchema"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as BedrockError from "./BedrockError.js"
import { BedrockRuntime } from "./BedrockRuntime.js"
import * as CircuitBreaker from "./CircuitBreaker.js"
import { CircuitBreakerConfig, ModelConfig, RetryConfig } from "./Config.js"
import * as Conversation from "./Conversation.js"
import { toSdkInferenceConfig } from "./internal/client/requestFields.js"
import { logRetries } from "./internal/client/retryLog.js"
import { plural } from "./internal/plural.js"
import * as SdkShapes from "./internal/sdkShapes.js"
import { withSpan } from "./internal/tracing.js"
import { captureInvocationMetrics, invocationMetricsOf } from "./internal/transport/invocationHeaders.js"
import * as Message from "./Message.js"
import * as ModelCatalog from "./ModelCatalog.js"
import * as Models from "./Models.js"
import * as Resilience from "./Resilience.js"
import * as Response from "./Response.js"

/**
 * The high-level client.
 *
 * @since 0.1.0
 * @category services
 */
export class BedrockClient extends Context.Tag("bedrock-llm/BedrockClient")<BedrockClient, BedrockClient.Service>() {}

/**
 * Any failure of a client call: a Bedrock or transport error, or a request rejected before it was sent (a
 * conversation Bedrock would refuse, or a feature the model family's native body cannot carry).
 *
 * @since 0.1.0
 * @category errors
 */
export type ClientError =
  | BedrockError.BedrockError
  | Conversation.InvalidConversation
  | Response.MalformedResponse
  | Models.UnsupportedFeature

/**
 * `generateObject` received no tool input that decodes with the schema, after every attempt.
 *
 * @since 0.1.0
 * @category errors
 */
export class StructuredOutputError extends Schema.TaggedError<StructuredOutputError>()("StructuredOutputError", {
  message: Schema.String,
  attempts: Schema.Number,
  requestId: Schema.optional(Schema.String)
}) {
  /**
   * @since 0.1.0
   */
  get retryable(): boolean {
    return false
  }
}

/**
 * @since 0.1.0
 */
export declare namespace BedrockClient {
  /**
   * One request: a conversation, optional system blocks and tools, and per-call overrides of the model settings.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Request {
    readonly messages: ReadonlyArray<Message.Message>
    readonly system?: ReadonlyArray<Message.SystemContentBlock> | undefined
    readonly toolConfig?: Conversation.ToolConfiguration | undefined
    readonly model?: ModelOverrides | undefined
    /** The API of this call; default the client's `api`. */
    readonly api?: Api | undefined
  }

  /**
   * Which Bedrock API serves a call: `converse` (Converse / ConverseStream, the default) or `invoke` (InvokeModel /
   * InvokeModelWithResponseStream with the model family's native body, see `Models`).
   *
   * @since 0.1.0
   * @category models
   */
  export type Api = "converse" | "invoke"

  /**
   * What a call accepts: a plain prompt, a conversation, or a full request.
   *
   * @since 0.1.0
   * @category models
   */
  export type Input = string | ReadonlyArray<Message.Message> | Request

  /**
   * Per-call overrides of the client's `ModelConfig`.
   *
   * @since 0.1.0
   * @category models
   */
  export type ModelOverrides = Partial<ConstructorParameters<typeof ModelConfig>[0]>

  /**
   * What hooks learn about a request. Never holds credentials or message content.
   *
   * @since 0.1.0
   * @category models
   */
  export interface RequestInfo {
    readonly operation: "Converse" | "ConverseStream" | "InvokeModel" | "InvokeModelWithResponseStream"
    readonly modelId: string
    /** Per-client sequence number of the call. */
    readonly callId: number
    /** 1 for the first attempt, 2 for the first retry, ... */
    readonly attempt: number
  }

  /**
   * Middleware around each request: `before` every attempt, `after` a success (with its cost), `onRetry` before a
   * retry, `onError` when the call fails for good. A failing hook is logged and ignored.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Hooks {
    readonly before?: ((info: RequestInfo) => Effect.Effect<void>) | undefined
    readonly after?:
      | ((info: RequestInfo, response: Response.Response, cost: ModelCatalog.Cost) => Effect.Effect<void>)
      | undefined
    readonly onRetry?: ((info: RequestInfo, error: BedrockError.BedrockError) => Effect.Effect<void>) | undefined
    readonly onError?: ((info: RequestInfo, error: ClientError) => Effect.Effect<void>) | undefined
  }

  /**
   * Totals since the client was built.
   *
   * @since 0.1.0
   * @category models
   */
  export interface UsageTotals {
    readonly calls: number
    readonly failures: number
    readonly retries: number
    readonly usage: Response.Usage
    /** USD, from the model catalog's prices (0 for models without a price). */
    readonly cost: number
  }

  /**
   * A request of `batch`: higher `priority` starts first (default 0); equal priorities keep their order.
   *
   * @since 0.1.0
   * @category models
   */
  export interface BatchItem {
    readonly input: Input
    readonly priority?: number | undefined
  }

  /**
   * Options of `generateObject`.
   *
   * @since 0.1.0
   * @category models
   */
  export interface ObjectOptions {
    /** Name of the tool the model is forced to call; default `"respond"`. */
    readonly name?: string | undefined
    readonly description?: string | undefined
    /** Calls in all, the first included; default 3. */
    readonly attempts?: number | undefined
  }

  /**
   * The service.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    /** The client's model settings. */
    readonly model: ModelConfig
    /** One Converse call. */
    readonly generate: (input: Input) => Effect.Effect<Response.Response, ClientError>
    /** One ConverseStream call; folding its events (`Response.fromEvents`) gives what `generate` returns. */
    readonly stream: (input: Input) => Stream.Stream<Response.StreamEvent, ClientError>
    /**
     * The events of `stream` as a pull, for consumers that drive the stream themselves (the `Agent` does): each run
     * gives the next chunk and fails with `None` at the end. The call is made on the first pull and lives as long as
     * the scope.
     */
    readonly streamPull: (input: Input) => Effect.Effect<Pull<Response.StreamEvent, ClientError>, never, Scope.Scope>
    /** A value of the schema, produced by a forced tool call and decoded; retried with the decode error. */
    readonly generateObject: <A, I>(
      schema: Schema.Schema<A, I>,
      input: Input,
      options?: ObjectOptions
    ) => Effect.Effect<A, ClientError | StructuredOutputError>
    /** Many calls with bounded concurrency; results in input order. */
    readonly batch: (
      items: Iterable<Input | BatchItem>,
      options?: { readonly concurrency?: number | undefined }
    ) => Effect.Effect<Array<Either.Either<Response.Response, ClientError>>>
    /** The cost of a response under this client's model (USD). */
    readonly cost: (response: Response.Response) => Effect.Effect<ModelCatalog.Cost>
    /** Totals since the client was built. */
    readonly usage: Effect.Effect<UsageTotals>
  }

  /**
   * Options of `make` and `layer`.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Options {
    readonly model: ModelConfig | ConstructorParameters<typeof ModelConfig>[0]
    readonly retry?: RetryConfig | ConstructorParameters<typeof RetryConfig>[0] | undefined
    /** Breaker settings, or `false` for none. Ignored when a `CircuitBreaker` service is provided. */
    readonly circuitBreaker?:
      | CircuitBreakerConfig
      | ConstructorParameters<typeof CircuitBreakerConfig>[0]
      | false
      | undefined
    readonly hooks?: ReadonlyArray<Hooks> | undefined
    /** The API of every call unless a request says otherwise; default `"converse"`. */
    readonly api?: Api | undefined
  }
}

/**
 * A stream driven one chunk at a time: each run gives the next chunk and fails with `None` at the end.
 *
 * @since 0.1.0
 * @category models
 */
export type Pull<A, E> = Effect.Effect<Chunk.Chunk<A>, Option.Option<E>>

/**
 * The stream of a pull that is opened, on the first pull, in a scope of its own, closed when the stream ends (done,
 * failed, interrupted or left early). What `Stream.fromPull` does, at about 60% of its cost per stream run (measured
 * in the hot loop: a stream's setup is a visible share of a short answer's cost).
 */
const streamOfPull = <A, E, R>(
  open: Effect.Effect<Pull<A, E>, never, R | Scope.Scope>
): Stream.Stream<A, E, Exclude<R, Scope.Scope>> =>
  Stream.suspend(() => {
    // Made by the first pull (making it here would run a fiber of its own), closed when the stream ends.
    let scope: Scope.CloseableScope | undefined
    let pull: Pull<A, E> | undefined
    const next = Effect.suspend(() =>
      pull ?? Effect.flatMap(Scope.make(), (made) => {
        scope = made
        return Effect.flatMap(Scope.extend(open, made), (opened) => {
          pull = opened
          return opened
        })
      })
    )
    const close = Effect.suspend(() => scope === undefined ? Effect.void : Scope.close(scope, Exit.void))
    return Stream.ensuring(Stream.repeatEffectChunkOption(next), close)
  })

const isBatchItem = (u: BedrockClient.Input | BedrockClient.BatchItem): u is BedrockClient.BatchItem =>
  typeof u === "object" && u !== null && !Array.isArray(u) && "input" in u

const toRequest = (input: BedrockClient.Input): BedrockClient.Request =>
  typeof input === "string"
    ? { messages: [Message.user(input)] }
    : Array.isArray(input)
    ? { messages: input as ReadonlyArray<Message.Message> }
    : (input as BedrockClient.Request)

const RequestShape = Schema.Struct({
  messages: Schema.Array(Message.Message),
  system: Schema.optional(Schema.Array(Message.SystemContentBlock)),
  toolConfig: Schema.optional(Conversation.ToolConfiguration)
})

const validateRequestShape = Schema.validateEither(RequestShape)

/** The first issue of a parse error as `path: problem`. */
const firstIssue = (error: ParseResult.ParseError): string => {
  const [issue] = ParseResult.ArrayFormatter.formatErrorSync(error)
  if (issue === undefined) return error.message
  const problem = issue.message.length > 240
    ? `${issue.message.slice(0, 160)} ... ${issue.message.slice(-60)}`
    : issue.message
  return `${issue.path.join(".") || "(root)"}: ${problem}`
}

/** A request whose messages, system blocks or tools are not of their schema fails before any call, naming the path. */
const requestShapeError = (request: BedrockClient.Request): BedrockError.ValidationError | undefined => {
  const result = validateRequestShape(request)
  return Either.isLeft(result)
    ? new BedrockError.ValidationError({ message: `invalid request: ${firstIssue(result.left)}` })
    : undefined
}

/** Fields Bedrock refuses when blank: system text blocks and stop sequences. */
const blankFieldError = (
  request: BedrockClient.Request,
  config: ModelConfig
): BedrockError.ValidationError | undefined => {
  const blankSystem = (config.system !== undefined && config.system.length > 0 && config.system.trim() === "")
    ? "system"
    : (request.system ?? []).flatMap((block, index) =>
      block._tag === "Text" && block.text.trim() === "" ? [`system.${index}`] : []
    )[0]
  if (blankSystem !== undefined) {
    return new BedrockError.ValidationError({
      message: `invalid request: ${blankSystem}: system text must not be blank`
    })
  }
  const emptyStop = (config.stopSequences ?? []).findIndex((sequence) => sequence.length === 0)
  if (emptyStop >= 0) {
    return new BedrockError.ValidationError({
      message: `invalid model settings: stopSequences.${emptyStop}: a stop sequence must not be empty`
    })
  }
  return undefined
}

/** What a request may override: any field of `ModelConfig`, each checked on its own (they are independent). */
const validateModelOverrides = Schema.validateEither(Schema.partial(Schema.Struct(ModelConfig.fields)))

/**
 * The client's model settings with a request's overrides; invalid ones fail before any call, naming the field. Only
 * the overrides are validated: the client's settings already were, and validating the whole `ModelConfig` again was
 * the largest step of a call's preparation.
 */
const modelOverrides = (
  model: ModelConfig,
  overrides: BedrockClient.ModelOverrides
): Either.Either<ModelConfig, BedrockError.ValidationError> =>
  Either.match(validateModelOverrides(overrides), {
    onLeft: (error) =>
      Either.left(new BedrockError.ValidationError({ message: `invalid model settings: ${firstIssue(error)}` })),
    onRight: () => Either.right(new ModelConfig({ ...model, ...overrides }, true))
  })

const emptyTotals: BedrockClient.UsageTotals = {
  calls: 0,
  failures: 0,
  retries: 0,
  usage: Response.Usage.empty,
  cost: 0
}

const zeroCost: ModelCatalog.Cost = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 }

/**
 * A hook that logs every request and retry at debug level and failures at warning level (no content, no
 * credentials). Retries are also logged at Info by the client itself, with their cause and delay, hooks or not.
 *
 * @since 0.1.0
 * @category hooks
 */
export const loggingHooks: BedrockClient.Hooks = {
  before: (info) =>
    Effect.logDebug(`bedrock ${info.operation} call ${info.callId} attempt ${info.attempt}`).pipe(
      Effect.annotateLogs({ modelId: info.modelId })
    ),
  after: (info, response, cost) =>
    Effect.logDebug(
      `bedrock ${info.operation} call ${info.callId} done: ${response.stopReason}, ${response.usage.inputTokens} in / ${response.usage.outputTokens} out tokens, $${
        cost.total.toFixed(6)
      }`
    ).pipe(Effect.annotateLogs({ modelId: info.modelId, requestId: response.requestId ?? "" })),
  onRetry: (info, error) =>
    Effect.annotateLogs(
      Effect.logDebug(`bedrock ${info.operation} call ${info.callId} retrying after ${error._tag}: ${error.message}`),
      { modelId: info.modelId }
    ),
  onError: (info, error) =>
    Effect.logWarning(`bedrock ${info.operation} call ${info.callId} failed: ${error._tag}: ${error.message}`).pipe(
      Effect.annotateLogs({ modelId: info.modelId })
    )
}

/**
 * Builds the client over the `BedrockRuntime` in context. A `CircuitBreaker` or `ModelCatalog` service in context is
 * used when present; otherwise the client makes its own.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: BedrockClient.Options
): Effect.Effect<BedrockClient.Service, never, BedrockRuntime> =>
  Effect.gen(function*() {
    const runtime = yield* BedrockRuntime
    yield* Effect.sync(() => captureInvocationMetrics(runtime.sdk))
    const model = options.model instanceof ModelConfig ? options.model : new ModelConfig(options.model)
    const retryConfig = options.retry instanceof RetryConfig ? options.retry : new RetryConfig(options.retry ?? {})
    const breaker = yield* Effect.serviceOption(CircuitBreaker.CircuitBreaker).pipe(
      Effect.flatMap(Option.match({
        onSome: (breaker) => Effect.succeed(Option.some(breaker)),
        onNone: () =>
          options.circuitBreaker === false
            ? Effect.succeed(Option.none())
            : Effect.map(CircuitBreaker.make(options.circuitBreaker ?? {}), Option.some)
      }))
    )
    const catalog = yield* Effect.serviceOption(ModelCatalog.ModelCatalog).pipe(
      Effect.flatMap(Option.match({ onSome: Effect.succeed, onNone: () => ModelCatalog.make() }))
    )
    const hooks = options.hooks ?? []
    let totals = emptyTotals

    const runHooks = <Args extends ReadonlyArray<unknown>>(
      pick: (hooks: BedrockClient.Hooks) => ((...args: Args) => Effect.Effect<void>) | undefined,
      ...args: Args
    ): Effect.Effect<void> =>
      hooks.length === 0 ? Effect.void : Effect.forEach(hooks, (hook) => {
        const run = pick(hook)
        return run === undefined
          ? Effect.void
          : Effect.catchAllCause(run(...args), (cause) => Effect.logWarning("bedrock-llm hook failed", cause))
      }, { discard: true })

    const protect = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | BedrockError.CircuitOpenError, R> =>
      Option.match(breaker, { onNone: () => effect, onSome: (breaker) => breaker.protect(effect) })

    const costOf = (modelId: string, usage: Response.Usage): Effect.Effect<ModelCatalog.Cost> =>
      catalog.cost(modelId, usage).pipe(Effect.orElseSucceed(() => zeroCost))

    let lastCallId = 0

    interface Prepared {
      readonly config: ModelConfig
      readonly info: Option.Option<ModelCatalog.ModelInfo>
      readonly callId: number
      readonly target: Target
    }

    type Target =
      | ReturnType<typeof converseTarget>
      | Effect.Effect.Success<ReturnType<typeof nativeTarget>>

    /** Everything checked before a call: the request's shape, settings and conversation, and the catalog's limits. */
    const checked = (
      input: BedrockClient.Input
    ): Either.Either<{ readonly request: BedrockClient.Request; readonly config: ModelConfig }, ClientError> => {
      const request = toRequest(input)
      const shapeError = requestShapeError(request)
      if (shapeError !== undefined) return Either.left(shapeError)
      const config = request.model === undefined ? Either.right(model) : modelOverrides(model, request.model)
      if (Either.isLeft(config)) return Either.left(config.left)
      const invalid = Conversation.check(request.messages, { toolConfig: request.toolConfig })
      if (Option.isSome(invalid)) return Either.left(invalid.value)
      const blank = blankFieldError(request, config.right)
      return blank === undefined ? Either.right({ request, config: config.right }) : Either.left(blank)
    }

    const prepare = (input: BedrockClient.Input, streaming: boolean) =>
      Effect.suspend(() => {
        const valid = checked(input)
        if (Either.isLeft(valid)) return Effect.fail(valid.left)
        const { config, request } = valid.right
        return Effect.flatMap(catalog.find(config.modelId), (info): Effect.Effect<Prepared, ClientError> => {
          if (Option.isSome(info) && config.maxTokens !== undefined) {
            const check = ModelCatalog.checkMaxTokens(info.value, config.maxTokens)
            if (Either.isLeft(check)) return Effect.fail(new BedrockError.ValidationError({ message: check.left }))
          }
          const withTarget = (target: Target) => ({ config, info, callId: ++lastCallId, target })
          return (request.api ?? options.api ?? "converse") === "invoke"
            ? Effect.map(nativeTarget(request, config, Option.map(info, (found) => found.family)), withTarget)
            : Effect.succeed(withTarget(converseTarget(request, config, streaming)))
        })
      })

    const converseTarget = (request: BedrockClient.Request, config: ModelConfig, streaming: boolean) => {
      const fields = toSdkInferenceConfig(config, { streaming })
      const system = [
        ...(fields.system ?? []),
        ...(request.system ?? []).map(SdkShapes.systemBlockToSdk)
      ]
      return {
        api: "converse" as const,
        input: {
          ...fields,
          modelId: config.modelId,
          messages: request.messages.map(SdkShapes.messageToSdk),
          ...(system.length > 0 ? { system } : {}),
          ...(request.toolConfig === undefined ? {} : { toolConfig: SdkShapes.toolConfigToSdk(request.toolConfig) })
        }
      }
    }

    const nativeTarget = (
      request: BedrockClient.Request,
      config: ModelConfig,
      catalogFamily: Option.Option<ModelCatalog.Family>
    ) =>
      Effect.gen(function*() {
        const family = Option.orElse(catalogFamily, () => Models.familyOf(config.modelId))
        const implementation = Option.flatMap(family, Models.forFamily)
        if (Option.isNone(implementation)) {
          const name = Option.getOrElse(family, () => "unknown")
          return yield* new Models.UnsupportedFeature({
            message: `native InvokeModel is not supported for model ${config.modelId} (family ${name})`,
            family: name,
            feature: "native InvokeModel",
            modelId: config.modelId
          })
        }
        const body = yield* implementation.value.encodeRequest({
          messages: request.messages,
          system: request.system,
          toolConfig: request.toolConfig,
          model: config
        })
        const guardrail = config.guardrail
        return {
          api: "invoke" as const,
          implementation: implementation.value,
          input: {
            modelId: config.modelId,
            body: new TextEncoder().encode(JSON.stringify(body)),
            contentType: "application/json",
            accept: "application/json",
            ...(guardrail === undefined ? {} : {
              guardrailIdentifier: guardrail.identifier,
              guardrailVersion: guardrail.version,
              ...(guardrail.trace === undefined
                ? {}
                : { trace: guardrail.trace.toUpperCase() as "ENABLED" | "DISABLED" | "ENABLED_FULL" })
            }),
            ...(config.latency === undefined ? {} : { performanceConfigLatency: config.latency }),
            ...(config.serviceTier === undefined ? {} : { serviceTier: config.serviceTier })
          }
        }
      })

    const decodeNative = (
      implementation: Models.ModelImplementation,
      output: {
        readonly body?: Uint8Array | undefined
        readonly $metadata: { readonly requestId?: string | undefined }
      }
    ): Effect.Effect<Response.Response, Response.MalformedResponse> => {
      const requestId = output.$metadata.requestId
      const body = Either.try(() => JSON.parse(new TextDecoder().decode(output.body ?? new Uint8Array(0))) as unknown)
      return Either.isLeft(body)
        ? Effect.fail(
          new Response.MalformedResponse({
            message: "the InvokeModel body is not JSON",
            ...(requestId === undefined ? {} : { requestId })
          })
        )
        : implementation.decodeResponse(body.right, requestId, invocationMetricsOf(output))
    }

    /** The cost of a response at the catalog entry found when the call was prepared (0 for a model not in it). */
    const priceOf = (prepared: Prepared, usage: Response.Usage): ModelCatalog.Cost =>
      Option.isSome(prepared.info) ? ModelCatalog.costOf(prepared.info.value, usage, prepared.config.modelId) : zeroCost

    /** Adds a successful call to the totals; its cost. */
    const recordUsage = (prepared: Prepared, usage: Response.Usage): ModelCatalog.Cost => {
      const cost = priceOf(prepared, usage)
      totals = {
        ...totals,
        calls: totals.calls + 1,
        usage: Response.Usage.add(totals.usage, usage),
        cost: totals.cost + cost.total
      }
      return cost
    }

    const record = (prepared: Prepared, usage: Response.Usage) => Effect.sync(() => void recordUsage(prepared, usage))

    const account = (prepared: Prepared, info: BedrockClient.RequestInfo, response: Response.Response) =>
      Effect.suspend(() => runHooks((h) => h.after, info, response, recordUsage(prepared, response.usage)))

    const failed = (info: () => BedrockClient.RequestInfo) => (error: ClientError) =>
      Effect.suspend(() => {
        totals = { ...totals, calls: totals.calls + 1, failures: totals.failures + 1 }
        return runHooks((h) => h.onError, info(), error)
      })

    /**
     * Attempt bookkeeping of one call: the attempt number, the `onRetry` and `before` hooks, the last error, the retry
     * policy (each retry logged at Info) and the call's final failure (a timeout then says how many attempts were made
     * and the time they took in all).
     */
    const attempts = (operation: BedrockClient.RequestInfo["operation"], modelId: string, callId: number) => {
      let attempt = 0
      let startedAt = 0
      let lastError: BedrockError.BedrockError | undefined
      const info = (): BedrockClient.RequestInfo => ({ operation, modelId, callId, attempt })
      const begin = Effect.clockWith((clock) => {
        attempt++
        if (attempt === 1) startedAt = clock.unsafeCurrentTimeMillis()
        if (lastError !== undefined) totals = { ...totals, retries: totals.retries + 1 }
        if (hooks.length === 0) return Effect.void
        const retrying = lastError === undefined ? Effect.void : runHooks((h) => h.onRetry, info(), lastError)
        return Effect.zipRight(retrying, runHooks((h) => h.before, info()))
      })
      const remember = (error: BedrockError.BedrockError) =>
        Effect.sync(() => {
          lastError = error
        })
      const retries = () =>
        logRetries(retrySchedule, `${operation} call ${callId}`, retryConfig.maxAttempts, { modelId })
      const failFinal = <E extends ClientError>(error: E): Effect.Effect<never, E | BedrockError.RequestTimeoutError> =>
        error._tag === "RequestTimeoutError"
          ? Effect.clockWith((clock) =>
            Effect.fail(error.afterAttempts(attempt, clock.unsafeCurrentTimeMillis() - startedAt))
          )
          : Effect.fail(error)
      return { info, begin, remember, retries, failFinal }
    }

    const retrySchedule = Resilience.retrySchedule(retryConfig)

    /** One call: hooks, breaker and retry around `send` (its deadline is the runtime's), then `decode`, accounting. */
    const call = <Output>(
      prepared: Prepared,
      operation: BedrockClient.RequestInfo["operation"],
      send: Effect.Effect<Output, BedrockError.BedrockError>,
      decode: (output: Output) => Effect.Effect<Response.Response, Response.MalformedResponse>
    ): Effect.Effect<Response.Response, ClientError> => {
      const attempt = attempts(operation, prepared.config.modelId, prepared.callId)
      const once = Effect.tapError(Effect.zipRight(attempt.begin, protect(send)), attempt.remember)
      return Resilience.retryOnFailure(once, attempt.retries()).pipe(
        Effect.catchAll(attempt.failFinal),
        Effect.flatMap((output) =>
          Effect.flatMap(decode(output), (response) => Effect.as(account(prepared, attempt.info(), response), response))
        ),
        Effect.tapError(failed(attempt.info))
      )
    }

    const generate = (input: BedrockClient.Input): Effect.Effect<Response.Response, ClientError> =>
      Effect.flatMap(prepare(input, false), (prepared) => {
        const target = prepared.target
        return target.api === "converse"
          ? call(prepared, "Converse", runtime.converse(target.input), SdkShapes.responseFromSdk)
          : call(
            prepared,
            "InvokeModel",
            runtime.invokeModel(target.input),
            (output) => decodeNative(target.implementation, output)
          )
      }).pipe(withSpan("BedrockClient.generate"))

    /** Converse stream members as client events (exception members already failed the runtime's pull). */
    const clientEvents = (members: Chunk.Chunk<Sdk.ConverseStreamOutput>): Chunk.Chunk<Response.StreamEvent> => {
      const events: Array<Response.StreamEvent> = []
      for (const member of Chunk.toReadonlyArray(members)) {
        const event = SdkShapes.streamEventFromSdk(member)
        if (!SdkShapes.isStreamException(event)) events.push(event)
      }
      return Chunk.unsafeFromArray(events)
    }

    /**
     * One streaming call as a pull, opened on the first pull: hooks and breaker around each attempt, the retry policy
     * while no event has been delivered (each attempt in a scope of its own, closed before the next), a
     * `StreamInterruptedError` after, then accounting at the end (the deadlines are the runtime's). One pull instead
     * of a pipeline of `Stream` stages: a stream's setup is a visible share of a short answer's cost.
     */
    const streamCall = (prepared: Prepared, scope: Scope.Scope): Pull<Response.StreamEvent, ClientError> => {
      const target = prepared.target
      const attempt = attempts(
        target.api === "converse" ? "ConverseStream" : "InvokeModelWithResponseStream",
        prepared.config.modelId,
        prepared.callId
      )
      const open: Effect.Effect<Pull<Response.StreamEvent, ClientError>, ClientError, Scope.Scope> =
        target.api === "converse"
          ? Effect.map(
            protect(runtime.converseStream(target.input)),
            (opened) => Effect.map(opened.pull, clientEvents)
          )
          : Effect.flatMap(
            protect(runtime.invokeModelWithResponseStream(target.input)),
            (opened) => Stream.toPull(target.implementation.decodeStream(opened.events, opened.requestId))
          )
      // The `after` hooks get the whole response; without hooks, the totals need only the `Metadata` event's usage.
      let usage: Response.Usage | undefined
      let accumulator = Response.Accumulator.empty
      const observe = (chunk: Chunk.Chunk<Response.StreamEvent>) => {
        const events = Chunk.toReadonlyArray(chunk)
        if (hooks.length === 0) {
          for (const event of events) if (event._tag === "Metadata") usage = event.usage
        } else {
          for (const event of events) accumulator = accumulator.add(event)
        }
      }
      const ended = Effect.suspend(() =>
        hooks.length === 0
          ? usage === undefined ? Effect.void : record(prepared, usage)
          : Either.match(accumulator.toResponse(), {
            onLeft: () => Effect.void,
            onRight: (response) => account(prepared, attempt.info(), response)
          })
      )

      let delivered = 0
      let finished = false
      /** The open attempt's next chunk, with its bookkeeping (built once per attempt, run once per chunk). */
      let events: Pull<Response.StreamEvent, ClientError> | undefined
      let attemptScope: Scope.CloseableScope | undefined
      let driver: Schedule.ScheduleDriver<Duration.Duration, unknown> | undefined

      const begin = Effect.flatMap(Scope.fork(scope, ExecutionStrategy.sequential), (child) => {
        attemptScope = child
        return Scope.extend(Effect.zipRight(attempt.begin, open), child)
      })
      const closeAttempt = (error: ClientError) =>
        Effect.suspend(() => {
          const child = attemptScope
          attemptScope = undefined
          events = undefined
          return child === undefined ? Effect.void : Scope.close(child, Exit.fail(error))
        })
      const fail = (error: ClientError) =>
        Effect.catchAll(
          attempt.failFinal(error),
          (final) => Effect.zipRight(failed(attempt.info)(final), Effect.fail(Option.some(final)))
        )
      const failure = (
        error: ClientError
      ): Effect.Effect<Chunk.Chunk<Response.StreamEvent>, Option.Option<ClientError>> =>
        Effect.zipRight(
          BedrockError.isBedrockError(error) ? attempt.remember(error) : Effect.void,
          delivered > 0
            ? fail(Resilience.interruptedError(error, delivered, undefined))
            : !BedrockError.isRetryable(error)
            ? fail(error)
            : Effect.zipRight(
              closeAttempt(error),
              Effect.flatMap(
                driver === undefined ? Schedule.driver(attempt.retries()) : Effect.succeed(driver),
                (current) => {
                  driver = current
                  return Effect.matchEffect(current.next(error), {
                    onFailure: () => fail(error),
                    onSuccess: () => pull
                  })
                }
              )
            )
        )
      const pull: Pull<Response.StreamEvent, ClientError> = Effect.suspend(() => {
        if (finished) return Effect.fail(Option.none())
        if (events === undefined) {
          return Effect.matchEffect(begin, {
            onFailure: failure,
            onSuccess: (opened) => {
              events = Effect.matchEffect(opened, {
                onSuccess: (chunk) => {
                  delivered += chunk.length
                  observe(chunk)
                  return Effect.succeed(chunk)
                },
                onFailure: (error) => {
                  if (Option.isSome(error)) return failure(error.value)
                  finished = true
                  return Effect.zipRight(ended, Effect.fail(Option.none()))
                }
              })
              return events
            }
          })
        }
        return events
      })
      return pull
    }

    const streamPull = (
      input: BedrockClient.Input
    ): Effect.Effect<Pull<Response.StreamEvent, ClientError>, never, Scope.Scope> =>
      Effect.map(Effect.scope, (scope) => {
        let call: Pull<Response.StreamEvent, ClientError> | undefined
        return Effect.suspend(() =>
          call ?? Effect.matchEffect(prepare(input, true), {
            onFailure: (error) => Effect.fail(Option.some(error)),
            onSuccess: (prepared) => {
              call = streamCall(prepared, scope)
              return call
            }
          })
        )
      })

    const stream = (input: BedrockClient.Input): Stream.Stream<Response.StreamEvent, ClientError> =>
      streamOfPull(streamPull(input))

    const generateObject = <A, I>(
      schema: Schema.Schema<A, I>,
      input: BedrockClient.Input,
      objectOptions?: BedrockClient.ObjectOptions
    ): Effect.Effect<A, ClientError | StructuredOutputError> =>
      Effect.gen(function*() {
        const name = objectOptions?.name ?? "respond"
        const attempts = Math.max(1, objectOptions?.attempts ?? 3)
        const request = toRequest(input)
        const toolConfig = Conversation.toolConfig([
          Conversation.toolSpec({
            name,
            description: objectOptions?.description ?? "Return the answer as this tool's input, following its schema.",
            inputSchema: JSONSchema.make(schema) as unknown as Message.JsonObject
          })
        ], Conversation.toolChoiceTool(name))
        const decode = ParseResult.decodeUnknownEither(schema)
        let messages = request.messages
        let lastProblem = "the model did not call the tool"
        let requestId: string | undefined
        for (let attempt = 1; attempt <= attempts; attempt++) {
          const response = yield* generate({ ...request, messages, toolConfig })
          requestId = response.requestId
          const use = Response.toolUses(response).find((use) => use.name === name)
          if (use !== undefined) {
            const decoded = decode(use.input)
            if (Either.isRight(decoded)) return decoded.right
            lastProblem = ParseResult.TreeFormatter.formatIssueSync(decoded.left)
            messages = [
              ...messages,
              response.message,
              Message.user([Message.toolResult(use.toolUseId, `Invalid input: ${lastProblem}`, { status: "error" })])
            ]
          } else {
            messages = [
              ...messages,
              response.message,
              Message.user(`Call the ${name} tool with the answer.`)
            ]
          }
        }
        return yield* Effect.fail(
          new StructuredOutputError({
            message: `no valid "${name}" tool input after ${plural(attempts, "attempt")}: ${lastProblem}`,
            attempts,
            ...(requestId === undefined ? {} : { requestId })
          })
        )
      }).pipe(withSpan("BedrockClient.generateObject"))

    const batch = (
      items: Iterable<BedrockClient.Input | BedrockClient.BatchItem>,
      batchOptions?: { readonly concurrency?: number | undefined }
    ) => {
      const indexed = Arr.fromIterable(items).map((item, index) =>
        isBatchItem(item)
          ? { index, input: item.input, priority: item.priority ?? 0 }
          : { index, input: item, priority: 0 }
      )
      const ordered = [...indexed].sort((a, b) => b.priority - a.priority || a.index - b.index)
      return Effect.gen(function*() {
        const results = new Array<Either.Either<Response.Response, ClientError>>(indexed.length)
        yield* Effect.forEach(
          ordered,
          (item) =>
            Effect.map(Effect.either(generate(item.input)), (result) => {
              results[item.index] = result
            }),
          { concurrency: batchOptions?.concurrency ?? 8, discard: true }
        )
        return results
      }).pipe(withSpan("BedrockClient.batch"))
    }

    return {
      model,
      generate,
      stream,
      streamPull,
      generateObject,
      batch,
      cost: (response) => costOf(model.modelId, response.usage),
      usage: Effect.sync(() => totals)
    }
  })

/**
 * A Layer of the client over the `BedrockRuntime` in context, e.g.
 * `BedrockClient.layer({ model: { modelId } }).pipe(Layer.provide(BedrockRuntime.layerConfig()))`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: BedrockClient.Options): Layer.Layer<BedrockClient, never, BedrockRuntime> =>
  Layer.effect(BedrockClient, make(options))

/**
 * A Layer whose model, retry and breaker settings come from the environment (`BEDROCK_MODEL_ID`,
 * `BEDROCK_RETRY_*`, `BEDROCK_BREAKER_*`; see the Config module). `defaultModelId` is used when `BEDROCK_MODEL_ID` is
 * not set.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (options?: {
  readonly defaultModelId?: string | undefined
  readonly hooks?: ReadonlyArray<BedrockClient.Hooks> | undefined
}): Layer.Layer<BedrockClient, ConfigError.ConfigError, BedrockRuntime> =>
  Layer.effect(
    BedrockClient,
    Effect.flatMap(
      EffectConfig.all({
        model: options?.defaultModelId === undefined
          ? ModelConfig.fromEnv
          : ModelConfig.fromEnvWithDefaultModel(options.defaultModelId),
        retry: RetryConfig.fromEnv,
        circuitBreaker: CircuitBreakerConfig.fromEnv
      }),
      (config) => make({ ...config, hooks: options?.hooks })
    )
  )

/**
 * `generate` with the client in context.
 *
 * @since 0.1.0
 * @category accessors
 */
export const generate = (input: BedrockClient.Input): Effect.Effect<Response.Response, ClientError, BedrockClient> =>
  Effect.flatMap(BedrockClient, (client) => client.generate(input))

/**
 * `stream` with the client in context.
 *
 * @since 0.1.0
 * @category accessors
 */
export const stream = (input: BedrockClient.Input): Stream.Stream<Response.StreamEvent, ClientError, BedrockClient> =>
  streamOfPull(Effect.flatMap(BedrockClient, (client) => client.streamPull(input)))

/**
 * `generateObject` with the client in context.
 *
 * @since 0.1.0
 * @category accessors
 */
export const generateObject = <A, I>(
  schema: Schema.Schema<A, I>,
  input: BedrockClient.Input,
  options?: BedrockClient.ObjectOptions
): Effect.Effect<A, ClientError | StructuredOutputError, BedrockClient> =>
  Effect.flatMap(BedrockClient, (client) => client.generateObject(schema, input, options))

/**
 * The text deltas of a stream, as strings (for printing to a terminal).
 *
 * @since 0.1.0
 * @category combinators
 */
export const textDeltas = <E, R>(events: Stream.Stream<Response.StreamEvent, E, R>): Stream.Stream<string, E, R> =>
  Stream.filterMap(
    events,
    (event) =>
      event._tag === "ContentBlockDelta" && event.delta._tag === "TextDelta"
        ? Option.some(event.delta.text)
        : Option.none()
  )

/**
 * Runs `f` on every text delta of a stream (e.g. to print it) and passes every event on.
 *
 * @since 0.1.0
 * @category combinators
 */
export const tapText =
  <R2>(f: (text: string) => Effect.Effect<void, never, R2>) =>
  <E, R>(events: Stream.Stream<Response.StreamEvent, E, R>): Stream.Stream<Response.StreamEvent, E, R | R2> =>
    Stream.tap(events, (event) => {
      const delta = event._tag === "ContentBlockDelta" ? event.delta : undefined
      return delta?._tag === "TextDelta" ? f(delta.text) : Effect.void
    })

/**
 * Folds a stream of events into the `Response` that `generate` would have returned.
 *
 * @since 0.1.0
 * @category combinators
 */
export const collect = <E, R>(
  events: Stream.Stream<Response.StreamEvent, E, R>
): Effect.Effect<Response.Response, E | Response.MalformedResponse, R> =>
  Effect.flatMap(Stream.runFold(events, Response.Accumulator.empty, Response.accumulate), (acc) => acc.toResponse())
