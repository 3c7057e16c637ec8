/**
 * The high-level Bedrock client: `generate`, `stream`, `generateObject` and
 * `batch` over the Converse API, with conversation validation, the retry policy, the circuit breaker, timeouts,
 * usage and cost accounting, and hooks around every request. `api: "invoke"` (per client or per call) sends the
 * model family's native InvokeModel body instead (see `Models`), with the same checks, policy and `Response`.
 *
 * @example
 * ```ts
 * import * as Effect from "effect/Effect"
 * import * as Layer from "effect/Layer"
 * import * as Stream from "effect/Stream"
 * import * as BedrockClient from "bedrock-llm/BedrockClient"
 * import * as LocalBedrock from "bedrock-llm/LocalBedrock"
 * import * as Response from "bedrock-llm/Response"
 *
 * const program = Effect.gen(function*() {
 *   const answer = yield* BedrockClient.generate("What is the capital of France?")
 *   console.log(Response.text(answer), answer.usage)
 *   yield* BedrockClient.stream("Tell me a story").pipe(
 *     BedrockClient.tapText((text) => Effect.sync(() => process.stdout.write(text))),
 *     Stream.runDrain
 *   )
 * })
 *
 * const ClientLive = BedrockClient.layer({ model: { modelId: "amazon.nova-micro-v1:0" } }).pipe(
 *   Layer.provide(LocalBedrock.layer())
 * )
 * Effect.runPromise(Effect.provide(program, ClientLive))
 * ```
 *
 * @since 0.1.0
 */
import * as Arr from "effect/Array"
import type * as Chunk from "effect/Chunk"
import * as EffectConfig from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type * as Tracer from "effect/Tracer"
import { CircuitBreakerConfig, ModelConfig, RetryConfig } from "./BedrockConfig.js"
import type * as BedrockError from "./BedrockError.js"
import { BedrockRuntime } from "./BedrockRuntime.js"
import * as CircuitBreaker from "./CircuitBreaker.js"
import type * as Conversation from "./Conversation.js"
import * as CallPolicy from "./internal/client/callPolicy.js"
import * as Prepare from "./internal/client/prepareRequest.js"
import * as PullStream from "./internal/client/pullStream.js"
import * as StreamCall from "./internal/client/streamCall.js"
import * as StructuredOutput from "./internal/client/structuredOutput.js"
import * as SdkShapes from "./internal/sdkShapes.js"
import * as Attributes from "./internal/telemetry/attributes.js"
import * as Progress from "./internal/telemetry/progress.js"
import * as Span from "./internal/telemetry/span.js"
import { withSpan } from "./internal/tracing.js"
import type * as Message from "./Message.js"
import * as ModelCatalog from "./ModelCatalog.js"
import type * as NativeBodies from "./NativeBodies.js"
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
  | BedrockError.MalformedResponseError
  | NativeBodies.UnsupportedFeature

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
   * Options of `batch`.
   *
   * @since 0.1.0
   * @category models
   */
  export interface BatchOptions {
    /** Calls in flight at once; default 8. */
    readonly concurrency?: number | undefined
    /**
     * Called on every finished item with the batch's progress: done of total, failures, tokens and cost so far (draw
     * it with `Telemetry.terminalBar`).
     */
    readonly onProgress?: ((progress: Progress.Progress) => Effect.Effect<void>) | undefined
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
      options?: BatchOptions
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

const isBatchItem = (u: BedrockClient.Input | BedrockClient.BatchItem): u is BedrockClient.BatchItem =>
  typeof u === "object" && u !== null && !Array.isArray(u) && "input" in u

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

/** The span options of a model call: kind `client`. */
const clientSpanOptions = Span.clientSpan()

/** `gen_ai.output.type` of `generateObject`'s span. */
const jsonOutput: Attributes.Attributes = { "gen_ai.output.type": "json" }

/** The `chat {model}` span name of a call: the client's model's (made once), or the one a request overrides it with. */
const chatSpanName = (clientModelId: string) => {
  const ofClientModel = Attributes.spanName("chat", clientModelId)
  return (input: BedrockClient.Input): string => {
    const modelId = typeof input === "object" && !Array.isArray(input)
      ? (input as BedrockClient.Request).model?.modelId
      : undefined
    return modelId === undefined || modelId === clientModelId ? ofClientModel : Attributes.spanName("chat", modelId)
  }
}

/**
 * The `CircuitBreaker` in context, else one of the options' settings (none with `circuitBreaker: false`); a breaker
 * the client makes is its model's, and its transitions are labelled with it.
 */
const breakerOf = (
  options: BedrockClient.Options,
  modelId: string
): Effect.Effect<Option.Option<CircuitBreaker.CircuitBreaker.Service>> =>
  Effect.flatMap(
    Effect.serviceOption(CircuitBreaker.CircuitBreaker),
    Option.match({
      onSome: (breaker) => Effect.succeed(Option.some(breaker)),
      onNone: () =>
        options.circuitBreaker === false
          ? Effect.succeed(Option.none())
          : Effect.map(CircuitBreaker.make(options.circuitBreaker ?? {}, { modelId }), Option.some)
    })
  )

/** The `ModelCatalog` in context, else the built-in one. */
const catalogOf: Effect.Effect<ModelCatalog.ModelCatalog.Service> = Effect.flatMap(
  Effect.serviceOption(ModelCatalog.ModelCatalog),
  Option.match({ onSome: Effect.succeed, onNone: () => ModelCatalog.make() })
)

/** One unary call of a prepared request: Converse, or InvokeModel with the family's native body. */
const unary = (
  runtime: BedrockRuntime.Service,
  policy: CallPolicy.CallPolicy,
  prepared: Prepare.Prepared
): Effect.Effect<Response.Response, ClientError> => {
  const target = prepared.target
  return target.api === "converse"
    ? CallPolicy.unaryCall(policy, prepared, "Converse", runtime.converse(target.input), SdkShapes.responseFromSdk)
    : CallPolicy.unaryCall(
      policy,
      prepared,
      "InvokeModel",
      runtime.invokeModel(target.input),
      (output) => Prepare.decodeNative(target.implementation, output)
    )
}

/** What one finished item of a batch adds to its progress. */
const progressOf = (
  result: Either.Either<Response.Response, ClientError>,
  cost: BedrockClient.Service["cost"]
): Effect.Effect<Progress.Advance> =>
  result._tag === "Left"
    ? Effect.succeed({ failed: 1 })
    : Effect.map(cost(result.right), (price) => ({
      done: 1,
      inputTokens: Attributes.allInputTokens(result.right.usage),
      outputTokens: result.right.usage.outputTokens,
      cost: price.total
    }))

/** Many calls with bounded concurrency, higher priorities first; results in input order. */
const runBatch = (
  generate: BedrockClient.Service["generate"],
  cost: BedrockClient.Service["cost"],
  items: Iterable<BedrockClient.Input | BedrockClient.BatchItem>,
  concurrency: number,
  onProgress: ((progress: Progress.Progress) => Effect.Effect<void>) | undefined
): Effect.Effect<Array<Either.Either<Response.Response, ClientError>>> => {
  const indexed = Arr.fromIterable(items).map((item, index) =>
    isBatchItem(item)
      ? { index, input: item.input, priority: item.priority ?? 0 }
      : { index, input: item, priority: 0 }
  )
  const ordered = [...indexed].sort((a, b) => b.priority - a.priority || a.index - b.index)
  return Effect.suspend(() => {
    const results = new Array<Either.Either<Response.Response, ClientError>>(indexed.length)
    const run = (report: (result: Either.Either<Response.Response, ClientError>) => Effect.Effect<void>) =>
      Effect.as(
        Effect.forEach(ordered, (item) =>
          Effect.flatMap(Effect.either(generate(item.input)), (result) => {
            results[item.index] = result
            return report(result)
          }), { concurrency, discard: true }),
        results
      )
    return onProgress === undefined
      ? run(() => Effect.void)
      : Progress.track(
        indexed.length,
        (reporter) => run((result) => Effect.flatMap(progressOf(result, cost), reporter.advance)),
        onProgress
      )
  })
}

/**
 * Builds the client over the `BedrockRuntime` in context. A `CircuitBreaker` or `ModelCatalog` service in context is
 * used when present; otherwise the client makes its own.
 *
 * Every call is prepared (`internal/client/prepareRequest.ts`), then made by one of two primitives, the unary call
 * and the stream call (`internal/client/streamCall.ts`), under one policy of hooks, breaker, retry and accounting
 * (`internal/client/callPolicy.ts`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: BedrockClient.Options
): Effect.Effect<BedrockClient.Service, never, BedrockRuntime> =>
  Effect.gen(function*() {
    const runtime = yield* BedrockRuntime
    const model = options.model instanceof ModelConfig ? options.model : new ModelConfig(options.model)
    const catalog = yield* catalogOf
    const policy = CallPolicy.make({
      hooks: options.hooks ?? [],
      breaker: yield* breakerOf(options, model.modelId),
      server: Attributes.serverOf({ region: runtime.config.region, endpoint: runtime.config.endpoint }),
      retry: options.retry instanceof RetryConfig ? options.retry : new RetryConfig(options.retry ?? {})
    })
    const prepare = Prepare.make({ model, catalog, api: options.api })

    const chatSpan = chatSpanName(model.modelId)
    const costOf = (response: Response.Response): Effect.Effect<ModelCatalog.Cost> =>
      catalog.cost(model.modelId, response.usage).pipe(Effect.orElseSucceed(() => CallPolicy.zeroCost))

    const generate = (input: BedrockClient.Input): Effect.Effect<Response.Response, ClientError> =>
      Effect.flatMap(prepare(input, false), (prepared) => unary(runtime, policy, prepared)).pipe(
        withSpan(chatSpan(input), clientSpanOptions)
      )

    const streamPull = (
      input: BedrockClient.Input
    ): Effect.Effect<Pull<Response.StreamEvent, ClientError>, never, Scope.Scope> =>
      Effect.map(Effect.scope, (scope) => {
        let call: Pull<Response.StreamEvent, ClientError> | undefined
        let span: Tracer.Span | undefined
        const open = Effect.matchEffect(prepare(input, true), {
          onFailure: (error) => Effect.fail(Option.some(error)),
          onSuccess: (prepared) =>
            Effect.flatMap(Scope.extend(StreamCall.streamCall(runtime, policy, prepared), scope), (opened) => {
              call = opened
              return Span.underSpan(span)(opened)
            })
        })
        // The `chat` span lives as long as the stream's scope; every pull runs under it.
        return Effect.suspend(() =>
          call !== undefined
            ? Span.underSpan(span)(call)
            : Effect.flatMap(Scope.extend(Span.scopedSpan(chatSpan(input), clientSpanOptions), scope), (made) => {
              span = made
              return Span.underSpan(made)(open)
            })
        )
      })

    const generateObject = <A, I>(
      schema: Schema.Schema<A, I>,
      input: BedrockClient.Input,
      objectOptions?: BedrockClient.ObjectOptions
    ): Effect.Effect<A, ClientError | StructuredOutputError> =>
      StructuredOutput.generate<A, I, ClientError | StructuredOutputError>(
        generate,
        schema,
        input,
        objectOptions,
        (message, attempts, requestId) =>
          new StructuredOutputError({ message, attempts, ...(requestId === undefined ? {} : { requestId }) })
      ).pipe(
        Effect.map((output) => output.value),
        Effect.zipLeft(Span.annotateSpan(() => jsonOutput)),
        withSpan("BedrockClient.generateObject")
      )

    return {
      model,
      generate,
      stream: (input) => PullStream.fromScopedPull(streamPull(input)),
      streamPull,
      generateObject,
      batch: (items, batchOptions) =>
        runBatch(generate, costOf, items, batchOptions?.concurrency ?? 8, batchOptions?.onProgress).pipe(
          withSpan("BedrockClient.batch")
        ),
      cost: costOf,
      usage: Effect.sync(policy.totals)
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
  PullStream.fromScopedPull(Effect.flatMap(BedrockClient, (client) => client.streamPull(input)))

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
): Effect.Effect<Response.Response, E | BedrockError.MalformedResponseError, R> =>
  Effect.flatMap(Stream.runFold(events, Response.Accumulator.empty, Response.accumulate), (acc) => acc.toResponse())
