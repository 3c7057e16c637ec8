/**
 * A Promise facade for code that does not use Effect: `createClient(config)` returns a
 * plain object whose methods return Promises and AsyncIterables, running on a `ManagedRuntime` built from the
 * library's Layers (`BedrockRuntime` by way of `LocalBedrock`, `BedrockClient`, `EmbeddingsClient`). The backend is
 * chosen as `LocalBedrock` chooses it: `createClient({ modelId })` talks to Amazon Bedrock wherever an AWS region is
 * configured and to the embedded emulator when none is (or with `BEDROCK_EMULATOR=1`), and logs which at Info.
 *
 * ```ts
 * const client = createClient({ region: "us-east-1", modelId: "amazon.nova-micro-v1:0" })
 * const response = await client.generate("Hello!")
 * for await (const event of client.stream("Tell me a story")) { ... } // `break` aborts the request
 * await client.close()
 * ```
 *
 * Failures reject with `BedrockLlmError`, an `Error` that keeps the typed error's `_tag` (as `tag`) and fields.
 * `close()` interrupts calls in flight, ends open streams and destroys the SDK client (its connections close);
 * calls made after it reject with tag `ClientClosed`.
 *
 * @since 0.1.0
 */
import type { AwsCredentialIdentityProvider } from "@smithy/types"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as EffectConfig from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Redacted from "effect/Redacted"
import type * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import * as BedrockClient from "./BedrockClient.js"
import {
  CircuitBreakerConfig,
  ClientConfig,
  ConnectionConfig,
  RetryConfig,
  StaticCredentials
} from "./BedrockConfig.js"
import * as BedrockRuntime from "./BedrockRuntime.js"
import * as EmbeddingsClient from "./EmbeddingsClient.js"
import { defined } from "./internal/defined.js"
import * as LocalBedrock from "./LocalBedrock.js"
import type * as Response from "./Response.js"

/**
 * Plain configuration of `createClient`; durations are in milliseconds. `modelId` is needed by `generate`, `stream`,
 * `generateObject` and `batch`, `embeddingModelId` by `embed`. The client fields given here override the environment
 * (`ClientConfig.fromEnv`: `AWS_REGION`, `BEDROCK_ENDPOINT`, `BEDROCK_REQUEST_TIMEOUT_MS` ...), and the backend is
 * chosen as `LocalBedrock` chooses it: real Bedrock wherever a region is configured (here, in the environment or in
 * the AWS profile), the embedded emulator when none is or `BEDROCK_EMULATOR=1`. Without `credentials` the AWS SDK's
 * default chain is used.
 *
 * @since 0.1.0
 * @category models
 */
export interface Config {
  readonly region?: string | undefined
  readonly endpoint?: string | undefined
  readonly profile?: string | undefined
  readonly credentials?:
    | { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string | undefined }
    | AwsCredentialIdentityProvider
    | undefined
  readonly protocol?: "http2" | "http1.1" | undefined
  readonly requestTimeoutMs?: number | undefined
  readonly modelId?: string | undefined
  /** Inference settings of the model (`maxTokens`, `temperature`, `system` ...). */
  readonly model?: Omit<BedrockClient.BedrockClient.ModelOverrides, "modelId"> | undefined
  readonly embeddingModelId?: string | undefined
  readonly embeddings?:
    | EmbeddingsClient.EmbeddingsClient.EmbedOptions & {
      readonly cache?: { readonly capacity: number; readonly timeToLiveMs: number } | false | undefined
      readonly concurrency?: number | undefined
    }
    | undefined
  readonly retry?: {
    readonly maxAttempts?: number | undefined
    readonly baseDelayMs?: number | undefined
    readonly maxDelayMs?: number | undefined
    readonly factor?: number | undefined
    readonly jitter?: boolean | number | undefined
    readonly maxElapsedMs?: number | undefined
    readonly honourRetryAfter?: boolean | undefined
  } | undefined
  /** Circuit breaker of `generate` / `stream`, or `false` for none. */
  readonly circuitBreaker?:
    | {
      readonly failureThreshold?: number | undefined
      readonly resetTimeoutMs?: number | undefined
      readonly halfOpenMaxProbes?: number | undefined
      readonly successThreshold?: number | undefined
    }
    | false
    | undefined
  /** Middleware around every model request (see `BedrockClient.Hooks`). */
  readonly hooks?: ReadonlyArray<BedrockClient.BedrockClient.Hooks> | undefined
}

/**
 * Per-call options: an `AbortSignal` that interrupts the call (and aborts its HTTP request).
 *
 * @since 0.1.0
 * @category models
 */
export interface CallOptions {
  readonly signal?: AbortSignal | undefined
}

/**
 * The facade's tags besides the typed errors' own: `ClientClosed` (a call after or during `close`), `Aborted` (the
 * caller's signal), `NotConfigured` (no `modelId` / `embeddingModelId`), `InvalidConfig`, `Defect` (a bug).
 *
 * @since 0.1.0
 * @category models
 */
export type FacadeTag = "ClientClosed" | "Aborted" | "NotConfigured" | "InvalidConfig" | "Defect"

const reserved = new Set(["_tag", "name", "message", "stack", "cause"])

/**
 * Every rejection of the facade: `tag` is the typed error's `_tag` (`ThrottlingError`, `ValidationError`,
 * `EmbeddingInputError` ...) or a `FacadeTag`; `fields` holds the typed error's fields, which are also set on the
 * error itself (`retryAfterMs`, `kind`, `problem` ...); `cause` is the typed error.
 *
 * @since 0.1.0
 * @category errors
 */
export class BedrockLlmError extends Error {
  override readonly name = "BedrockLlmError"
  readonly tag: string
  readonly retryable: boolean
  readonly status: number | undefined
  readonly requestId: string | undefined
  readonly fields: Readonly<Record<string, unknown>>

  constructor(options: {
    readonly tag: string
    readonly message: string
    readonly retryable?: boolean | undefined
    readonly status?: number | undefined
    readonly requestId?: string | undefined
    readonly fields?: Readonly<Record<string, unknown>> | undefined
    readonly cause?: unknown
  }) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause })
    this.tag = options.tag
    this.retryable = options.retryable ?? false
    this.status = options.status
    this.requestId = options.requestId
    this.fields = options.fields ?? {}
    for (const [key, value] of Object.entries(this.fields)) {
      if (!(key in this)) Object.defineProperty(this, key, { value, enumerable: true })
    }
  }

  /**
   * The facade error of a typed error (any `{ _tag, message }` value; `retryable`, `status` and `requestId` are
   * read when present).
   *
   * @since 0.1.0
   */
  static fromTyped(error: unknown): BedrockLlmError {
    if (error instanceof BedrockLlmError) return error
    if (!Predicate.hasProperty(error, "_tag") || typeof error._tag !== "string") {
      return new BedrockLlmError({ tag: "Defect", message: String(error), cause: error })
    }
    const fields: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(error)) {
      if (!reserved.has(key) && value !== undefined) fields[key] = value
    }
    const read = <A>(key: string, guard: (u: unknown) => u is A): A | undefined => {
      const value = (error as Record<string, unknown>)[key]
      return guard(value) ? value : undefined
    }
    return new BedrockLlmError({
      tag: error._tag,
      message: read("message", Predicate.isString) ?? error._tag,
      retryable: read("retryable", Predicate.isBoolean),
      status: read("status", Predicate.isNumber),
      requestId: read("requestId", Predicate.isString),
      fields,
      cause: error
    })
  }
}

/**
 * Whether a value is a `BedrockLlmError`, optionally with the given tag.
 *
 * @since 0.1.0
 * @category guards
 */
export const isBedrockLlmError = (u: unknown, tag?: string): u is BedrockLlmError =>
  u instanceof BedrockLlmError && (tag === undefined || u.tag === tag)

/**
 * The outcome of one `batch` input, as in `Promise.allSettled`.
 *
 * @since 0.1.0
 * @category models
 */
export type BatchResult =
  | { readonly status: "fulfilled"; readonly value: Response.Response }
  | { readonly status: "rejected"; readonly reason: BedrockLlmError }

/**
 * The facade client.
 *
 * @since 0.1.0
 * @category models
 */
export interface Client {
  /** One Converse call. */
  readonly generate: (input: BedrockClient.BedrockClient.Input, options?: CallOptions) => Promise<Response.Response>
  /** A ConverseStream call as an AsyncIterable; leaving a `for await` early aborts the request. */
  readonly stream: (
    input: BedrockClient.BedrockClient.Input,
    options?: CallOptions
  ) => AsyncIterable<Response.StreamEvent>
  /** A value of the schema, produced by a forced tool call and decoded. */
  readonly generateObject: <A, I>(
    schema: Schema.Schema<A, I>,
    input: BedrockClient.BedrockClient.Input,
    options?: BedrockClient.BedrockClient.ObjectOptions & CallOptions
  ) => Promise<A>
  /** The embedding of a text, or the embeddings of a list of texts (in order). */
  readonly embed: {
    (text: string, options?: EmbeddingsClient.EmbeddingsClient.EmbedOptions & CallOptions): Promise<
      ReadonlyArray<number>
    >
    (
      texts: ReadonlyArray<string>,
      options?: EmbeddingsClient.EmbeddingsClient.EmbedOptions & CallOptions
    ): Promise<Array<ReadonlyArray<number>>>
  }
  /** Many calls with bounded concurrency (default 8); one settled result per input, in input order. */
  readonly batch: (
    inputs: Iterable<BedrockClient.BedrockClient.Input | BedrockClient.BedrockClient.BatchItem>,
    options?: { readonly concurrency?: number | undefined } & CallOptions
  ) => Promise<Array<BatchResult>>
  /** Token, call and cost totals of the generation client. */
  readonly usage: () => Promise<BedrockClient.BedrockClient.UsageTotals>
  /** Interrupts calls in flight, ends open streams, releases the SDK client and its connections. Idempotent. */
  readonly close: () => Promise<void>
  /** Whether `close` was called. */
  readonly closed: () => boolean
}

class NotConfigured extends Data.TaggedError("NotConfigured")<{ readonly message: string }> {}

const millis = (value: number | undefined) => value === undefined ? undefined : Duration.millis(value)

const invalidConfig = (cause: unknown): BedrockLlmError =>
  new BedrockLlmError({
    tag: "InvalidConfig",
    message: `Invalid bedrock-llm configuration: ${cause instanceof Error ? cause.message : String(cause)}`,
    cause
  })

/** The client configuration: the environment's, with the fields `createClient` was given over it. */
const clientConfigOf = (config: Config): EffectConfig.Config<ClientConfig> => {
  const staticCredentials = typeof config.credentials === "object" ? config.credentials : undefined
  const given = defined({
    region: config.region,
    endpoint: config.endpoint,
    profile: config.profile,
    credentials: staticCredentials === undefined ? undefined : new StaticCredentials({
      accessKeyId: staticCredentials.accessKeyId,
      secretAccessKey: Redacted.make(staticCredentials.secretAccessKey),
      ...(staticCredentials.sessionToken === undefined
        ? {}
        : { sessionToken: Redacted.make(staticCredentials.sessionToken) })
    }),
    requestTimeout: millis(config.requestTimeoutMs)
  })
  const connection = defined({ protocol: config.protocol })
  // Built once here so that invalid fields make `createClient` throw, before any environment is read.
  void new ClientConfig({ ...given, connection: new ConnectionConfig(connection) })
  return EffectConfig.map(ClientConfig.fromEnv, (env) =>
    new ClientConfig({
      ...env,
      ...given,
      connection: new ConnectionConfig({ ...env.connection, ...connection })
    }))
}

const layerOf = (config: Config) => {
  const clientConfig = clientConfigOf(config)
  const retry = new RetryConfig(defined({
    maxAttempts: config.retry?.maxAttempts,
    baseDelay: millis(config.retry?.baseDelayMs),
    maxDelay: millis(config.retry?.maxDelayMs),
    factor: config.retry?.factor,
    jitter: config.retry?.jitter,
    maxElapsed: millis(config.retry?.maxElapsedMs),
    honourRetryAfter: config.retry?.honourRetryAfter
  }))
  const breaker = config.circuitBreaker
  const circuitBreaker = breaker === false || breaker === undefined ? breaker : new CircuitBreakerConfig(defined({
    failureThreshold: breaker.failureThreshold,
    resetTimeout: millis(breaker.resetTimeoutMs),
    halfOpenMaxProbes: breaker.halfOpenMaxProbes,
    successThreshold: breaker.successThreshold
  }))
  const clientLayer = config.modelId === undefined ? Layer.empty : BedrockClient.layer({
    model: { ...config.model, modelId: config.modelId },
    retry,
    ...(circuitBreaker === undefined ? {} : { circuitBreaker }),
    ...(config.hooks === undefined ? {} : { hooks: config.hooks })
  })
  let embeddingsLayer:
    | Layer.Layer<EmbeddingsClient.EmbeddingsClient, unknown, BedrockRuntime.BedrockRuntime>
    | Layer.Layer<never> = Layer.empty
  if (config.embeddingModelId !== undefined) {
    const model = EmbeddingsClient.resolveModel(config.embeddingModelId)
    if (Either.isLeft(model)) throw BedrockLlmError.fromTyped(model.left)
    const { cache, concurrency, ...defaults } = config.embeddings ?? {}
    embeddingsLayer = EmbeddingsClient.layer({
      model: config.embeddingModelId,
      defaults,
      retry,
      concurrency,
      cache: cache === undefined || cache === false
        ? cache
        : { capacity: cache.capacity, timeToLive: Duration.millis(cache.timeToLiveMs) }
    })
  }
  const runtimeLayer = LocalBedrock.layer({
    config: clientConfig,
    ...(typeof config.credentials === "function" ? { runtime: { credentials: config.credentials } } : {})
  })
  return Layer.mergeAll(clientLayer, embeddingsLayer).pipe(Layer.provideMerge(runtimeLayer)) as Layer.Layer<
    BedrockRuntime.BedrockRuntime,
    unknown
  >
}

const generationClient = Effect.flatMap(
  Effect.serviceOption(BedrockClient.BedrockClient),
  Option.match({
    onSome: Effect.succeed,
    onNone: () => new NotConfigured({ message: "no modelId was configured: pass { modelId } to createClient" })
  })
)

const embeddingsClient = Effect.flatMap(
  Effect.serviceOption(EmbeddingsClient.EmbeddingsClient),
  Option.match({
    onSome: Effect.succeed,
    onNone: () =>
      new NotConfigured({ message: "no embeddingModelId was configured: pass { embeddingModelId } to createClient" })
  })
)

/** What the facade's methods share: its runtime, the calls and streams it can abort, and whether it is closing. */
interface Facade {
  readonly runtime: ManagedRuntime.ManagedRuntime<BedrockRuntime.BedrockRuntime, unknown>
  readonly closing: () => Promise<void> | undefined
  readonly closedError: () => BedrockLlmError
  /** A signal that aborts when the caller's does and when the facade closes, until it is released. */
  readonly linkedSignal: (
    signal: AbortSignal | undefined
  ) => { readonly signal: AbortSignal; readonly release: () => void }
  readonly errorOf: (cause: Cause.Cause<unknown>, signal: AbortSignal | undefined) => BedrockLlmError
  /** Runs an effect on the runtime, interruptible by the caller's signal and by `close`. */
  readonly run: <A, E>(
    effect: Effect.Effect<A, E, BedrockRuntime.BedrockRuntime>,
    signal?: AbortSignal | undefined
  ) => Promise<A>
  /** A scope that `close` closes if it is still open. */
  readonly openScope: () => Scope.CloseableScope
  readonly closeScope: (scope: Scope.CloseableScope) => Promise<void>
  readonly close: () => Promise<void>
}

const makeFacade = (layer: Layer.Layer<BedrockRuntime.BedrockRuntime, unknown>): Facade => {
  const runtime = ManagedRuntime.make(layer)
  const inFlight = new Set<AbortController>()
  const openScopes = new Set<Scope.CloseableScope>()
  let closing: Promise<void> | undefined

  const closedError = () =>
    new BedrockLlmError({ tag: "ClientClosed", message: "the bedrock-llm client is closed (close() was called)" })

  const errorOf = (cause: Cause.Cause<unknown>, signal: AbortSignal | undefined): BedrockLlmError => {
    const failure = Cause.failureOption(cause)
    if (Option.isSome(failure)) {
      return ConfigError.isConfigError(failure.value)
        ? invalidConfig(failure.value)
        : BedrockLlmError.fromTyped(failure.value)
    }
    if (Cause.isInterruptedOnly(cause)) {
      if (closing !== undefined) return closedError()
      return new BedrockLlmError({
        tag: "Aborted",
        message: "the call was aborted by its signal",
        cause: signal?.reason
      })
    }
    const defect = Cause.squash(cause)
    return new BedrockLlmError({
      tag: "Defect",
      message: `bedrock-llm defect: ${defect instanceof Error ? defect.message : String(defect)}`,
      cause: defect
    })
  }

  const linkedSignal = (signal: AbortSignal | undefined) => {
    const controller = new AbortController()
    const abort = () => controller.abort(signal?.reason)
    if (signal?.aborted === true) abort()
    signal?.addEventListener("abort", abort, { once: true })
    inFlight.add(controller)
    return {
      signal: controller.signal,
      release: () => {
        inFlight.delete(controller)
        signal?.removeEventListener("abort", abort)
      }
    }
  }

  const run = async <A, E>(
    effect: Effect.Effect<A, E, BedrockRuntime.BedrockRuntime>,
    signal?: AbortSignal | undefined
  ): Promise<A> => {
    if (closing !== undefined) throw closedError()
    const linked = linkedSignal(signal)
    let exit: Exit.Exit<A, unknown>
    try {
      exit = await runtime.runPromiseExit(effect, { signal: linked.signal })
    } finally {
      linked.release()
    }
    if (Exit.isSuccess(exit)) return exit.value
    throw errorOf(exit.cause, signal)
  }

  const closeScope = (scope: Scope.CloseableScope): Promise<void> => {
    if (!openScopes.delete(scope)) return Promise.resolve()
    return Effect.runPromise(Scope.close(scope, Exit.void))
  }

  return {
    runtime,
    closing: () => closing,
    closedError,
    linkedSignal,
    errorOf,
    run,
    openScope: () => {
      const scope = Effect.runSync(Scope.make())
      openScopes.add(scope)
      return scope
    },
    closeScope,
    close: () => {
      if (closing === undefined) {
        for (const controller of inFlight) controller.abort()
        closing = Promise.all(Array.from(openScopes, closeScope)).then(() => runtime.dispose())
      }
      return closing
    }
  }
}

/**
 * The events of a `stream` call as an async iterator: the call is made on the first `next`, each `next` takes the
 * next event of the chunk last pulled (or pulls one), and `return` (a `break`) ends the call's scope, which aborts its
 * request.
 */
const streamIterator = (
  facade: Facade,
  input: BedrockClient.BedrockClient.Input,
  signal: AbortSignal | undefined
): AsyncIterator<Response.StreamEvent> => {
  let scope: Scope.CloseableScope | undefined
  let pull: Effect.Effect<Chunk.Chunk<Response.StreamEvent>, Option.Option<unknown>> | undefined
  // One signal for all of the stream's pulls (with events that arrive one at a time, a pull is one event).
  let linked: ReturnType<Facade["linkedSignal"]> | undefined
  let buffer: ReadonlyArray<Response.StreamEvent> = []
  let position = 0
  let finished = false
  const finish = async (): Promise<IteratorResult<Response.StreamEvent>> => {
    finished = true
    linked?.release()
    if (scope !== undefined) await facade.closeScope(scope)
    return { done: true, value: undefined }
  }
  const open = async () => {
    const opened = facade.openScope()
    scope = opened
    pull = await facade.run(
      Effect.flatMap(generationClient, (client) => client.streamPull(input)).pipe(Scope.extend(opened)),
      signal
    )
    linked = facade.linkedSignal(signal)
  }
  /** Pulls the next chunk into the buffer; `false` at the end of the stream. */
  const refill = async (): Promise<boolean> => {
    try {
      if (pull === undefined) await open()
    } catch (error) {
      await finish()
      throw error
    }
    const exit = await facade.runtime.runPromiseExit(pull!, { signal: linked!.signal })
    if (Exit.isFailure(exit)) {
      const failure = Cause.failureOption(exit.cause).pipe(Option.filter(Option.isOption))
      await finish()
      if (Option.isSome(failure) && Option.isNone(failure.value)) return false
      throw Option.isSome(failure) && Option.isSome(failure.value)
        ? BedrockLlmError.fromTyped(failure.value.value)
        : facade.errorOf(exit.cause, signal)
    }
    buffer = Chunk.toReadonlyArray(exit.value)
    position = 0
    return true
  }
  return {
    next: async () => {
      if (finished) return { done: true, value: undefined }
      while (position >= buffer.length || facade.closing() !== undefined) {
        if (facade.closing() !== undefined) {
          await finish()
          throw facade.closedError()
        }
        if (!(await refill())) return { done: true, value: undefined }
      }
      return { done: false, value: buffer[position++]! }
    },
    return: () => finish()
  }
}

/**
 * Creates a client. Throws `BedrockLlmError` (tag `InvalidConfig`, or `UnsupportedModelError` for an embedding model
 * the client cannot use) when the configuration is invalid; nothing connects before the first call.
 *
 * @since 0.1.0
 * @category constructors
 */
export const createClient = (config: Config): Client => {
  let layer: Layer.Layer<BedrockRuntime.BedrockRuntime, unknown>
  try {
    layer = layerOf(config)
  } catch (cause) {
    throw cause instanceof BedrockLlmError ? cause : invalidConfig(cause)
  }
  const facade = makeFacade(layer)
  const { run } = facade

  const embed = ((
    texts: string | ReadonlyArray<string>,
    options?: EmbeddingsClient.EmbeddingsClient.EmbedOptions & CallOptions
  ) => {
    const { signal, ...embedOptions } = options ?? {}
    return run(
      Effect.flatMap(
        embeddingsClient,
        (client): Effect.Effect<unknown, EmbeddingsClient.EmbeddingsError> =>
          typeof texts === "string" ? client.embed(texts, embedOptions) : client.embedMany(texts, embedOptions)
      ),
      signal
    )
  }) as Client["embed"]

  return {
    generate: (input, options) =>
      run(Effect.flatMap(generationClient, (client) => client.generate(input)), options?.signal),
    stream: (input, options) => ({
      [Symbol.asyncIterator]: () => streamIterator(facade, input, options?.signal)
    }),
    generateObject: (schema, input, options) => {
      const { signal, ...objectOptions } = options ?? {}
      return run(
        Effect.flatMap(generationClient, (client) => client.generateObject(schema, input, objectOptions)),
        signal
      )
    },
    embed,
    batch: (inputs, options) =>
      run(
        Effect.flatMap(generationClient, (client) => client.batch(inputs, { concurrency: options?.concurrency })),
        options?.signal
      ).then((results) =>
        results.map((result): BatchResult =>
          Either.isRight(result)
            ? { status: "fulfilled", value: result.right }
            : { status: "rejected", reason: BedrockLlmError.fromTyped(result.left) }
        )
      ),
    usage: () => run(Effect.flatMap(generationClient, (client) => client.usage)),
    close: facade.close,
    closed: () => facade.closing() !== undefined
  }
}
