/**
 * The raw Bedrock Runtime service: one AWS SDK client acquired in a scoped Layer, one Effect per operation and one
 * `Stream` per streaming operation, in the SDK's own request and response shapes. SDK exceptions become typed
 * `BedrockError`s; interrupting a fiber or a stream aborts its HTTP request.
 *
 * @since 0.1.0
 */
import * as Sdk from "@aws-sdk/client-bedrock-runtime"
import { NodeHttp2Handler, NodeHttpHandler } from "@smithy/node-http-handler"
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types"
import * as Chunk from "effect/Chunk"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { ClientConfig } from "./BedrockConfig.js"
import * as BedrockError from "./BedrockError.js"
import { registerSecret } from "./internal/redact.js"
import { withSpan } from "./internal/tracing.js"
import * as Backend from "./internal/transport/backend.js"
import * as ConnectTimeout from "./internal/transport/connectTimeout.js"
import * as Deadlines from "./internal/transport/deadlines.js"
import { eventStreamSerdeProvider } from "./internal/transport/eventStreamDecoder.js"
import { captureInvocationMetrics } from "./internal/transport/invocationHeaders.js"
import * as ReadAhead from "./internal/transport/readAhead.js"
import * as Timers from "./internal/transport/timers.js"

/**
 * The raw Bedrock Runtime service.
 *
 * @since 0.1.0
 * @category services
 */
export class BedrockRuntime
  extends Context.Tag("bedrock-llm/BedrockRuntime")<BedrockRuntime, BedrockRuntime.Service>()
{}

/**
 * @since 0.1.0
 */
export declare namespace BedrockRuntime {
  /**
   * The operations of the Bedrock Runtime API, in the SDK's shapes.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    /** The underlying SDK client (for middleware or operations this service does not wrap). */
    readonly sdk: Sdk.BedrockRuntimeClient
    /** The client configuration the SDK client was built from. */
    readonly config: ClientConfig
    readonly converse: (
      input: Sdk.ConverseCommandInput,
      options?: RequestOptions
    ) => Effect.Effect<Sdk.ConverseCommandOutput, BedrockError.BedrockError>
    readonly converseStream: (
      input: Sdk.ConverseStreamCommandInput,
      options?: StreamOptions
    ) => Effect.Effect<OpenStream<Sdk.ConverseStreamOutput>, BedrockError.BedrockError, Scope.Scope>
    readonly invokeModel: (
      input: Sdk.InvokeModelCommandInput,
      options?: RequestOptions
    ) => Effect.Effect<Sdk.InvokeModelCommandOutput, BedrockError.BedrockError>
    readonly invokeModelWithResponseStream: (
      input: Sdk.InvokeModelWithResponseStreamCommandInput,
      options?: StreamOptions
    ) => Effect.Effect<OpenStream<Uint8Array>, BedrockError.BedrockError, Scope.Scope>
    readonly countTokens: (
      input: Sdk.CountTokensCommandInput,
      options?: RequestOptions
    ) => Effect.Effect<Sdk.CountTokensCommandOutput, BedrockError.BedrockError>
    readonly applyGuardrail: (
      input: Sdk.ApplyGuardrailCommandInput,
      options?: RequestOptions
    ) => Effect.Effect<Sdk.ApplyGuardrailCommandOutput, BedrockError.BedrockError>
  }

  /**
   * The deadline of a non-streaming call (default: the `ClientConfig`'s `requestTimeout`). When it passes, the request
   * is aborted and the call fails with `RequestTimeoutError` (`request`).
   *
   * @since 0.1.0
   * @category models
   */
  export interface RequestOptions {
    readonly timeout?: Duration.DurationInput | undefined
  }

  /**
   * Deadlines of a streaming call (defaults: the `ClientConfig`'s `firstEventTimeout` and `idleTimeout`). The first
   * event must arrive within `firstEventTimeout` of the request; each next one within `idleTimeout` of the moment the
   * consumer asked for it, so time the consumer spends on an event never counts. A missed deadline aborts the request
   * and fails the stream with `RequestTimeoutError` (`first-event` or `idle`).
   *
   * @since 0.1.0
   * @category models
   */
  export interface StreamOptions {
    readonly firstEventTimeout?: Duration.DurationInput | undefined
    readonly idleTimeout?: Duration.DurationInput | undefined
  }

  /**
   * A streaming response whose headers have arrived: its request id and its events. The events must be consumed
   * within the scope that opened the stream; closing that scope before the end aborts the HTTP request. A body that
   * ends before the stream's final event (ConverseStream's `metadata`, the response-stream chunk with
   * `amazon-bedrock-invocationMetrics`) fails the events with a retryable `TransportError` (`INCOMPLETE_EVENT_STREAM`).
   *
   * @since 0.1.0
   * @category models
   */
  export interface OpenStream<A> {
    readonly requestId: string | undefined
    readonly events: Stream.Stream<A, BedrockError.BedrockError>
    /**
     * The same events as a pull, for consumers that drive it themselves: each run gives the next chunk and fails with
     * `None` at the end. Use `events` or `pull`, not both.
     */
    readonly pull: Effect.Effect<Chunk.Chunk<A>, Option.Option<BedrockError.BedrockError>>
  }

  /**
   * What `make` and `layer` take besides `ClientConfig`: a credentials provider (e.g. one that returns short-lived
   * credentials; it is called again when they expire) and the SDK's own options for anything not covered.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Options {
    readonly credentials?: AwsCredentialIdentityProvider | undefined
    readonly sdkOptions?: Partial<Sdk.BedrockRuntimeClientConfig> | undefined
    /**
     * What the one Info log line a runtime writes when it is built calls its backend; default `Amazon Bedrock in
     * <region>` (with the endpoint when one is set). `LocalBedrock` names its emulator here.
     */
    readonly backendName?: string | undefined
  }
}

const credentialsOf = (
  config: ClientConfig,
  options: BedrockRuntime.Options | undefined
): AwsCredentialIdentity | AwsCredentialIdentityProvider | undefined => {
  const provider = options?.credentials
  if (provider !== undefined) {
    return async (properties) => {
      const identity = await provider(properties)
      registerSecret(identity.secretAccessKey)
      registerSecret(identity.sessionToken)
      return identity
    }
  }
  const credentials = config.credentials
  if (credentials === undefined) return undefined
  registerSecret(Redacted.value(credentials.secretAccessKey))
  if (credentials.sessionToken !== undefined) registerSecret(Redacted.value(credentials.sessionToken))
  return {
    accessKeyId: credentials.accessKeyId,
    secretAccessKey: Redacted.value(credentials.secretAccessKey),
    ...(credentials.sessionToken === undefined ? {} : { sessionToken: Redacted.value(credentials.sessionToken) })
  }
}

/** The SDK's request handler for a configuration; every new connection has the connect deadline. */
const requestHandlerOf = (config: ClientConfig): NodeHttp2Handler | NodeHttpHandler => {
  const connection = config.connection
  const connectTimeout = Duration.toMillis(connection.connectTimeout)
  if (connection.protocol === "http1.1") {
    const agentOptions = { keepAlive: connection.keepAlive, maxSockets: connection.maxSockets }
    return new NodeHttpHandler(ConnectTimeout.http1Agents(agentOptions, connectTimeout))
  }
  return new NodeHttp2Handler({
    disableConcurrentStreams: !connection.multiplex,
    nodeHttp2ConnectOptions: ConnectTimeout.http2ConnectOptions(connectTimeout)
  })
}

/**
 * The SDK client options for a configuration: the SDK's own retry is one attempt (the retry policy is the library's),
 * HTTP/2 by default or HTTP/1.1 with keep-alive and a socket pool, and event streams decoded by the library's
 * marshaller (the bulk of a stream's events read straight from their frames, the rest by the SDK).
 *
 * @since 0.1.0
 * @category constructors
 */
export const sdkClientConfig = (
  config: ClientConfig,
  options?: BedrockRuntime.Options
): Sdk.BedrockRuntimeClientConfig => {
  const credentials = credentialsOf(config, options)
  return {
    maxAttempts: 1,
    requestHandler: requestHandlerOf(config),
    eventStreamSerdeProvider,
    ...(config.region === undefined ? {} : { region: config.region }),
    ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
    ...(config.profile === undefined ? {} : { profile: config.profile }),
    ...(credentials === undefined ? {} : { credentials }),
    ...options?.sdkOptions
  }
}

const spanOptions = (operation: string, modelId: string | undefined) => ({
  kind: "client" as const,
  // The caller's span (e.g. `BedrockClient.generate`) records the call site; one stack capture per call is enough.
  captureStackTrace: false,
  attributes: {
    "rpc.system": "aws-api",
    "rpc.service": "BedrockRuntime",
    "rpc.method": operation,
    ...(modelId === undefined ? {} : { "gen_ai.request.model": modelId })
  }
})

/**
 * Sends one request under a deadline: once it passes, the request is aborted and the call fails with
 * `RequestTimeoutError` (`request`). Interruption aborts the request too.
 */
const unary = <A>(
  operation: string,
  modelId: string | undefined,
  send: (signal: AbortSignal) => Promise<A>,
  timeout: Duration.Duration
): Effect.Effect<A, BedrockError.BedrockError> =>
  Effect.clockWith((clock) => {
    const controller = new AbortController()
    let expired: BedrockError.RequestTimeoutError | undefined
    const expire = () => {
      expired = Deadlines.timeoutError("request", timeout)
      controller.abort()
    }
    const request = (cancelTimer: Timers.Cancel) =>
      Effect.async<A, BedrockError.BedrockError>((resume) => {
        send(controller.signal).then(
          (output) => {
            cancelTimer()
            resume(Effect.succeed(output))
          },
          (error) => {
            cancelTimer()
            resume(Effect.fail(expired ?? BedrockError.fromSdkError(error, { modelId })))
          }
        )
        return Effect.sync(() => {
          cancelTimer()
          controller.abort()
        })
      })
    const call = Duration.isFinite(timeout)
      ? Effect.flatMap(Timers.after(clock, Duration.toMillis(timeout), expire), request)
      : request(() => {})
    return withSpan(`BedrockRuntime.${operation}`, spanOptions(operation, modelId))(call)
  })

/** Events a stream reads ahead of its consumer before it pauses (then HTTP/2 flow control holds the rest). */
const readAheadEvents = 256
/** Events decoded while the consumer waits before it is woken without waiting for the end of the turn. */
const wakeBatch = 32
/** Events at the start of a stream handed over one by one (the first text delta is among them). */
const eagerEvents = 4

/**
 * Sends a streaming command and exposes its events. The request is aborted when the scope closes before the stream
 * ended (consumer interrupted, took fewer events, or failed), and when a deadline passes.
 */
const openStream = <Output extends { readonly $metadata: { readonly requestId?: string | undefined } }, Raw, A>(
  operation: string,
  modelId: string | undefined,
  send: (signal: AbortSignal) => Promise<Output>,
  eventsOf: (output: Output) => AsyncIterable<Raw> | undefined,
  member: StreamMember<Raw, A>,
  deadlines: Deadlines.StreamDeadlines
): Effect.Effect<BedrockRuntime.OpenStream<A>, BedrockError.BedrockError, Scope.Scope> =>
  Effect.gen(function*() {
    let finished = false
    let expired: BedrockError.RequestTimeoutError | undefined
    const controller = new AbortController()
    const abortUnlessFinished = Effect.sync(() => finished || controller.abort())
    yield* Effect.addFinalizer(() => abortUnlessFinished)
    const clock = yield* Effect.clock
    const progress = Deadlines.waitingFrom(clock)
    yield* Deadlines.watchStream(clock, progress, deadlines, (error) => {
      expired = error
      controller.abort()
    })
    const failure = (error: unknown): BedrockError.BedrockError =>
      expired ?? BedrockError.fromSdkError(error, { modelId })
    const output = yield* Effect.tryPromise({ try: () => send(controller.signal), catch: failure }).pipe(
      withSpan(`BedrockRuntime.${operation}`, spanOptions(operation, modelId))
    )
    progress.waiting = false
    const iterable = eventsOf(output)
    if (iterable === undefined) {
      return { requestId: output.$metadata.requestId, events: Stream.empty, pull: Effect.fail(Option.none()) }
    }
    const iterator = iterable[Symbol.asyncIterator]()
    // Abort first: an async iterator's `return` waits for a pending `next`, which a stalled stream never settles.
    yield* Effect.addFinalizer(() =>
      Effect.zipRight(abortUnlessFinished, Effect.sync(() => void iterator.return?.()?.catch(() => {})))
    )
    // Reading starts now, while the consumer's stream is still being set up (time to first event).
    const requestId = output.$metadata.requestId
    const reader = ReadAhead.start(iterator, {
      highWaterMark: readAheadEvents,
      batch: wakeBatch,
      eager: eagerEvents,
      failure,
      expired: () => expired,
      unfinished: (last) =>
        last !== undefined && member.isFinal(last) ? undefined : unfinishedError(operation, member.final, requestId),
      onEnd: () => {
        finished = true
      },
      onWait: (waiting) => {
        progress.waiting = waiting
        if (waiting) progress.since = clock.unsafeCurrentTimeMillis()
        else progress.started = true
      }
    })
    // An exception event ends the stream after the events before it.
    let failed: BedrockError.BedrockError | undefined
    // Built once: a stream of events that arrive one at a time pulls once per event.
    const decoded = Effect.flatMap(reader.pull, (chunk) => {
      const raws = Chunk.toReadonlyArray(chunk)
      let end = raws.length
      for (let i = 0; i < raws.length; i++) {
        const exception = member.exception(raws[i]!)
        if (exception === undefined) continue
        if (i === 0) return Effect.fail(Option.some(exception))
        failed = exception
        end = i
        break
      }
      const { value } = member
      if (value === undefined) {
        // The members are the events (`A` is `Raw`): the chunk as it came, when no exception cut it short.
        const events = (end === raws.length ? chunk : Chunk.unsafeFromArray(raws.slice(0, end))) as unknown
        return Effect.succeed(events as Chunk.Chunk<A>)
      }
      const values = new Array<A>(end)
      for (let i = 0; i < end; i++) values[i] = value(raws[i]!)
      return Effect.succeed(Chunk.unsafeFromArray(values))
    })
    const pull = Effect.suspend(() => failed === undefined ? decoded : Effect.fail(Option.some(failed)))
    return { requestId, events: Stream.repeatEffectChunkOption(pull), pull }
  })

/**
 * The failure of a stream whose body ended before the event a complete stream ends with. The SDK's iterator simply
 * ends when the connection is closed or reset between two frames (HTTP/2), or when a proxy ends the body early, so the
 * end alone does not tell a complete answer from a cut one. Retryable, as any transport failure: before the first
 * event the client retries the call, after it the stream fails with `StreamInterruptedError`.
 */
const unfinishedError = (
  operation: string,
  finalEvent: string,
  requestId: string | undefined
): BedrockError.TransportError =>
  new BedrockError.TransportError({
    message:
      `the ${operation} response ended before ${finalEvent}: the answer is incomplete (the connection was closed or reset, or the body ended early)`,
    code: "INCOMPLETE_EVENT_STREAM",
    ...(requestId === undefined ? {} : { requestId })
  })

/**
 * How the members of an event stream are read: the error an exception member carries (the stream fails with it after
 * the events before it), the value of any other member (`undefined`: the member itself), and the member a complete
 * stream ends with (checked once, on the last member, when the body ends).
 */
interface StreamMember<Raw, A> {
  readonly exception: (raw: Raw) => BedrockError.BedrockError | undefined
  readonly value: ((raw: Raw) => A) | undefined
  readonly isFinal: (raw: Raw) => boolean
  /** The final member, in words (for the error of a stream that ended without it). */
  readonly final: string
}

const converseStreamMember: StreamMember<Sdk.ConverseStreamOutput, Sdk.ConverseStreamOutput> = {
  exception: (member) => {
    const exception = member.internalServerException ?? member.modelStreamErrorException ??
      member.serviceUnavailableException ?? member.throttlingException ?? member.validationException
    if (exception === undefined) return undefined
    const extra = exception as { readonly originalStatusCode?: number; readonly originalMessage?: string }
    return BedrockError.fromStreamException(exception.name, exception.message, {
      originalStatusCode: extra.originalStatusCode,
      originalMessage: extra.originalMessage
    })
  },
  value: undefined,
  // `metadata` (usage, metrics, trace) follows `messageStop` and ends every ConverseStream.
  isFinal: (member) => member.metadata !== undefined,
  final: "its metadata event"
}

/** The member Bedrock adds to the last chunk of every model's InvokeModelWithResponseStream answer. */
const invocationMetricsKey = "amazon-bedrock-invocationMetrics"

const utf8 = new TextDecoder()

/** Whether a chunk's JSON carries the invocation metrics, that is, whether it is the stream's last chunk. */
const carriesInvocationMetrics = (bytes: Uint8Array | undefined): boolean => {
  if (bytes === undefined) return false
  try {
    const json: unknown = JSON.parse(utf8.decode(bytes))
    return typeof json === "object" && json !== null && Object.prototype.hasOwnProperty.call(json, invocationMetricsKey)
  } catch {
    return false
  }
}

const responseStreamMember: StreamMember<Sdk.ResponseStream, Uint8Array> = {
  exception: (member) => {
    if (member.chunk !== undefined) return undefined
    const exception = member.internalServerException ?? member.modelStreamErrorException ??
      member.serviceUnavailableException ?? member.throttlingException ?? member.validationException ??
      member.modelTimeoutException
    return exception === undefined ? undefined : BedrockError.fromStreamException(exception.name, exception.message)
  },
  value: (member) => member.chunk?.bytes ?? new Uint8Array(0),
  // Every family's last chunk (Anthropic's `message_stop`, Cohere's `is_finished`, Llama's and Titan's last
  // generation, ...) is the one Bedrock adds `amazon-bedrock-invocationMetrics` to.
  isFinal: (member) => carriesInvocationMetrics(member.chunk?.bytes),
  final: `the final chunk (with ${invocationMetricsKey})`
}

/**
 * The SDK client with the library's middleware: InvokeModel's `x-amzn-bedrock-*` metrics kept on the output, so that
 * native calls are accounted like Converse calls.
 */
const withLibraryMiddleware = (sdk: Sdk.BedrockRuntimeClient): Sdk.BedrockRuntimeClient => {
  captureInvocationMetrics(sdk)
  return sdk
}

/**
 * Builds the service over an SDK client that lives as long as the scope; the client is destroyed (its connections
 * closed) on release.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  config: ClientConfig,
  options?: BedrockRuntime.Options
): Effect.Effect<BedrockRuntime.Service, never, Scope.Scope> =>
  Effect.map(
    Effect.tap(
      Effect.acquireRelease(
        Effect.sync(() => withLibraryMiddleware(new Sdk.BedrockRuntimeClient(sdkClientConfig(config, options)))),
        (sdk) => Effect.sync(() => sdk.destroy())
      ),
      (sdk) => announce(sdk, config, options)
    ),
    (sdk): BedrockRuntime.Service => {
      const defaultTimeout = Duration.decode(config.requestTimeout)
      const requestTimeout = (options: BedrockRuntime.RequestOptions | undefined) =>
        options?.timeout === undefined ? defaultTimeout : Duration.decode(options.timeout)
      const streamDeadlines = (options: BedrockRuntime.StreamOptions | undefined): Deadlines.StreamDeadlines => ({
        firstEvent: Duration.decode(options?.firstEventTimeout ?? config.firstEventTimeout),
        idle: Duration.decode(options?.idleTimeout ?? config.idleTimeout)
      })
      return {
        sdk,
        config,
        converse: (input, options) =>
          unary(
            "Converse",
            input.modelId,
            (abortSignal) => sdk.send(new Sdk.ConverseCommand(input), { abortSignal }),
            requestTimeout(options)
          ),
        converseStream: (input, options) =>
          openStream(
            "ConverseStream",
            input.modelId,
            (abortSignal) => sdk.send(new Sdk.ConverseStreamCommand(input), { abortSignal }),
            (output) => output.stream,
            converseStreamMember,
            streamDeadlines(options)
          ),
        invokeModel: (input, options) =>
          unary(
            "InvokeModel",
            input.modelId,
            (abortSignal) => sdk.send(new Sdk.InvokeModelCommand(input), { abortSignal }),
            requestTimeout(options)
          ),
        invokeModelWithResponseStream: (input, options) =>
          openStream(
            "InvokeModelWithResponseStream",
            input.modelId,
            (abortSignal) => sdk.send(new Sdk.InvokeModelWithResponseStreamCommand(input), { abortSignal }),
            (output) => output.body,
            responseStreamMember,
            streamDeadlines(options)
          ),
        countTokens: (input, options) =>
          unary(
            "CountTokens",
            input.modelId,
            (abortSignal) => sdk.send(new Sdk.CountTokensCommand(input), { abortSignal }),
            requestTimeout(options)
          ),
        applyGuardrail: (input, options) =>
          unary(
            "ApplyGuardrail",
            undefined,
            (abortSignal) => sdk.send(new Sdk.ApplyGuardrailCommand(input), { abortSignal }),
            requestTimeout(options)
          )
      }
    }
  )

/**
 * The one Info log line of a runtime: which backend it uses. Without a region in the configuration, the SDK's own
 * resolution is asked (a runtime that has none is logged at Warning: its calls will fail with `ConfigurationError`).
 */
const announce = (
  sdk: Sdk.BedrockRuntimeClient,
  config: ClientConfig,
  options: BedrockRuntime.Options | undefined
): Effect.Effect<void> => {
  const log = (level: "Info" | "Warning", name: string) =>
    Effect.logWithLevel(LogLevel.fromLiteral(level), `bedrock-llm: BedrockRuntime uses ${name}`)
  if (options?.backendName !== undefined) return log("Info", options.backendName)
  if (config.region !== undefined) {
    return log(
      "Info",
      Backend.describeBedrock({ region: config.region, source: "ClientConfig.region" }, config.endpoint)
    )
  }
  return Effect.matchEffect(Effect.tryPromise(() => sdk.config.region()), {
    onFailure: (error) =>
      log(
        "Warning",
        `${Backend.describeBedrock(undefined, config.endpoint)}: ${BedrockError.fromSdkError(error).message}`
      ),
    onSuccess: (region) =>
      log("Info", Backend.describeBedrock({ region, source: "the AWS SDK's region resolution" }, config.endpoint))
  })
}

/**
 * A scoped Layer with one SDK client for the given configuration. Nothing is checked or contacted until the first call
 * (a missing region or credentials fail that call with `ConfigurationError`); `layerConfig` checks first.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  config: ClientConfig = new ClientConfig({}),
  options?: BedrockRuntime.Options
): Layer.Layer<BedrockRuntime> => Layer.scoped(BedrockRuntime, make(config, options))

/**
 * A scoped Layer on Amazon Bedrock configured from the environment (`AWS_REGION`, `AWS_PROFILE`, `BEDROCK_ENDPOINT`,
 * ...; see `ClientConfig.fromEnv`), or from any `Config` of a `ClientConfig`, checked before it is built: invalid
 * values, a profile that is in neither shared file, no region where the AWS SDK looks (the environment, the profile
 * in the shared files, the EC2 instance metadata service), or no credentials from the SDK's default chain (unless a
 * Bedrock API key is set or credentials are given) fail with a `ConfigError` naming the variable and saying what to
 * set. The region found is the one the SDK client uses.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config: Config.Config<ClientConfig> = ClientConfig.fromEnv,
  options?: BedrockRuntime.Options
): Layer.Layer<BedrockRuntime, ConfigError.ConfigError> =>
  Layer.scoped(
    BedrockRuntime,
    Effect.gen(function*() {
      const client = yield* config
      const found = yield* Backend.resolveRegion(client)
      if (Option.isNone(found)) {
        return yield* Effect.fail(Backend.missingRegion(client, "Amazon Bedrock needs a region to sign requests for"))
      }
      const resolved = client.region === undefined
        ? new ClientConfig({ ...client, region: found.value.region })
        : client
      const service = yield* make(resolved, {
        ...options,
        backendName: options?.backendName ?? Backend.describeBedrock(found.value, client.endpoint)
      })
      const given = client.credentials ?? options?.credentials ?? options?.sdkOptions?.credentials
      if (given === undefined) {
        yield* Backend.verifyCredentials(service.sdk, found.value.region)
      }
      return service
    })
  )
